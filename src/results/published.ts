/**
 * @file Published numbers: the reference table of paper results (format of the shared
 * `reference/published.json`: a bare array of rows, DATASETS.md Appendix B) mapped onto the harness's
 * own names — method ids, catalog dataset ids and protocol keys — with each row's verification status
 * kept, so tables can say how far a published number can be trusted.
 *
 * `results/published.json` is the reference normalised once by `benchmarks/build-published.mjs`
 * (which calls buildPublished); `ssl-bench check --against FILE` also accepts a file in the raw
 * reference format, and baselines written by `check --write-baseline` use that format too.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getDataset, loadCatalog, type Catalog, type DatasetEntry } from '../data/catalog.js';
import { PACKAGE_ROOT } from '../version.js';
import { UsageError } from '../errors.js';
import { FieldReader, fieldPath, type ErrorFactory } from './fields.js';
import { METRIC_KEYS, type MetricKey } from './store.js';

export const PUBLISHED_SCHEMA = 'ssl-bench/published';
export const PUBLISHED_SCHEMA_VERSION = 1;
export const PUBLISHED_FILE = path.join(PACKAGE_ROOT, 'results', 'published.json');

/** Strongest first (DATASETS.md Appendix B); `baseline` is a number measured by this harness. */
export const STATUS_ORDER = [
  'baseline',
  'verified_official_repo',
  'corroborated_secondary',
  'partially_corroborated',
  'figure_only',
  'recalled_unverified',
  'seed_only',
  'not_retrieved',
] as const;

/** Statuses whose numbers were found verbatim in the official repo or a third-party copy. */
export const VERIFIED_STATUSES: readonly string[] = ['baseline', 'verified_official_repo', 'corroborated_secondary'];

const CONFIDENCE_ORDER = ['high', 'medium', 'low', 'none'];
const REPORT_KIND_ORDER = ['own_method', 'baseline_in_method_paper', 'copied_from_method_paper', 'rerun_in_later_paper', 'baseline', 'unknown'];

export type Metrics4 = Record<MetricKey, number | null>;
export type Tolerance = Record<MetricKey, number>;

export interface PublishedRow {
  /** `<dataset>/<protocol>/<method>#<n>`: n counts the rows of that cell in file order. */
  key: string;
  dataset: string;
  protocol: string;
  method: string;
  /** The method as the paper names it. */
  methodName: string;
  /** The row tables compare against when a cell has several (strongest status first). */
  primary: boolean;
  labeled: number | null;
  unlabeled: number | null;
  percent: number | null;
  split: string | null;
  /** Dice and Jaccard in %, 95HD and ASD in voxels (pixels for ACDC); null = not reported. */
  metrics: Metrics4;
  status: string;
  confidence: string | null;
  verified: boolean;
  reportKind: string | null;
  reportedBy: string | null;
  paper: string | null;
  table: string | null;
  year: number | null;
  variant: string | null;
  note: string | null;
  evidence: string[];
  /** Baselines only: the profile the numbers were measured with; only records of it are compared. */
  profile?: string;
  /** Baselines only: how `check` compares (both directions, tighter tolerance). */
  check?: { twoSided: boolean; tolerance?: Partial<Tolerance> };
}

export interface PublishedFile {
  schema: typeof PUBLISHED_SCHEMA;
  schemaVersion: number;
  generatedBy: string;
  source: { file: string; sha256: string; rows: number };
  units: Record<MetricKey, string>;
  statuses: { order: readonly string[]; verified: readonly string[] };
  rows: PublishedRow[];
}

const METHOD_NAMES: Record<string, string> = {
  'v-net (supervised)': 'supervised',
  'u-net (supervised)': 'supervised',
  'supervised baseline (3d u-net)': 'supervised',
  'v-net': 'supervised',
  'u-net': 'supervised',
  'mean teacher': 'mt',
  'ua-mt': 'ua-mt',
  'ac-mt': 'ac-mt',
};

