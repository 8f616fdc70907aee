/**
 * Fabricated result records for table, leaderboard and check tests: the shape `run` writes, with
 * per-case metrics chosen by the test so that means, stds and comparisons are known exactly.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { meanMetrics, recordPath, type CaseResult, type ResultRecord } from '../../src/results/record.js';
import { VERSION } from '../../src/version.js';

export interface FakeOptions {
  method?: string;
  dataset?: string;
  protocol?: string;
  seed?: number;
  profile?: string;
  version?: string;
  /** Per-case Dice (fractions); Jaccard, 95HD and ASD are derived from it unless given. */
  dice?: number[];
  hd95?: number[];
  asd?: number[];
  iterations?: number;
  largestComponent?: boolean;
  checkpoint?: string;
  paperCheckpoint?: string;
  testSetUsedForSelection?: boolean;
  partial?: boolean;
  createdAt?: string;
  id?: string;
  /** Overwrites the stored mean (to fabricate a disagreeing record). */
  mean?: Partial<ResultRecord['mean']>;
}

let counter = 0;

export function fakeConfig(o: { method: string; dataset: string; protocol: string; profile: string; seed: number; iterations?: number }): Record<string, unknown> {
  return {
    iterations: o.iterations ?? 6,
    batchSize: 2,
    labeledBatch: 1,
    baseLr: 0.01,
    lrSchedule: { kind: 'step', step: 3, gamma: 0.1 },
    patch: [32, 32, 16],
    params: {},
    method: o.method,
    dataset: o.dataset,
    protocol: o.protocol,
    profile: o.profile,
    seed: o.seed,
    sources: { iterations: 'profile:smoke', params: {} },
  };
}

export function fakeRecord(o: FakeOptions = {}): ResultRecord {
  const method = o.method ?? 'supervised';
  const dataset = o.dataset ?? 'synthetic';
  const protocol = o.protocol ?? '8+32';
  const seed = o.seed ?? 1337;
  const profile = o.profile ?? 'smoke';
  const dice = o.dice ?? [0.8, 0.9];
  const cases: CaseResult[] = dice.map((d, i) => ({
    id: `case${String(i).padStart(3, '0')}`,
    dice: d,
    jaccard: d / (2 - d),
    hd95: o.hd95?.[i] ?? 10 * (1 - d),
    asd: o.asd?.[i] ?? 2 * (1 - d),
    emptyPrediction: false,
    emptyReference: false,
  }));
  counter++;
  const id = o.id ?? `20260101T0000${String(counter % 100).padStart(2, '0')}Z_${method}_s${seed}_${counter.toString(16).padStart(6, '0')}`;
  return {
    schema: 'ssl-bench/result',
    schemaVersion: 1,
    id,
    createdAt: o.createdAt ?? `2026-01-01T00:00:${String(counter % 60).padStart(2, '0')}.000Z`,
    sslBench: { version: o.version ?? VERSION, gitCommit: null, gitDirty: null },
    dataset: { id: dataset, protocol, labeled: 8, unlabeled: 32, test: cases.length, partial: Boolean(o.partial), missing: o.partial ? ['syn001'] : [] },
    method: { id: method, title: method, source: 'test' },
    seed,
    profile,
    config: fakeConfig({ method, dataset, protocol, profile, seed, iterations: o.iterations }),
    backend: { name: 'cpu', tfBackend: 'cpu', fastKernels: [] },
    evaluation: {
      networks: ['student'],
      decision: 'argmax',
      largestComponent: Boolean(o.largestComponent),
      checkpoint: o.checkpoint ?? 'last',
      paperCheckpoint: o.paperCheckpoint ?? o.checkpoint ?? 'last',
      testSetUsedForSelection: o.testSetUsedForSelection ?? o.checkpoint === 'best-on-test',
      strides: [32, 32],
      patch: [32, 32, 16],
      semantics: 'medpy',
      distanceUnit: 'voxel',
      asdDirection: 'pred-to-ref',
      emptyPolicy: 'test',
      source: 'test',
      selection: null,
    },
    training: { iterations: 6, resumedFrom: 0, finalLoss: 0.5, runDir: 'runs/x', log: 'runs/x/train.jsonl', checkpoint: 'runs/x/checkpoint.ckpt' },
    cases,
    mean: { ...meanMetrics(cases), ...o.mean },
    flags: { emptyPredictions: 0, emptyReferences: 0 },
    timing: { trainSeconds: 1, evalSeconds: 1, wallSeconds: 2 },
  };
}

/** Writes the record where `run` would, and returns its path. */
export function writeFake(resultsDir: string, record: ResultRecord): string {
  const file = recordPath(resultsDir, record);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(record, null, 2) + '\n');
  return file;
}

export function tempResults(prefix = 'sslb-results-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}
