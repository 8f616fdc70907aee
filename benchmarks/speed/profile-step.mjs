// Per-kernel time of one V-Net training step: where does the time go?
// Usage: node benchmarks/speed/profile-step.mjs --backend wasm --size 32,32,32 --batch 2 --filters 8 [--fast]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { buildVNet, makeTrainStep, vnetForwardFlops } from './vnet-lite.mjs';

const { values: a } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    size: { type: 'string', default: '32,32,32' },
    batch: { type: 'string', default: '2' },
    filters: { type: 'string', default: '8' },
    fast: { type: 'boolean', default: false },
    top: { type: 'string', default: '25' },
    'fused-bn': { type: 'boolean', default: false },
  },
});
await tf.setBackend(a.backend);
await tf.ready();
const kernels = await import('../../dist/src/nn/kernels/index.js').catch(() => null);
if (kernels) {
  if (!a.fast) process.env.SSL_BENCH_FAST_KERNELS = '0';
  console.log(JSON.stringify(kernels.registerFastKernels(a.backend)));
}
const [d, h, w] = a.size.split(',').map(Number);
const n = Number(a.batch);
const f = Number(a.filters);
const net = buildVNet(tf, { filters: f, batchNormTrain: a['fused-bn'] ? kernels?.batchNormTrain : undefined });
const step = makeTrainStep(tf, net);
const x = tf.randomNormal([n, d, h, w, 1]);
const onehot = tf.oneHot(tf.randomUniform([n, d, h, w], 0, 2, 'int32'), 2);
step(x, onehot); // warm-up: kernel setup, allocator growth
const t0 = performance.now();
const prof = await tf.profile(() => { step(x, onehot); });
const total = performance.now() - t0;
const byName = new Map();
for (const k of prof.kernels) {
  const key = k.name;
  const e = byName.get(key) ?? { ms: 0, calls: 0 };
  e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  e.calls += 1;
  byName.set(key, e);
}
const rows = [...byName.entries()].sort((p, q) => q[1].ms - p[1].ms);
const kernelSum = rows.reduce((s, [, e]) => s + e.ms, 0);
console.log(`backend=${a.backend} fast=${a.fast} size=${a.size} batch=${n} filters=${f} step(profiled)=${total.toFixed(0)} ms, kernel sum=${kernelSum.toFixed(0)} ms, ` +
  `GFLOP/step=${(3 * vnetForwardFlops([n, d, h, w], f) / 1e9).toFixed(2)}, peakBytes=${(prof.peakBytes / 2 ** 20).toFixed(0)} MiB`);
for (const [name, e] of rows.slice(0, Number(a.top))) {
  console.log(`${name.padEnd(28)} ${e.ms.toFixed(1).padStart(9)} ms ${(100 * e.ms / kernelSum).toFixed(1).padStart(5)}%  calls=${e.calls}`);
}