/** Harness method id for a paper's method name ("V-Net (supervised)" → supervised, "UA-MT" → ua-mt). */
export function methodIdFor(name: string): string {
  const key = name.trim().toLowerCase();
  if (METHOD_NAMES[key]) return METHOD_NAMES[key];
  if (/\bsupervised\b/.test(key)) return 'supervised';
  return key.replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** How many labeled / unlabeled units a protocol names: patients for slice-counted datasets. */
function counts(p: DatasetEntry['protocols'][string]): { labeled: number; unlabeled: number } {
  return p.patients ?? { labeled: p.labeled, unlabeled: p.unlabeled };
}

/**
 * The catalog protocol a published row belongs to. Supervised baselines are published as `N/0` and sit
 * in the N-labeled table, so `16/0` on LA is the `16+64` protocol (trained on its 16 labeled cases);
 * rows that only give a percentage (ISLES) use the catalog's `%` alias. Variant protocols (`@dycon`,
 * `@mcf-fold1`…) are never guessed: a row names them with an explicit `protocol.key`.
 */
export function protocolKeyFor(entry: DatasetEntry, p: { key?: string | null; labeled: number | null; unlabeled: number | null; percent: number | null }): string | null {
  if (p.key) {
    if (p.key in entry.protocols) return p.key;
    return entry.aliases?.[p.key] ?? null;
  }
  const plain = Object.entries(entry.protocols).filter(([name]) => !name.includes('@'));
  if (p.labeled !== null) {
    const exact = plain.find(([, spec]) => counts(spec).labeled === p.labeled && counts(spec).unlabeled === (p.unlabeled ?? 0));
    if (exact) return exact[0];
    if (!p.unlabeled) {
      const same = plain.filter(([, spec]) => counts(spec).labeled === p.labeled);
      if (same.length === 1) return same[0][0];
    }
    return null;
  }
  if (p.percent !== null) return entry.aliases?.[`${p.percent}%`] ?? null;
  return null;
}

function rank<T>(order: readonly T[], v: T): number {
  const i = order.indexOf(v);
  return i < 0 ? order.length : i;
}

/** Orders rows of one cell: strongest status, the plain row before variants, confidence, own paper first. */
function compareStrength(a: PublishedRow, b: PublishedRow): number {
  return (
    rank(STATUS_ORDER as readonly string[], a.status) - rank(STATUS_ORDER as readonly string[], b.status) ||
    Number(a.variant !== null) - Number(b.variant !== null) ||
    rank(CONFIDENCE_ORDER, a.confidence ?? 'none') - rank(CONFIDENCE_ORDER, b.confidence ?? 'none') ||
    rank(REPORT_KIND_ORDER, a.reportKind ?? 'unknown') - rank(REPORT_KIND_ORDER, b.reportKind ?? 'unknown')
  );
}

/** Assigns keys (`#n` in file order) and marks the primary row of every dataset/protocol/method cell. */
export function assignKeys(rows: PublishedRow[]): PublishedRow[] {
  const cells = new Map<string, PublishedRow[]>();
  for (const r of rows) {
    const cell = `${r.dataset}/${r.protocol}/${r.method}${r.profile ? `@${r.profile}` : ''}`;
    const list = cells.get(cell) ?? [];
    list.push(r);
    cells.set(cell, list);
    r.key = `${r.dataset}/${r.protocol}/${r.method}${r.profile ? `@${r.profile}` : ''}#${list.length}`;
  }
  for (const list of cells.values()) {
    // Array.prototype.sort is stable, so equal strength keeps file order.
    const best = [...list].sort(compareStrength)[0];
    for (const r of list) r.primary = r === best;
  }
  return rows;
}

function readTolerance(f: FieldReader, v: unknown, at: string): Partial<Tolerance> {
  const o = f.object(v, at);
  const out: Partial<Tolerance> = {};
  for (const [k, val] of Object.entries(o)) {
    if (!(METRIC_KEYS as readonly string[]).includes(k)) f.fail(`${at}.${k}`, `one of ${METRIC_KEYS.join(', ')}`, k);
    const n = f.number(val, `${at}.${k}`);
    if (n < 0) f.fail(`${at}.${k}`, 'a non-negative number', val);
    out[k as MetricKey] = n;
  }
  return out;
}

/**
 * Rows of a file in the reference format (a bare array, DATASETS.md Appendix B), checked field by field
 * and mapped to harness names. Keys and primaries are assigned.
 */
export function normalizeReference(raw: unknown, file: string, makeError: ErrorFactory, catalog: Catalog = loadCatalog()): PublishedRow[] {
  const f: FieldReader = new FieldReader(file, makeError);
  const list = f.array(raw, '(top level)');
  const rows = list.map((item, i): PublishedRow => {
    const at = fieldPath('', i);
    const o = f.object(item, at);
    const methodName = f.string(o.method, `${at}.method`);
    const datasetName = f.string(o.dataset, `${at}.dataset`);
    let entry: DatasetEntry;
    try {
      entry = getDataset(datasetName, catalog);
    } catch {
      f.fail(`${at}.dataset`, `a dataset of the catalog (${catalog.datasets.map((d) => d.id).join(', ')})`, datasetName);
    }
    const p = f.object(o.protocol, `${at}.protocol`);
    const protocolIn = {
      key: f.optString(p.key, `${at}.protocol.key`),
      labeled: f.integerOrNull(p.labeled, `${at}.protocol.labeled`),
      unlabeled: f.integerOrNull(p.unlabeled, `${at}.protocol.unlabeled`),
      percent: p.percent === undefined || p.percent === null ? null : f.number(p.percent, `${at}.protocol.percent`),
    };
    const protocol = protocolKeyFor(entry, protocolIn);
    if (!protocol) {
      f.fail(`${at}.protocol`, `a protocol of ${entry.id} (${Object.keys(entry.protocols).join(', ')}) by labeled/unlabeled counts, percent or key`, `${protocolIn.labeled}/${protocolIn.unlabeled} (${protocolIn.percent}%)`);
    }
    const m = f.object(o.metrics, `${at}.metrics`);
    const metrics = Object.fromEntries(METRIC_KEYS.map((k) => [k, f.numberOrNull(m[k], `${at}.metrics.${k}`)])) as Metrics4;
    const v = f.object(o.verification, `${at}.verification`);
    const status = f.string(v.status, `${at}.verification.status`);
    const src = o.source === undefined || o.source === null ? {} : f.object(o.source, `${at}.source`);
    const evidence = v.evidence === undefined ? [] : f.array(v.evidence, `${at}.verification.evidence`).map((e, j) => f.string(e, `${at}.verification.evidence[${j}]`));
    const row: PublishedRow = {
      key: '',
      dataset: entry.id,
      protocol,
      method: methodIdFor(methodName),
      methodName,
      primary: false,
      labeled: protocolIn.labeled,
      unlabeled: protocolIn.unlabeled,
      percent: protocolIn.percent,
      split: f.optString(p.split, `${at}.protocol.split`),
      metrics,
      status,
      confidence: f.optString(v.confidence, `${at}.verification.confidence`),
      verified: VERIFIED_STATUSES.includes(status),
      reportKind: f.optString(o.report_kind, `${at}.report_kind`),
      reportedBy: f.optString(o.reported_by, `${at}.reported_by`),
      paper: f.optString(src.paper, `${at}.source.paper`),
      table: f.optString(src.table, `${at}.source.table`),
      year: src.year === undefined || src.year === null ? null : f.integer(src.year, `${at}.source.year`),
      variant: f.optString(o.variant, `${at}.variant`),
      note: f.optString(o.note, `${at}.note`),
      evidence,
    };
    if (o.profile !== undefined) row.profile = f.string(o.profile, `${at}.profile`);
    if (o.check !== undefined) {
      const c = f.object(o.check, `${at}.check`);
      row.check = { twoSided: c.twoSided === undefined ? false : f.boolean(c.twoSided, `${at}.check.twoSided`) };
      if (c.tolerance !== undefined) row.check.tolerance = readTolerance(f, c.tolerance, `${at}.check.tolerance`);
    }
    return row;
  });
  return assignKeys(rows);
}

/** The committed `results/published.json` content for a reference array. */
export function buildPublished(raw: unknown, source: { file: string; sha256: string }, catalog: Catalog = loadCatalog()): PublishedFile {
  const rows = normalizeReference(raw, source.file, (msg) => new UsageError(msg, 'SSLB_REFERENCE_INVALID'), catalog);
  return {
    schema: PUBLISHED_SCHEMA,
    schemaVersion: PUBLISHED_SCHEMA_VERSION,
    generatedBy: 'benchmarks/build-published.mjs',
    source: { file: source.file, sha256: source.sha256, rows: rows.length },
    units: { dice: '%', jaccard: '%', hd95: 'voxel (pixel for ACDC)', asd: 'voxel (pixel for ACDC)' },
    statuses: { order: STATUS_ORDER, verified: VERIFIED_STATUSES },
    rows,
  };
}

/** Checks a built file's rows (the fields tables and checks read). */
function readBuiltRows(obj: Record<string, unknown>, f: FieldReader): PublishedRow[] {
  if (obj.schemaVersion !== PUBLISHED_SCHEMA_VERSION) f.fail('schemaVersion', String(PUBLISHED_SCHEMA_VERSION), obj.schemaVersion);
  return f.array(obj.rows, 'rows').map((item, i) => {
    const at = fieldPath('rows', i);
    const o = f.object(item, at);
    for (const k of ['key', 'dataset', 'protocol', 'method', 'status'] as const) f.string(o[k], `${at}.${k}`);
    f.boolean(o.primary, `${at}.primary`);
    f.boolean(o.verified, `${at}.verified`);
    const m = f.object(o.metrics, `${at}.metrics`);
    for (const k of METRIC_KEYS) f.numberOrNull(m[k], `${at}.metrics.${k}`);
    return o as unknown as PublishedRow;
  });
}

/** Rows of a reference file in either format: the raw reference array, or a built `ssl-bench/published` file. */
export function readReferenceFile(file: string, makeError: ErrorFactory = (msg) => new UsageError(msg, 'SSLB_REFERENCE_INVALID')): PublishedRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${file}: no such reference file` : `${file}: ${(err as Error).message}`, 'SSLB_REFERENCE_MISSING');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw makeError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (Array.isArray(raw)) return normalizeReference(raw, file, makeError);
  const f: FieldReader = new FieldReader(file, makeError);
  const obj = f.object(raw, '(top level)');
  if (obj.schema !== PUBLISHED_SCHEMA) f.fail('schema', `"${PUBLISHED_SCHEMA}" (or the file must be a bare array of reference rows)`, obj.schema);
  return readBuiltRows(obj, f);
}

/** `published` → the committed results/published.json; anything else is a path. */
export function resolveReference(spec: string): string {
  return spec === 'published' ? PUBLISHED_FILE : path.resolve(spec);
}

/**
 * The row a measured cell is compared with: the one named by `key` when given, else the primary row
 * of the cell among rows for this profile (rows without a profile apply to every profile).
 */
export function lookupPublished(rows: readonly PublishedRow[], cell: { dataset: string; protocol: string; method: string; profile?: string }, key?: string): PublishedRow | null {
  if (key) return rows.find((r) => r.key === key) ?? null;
  const candidates = rows.filter((r) => r.dataset === cell.dataset && r.protocol === cell.protocol && r.method === cell.method && (r.profile === undefined || r.profile === cell.profile));
  if (candidates.length === 0) return null;
  // A profile-specific row (a baseline) wins over general ones.
  const specific = candidates.filter((r) => r.profile !== undefined);
  const pool = specific.length > 0 ? specific : candidates;
  return pool.find((r) => r.primary) ?? [...pool].sort(compareStrength)[0];
}
