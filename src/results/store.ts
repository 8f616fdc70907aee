/**
 * @file The result store: every record under `<results>/records/`, read back as typed records.
 *
 * - Schema-versioned: a record of an older schema version is upgraded in memory through MIGRATIONS (the
 *   file itself is never rewritten: records are immutable); a newer one is refused with a message.
 * - Safe next to running writers: `writeRecord` creates a record through a `.tmp` file and a hard link,
 *   so readers skip `.tmp` files, tolerate a file vanishing between listing and reading, and skip (with a
 *   notice) a file whose JSON ends early — a copy still being made or a truncated one. Any other defect
 *   (bad JSON, a missing or mistyped field) is an error naming the file and the field.
 * - Per-case metrics are the data; means are derived from them here, and a record whose stored mean
 *   disagrees with its cases is flagged rather than trusted.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { SslBenchError } from '../errors.js';
import { FieldReader, fieldPath } from './fields.js';
import { RECORD_SCHEMA, RECORD_SCHEMA_VERSION, meanMetrics, type CaseResult, type MetricMeans, type ResultRecord } from './record.js';

export const METRIC_KEYS = ['dice', 'jaccard', 'hd95', 'asd'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

/** Upgrades a parsed record of schema version n (the key) to version n + 1. */
export type Migration = (raw: Record<string, unknown>) => Record<string, unknown>;

/**
 * One entry per schema version that has ever been superseded: MIGRATIONS[n] turns a v(n) record into
 * v(n+1). Version 1 is the first and current one, so the table is empty; a schema change adds the
 * upgrade of the previous version here and bumps RECORD_SCHEMA_VERSION in record.ts.
 */
export const MIGRATIONS: Readonly<Record<number, Migration>> = {};

export interface StoredRecord {
  record: ResultRecord;
  /** Absolute path of the record file. */
  file: string;
  /** Path relative to the results directory, with `/` separators. */
  relPath: string;
  /** Means recomputed from the per-case metrics (fractions for Dice/Jaccard, voxels for distances). */
  derived: MetricMeans;
  /** Metrics whose stored mean disagrees with the mean of the cases. */
  meanMismatch: MetricKey[];
  /** configFingerprint(record.config). */
  fingerprint: string;
  /** Schema version the file was written with, when it was migrated on reading. */
  migratedFrom?: number;
}

export interface LoadResult {
  records: StoredRecord[];
  /** Files left out, with why (incomplete JSON). */
  skipped: Array<{ file: string; reason: string }>;
  /** Messages for the user (migrations, skipped files), already worded. */
  notices: string[];
}

export interface LoadOptions {
  /** Only this dataset's folder (and only records whose content says this dataset). */
  dataset?: string;
  /** Only this protocol (canonical name); requires `dataset`. */
  protocol?: string;
  migrations?: Readonly<Record<number, Migration>>;
  currentVersion?: number;
}

/** JSON with object keys sorted at every level, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * What makes two runs the same experiment up to the seed: the resolved config (method, dataset,
 * protocol, profile and every hyper-parameter) without `seed`, and without `sources`, which documents
 * where values come from and does not change them.
 */
export function configFingerprint(config: Record<string, unknown>): string {
  const { seed: _seed, sources: _sources, ...values } = config;
  return createHash('sha256').update(canonicalJson(values)).digest('hex');
}

/** The folder name `recordPath` uses for a protocol. */
export function protocolFolder(protocol: string): string {
  return protocol.replace(/[^A-Za-z0-9+%._-]/g, '_');
}

/** Applies MIGRATIONS until the record is at the current schema version. */
export function migrateRecord(
  raw: Record<string, unknown>,
  file: string,
  migrations: Readonly<Record<number, Migration>> = MIGRATIONS,
  current = RECORD_SCHEMA_VERSION,
): { raw: Record<string, unknown>; from?: number } {
  const version = new FieldReader(file, invalid).integer(raw.schemaVersion, 'schemaVersion', 1);
  if (version > current) {
    throw new SslBenchError('SSLB_RECORD_NEWER', `${file}: schema version ${version} is newer than this ssl-bench reads (${current}); upgrade ssl-bench to read it`);
  }
  let out = raw;
  for (let v = version; v < current; v++) {
    const step = migrations[v];
    if (!step) throw new SslBenchError('SSLB_RECORD_SCHEMA', `${file}: no migration from record schema version ${v} to ${v + 1}`);
    out = step(out);
    out.schemaVersion = v + 1;
  }
  return version === current ? { raw: out } : { raw: out, from: version };
}

function invalid(message: string): Error {
  return new SslBenchError('SSLB_RECORD_INVALID', message);
}

/**
 * Checks every field the tables, checks and resume logic read, after migration. Fields added to v1
 * records later (`evaluation.paperCheckpoint`, `evaluation.testSetUsedForSelection`) are optional so
 * that earlier v1 records still read.
 */
