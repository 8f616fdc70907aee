/**
 * @file `datasets info`: the catalog facts of a dataset, plus what its files on disk say (which cases
 * are present, and shapes, spacing and label values of a few of them). Without files, the catalog's
 * recorded facts stand in and the report says so.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { allCaseIds, type DatasetEntry } from './catalog.js';
import { FileSource, fetchHint } from './file-source.js';

export interface ScannedCase {
  id: string;
  file: string;
  shape: number[];
  spacing?: number[];
  intensity: { min: number; max: number; mean: number };
  labelValues: number[];
  foregroundFraction: number;
}

export interface InfoReport {
  id: string;
  title: string;
  kind: string;
  modality: string;
  task: string;
  dimensionality: string;
  labeledUnit: string;
  classes: string[];
  spacing: number[];
  spacingNote?: string;
  citation?: string;
  access: string;
  steps?: string[];
  urls: Array<{ label: string; url: string }>;
  dir?: string;
  layout?: { format: string; description?: string };
  files: { listed: number; withChecksum: number; present: number };
  cases: { total: number; present: number; missingExamples: string[]; splits: Record<string, number> };
  /** `files` when scanned cases back the shape/label facts, `catalog` otherwise. */
  factsFrom: 'files' | 'catalog';
  scanned: ScannedCase[];
  labelValues: number[];
  facts?: DatasetEntry['facts'];
  protocols: Array<{ name: string; labeled: number; unlabeled: number; split: string; test: string; val?: string; percent?: string; aliases: string[]; papers?: string[]; note?: string }>;
  defaultProtocol: string;
  preprocessing: DatasetEntry['preprocessing'];
  disputed: string[];
  notes?: string;
  hint?: string;
}

export async function datasetInfo(entry: DatasetEntry, dataDir: string, options: { scan?: number } = {}): Promise<InfoReport> {
  const aliasesOf = (name: string) => Object.entries(entry.aliases ?? {}).filter(([, t]) => t === name).map(([a]) => a);
  const report: InfoReport = {
    id: entry.id,
    title: entry.title,
    kind: entry.kind,
    modality: entry.modality,
    task: entry.task,
    dimensionality: entry.dimensionality,
    labeledUnit: entry.labeledUnit ?? 'case',
    classes: entry.classes,
    spacing: entry.spacing,
    spacingNote: entry.spacingNote,
    citation: entry.citation,
    access: entry.kind === 'synthetic' ? 'embedded (generated on the fly)' : (entry.source?.access ?? 'unknown'),
    steps: entry.source?.steps,
    urls: entry.source?.urls ?? [],
    files: { listed: entry.source?.files.length ?? 0, withChecksum: entry.source?.files.filter((f) => f.sha256).length ?? 0, present: 0 },
    cases: { total: 0, present: 0, missingExamples: [], splits: Object.fromEntries(Object.entries(entry.splits).map(([k, v]) => [k, v.length])) },
    factsFrom: 'catalog',
    scanned: [],
    labelValues: entry.facts?.labelValues ?? entry.classes.map((_, i) => i),
    facts: entry.facts,
    protocols: Object.entries(entry.protocols).map(([name, p]) => ({
      name,
      labeled: p.labeled,
      unlabeled: p.unlabeled,
      split: p.split,
      test: p.test ?? 'test',
      ...(p.val ? { val: p.val } : {}),
      ...(p.percent ? { percent: p.percent } : {}),
      aliases: aliasesOf(name),
      ...(p.papers ? { papers: p.papers } : {}),
      ...(p.note ? { note: p.note } : {}),
    })),
    defaultProtocol: entry.defaultProtocol,
    preprocessing: entry.preprocessing,
    disputed: entry.disputed ?? [],
    notes: entry.notes,
  };
  const ids = allCaseIds(entry);
  report.cases.total = ids.length;
  if (entry.kind === 'synthetic' || !entry.layout) {
    report.cases.present = ids.length;
    return report;
  }
  const root = path.join(dataDir, entry.layout.dir);
  report.dir = root;
  report.layout = { format: entry.layout.format, description: entry.layout.description };
  for (const f of entry.source?.files ?? []) {
    if ((await stat(path.join(root, f.path)).catch(() => null))?.isFile()) report.files.present++;
  }
  const source = new FileSource(entry, dataDir);
  const missing = await source.missing(ids);
  report.cases.present = ids.length - missing.length;
  report.cases.missingExamples = missing.slice(0, 5);
  if (missing.length > 0) report.hint = fetchHint(entry);

  const wanted = options.scan ?? 3;
  if (wanted > 0 && report.cases.present > 0) {
    // Some training cases and some test cases: for ACDC these are slices and volumes.
    const missingSet = new Set(missing);
    const spec = entry.protocols[entry.defaultProtocol];
    const pool = entry.splits[spec.split].filter((id) => !missingSet.has(id));
    const test = (entry.splits[spec.test ?? 'test'] ?? []).filter((id) => !missingSet.has(id));
    const picks = [...pool.slice(0, Math.ceil(wanted / 2)), ...test.slice(0, Math.floor(wanted / 2))];
    for (const id of ids) {
      if (picks.length >= wanted) break;
      if (!missingSet.has(id) && !picks.includes(id)) picks.push(id);
    }
    for (const id of picks.slice(0, wanted)) {
      const where = await source.locate(id);
      const vol = await source.load(id);
      let min = Infinity;
      let max = -Infinity;
      let sum = 0;
      for (const v of vol.image) {
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
      }
      const values = new Set<number>();
      let fg = 0;
      for (const v of vol.label ?? []) {
        values.add(v);
        if (v !== 0) fg++;
      }
      report.scanned.push({
        id,
        file: where?.files.join(' + ') ?? '',
        shape: vol.shape,
        ...(vol.spacing ? { spacing: vol.spacing } : {}),
        intensity: { min: round(min), max: round(max), mean: round(sum / vol.image.length) },
        labelValues: [...values].sort((a, b) => a - b),
        foregroundFraction: round(fg / Math.max(1, vol.image.length)),
      });
    }
    report.factsFrom = 'files';
    report.labelValues = [...new Set(report.scanned.flatMap((s) => s.labelValues))].sort((a, b) => a - b);
  }
  return report;
}

