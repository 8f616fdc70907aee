/**
 * @file Paper suites: one JSON file per paper table in `benchmarks/suites/`, naming the dataset,
 * protocol, methods (in the paper's row order), seeds, profile and evaluation policy of that table.
 * `run --suite` trains its missing cells, `table --suite` prints it beside the published numbers,
 * `check --suite` scopes a regression check to it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { getDataset, loadCatalog, resolveProtocolName, type Catalog } from '../data/catalog.js';
import { PROFILES } from '../train/config.js';
import { PACKAGE_ROOT } from '../version.js';
import { SslBenchError, unknownChoice } from '../errors.js';
import { FieldReader } from './fields.js';
import type { PublishedRow } from './published.js';

export const SUITE_SCHEMA = 'ssl-bench/suite';
export const SUITE_SCHEMA_VERSION = 1;
export const SUITES_DIR = path.join(PACKAGE_ROOT, 'benchmarks', 'suites');

/**
 * Which checkpoint each cell reports: `paper` = what the method's paper reported (the last iteration
 * for UA-MT/UPC/MCF, the best Dice on the test cases for BCP/CML/AC-MT…), `last` for every method, or
 * selection on the test / val cases for every method.
 */
export const CHECKPOINT_POLICIES = ['paper', 'last', 'best-on-test', 'best-on-val'] as const;
export type CheckpointPolicy = (typeof CHECKPOINT_POLICIES)[number];

export interface Suite {
  name: string;
  file: string;
  title: string;
  source: string | null;
  dataset: string;
  /** Canonical protocol key of the catalog. */
  protocol: string;
  profile: string;
  /** Method ids in the paper's row order; ids not registered yet are listed and skipped when run. */
  methods: string[];
  /** The first seeds; `--seeds N` beyond the list continues from the last one (+1, +2…). */
  seeds: number[];
  evaluation: {
    checkpoint: CheckpointPolicy;
    /** Largest-connected-component post-processing: always as each method's official test code. */
    postprocessing: 'paper';
    distanceUnit: string;
    note: string | null;
  };
  /** Published row key per method, where the default (the strongest row of the cell) is not the one this table prints. */
  reference: Record<string, string>;
  note: string | null;
}

export function suiteNames(dir = SUITES_DIR): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .sort();
  } catch {
    return [];
  }
}

/** Suite by name (case-insensitive); a usage error naming the known suites otherwise. */
export function loadSuite(name: string, dir = SUITES_DIR, catalog: Catalog = loadCatalog()): Suite {
  const names = suiteNames(dir);
  const found = names.find((n) => n === name) ?? names.find((n) => n.toLowerCase() === name.toLowerCase());
  if (!found) throw unknownChoice('suite', name, names);
  const file = path.join(dir, `${found}.json`);
  return parseSuite(readFileSync(file, 'utf8'), file, found, catalog);
}

