#!/usr/bin/env node
// Times one V-Net training step (forward, backward, SGD-momentum update) on the stock and fast tfjs
// kernels and in PyTorch, at several sizes, and prints a markdown table (see README.md).
//
//   npm run build && node native/build.mjs && node benchmarks/speed/train-step.mjs [options]
//     --sizes 32x32x32:2:8,64x64x48:4:8     D x H x W : batch : filters, comma separated
//     --configs wasm-fast,cpu-fast,wasm-stock,cpu-stock,torch
//     --steps 3                              timed steps per config (median reported), after one warm-up
//     --stock-max-gflop 60                   skip stock configs above this many GFLOP per step (hours)
//     --model lead|lite|fused                the project's src/nn/vnet.ts (default when built), vnet-lite.mjs with
//                                            batch norm as tf ops, or vnet-lite.mjs with the fused batchNormTrain
//     --timeout 1800                         seconds per config
//     --json FILE                            also write the raw results
// One child process per config, so each starts from a fresh heap and kernel registry.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { vnetForwardFlops } from './vnet-lite.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const { values: a } = parseArgs({
  options: {
    worker: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'wasm' },
    fast: { type: 'string', default: '1' },
    size: { type: 'string', default: '64x64x48' },
    batch: { type: 'string', default: '4' },
    filters: { type: 'string', default: '8' },
    sizes: { type: 'string', default: '32x32x32:2:8,64x64x48:4:8,112x112x80:4:16' },
    configs: { type: 'string', default: 'wasm-fast,cpu-fast,wasm-stock,cpu-stock,torch' },
    steps: { type: 'string', default: '3' },
    'stock-max-gflop': { type: 'string', default: '60' },
    model: { type: 'string', default: existsSync(join(root, 'dist/src/nn/vnet.js')) ? 'lead' : 'lite' },
    timeout: { type: 'string', default: '1800' },
    threads: { type: 'string', default: '2' },
    json: { type: 'string' },
  },
});

const median = (xs) => xs.slice().sort((p, q) => p - q)[(xs.length - 1) >> 1];

async function worker() {
  if (a.fast === '0') process.env.SSL_BENCH_FAST_KERNELS = '0';
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-wasm');
  // Not IS_TEST: it turns on tfjs's per-kernel leak check, which throws on softmaxCrossEntropy's gradient on wasm.
  await tf.setBackend(a.backend);
  await tf.ready();
  const kernels = await import(join(root, 'dist/src/nn/kernels/index.js'));
  kernels.setFastKernelThreads(Number(a.threads));
  const report = kernels.registerFastKernels(a.backend);
  const [d, h, w] = a.size.split('x').map(Number);
  const n = Number(a.batch);
  const f = Number(a.filters);
  // Refuse (with the project's SslBenchError) what would abort the wasm heap or exhaust the RAM.
  // vnet-lite passes the conv bias to batchNormTrain ('fused-bias'); vnet.ts adds it first (the default,
  // 'fused' where the fused kernel is registered); without fast kernels both are tf ops.
  const batchNorm = a.fast !== '1' ? 'ops' : a.model === 'fused' ? 'fused-bias' : a.model === 'lite' ? 'ops' : undefined;
  const estimate = kernels.assertTrainStepFits({ size: [d, h, w], batch: n, filters: f, batchNorm }, a.backend);
  let forward;
  let vars;
  if (a.model === 'lead') {
    const { VNet } = await import(join(root, 'dist/src/nn/vnet.js'));
    const { Rng } = await import(join(root, 'dist/src/util/rng.js'));
    const net = new VNet('bench', 1337, { filters: f });
    const rng = new Rng(7);
    forward = (x) => net.forward(x, { training: true, rng }).logits;
    vars = [...net.store.params.values()];
  } else {
    const { buildVNet } = await import('./vnet-lite.mjs');
    const net = buildVNet(tf, { filters: f, batchNormTrain: a.model === 'fused' ? kernels.batchNormTrain : undefined });
    forward = (x) => net.forward(x, true);
    vars = net.vars;
  }
  const opt = tf.train.momentum(0.01, 0.9);
  const x = tf.randomNormal([n, d, h, w, 1]);
  const onehot = tf.tidy(() => tf.oneHot(tf.randomUniform([n, d, h, w], 0, 2, 'int32'), 2).toFloat());
  const step = () => {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(onehot, forward(x)), true, vars);
    loss.dataSync();
    loss.dispose();
  };
  const times = [];
  for (let i = 0; i <= Number(a.steps); i++) {
    const t0 = performance.now();
    step();
    if (i > 0) times.push(performance.now() - t0);
  }
  // The process's resident high-water mark (Linux); the wasm heap never shrinks, so on wasm this is its peak.
  const hwm = /VmHWM:\s+(\d+) kB/.exec(existsSync('/proc/self/status') ? readFileSync('/proc/self/status', 'utf8') : '');
  const peak = hwm ? Number(hwm[1]) * 1024 : process.memoryUsage().rss;
  const gflop = (3 * vnetForwardFlops([n, d, h, w], f)) / 1e9;
  const ms = median(times);
  console.log(JSON.stringify({ backend: a.backend, fast: a.fast === '1', model: a.model, size: [d, h, w], batch: n, filters: f,
    ms_per_step: Math.round(ms), times: times.map(Math.round), gflop_per_step: +gflop.toFixed(2), gflops_per_s: +(gflop / (ms / 1000)).toFixed(2),
    rss_peak_mib: Math.round(peak / 2 ** 20), estimated_peak_mib: Math.round(estimate.peakBytes / 2 ** 20),
    registered: report.registered.length, info: kernels.fastKernelInfo() }));
}

