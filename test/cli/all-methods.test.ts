import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, TEST_BACKEND } from '../helpers/cli.js';
import { METHOD_IDS } from '../../src/methods/index.js';
import { knownRecipes } from '../../src/train/config.js';

interface RecordLike {
  method: { id: string };
  dataset: { id: string; test: number };
  cases: { dice: number; classes?: Record<string, unknown> }[];
  mean: Record<'dice' | 'jaccard' | 'hd95' | 'asd', number>;
}

function finiteMeans(r: RecordLike): void {
  for (const k of ['dice', 'jaccard', 'hd95', 'asd'] as const) assert.ok(Number.isFinite(r.mean[k]), `${r.method.id}: ${k} = ${r.mean[k]}`);
}

test('every registered method trains and evaluates on synthetic through the CLI (smoke profile, one table)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sslb-all-'));
  const r = runCli(['run', '--method', 'all', '--dataset', 'synthetic', '--profile', 'smoke', '--backend', TEST_BACKEND, '--results-dir', dir, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const records = JSON.parse(r.stdout) as RecordLike[];
  assert.deepEqual(records.map((x) => x.method.id), METHOD_IDS);
  for (const rec of records) {
    assert.equal(rec.cases.length, rec.dataset.test);
    finiteMeans(rec);
  }
  // The committed baseline guards these numbers: a change that moves any method's smoke result fails here
  // (regenerate it with `ssl-bench check --write-baseline` when the move is intended; results/baselines/README.md).
  const check = runCli(['check', '--against', path.join('results', 'baselines', 'synthetic-smoke.json'), '--results-dir', dir]);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /10 compared: 10 pass/);
});

test('the 2-D path runs end to end on synthetic-2d with per-class metrics', () => {
  const twoD = knownRecipes().find((x) => x.dataset === 'synthetic-2d')!.methods;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sslb-2d-'));
  const r = runCli(['run', '--method', twoD.join(','), '--dataset', 'synthetic-2d', '--profile', 'smoke', '--backend', TEST_BACKEND, '--results-dir', dir, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const parsed = JSON.parse(r.stdout) as RecordLike | RecordLike[];
  const records = Array.isArray(parsed) ? parsed : [parsed];
  assert.deepEqual(records.map((x) => x.method.id), twoD);
  for (const rec of records) {
    finiteMeans(rec);
    assert.deepEqual(Object.keys(rec.cases[0].classes ?? {}), ['1', '2', '3'], 'one entry per foreground class');
  }
});
