import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, TEST_BACKEND } from '../helpers/cli.js';

function records(dir: string): string[] {
  const root = path.join(dir, 'records', 'synthetic', '8+32');
  try {
    return readdirSync(root).filter((f) => f.endsWith('.json')).map((f) => path.join(root, f));
  } catch {
    return [];
  }
}

test('smoke run prints a table with the four metrics and writes a record; a second run writes a second record', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sslb-run-'));
  const args = ['run', '--method', 'supervised', '--dataset', 'synthetic', '--profile', 'smoke', '--backend', TEST_BACKEND, '--results-dir', dir];
  const first = runCli(args);
  assert.equal(first.status, 0, first.stderr);
  for (const h of ['Dice', 'Jaccard', '95HD', 'ASD']) assert.match(first.stdout, new RegExp(h));
  assert.match(first.stdout, /supervised/);
  assert.equal(first.stderr, '', 'piped runs print no progress');
  assert.equal(records(dir).length, 1);

  const second = runCli([...args, '--json']);
  assert.equal(second.status, 0, second.stderr);
  const record = JSON.parse(second.stdout);
  assert.equal(records(dir).length, 2);
  assert.equal(record.schema, 'ssl-bench/result');
  assert.equal(record.method.id, 'supervised');
  assert.equal(record.dataset.protocol, '8+32');
  assert.equal(record.cases.length, 10);
  assert.equal(record.config.profile, 'smoke');
  assert.equal(typeof record.config.sources.iterations, 'string');
  for (const k of ['dice', 'jaccard', 'hd95', 'asd']) assert.equal(typeof record.mean[k], 'number');
  const mean = record.cases.reduce((s: number, c: { dice: number }) => s + c.dice, 0) / record.cases.length;
  assert.ok(Math.abs(mean - record.mean.dice) < 1e-12, 'the mean is derived from the per-case metrics');
  const onDisk = records(dir).map((f) => JSON.parse(readFileSync(f, 'utf8')).id);
  assert.ok(onDisk.includes(record.id));
  // the finished run's log and checkpoint are kept under the record's id
  const log = readFileSync(path.join(dir, record.training.log), 'utf8').trim().split('\n');
  assert.equal(log.length, record.config.iterations);
});

test('unknown dataset, method or profile: exit 2 naming the known ones', () => {
  const ds = runCli(['run', '--method', 'supervised', '--dataset', 'nope']);
  assert.equal(ds.status, 2);
  assert.match(ds.stderr, /unknown dataset 'nope'; known: .*synthetic/);
  const m = runCli(['run', '--method', 'nope', '--dataset', 'synthetic']);
  assert.equal(m.status, 2);
  assert.match(m.stderr, /unknown method 'nope'; known: supervised/);
  const p = runCli(['run', '--method', 'supervised', '--profile', 'huge']);
  assert.equal(p.status, 2);
  assert.match(p.stderr, /unknown profile 'huge'; known: paper, cpu, smoke/);
  const flag = runCli(['run', '--method', 'supervised', '--no-such-flag']);
  assert.equal(flag.status, 2);
  assert.match(flag.stderr, /unknown option/);
});

test('--dry-run prints every resolved value with its source', () => {
  const r = runCli(['run', '--method', 'supervised', '--dataset', 'synthetic', '--profile', 'paper', '--dry-run']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.config.iterations, 6000);
  assert.match(out.config.sources.iterations, /train_LA\.py/);
  assert.deepEqual(out.config.lrSchedule, { kind: 'step', step: 2500, gamma: 0.1 });
  const smoke = JSON.parse(runCli(['run', '--method', 'supervised', '--profile', 'smoke', '--dry-run']).stdout);
  assert.equal(smoke.config.sources.iterations, 'profile:smoke');
});

test('methods, datasets list and doctor answer, in JSON too', () => {
  const methods = runCli(['methods', '--json']);
  assert.equal(methods.status, 0, methods.stderr);
  assert.ok(JSON.parse(methods.stdout).some((m: { id: string }) => m.id === 'supervised'));
  const datasets = runCli(['datasets', 'list', '--json']);
  assert.equal(datasets.status, 0, datasets.stderr);
  assert.ok(JSON.parse(datasets.stdout).some((d: { id: string }) => d.id === 'synthetic'));
  const doctor = runCli(['doctor', '--json']);
  assert.equal(doctor.status, 0, doctor.stderr);
  const report = JSON.parse(doctor.stdout);
  assert.ok(['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu'].includes(report.picked));
  const tf = report.backends.find((b: { name: string }) => b.name === 'tensorflow');
  assert.equal(tf.ok, false);
  assert.match(tf.reason, /tfjs-node/);
  const help = runCli(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Examples:/);
});