function runChild(cmd, args, timeoutS) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', timeout: timeoutS * 1000, maxBuffer: 1 << 24 });
  const line = (r.stdout || '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status === 0 && line) return JSON.parse(line);
  const lines = (r.stderr || r.stdout || '').trim().split('\n');
  const why = r.error?.code === 'ETIMEDOUT' ? `timed out after ${timeoutS} s` : (lines.find((l) => /SslBenchError|Error:/.test(l)) ?? lines.slice(-1)[0]);
  return { error: why };
}

function orchestrate() {
  const sizes = a.sizes.split(',').map((s) => {
    const [dims, batch, filters] = s.split(':');
    return { dims, batch: Number(batch), filters: Number(filters) };
  });
  const configs = a.configs.split(',');
  const rows = [];
  for (const s of sizes) {
    const [d, h, w] = s.dims.split('x').map(Number);
    const gflop = (3 * vnetForwardFlops([s.batch, d, h, w], s.filters)) / 1e9;
    for (const c of configs) {
      let r;
      if (c === 'torch') {
        r = runChild('/usr/bin/python3', [join('/work/shared/bench/torch_vnet_step.py'), '--size', `${d},${h},${w}`, '--batch', String(s.batch),
          '--filters', String(s.filters), '--threads', a.threads, '--steps', a.steps], Number(a.timeout));
      } else {
        const [backend, kind] = c.split('-');
        if (kind === 'stock' && gflop > Number(a['stock-max-gflop'])) {
          r = { skipped: `> ${a['stock-max-gflop']} GFLOP/step` };
        } else {
          r = runChild(process.execPath, [fileURLToPath(import.meta.url), '--worker', '--backend', backend, '--fast', kind === 'fast' ? '1' : '0',
            '--size', s.dims, '--batch', String(s.batch), '--filters', String(s.filters), '--steps', kind === 'stock' ? '1' : a.steps,
            '--model', a.model, '--threads', a.threads], Number(a.timeout));
        }
      }
      const row = { ...r, size: `${s.dims} b${s.batch} f${s.filters}`, config: c, gflop: +gflop.toFixed(1) };
      rows.push(row);
      console.error(JSON.stringify(row));
    }
  }
  const fmt = (r) => (r.ms_per_step ? `${r.ms_per_step.toLocaleString('en-US')} | ${r.gflops_per_s.toFixed(1)}` : `— | ${r.skipped ?? r.error}`);
  console.log(`\nmodel: ${a.model}, threads: ${a.threads}, steps: ${a.steps} (median; stock configs: 1)\n`);
  console.log('| size (D×H×W, batch, filters) | GFLOP/step | config | ms/step | GFLOP/s | vs PyTorch |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const torch = rows.find((t) => t.size === r.size && t.config === 'torch' && t.ms_per_step);
    const ratio = torch && r.ms_per_step ? `${(torch.ms_per_step / r.ms_per_step).toFixed(2)}×` : '';
    console.log(`| ${r.size} | ${r.gflop} | ${r.config} | ${fmt(r)} | ${ratio} |`);
  }
  if (a.json) writeFileSync(a.json, JSON.stringify(rows, null, 2));
}

if (a.worker) await worker();
else orchestrate();