function round(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

export function renderInfo(entry: DatasetEntry, r: InfoReport): string {
  const out: string[] = [];
  const kv = (k: string, v: string) => out.push(`${(k ? k + ':' : '').padEnd(14)}${v}`);
  out.push(`${r.id} - ${r.title}`);
  kv('modality', r.modality);
  kv('task', r.task);
  kv('classes', r.classes.map((c, i) => `${i} ${c}`).join(', '));
  kv('dims', `${r.dimensionality === '2d' ? '2-D slices (training), 3-D volumes (val/test)' : '3-D volumes'}; protocols count ${r.labeledUnit === 'slice' ? 'slices' : 'cases'}`);
  kv('spacing', r.spacing.length ? `${r.spacing.join(' x ')} mm` : 'varies per case');
  if (r.spacingNote) kv('', r.spacingNote);
  if (r.citation) kv('cite', r.citation);
  out.push('');
  kv('source', r.access === 'direct' ? `direct download (${entry.source?.baseUrl})` : r.access === 'manual' ? 'manual download, then `datasets import`' : r.access);
  for (const u of r.urls) kv('', `${u.label}: ${u.url}`);
  if (r.steps?.length) {
    out.push('steps:');
    r.steps.forEach((s, i) => out.push(`  ${i + 1}. ${s}`));
  }
  if (r.dir) {
    out.push('');
    kv('data dir', r.dir);
    if (r.layout) {
      kv('format', r.layout.format);
      if (r.layout.description) kv('layout', r.layout.description);
    }
    kv('files', `${r.files.present} of ${r.files.listed} catalog files on disk (${r.files.withChecksum} with a pinned sha256; \`datasets verify ${r.id}\` checks them)`);
  }
  kv('cases', `${r.cases.total} case ids used by the protocols, ${r.cases.present} present${r.cases.missingExamples.length ? ` (missing e.g. ${r.cases.missingExamples.join(', ')})` : ''}`);
  kv('splits', Object.entries(r.cases.splits).map(([k, n]) => `${k} ${n}`).join(', '));
  if (r.hint) kv('', r.hint);
  out.push('');
  if (r.factsFrom === 'files') {
    out.push('read from files:');
    for (const s of r.scanned) {
      out.push(
        `  ${s.id}: shape ${s.shape.join(' x ')}${s.spacing ? `, spacing ${s.spacing.join(' x ')}` : ''}, image ${s.intensity.min}..${s.intensity.max} (mean ${s.intensity.mean}), labels {${s.labelValues.join(', ')}}, foreground ${(s.foregroundFraction * 100).toFixed(1)}%`,
      );
    }
  } else {
    out.push(`catalog facts (no files read${r.dir ? '' : ': generated dataset'}):`);
  }
  if (r.facts?.cases) out.push(`  cases: ${r.facts.cases}`);
  if (r.facts?.shape) out.push(`  shape: ${r.facts.shape}`);
  if (r.facts?.intensity) out.push(`  intensity: ${r.facts.intensity}`);
  out.push(`  label values: {${r.labelValues.join(', ')}}${r.factsFrom === 'files' ? ' (in the cases read)' : ''}`);
  if (entry.generator) out.push(`  generator: ${entry.generator.name}, shape ${entry.generator.shape.join(' x ')}, seed ${entry.generator.seed}`);
  out.push('');
  out.push(`protocols (default ${r.defaultProtocol}; labeled = ${entry.labeledSelection ?? 'first N of the split list'}):`);
  for (const p of r.protocols) {
    const alias = p.aliases.length ? ` = ${p.aliases.join(', ')}` : '';
    out.push(`  ${(p.name + alias).padEnd(26)} ${p.labeled} labeled + ${p.unlabeled} unlabeled from '${p.split}', test '${p.test}'${p.val ? `, val '${p.val}'` : ''}${p.papers ? `  [${p.papers.join(', ')}]` : ''}`);
    if (p.note) out.push(`  ${''.padEnd(26)} ${p.note}`);
  }
  if (r.preprocessing?.length) {
    out.push('');
    out.push('preprocessing:');
    for (const p of r.preprocessing) {
      out.push(`  ${p.usedHere ? '*' : '-'} ${p.family}${p.usedHere ? ' (these files)' : ''}`);
      for (const s of p.steps) out.push(`      ${s}`);
      if (p.note) out.push(`      note: ${p.note}`);
    }
  }
  if (r.disputed.length) {
    out.push('');
    out.push('disputed / unknown:');
    for (const d of r.disputed) out.push(`  - ${d}`);
  }
  if (r.notes) {
    out.push('');
    out.push(`notes: ${r.notes}`);
  }
  return out.join('\n') + '\n';
}
