/**
 * @file Result records: one immutable JSON file per run, holding everything needed to trace a number
 * back to how it was made — harness version and commit, dataset/protocol/split sizes, the fully
 * resolved config with sources, seed, backend, evaluation policy, per-case metrics first and the
 * means derived from them, and timing. Records are written with an exclusive create, never replaced.
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { PACKAGE_ROOT, VERSION } from '../version.js';
import { writeFileExclusive } from '../util/fs-atomic.js';
import { SslBenchError } from '../errors.js';

export const RECORD_SCHEMA = 'ssl-bench/result';
export const RECORD_SCHEMA_VERSION = 1;

export interface CaseResult {
  id: string;
  dice: number;
  jaccard: number;
  hd95: number;
  asd: number;
  emptyPrediction: boolean;
  emptyReference: boolean;
  /** Multi-class datasets: the metrics of each foreground class (the case's values are their mean). */
  classes?: Record<string, { dice: number; jaccard: number; hd95: number; asd: number; emptyPrediction: boolean; emptyReference: boolean }>;
}

export interface MetricMeans {
  dice: number;
  jaccard: number;
  hd95: number;
  asd: number;
}

export interface ResultRecord {
  schema: typeof RECORD_SCHEMA;
  schemaVersion: number;
  id: string;
  createdAt: string;
  sslBench: { version: string; gitCommit: string | null; gitDirty: boolean | null };
  dataset: { id: string; protocol: string; labeled: number; unlabeled: number; test: number; partial: boolean; missing: string[] };
  method: { id: string; title: string; source: string };
  seed: number;
  profile: string;
  config: Record<string, unknown>;
  backend: { name: string; tfBackend: string; fastKernels: string[] };
  evaluation: {
    networks: string[];
    decision: string;
    largestComponent: boolean;
    /** The checkpoint these numbers come from: `last`, `best-on-test` or `best-on-val`. */
    checkpoint: string;
    /** The checkpoint the method's paper reported, for comparability markers. */
    paperCheckpoint: string;
    strides: [number, number];
    patch: number[];
    semantics: string;
    distanceUnit: string;
    asdDirection: string;
    emptyPolicy: string;
    source: string;
    /** True when any checkpoint choice (a method's own stage selection or --select-best-on test) looked at the test cases. */
    testSetUsedForSelection?: boolean;
    /** Present when the reported weights were picked by scoring during training. */
    selection: { on: 'test' | 'val'; every: number; after: number; bestIteration: number; bestDice: number } | null;
  };
  training: {
    iterations: number;
    resumedFrom: number;
    finalLoss: number;
    runDir: string;
    log: string;
    checkpoint: string;
    /** True when the loss read labels of the unlabeled cases (DyCON's official FeCL leak, opt-in). */
    usedUnlabeledLabels?: boolean;
    /** Multi-stage methods: each stage with its length and the selection it made (e.g. BCP's pre-training picked on test). */
    stages?: { name: string; iterations: number; selectedOn: string | null }[];
  };
  cases: CaseResult[];
  mean: MetricMeans;
  flags: { emptyPredictions: number; emptyReferences: number };
  timing: { trainSeconds: number; evalSeconds: number; wallSeconds: number };
}

export function gitInfo(): { gitCommit: string | null; gitDirty: boolean | null } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    return { gitCommit: commit, gitDirty: status.trim().length > 0 };
  } catch {
    return { gitCommit: null, gitDirty: null };
  }
}

export function harnessInfo(): ResultRecord['sslBench'] {
  return { version: VERSION, ...gitInfo() };
}

/** Means over cases, as the papers report them (arithmetic mean over test cases). */
export function meanMetrics(cases: readonly CaseResult[]): MetricMeans {
  const n = cases.length || 1;
  const sum = (k: keyof MetricMeans) => cases.reduce((s, c) => s + c[k], 0) / n;
  return { dice: sum('dice'), jaccard: sum('jaccard'), hd95: sum('hd95'), asd: sum('asd') };
}

/** A sortable, collision-free id: UTC time, method, seed and a random suffix. */
export function newRecordId(method: string, seed: number, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}_${method}_s${seed}_${randomBytes(3).toString('hex')}`;
}

export function recordPath(resultsDir: string, record: Pick<ResultRecord, 'id' | 'dataset'>): string {
  return path.join(resultsDir, 'records', record.dataset.id, record.dataset.protocol.replace(/[^A-Za-z0-9+%._-]/g, '_'), `${record.id}.json`);
}

/** Writes the record under a new name; never replaces an existing record. Returns the file path. */
export async function writeRecord(resultsDir: string, record: ResultRecord): Promise<string> {
  const file = recordPath(resultsDir, record);
  const ok = await writeFileExclusive(file, JSON.stringify(record, null, 2) + '\n');
  if (!ok) throw new SslBenchError('SSLB_RECORD_EXISTS', `${file}: a record with this id already exists; nothing was overwritten`);
  return file;
}
