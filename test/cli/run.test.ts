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
