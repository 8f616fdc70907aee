/**
 * @file Regression checks: measured means against a reference (the published numbers, or a baseline of
 * this harness's own numbers), cell by cell, in table units (Dice/Jaccard points in %, distances in
 * voxels). Against published numbers only a worse result beyond the tolerance fails (better is fine);
 * a baseline (`check.twoSided`) also fails when a number moves the other way, because its purpose is to
 * notice any change to a deterministic run.
 */
import { UsageError, SslBenchError } from '../errors.js';
import { METRIC_KEYS, type MetricKey } from './store.js';
import { higherIsBetter, type TableRow } from './aggregate.js';
import type { PublishedRow, Tolerance } from './published.js';
import type { Suite } from './suites.js';

export const DEFAULT_TOLERANCE: Tolerance = { dice: 1, jaccard: 1, hd95: 2, asd: 1 };
/** Baselines guard deterministic runs: any change beyond rounding noise is a change. */
export const BASELINE_TOLERANCE: Tolerance = { dice: 0.01, jaccard: 0.01, hd95: 0.01, asd: 0.01 };
const EPS = 1e-9;

/** `dice=1,hd95=2` → { dice: 1, hd95: 2 }; keys are the four metrics, values non-negative numbers. */
export function parseTolerance(spec: string): Partial<Tolerance> {
  const out: Partial<Tolerance> = {};
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z0-9]+)\s*=\s*(.+)$/i.exec(part);
    if (!m) throw new UsageError(`--tolerance: '${part}' is not metric=value (e.g. dice=1,hd95=2)`);
    const key = m[1].toLowerCase() === '95hd' ? 'hd95' : m[1].toLowerCase();
    if (!(METRIC_KEYS as readonly string[]).includes(key)) throw new UsageError(`--tolerance: unknown metric '${m[1]}'; known: ${METRIC_KEYS.join(', ')}`);
    const value = Number(m[2]);
    if (!Number.isFinite(value) || value < 0) throw new UsageError(`--tolerance: ${key} must be a non-negative number, got '${m[2]}'`);
    out[key as MetricKey] = value;
  }
  if (Object.keys(out).length === 0) throw new UsageError('--tolerance: give at least one metric=value (e.g. dice=1,hd95=2)');
  return out;
}

export type MetricStatus = 'pass' | 'regress' | 'moved' | 'skip';
export type CellStatus = 'pass' | 'regress' | 'moved' | 'missing' | 'unreferenced';

export interface MetricCheck {
  measured: number | null;
  reference: number | null;
  delta: number | null;
  tolerance: number;
  status: MetricStatus;
}

export interface CheckCell {
  dataset: string;
  protocol: string;
  method: string;
  profile: string | null;
  n: number;
  seeds: number[];
  reference: PublishedRow | null;
  twoSided: boolean;
  metrics: Record<MetricKey, MetricCheck>;
  status: CellStatus;
  records: string[];
}

export interface CheckReport {
  cells: CheckCell[];
  counts: Record<CellStatus, number>;
  compared: number;
  failed: boolean;
  /** Why the check failed, one line each. */
  reasons: string[];
}

export interface CheckScope {
  dataset?: string;
  protocol?: string;
  suite?: Suite | null;
  profile?: string;
}

function toleranceFor(row: PublishedRow | null, flags: Partial<Tolerance>): Tolerance {
  return { ...DEFAULT_TOLERANCE, ...(row?.check?.tolerance ?? {}), ...flags };
}

export function checkMetric(key: MetricKey, measured: number | null, reference: number | null, tolerance: number, twoSided: boolean): MetricCheck {
  if (measured === null || reference === null) return { measured, reference, delta: null, tolerance, status: 'skip' };
  const delta = measured - reference;
  // Positive = worse, in either direction of "better".
  const worse = higherIsBetter(key) ? -delta : delta;
  let status: MetricStatus = 'pass';
  if (worse > tolerance + EPS) status = 'regress';
  else if (twoSided && -worse > tolerance + EPS) status = 'moved';
  return { measured, reference, delta, tolerance, status };
}

function inScope(scope: CheckScope, r: { dataset: string; protocol: string; method: string }): boolean {
  const dataset = scope.suite?.dataset ?? scope.dataset;
  const protocol = scope.suite?.protocol ?? scope.protocol;
  if (dataset && r.dataset !== dataset) return false;
  if (protocol && r.protocol !== protocol) return false;
  if (scope.suite && !scope.suite.methods.includes(r.method)) return false;
  return true;
}

/**
 * Compares measured rows (built with `reference` as their published rows) with the reference. Reference
 * cells without a measurement are listed as missing: a baseline's always (they fail the check), a
 * published table's only where that dataset × protocol was measured or named in the scope.
 */