test('bcp and cml on synthetic-2d: smoke run end to end through both stages; config and methods show the ACDC recipes', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sslb-cp2d-'));
  const r = runCli(['run', '--method', 'bcp,cml', '--dataset', 'synthetic-2d', '--profile', 'smoke', '--backend', TEST_BACKEND, '--results-dir', dir, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const records = JSON.parse(r.stdout) as Array<Record<string, any>>;
  assert.deepEqual(records.map((x) => x.method.id), ['bcp', 'cml']);
  for (const rec of records) {
    assert.equal(rec.cases.length, rec.dataset.test);
    for (const k of ['dice', 'jaccard', 'hd95', 'asd']) assert.ok(Number.isFinite(rec.mean[k]), `${rec.method.id} ${k}`);
    assert.deepEqual(Object.keys(rec.cases[0].classes), ['1', '2', '3']);
    // ACDC test policy: argmax, no LCC, slice by slice; the paper's checkpoint is the best on val.
    assert.deepEqual([rec.evaluation.decision, rec.evaluation.largestComponent, rec.evaluation.paperCheckpoint], ['argmax', false, 'best-on-val']);
    assert.equal(rec.training.stages.length, 2);
    assert.equal(rec.training.stages[0].selectedOn, 'val', 'the pre-training stage keeps its best model on val');
    const log = readFileSync(path.join(dir, rec.training.log), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(log.length, 6, 'three updates per stage');
    assert.ok(log.every((l) => Number.isFinite(l.loss) && l.lr === 0.01), 'finite losses, constant lr');
    if (rec.method.id === 'bcp') {
      assert.deepEqual(rec.config.network, 'unet2d');
      assert.equal(rec.config.emaState, 'full-state');
      assert.ok('mix_dice' in log[0] && 'unl_dice' in log[5] && 'l_ce' in log[5]);
    } else {
      assert.deepEqual(rec.config.network, 'cml-unet2d');
      assert.ok('loss_sup_u' in log[5] && 'loss_dis_u' in log[5]);
    }
  }

  const config = runCli(['config', '--method', 'bcp', '--dataset', 'ACDC', '--json']);
  assert.equal(config.status, 0, config.stderr);
  const bcpAcdc = JSON.parse(config.stdout);
  assert.deepEqual([bcpAcdc.stages[0].iterations, bcpAcdc.stages[1].iterations, bcpAcdc.lrSchedule.kind, bcpAcdc.params.maskRatio], [10000, 30000, 'constant', 2 / 3]);
  assert.match(bcpAcdc.sources.stages, /ACDC_BCP_train\.py/);
  const cmlAcdc = JSON.parse(runCli(['config', '--method', 'cml', '--dataset', 'ACDC', '--json']).stdout);
  assert.deepEqual(cmlAcdc.params, { maskRatio: 0.5, labeledWeight: 1, unlabeledWeight: 0.5, conflictWeight: 0.1 });
  assert.match(cmlAcdc.sources.params.conflictWeight, /CML_ACDC_train\.py/);
  const methods = JSON.parse(runCli(['methods', '--json']).stdout) as Array<Record<string, any>>;
  for (const id of ['bcp', 'cml']) {
    const m = methods.find((x) => x.id === id)!;
    assert.deepEqual(m.datasets, ['LA', 'synthetic', 'ACDC', 'synthetic-2d']);
    assert.equal(m.evaluationByDataset.ACDC.decision, 'argmax');
    assert.equal(m.evaluationByDataset.LA.decision, 'foreground-threshold');
  }
});

test('doctor lists webgpu second in the picking order, its adapters, and which GPU backend run would use and why', () => {
  const doctor = runCli(['doctor', '--json']);
  assert.equal(doctor.status, 0, doctor.stderr);
  const report = JSON.parse(doctor.stdout);
  assert.deepEqual(report.backends.map((b: { name: string }) => b.name), ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']);
  const webgpu = report.backends.find((b: { name: string }) => b.name === 'webgpu');
  const adapters = report.webgpu.adapters as { software: boolean; vendor: string; architecture: string }[];
  for (const a of adapters) assert.equal(typeof a.software, 'boolean');
  if (adapters.length === 0) {
    // No adapter: it says why and what is missing, and no GPU backend is used.
    assert.equal(webgpu.ok, false);
    assert.ok(report.webgpu.reason);
    assert.equal(report.gpuBackend.name, report.backends[0].ok ? 'tensorflow-gpu' : null);
  } else if (adapters.every((a) => a.software)) {
    // Only a software adapter (lavapipe): never picked automatically.
    assert.equal(webgpu.ok, false);
    assert.match(webgpu.reason, /only a software adapter.*--backend webgpu/);
    assert.notEqual(report.picked, 'webgpu');
    assert.match(report.gpuBackend.why, /software adapter/);
  } else {
    assert.equal(report.gpuBackend.name === 'webgpu' || report.gpuBackend.name === 'tensorflow-gpu', true);
  }
  const text = runCli(['doctor']);
  assert.match(text.stdout, /GPU \(webgpu backend/);
  assert.match(text.stdout, /GPU backend `run` would use: /);
});
