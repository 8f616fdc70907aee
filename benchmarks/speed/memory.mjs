#!/usr/bin/env node
// Measures the tensor memory of one V-Net training step (tf.profile's peakBytes) and compares it with
// estimateTrainStepMemory; this is how BYTES_PER_VOXEL_FILTER in src/nn/kernels/memory.ts was calibrated.
//
//   node benchmarks/speed/memory.mjs [--backend wasm|cpu] [--model fused|lite|lead] [--configs 64x64x48:2:8,64x64x32:1:16]
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: a } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    model: { type: 'string', default: 'fused' },
    configs: { type: 'string', default: '64x64x48:2:8,64x64x32:1:16' },
  },
});
const kernels = await import(join(root, 'dist/src/nn/kernels/index.js'));
await tf.setBackend(a.backend);
await tf.ready();
kernels.registerFastKernels(a.backend);

for (const spec of a.configs.split(',')) {
  const [dims, batch, filters] = spec.split(':');
  const [d, h, w] = dims.split('x').map(Number);
  const n = Number(batch);
  const f = Number(filters);
  let forward;
  let vars;
  let dispose;
  if (a.model === 'lead') {
    const { VNet } = await import(join(root, 'dist/src/nn/vnet.js'));
    const { Rng } = await import(join(root, 'dist/src/util/rng.js'));
    const net = new VNet('memory', 1, { filters: f });
    const rng = new Rng(3);
    forward = (x) => net.forward(x, { training: true, rng }).logits;
    vars = [...net.store.params.values()];
    dispose = () => net.dispose();
  } else {
    const { buildVNet } = await import('./vnet-lite.mjs');
    const net = buildVNet(tf, { filters: f, batchNormTrain: a.model === 'fused' ? kernels.batchNormTrain : undefined });
    forward = (x) => net.forward(x, true);
    vars = net.vars;
    dispose = () => tf.dispose(vars);
  }
  const opt = tf.train.momentum(0.01, 0.9);
  const x = tf.randomNormal([n, d, h, w, 1]);
  const onehot = tf.tidy(() => tf.oneHot(tf.randomUniform([n, d, h, w], 0, 2, 'int32'), 2).toFloat());
  const step = () => opt.minimize(() => tf.losses.softmaxCrossEntropy(onehot, forward(x)), true, vars).dispose();
  step(); // optimizer state exists from here on
  const before = tf.memory().numBytes;
  const { peakBytes } = await tf.profile(step);
  const batchNorm = a.model === 'fused' ? 'fused-bias' : a.model === 'lead' ? 'fused' : 'ops';
  const est = kernels.estimateTrainStepMemory({ size: [d, h, w], batch: n, filters: f, batchNorm });
  console.log(JSON.stringify({
    backend: a.backend, model: a.model, batch_norm: batchNorm, size: dims, batch: n, filters: f,
    peak_mib: Math.round(peakBytes / 2 ** 20),
    between_steps_mib: Math.round(before / 2 ** 20),
    bytes_per_voxel_filter: +((peakBytes - before) / (n * d * h * w * f)).toFixed(1),
    estimated_tensor_mib: Math.round(est.tensorBytes / 2 ** 20),
    wasm_heap_mib: a.backend === 'wasm' ? Math.round(tf.backend().wasm.HEAPU8.length / 2 ** 20) : undefined,
  }));
  opt.dispose();
  tf.dispose([x, onehot]);
  dispose();
}