export function compareWithReference(rows: readonly TableRow[], reference: readonly PublishedRow[], scope: CheckScope, flagTolerance: Partial<Tolerance>): CheckReport {
  const profile = scope.suite?.profile ?? scope.profile;
  const measured = rows.filter((r) => r.n > 0 && inScope(scope, r) && (!profile || r.profile === profile));
  const cells: CheckCell[] = measured.map((r) => {
    const ref = r.published;
    const twoSided = Boolean(ref?.check?.twoSided);
    const tol = toleranceFor(ref, flagTolerance);
    const metrics = Object.fromEntries(METRIC_KEYS.map((k) => [k, checkMetric(k, r.metrics[k].mean, ref?.metrics[k] ?? null, tol[k], twoSided)])) as Record<MetricKey, MetricCheck>;
    const statuses = METRIC_KEYS.map((k) => metrics[k].status);
    const status: CellStatus = statuses.includes('regress') ? 'regress' : statuses.includes('moved') ? 'moved' : statuses.every((s) => s === 'skip') ? 'unreferenced' : 'pass';
    return { dataset: r.dataset, protocol: r.protocol, method: r.method, profile: r.profile, n: r.n, seeds: r.seeds, reference: ref, twoSided, metrics, status, records: r.records.map((x) => x.relPath) };
  });

  const measuredPairs = new Set(measured.map((r) => `${r.dataset}/${r.protocol}`));
  const explicit = Boolean(scope.suite || scope.dataset);
  const covered = new Set(cells.map((c) => c.reference?.key).filter(Boolean));
  const seen = new Set<string>();
  for (const ref of reference) {
    if (!inScope(scope, ref)) continue;
    if (profile && ref.profile !== undefined && ref.profile !== profile) continue;
    const cell = `${ref.dataset}/${ref.protocol}/${ref.method}/${ref.profile ?? ''}`;
    const required = Boolean(ref.check);
    // One missing line per cell: the row a measurement would be compared with.
    if (!required && !ref.primary) continue;
    if (seen.has(cell) || covered.has(ref.key)) continue;
    if (cells.some((c) => c.dataset === ref.dataset && c.protocol === ref.protocol && c.method === ref.method && (ref.profile === undefined || c.profile === ref.profile))) continue;
    if (!required && !explicit && !measuredPairs.has(`${ref.dataset}/${ref.protocol}`)) continue;
    if (METRIC_KEYS.every((k) => ref.metrics[k] === null)) continue;
    seen.add(cell);
    const tol = toleranceFor(ref, flagTolerance);
    cells.push({
      dataset: ref.dataset,
      protocol: ref.protocol,
      method: ref.method,
      profile: ref.profile ?? null,
      n: 0,
      seeds: [],
      reference: ref,
      twoSided: Boolean(ref.check?.twoSided),
      metrics: Object.fromEntries(METRIC_KEYS.map((k) => [k, checkMetric(k, null, ref.metrics[k], tol[k], false)])) as Record<MetricKey, MetricCheck>,
      status: 'missing',
      records: [],
    });
  }

  const counts: Record<CellStatus, number> = { pass: 0, regress: 0, moved: 0, missing: 0, unreferenced: 0 };
  for (const c of cells) counts[c.status]++;
  const compared = counts.pass + counts.regress + counts.moved;
  const reasons: string[] = [];
  for (const c of cells) {
    const label = `${c.dataset} ${c.protocol} ${c.method}${c.profile ? ` (${c.profile})` : ''}`;
    if (c.status === 'regress' || c.status === 'moved') {
      const which = METRIC_KEYS.filter((k) => c.metrics[k].status === c.status);
      reasons.push(`${label}: ${which.join(', ')} ${c.status === 'regress' ? 'worse than the reference' : 'moved from the baseline'} beyond the tolerance`);
    } else if (c.status === 'missing' && c.reference?.check) {
      reasons.push(`${label}: the baseline has a row but no record was measured`);
    }
  }
  if (compared === 0) reasons.push('nothing was compared: no measured record matches a reference row in this scope');
  return { cells, counts, compared, failed: reasons.length > 0, reasons };
}

function round6(v: number): number {
  return Number(v.toFixed(6));
}

/**
 * Reference-format rows (DATASETS.md Appendix B layout, plus `profile`, `protocol.key` and `check`) for
 * the measured rows: a baseline `check --against FILE` compares later runs with.
 */
export function baselineRows(rows: readonly TableRow[], suite: Suite | null, currentVersion: string, tolerance: Tolerance): unknown[] {
  const measured = rows.filter((r) => r.n > 0);
  const byCell = new Map<string, TableRow[]>();
  for (const r of measured) {
    const k = `${r.dataset}/${r.protocol}/${r.method}/${r.profile}`;
    byCell.set(k, [...(byCell.get(k) ?? []), r]);
  }
  for (const [k, list] of byCell) {
    if (list.length > 1) {
      const variants = list.map((r) => `checkpoint ${r.checkpoint}, config ${r.fingerprint?.slice(0, 12)}${r.partial ? ', partial data' : ''}`).join('; ');
      throw new SslBenchError('SSLB_BASELINE_AMBIGUOUS', `${k}: records of ${list.length} different configurations (${variants}); remove the ones that should not be the baseline or narrow the scope`);
    }
  }
  return measured.map((r) => {
    const rec = r.records[0].record;
    return {
      method: r.method,
      dataset: r.dataset,
      protocol: { labeled: rec.dataset.labeled, unlabeled: rec.dataset.unlabeled, percent: null, split: `ssl-bench ${r.dataset} ${r.protocol}`, key: r.protocol },
      metrics: Object.fromEntries(METRIC_KEYS.map((k) => [k, round6(r.metrics[k].mean!)])),
      source: { paper: `ssl-bench ${currentVersion} measured baseline${suite ? ` (suite ${suite.name})` : ''}`, table: null, year: null },
      reported_by: 'ssl-bench check --write-baseline',
      report_kind: 'baseline',
      verification: { status: 'baseline', confidence: 'high', evidence: r.records.map((x) => x.relPath) },
      note: `mean over seeds ${r.seeds.join(', ')}; checkpoint ${r.checkpoint}; config fingerprint ${r.fingerprint?.slice(0, 12)}`,
      profile: r.profile,
      check: { twoSided: true, tolerance },
    };
  });
}