export function validateRecord(raw: unknown, file: string, current = RECORD_SCHEMA_VERSION): ResultRecord {
  const f: FieldReader = new FieldReader(file, invalid);
  const r = f.object(raw, '(record)');
  if (r.schema !== RECORD_SCHEMA) f.fail('schema', `"${RECORD_SCHEMA}"`, r.schema);
  if (r.schemaVersion !== current) f.fail('schemaVersion', String(current), r.schemaVersion);
  f.string(r.id, 'id');
  const harness = f.object(r.sslBench, 'sslBench');
  f.string(harness.version, 'sslBench.version');
  const ds = f.object(r.dataset, 'dataset');
  f.string(ds.id, 'dataset.id');
  f.string(ds.protocol, 'dataset.protocol');
  f.integer(ds.test, 'dataset.test', 0);
  f.boolean(ds.partial, 'dataset.partial');
  if (ds.missing !== undefined) f.array(ds.missing, 'dataset.missing');
  const method = f.object(r.method, 'method');
  f.string(method.id, 'method.id');
  f.integer(r.seed, 'seed');
  f.string(r.profile, 'profile');
  const config = f.object(r.config, 'config');
  if (config.profile !== undefined && config.profile !== r.profile) f.fail('config.profile', `equal to profile ("${String(r.profile)}")`, config.profile);
  const ev = f.object(r.evaluation, 'evaluation');
  f.boolean(ev.largestComponent, 'evaluation.largestComponent');
  f.string(ev.checkpoint, 'evaluation.checkpoint');
  if (ev.paperCheckpoint !== undefined) f.string(ev.paperCheckpoint, 'evaluation.paperCheckpoint');
  if (ev.testSetUsedForSelection !== undefined) f.boolean(ev.testSetUsedForSelection, 'evaluation.testSetUsedForSelection');
  const cases = f.array(r.cases, 'cases', true);
  cases.forEach((c, i) => {
    const at = fieldPath('cases', i);
    const o = f.object(c, at);
    f.string(o.id, `${at}.id`);
    for (const k of METRIC_KEYS) f.number(o[k], `${at}.${k}`);
  });
  const mean = f.object(r.mean, 'mean');
  for (const k of METRIC_KEYS) f.number(mean[k], `mean.${k}`);
  if (r.flags !== undefined) f.object(r.flags, 'flags');
  return r as unknown as ResultRecord;
}

/** A JSON text that stops before its end: a file still being copied, or cut off. */
function looksTruncated(text: string, err: unknown): boolean {
  return text.trim().length === 0 || /Unexpected end of JSON input|Unterminated string/i.test(String((err as Error)?.message));
}

/** Parses, migrates and validates one record's text. Returns null for truncated JSON. */
export function parseRecordText(
  text: string,
  file: string,
  migrations: Readonly<Record<number, Migration>> = MIGRATIONS,
  current = RECORD_SCHEMA_VERSION,
): { record: ResultRecord; migratedFrom?: number } | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    if (looksTruncated(text, err)) return null;
    throw invalid(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const reader = new FieldReader(file, invalid);
  const obj = reader.object(raw, '(record)');
  if (obj.schema !== RECORD_SCHEMA) reader.fail('schema', `"${RECORD_SCHEMA}"`, obj.schema);
  const { raw: upgraded, from } = migrateRecord(obj, file, migrations, current);
  const record = validateRecord(upgraded, file, current);
  return from === undefined ? { record } : { record, migratedFrom: from };
}

function closeEnough(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

export function toStored(record: ResultRecord, file: string, resultsDir: string, migratedFrom?: number): StoredRecord {
  const derived = meanMetrics(record.cases as CaseResult[]);
  const meanMismatch = METRIC_KEYS.filter((k) => !closeEnough(derived[k], record.mean[k]));
  const stored: StoredRecord = {
    record,
    file,
    relPath: path.relative(resultsDir, file).split(path.sep).join('/'),
    derived,
    meanMismatch,
    fingerprint: configFingerprint(record.config),
  };
  if (migratedFrom !== undefined) stored.migratedFrom = migratedFrom;
  return stored;
}

async function listJson(dir: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw err;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    // Dot files and the writers' `<name>.json.<pid>.<hex>.tmp` files are not records.
    if (e.name.startsWith('.')) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listJson(full)));
    else if (e.isFile() && e.name.endsWith('.json')) out.push(full);
  }
  return out;
}

/** Reads every record under `<resultsDir>/records` (or one dataset / protocol folder of it). */
export async function loadRecords(resultsDir: string, options: LoadOptions = {}): Promise<LoadResult> {
  const root = path.join(resultsDir, 'records');
  let dir = root;
  if (options.dataset) dir = path.join(dir, options.dataset);
  if (options.dataset && options.protocol) dir = path.join(dir, protocolFolder(options.protocol));
  const files = await listJson(dir);
  const result: LoadResult = { records: [], skipped: [], notices: [] };
  const migrated = new Map<number, number>();
  for (const file of files) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed since the listing
      throw err;
    }
    const parsed = parseRecordText(text, file, options.migrations ?? MIGRATIONS, options.currentVersion ?? RECORD_SCHEMA_VERSION);
    if (!parsed) {
      result.skipped.push({ file, reason: 'incomplete JSON (still being written, or truncated)' });
      result.notices.push(`skipped ${file}: incomplete JSON (still being written, or truncated)`);
      continue;
    }
    const { record, migratedFrom } = parsed;
    if (options.dataset && record.dataset.id !== options.dataset) continue;
    if (options.protocol && record.dataset.protocol !== options.protocol) continue;
    if (migratedFrom !== undefined) migrated.set(migratedFrom, (migrated.get(migratedFrom) ?? 0) + 1);
    result.records.push(toStored(record, file, resultsDir, migratedFrom));
  }
  for (const [from, count] of [...migrated].sort((a, b) => a[0] - b[0])) {
    result.notices.push(`read ${count} record(s) of schema version ${from} by migrating them to version ${options.currentVersion ?? RECORD_SCHEMA_VERSION} in memory (files unchanged)`);
  }
  const mismatched = result.records.filter((r) => r.meanMismatch.length > 0);
  for (const r of mismatched) {
    result.notices.push(`${r.relPath}: stored mean of ${r.meanMismatch.join(', ')} disagrees with its per-case metrics; using the mean of the cases`);
  }
  return result;
}
