#!/usr/bin/env node
// GPU benchmark: `ssl-bench bench train-step` at paper size on every GPU backend this machine has, and a
// short UA-MT run on LA on each, printed as one table. See benchmarks/gpu/README.md.
//
//   node benchmarks/gpu/run.mjs [--size 112,112,80] [--batch 4] [--filters 16] [--steps 3]
//                               [--dataset LA] [--protocol 16+64] [--iterations 20] [--profile paper]
//                               [--backends webgpu,tensorflow-gpu,wasm] [--include-software] [--json]
//
// Backends: those `ssl-bench doctor` reports usable among tensorflow-gpu and webgpu (a software webgpu
// adapter such as lavapipe only with --include-software), plus wasm as the CPU reference; --backends
// overrides the list. Every child runs with a 2-hour limit; a failure becomes a row with its reason.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'ssl-bench.js');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const flag = (name) => args.includes(`--${name}`);
const size = opt('size', '112,112,80');
const batch = opt('batch', '4');
const filters = opt('filters', '16');
const steps = opt('steps', '3');
const dataset = opt('dataset', 'LA');
const protocol = opt('protocol', dataset === 'LA' ? '16+64' : undefined);
const iterations = opt('iterations', '20');
const profile = opt('profile', dataset.startsWith('synthetic') ? 'smoke' : 'paper');

function cli(argv) {
  const r = spawnSync(process.execPath, [bin, ...argv], { cwd: root, encoding: 'utf8', timeout: 2 * 3600 * 1000, maxBuffer: 1 << 26 });
  const err = (r.stderr || '').split('\n').filter((l) => l.trim() && !l.startsWith('Warning: max')).slice(-1)[0] ?? `exit ${r.status}`;
  return { ok: r.status === 0, stdout: r.stdout, error: r.error ? String(r.error.message) : err };
}

const doctor = JSON.parse(cli(['doctor', '--json']).stdout);
const adapter = doctor.webgpu.chosen ?? 'none';
let backends;
if (opt('backends')) backends = opt('backends').split(',');
else {
  backends = [];
  if (doctor.backends.find((b) => b.name === 'tensorflow-gpu')?.ok) backends.push('tensorflow-gpu');
  const software = doctor.webgpu.adapters.length > 0 && doctor.webgpu.adapters.every((a) => a.software);
  if (doctor.backends.find((b) => b.name === 'webgpu')?.ok || (software && flag('include-software') && doctor.webgpu.syncReads.startsWith('available'))) backends.push('webgpu');
  if (!backends.length) process.stderr.write(`no GPU backend found (${doctor.gpuBackend.why}); measuring the CPU reference only\n`);
  backends.push('wasm');
}

const rows = [];
for (const backend of backends) {
  const row = { backend, device: backend === 'webgpu' ? adapter : backend === 'tensorflow-gpu' ? 'CUDA (tfjs-node-gpu)' : `CPU, ${os.cpus().length} cores` };
  const t = cli(['bench', 'train-step', '--size', size, '--batch', batch, '--filters', filters, '--steps', steps, '--backend', backend, '--json']);
  if (t.ok) {
    const r = JSON.parse(t.stdout.trim().split('\n').pop());
    Object.assign(row, { ms_per_step: r.ms_per_step, gflops_per_s: r.gflops_per_s });
  } else row.train_step_error = t.error;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sslb-gpu-bench-'));
  const began = Date.now();
  const run = cli(['run', '--method', 'ua-mt', '--dataset', dataset, ...(protocol ? ['--protocol', protocol] : []), '--profile', profile, '--iterations', iterations, '--backend', backend, '--results-dir', dir, '--json']);
  if (run.ok) {
    const rec = JSON.parse(run.stdout);
    Object.assign(row, { uamt_iterations: Number(iterations), uamt_seconds: Math.round((Date.now() - began) / 100) / 10, uamt_dice: Math.round(rec.mean.dice * 10000) / 10000 });
  } else row.uamt_error = run.error;
  rows.push(row);
}

if (flag('json')) {
  process.stdout.write(JSON.stringify({ size, batch: Number(batch), filters: Number(filters), dataset, profile, iterations: Number(iterations), rows }, null, 2) + '\n');
} else {
  const head = ['backend', 'device', `train step ${size.replace(/,/g, '×')} b${batch} f${filters} (ms)`, 'GFLOP/s', `UA-MT ${dataset} ${iterations} it (s, train+eval)`, 'Dice'];
  const body = rows.map((r) => [
    r.backend,
    r.device,
    r.ms_per_step ?? `failed: ${r.train_step_error}`,
    r.gflops_per_s ?? '',
    r.uamt_seconds ?? `failed: ${r.uamt_error}`,
    r.uamt_dice ?? '',
  ]);
  const lines = [head, ...body].map((cells) => `| ${cells.join(' | ')} |`);
  lines.splice(1, 0, `|${head.map(() => '---').join('|')}|`);
  process.stdout.write(lines.join('\n') + '\n');
}
