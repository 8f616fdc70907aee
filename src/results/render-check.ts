/**
 * @file The `check` report as a terminal table: one row per cell, each metric as measured vs reference
 * with the difference, failing metrics marked, and a summary line naming the tolerances in table units.
 */
import Table from 'cli-table3';
import { METRIC_KEYS } from './store.js';
import { DEFAULT_TOLERANCE, type CheckReport, type MetricCheck } from './check.js';
import type { Tolerance } from './published.js';
import { fmt, metricHeader, signed, tableOptions } from './render.js';

function metricText(m: MetricCheck): string {
  if (m.measured === null && m.reference === null) return '—';
  if (m.measured === null) return `— vs ${fmt(m.reference)}`;
  if (m.reference === null) return `${fmt(m.measured)} (no ref.)`;
  const mark = m.status === 'regress' ? ' ✗ worse' : m.status === 'moved' ? ' ✗ moved' : '';
  return `${fmt(m.measured)} vs ${fmt(m.reference)} (${signed(m.delta)})${mark}`;
}

export function renderCheck(report: CheckReport, referenceName: string, flagTolerance: Partial<Tolerance>, isTTY = Boolean(process.stdout.isTTY)): string {
  const table = new Table({
    head: ['dataset', 'protocol', 'method', 'profile', 'n', ...METRIC_KEYS.map((k) => metricHeader(k, 'voxel')), 'reference', 'result'],
    ...tableOptions(isTTY),
  });
  for (const c of report.cells) {
    const ref = c.reference ? `${c.reference.key}${c.reference.verified ? '' : ` (${c.reference.status})`}` : '—';
    table.push([c.dataset, c.protocol, c.method, c.profile ?? '—', String(c.n), ...METRIC_KEYS.map((k) => metricText(c.metrics[k])), ref, c.status]);
  }
  const tol = { ...DEFAULT_TOLERANCE, ...flagTolerance };
  const tolText = METRIC_KEYS.map((k) => `${k}=${flagTolerance[k] ?? tol[k]}`).join(',');
  const { pass, regress, moved, missing, unreferenced } = report.counts;
  const lines = [
    `check against ${referenceName}`,
    table.toString(),
    `${report.compared} compared: ${pass} pass, ${regress} regress${moved ? `, ${moved} moved` : ''}; ${missing} missing, ${unreferenced} without reference numbers`,
    `tolerance ${tolText}${Object.keys(flagTolerance).length ? '' : ' (rows of a baseline use their own)'} — Dice/Jaccard in % points, 95HD/ASD in voxels; better than the reference passes${report.cells.some((c) => c.twoSided) ? ' except for baseline rows, which must not move either way' : ''}`,
    '',
  ];
  return lines.join('\n');
}