export function parseSuite(text: string, file: string, name: string, catalog: Catalog = loadCatalog()): Suite {
  const f: FieldReader = new FieldReader(file, (msg) => new SslBenchError('SSLB_SUITE_INVALID', msg));
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SslBenchError('SSLB_SUITE_INVALID', `${file}: not valid JSON (${(err as Error).message})`);
  }
  const o = f.object(raw, '(suite)');
  if (o.schema !== SUITE_SCHEMA) f.fail('schema', `"${SUITE_SCHEMA}"`, o.schema);
  if (o.schemaVersion !== SUITE_SCHEMA_VERSION) f.fail('schemaVersion', String(SUITE_SCHEMA_VERSION), o.schemaVersion);
  const datasetName = f.string(o.dataset, 'dataset');
  let dataset: string;
  let protocol: string;
  try {
    const entry = getDataset(datasetName, catalog);
    dataset = entry.id;
    protocol = resolveProtocolName(entry, f.string(o.protocol, 'protocol'));
  } catch (err) {
    if (err instanceof SslBenchError && err.code === 'SSLB_SUITE_INVALID') throw err;
    throw new SslBenchError('SSLB_SUITE_INVALID', `${file}: ${(err as Error).message}`);
  }
  const methods = f.array(o.methods, 'methods', true).map((m, i) => f.string(m, `methods[${i}]`));
  const dup = methods.find((m, i) => methods.indexOf(m) !== i);
  if (dup) f.fail('methods', 'a list without repeats', `"${dup}" twice`);
  const seeds = f.array(o.seeds, 'seeds', true).map((s, i) => f.integer(s, `seeds[${i}]`, 0));
  const ev = f.object(o.evaluation, 'evaluation');
  const reference: Record<string, string> = {};
  if (o.reference !== undefined) {
    for (const [m, key] of Object.entries(f.object(o.reference, 'reference'))) {
      if (!methods.includes(m)) f.fail(`reference.${m}`, `keyed by a method of the suite (${methods.join(', ')})`, m);
      reference[m] = f.string(key, `reference.${m}`);
    }
  }
  return {
    name,
    file,
    title: f.string(o.title, 'title'),
    source: f.optString(o.source, 'source'),
    dataset,
    protocol,
    profile: f.oneOf(o.profile, 'profile', PROFILES),
    methods,
    seeds,
    evaluation: {
      checkpoint: f.oneOf(ev.checkpoint, 'evaluation.checkpoint', CHECKPOINT_POLICIES),
      postprocessing: f.oneOf(ev.postprocessing, 'evaluation.postprocessing', ['paper'] as const),
      distanceUnit: f.string(ev.distanceUnit, 'evaluation.distanceUnit'),
      note: f.optString(ev.note, 'evaluation.note'),
    },
    reference,
    note: f.optString(o.note, 'note'),
  };
}

/** The first `count` seeds of a suite (default: its list). */
export function suiteSeeds(suite: Suite, count = suite.seeds.length): number[] {
  const out = suite.seeds.slice(0, count);
  const last = suite.seeds[suite.seeds.length - 1];
  for (let i = out.length; i < count; i++) out.push(last + (i - suite.seeds.length + 1));
  return out;
}

/** `--select-best-on` value for a method under the suite's checkpoint policy, given the checkpoint its paper reported. */
export function selectBestOnFor(policy: CheckpointPolicy, paperCheckpoint: string): 'test' | 'val' | undefined {
  const wanted = policy === 'paper' ? paperCheckpoint : policy;
  if (wanted === 'best-on-test') return 'test';
  if (wanted === 'best-on-val') return 'val';
  return undefined;
}

/** The published row a suite pins for a method, checked to exist. */
export function suiteReferenceKey(suite: Suite, method: string, rows: readonly PublishedRow[]): string | undefined {
  const key = suite.reference[method];
  if (key !== undefined && !rows.some((r) => r.key === key)) {
    throw new SslBenchError('SSLB_SUITE_INVALID', `${suite.file}: field 'reference.${method}' names published row '${key}', which results/published.json does not have`);
  }
  return key;
}

/** What a finished cell's record must show for the cell to count as done. */
export interface CellWant {
  dataset: string;
  protocol: string;
  method: string;
  seed: number;
  profile: string;
  /** configFingerprint of the config the cell would run with. */
  fingerprint: string;
  /** `evaluation.checkpoint` the run would report (`last`, `best-on-test`…). */
  checkpoint: string;
  version: string;
  /** Whether a record made on a partial dataset counts. */
  allowPartial: boolean;
}

/**
 * A record matches a cell when it is the same experiment: same harness version, dataset, protocol,
 * method, seed and profile, the same resolved config (fingerprint: every hyper-parameter, not the
 * seed or the documentation of sources), the same reported checkpoint, and complete data unless partial
 * data is allowed. The newest match is returned.
 */
export function findMatchingRecord<T extends { record: import('./record.js').ResultRecord; fingerprint: string }>(records: readonly T[], want: CellWant): T | undefined {
  const matches = records.filter(
    (s) =>
      s.record.sslBench.version === want.version &&
      s.record.dataset.id === want.dataset &&
      s.record.dataset.protocol === want.protocol &&
      s.record.method.id === want.method &&
      s.record.seed === want.seed &&
      s.record.profile === want.profile &&
      s.fingerprint === want.fingerprint &&
      s.record.evaluation.checkpoint === want.checkpoint &&
      (want.allowPartial || !s.record.dataset.partial),
  );
  return matches.sort((a, b) => (a.record.id < b.record.id ? 1 : a.record.id > b.record.id ? -1 : 0))[0];
}
