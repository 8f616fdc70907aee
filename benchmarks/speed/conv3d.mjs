#!/usr/bin/env node
// Per-kernel speed of the V-Net's convolutions: Conv3D, Conv3DBackpropInputV2 and Conv3DBackpropFilterV2 at
// each level's shape, stock tfjs kernels vs the fast ones, on wasm and cpu. Median of --reps runs.
//
//   npm run build && node native/build.mjs && node benchmarks/speed/conv3d.mjs [--reps 3] [--stock-max-gflop 1.5]
import { parseArgs } from 'node:util';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: a } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    'stock-max-gflop': { type: 'string', default: '1.5' },
    backends: { type: 'string', default: 'wasm,cpu' },
    modes: { type: 'string', default: 'stock,fast' },
  },
});
const kernels = await import(join(root, 'dist/src/nn/kernels/index.js'));

// [label, x shape, kernel, output channels, stride, padding]: the 64x64x48, batch 4, 8-filter V-Net.
const LAYERS = [
  ['L0 3x3x3 1->8', [4, 64, 64, 48, 1], 3, 8, 1, 'same'],
  ['L0 3x3x3 8->8', [4, 64, 64, 48, 8], 3, 8, 1, 'same'],
  ['L0->1 down 2x2x2 s2', [4, 64, 64, 48, 8], 2, 16, 2, 'valid'],
  ['L1 3x3x3 16->16', [4, 32, 32, 24, 16], 3, 16, 1, 'same'],
  ['L2 3x3x3 32->32', [4, 16, 16, 12, 32], 3, 32, 1, 'same'],
  ['L3 3x3x3 64->64', [4, 8, 8, 6, 64], 3, 64, 1, 'same'],
  ['L4 3x3x3 128->128', [4, 4, 4, 3, 128], 3, 128, 1, 'same'],
];

const median = (xs) => xs.slice().sort((p, q) => p - q)[(xs.length - 1) >> 1];
const time = (f, reps) => {
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    // A block body: tidy scans whatever its callback returns for tensors, and a returned 25 MB typed array
    // takes seconds to scan.
    tf.tidy(() => {
      f().dataSync();
    });
    ts.push(performance.now() - t0);
  }
  return median(ts);
};

console.log('| layer | GFLOP | backend | kernels | Conv3D ms (GFLOP/s) | BackpropInput ms (GFLOP/s) | BackpropFilter ms (GFLOP/s) |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const backend of a.backends.split(',')) {
  await tf.setBackend(backend);
  await tf.ready();
  for (const mode of a.modes.split(',')) {
    if (mode === 'fast') kernels.registerFastKernels(backend);
    else kernels.restoreStockKernels(backend);
    for (const [label, xs, k, co, s, pad] of LAYERS) {
      const x = tf.randomNormal(xs);
      const w = tf.randomNormal([k, k, k, xs[4], co]);
      const y = tf.conv3d(x, w, s, pad);
      const gflop = (2 * y.size * xs[4] * k ** 3) / 1e9;
      if (mode === 'stock' && gflop > Number(a['stock-max-gflop'])) {
        tf.dispose([x, w, y]);
        continue;
      }
      const reps = mode === 'stock' ? 1 : Number(a.reps);
      tf.conv3d(x, w, s, pad).dispose(); // warm-up
      const fwd = time(() => tf.conv3d(x, w, s, pad), reps);
      // The stock wasm Conv3DBackpropInputV2 of tfjs 4.22 gives wrong values and can abort the wasm module
      // ("memory access out of bounds" at the 128-channel layer), so it is not timed.
      const brokenStock = mode === 'stock' && backend === 'wasm';
      const bin = brokenStock ? NaN : time(() => tf.engine().runKernel('Conv3DBackpropInputV2', { dy: y, filter: w }, { strides: s, pad, inputShape: xs }), reps);
      const bfil = time(() => tf.engine().runKernel('Conv3DBackpropFilterV2', { x, dy: y }, { strides: s, pad, filterShape: w.shape }), reps);
      const cell = (ms) => (Number.isNaN(ms) ? 'wrong values (tfjs bug), not timed' : `${ms.toFixed(1)} (${(gflop / (ms / 1000)).toFixed(1)})`);
      console.log(`| ${label} | ${gflop.toFixed(2)} | ${backend} | ${mode} | ${cell(fwd)} | ${cell(bin)} | ${cell(bfil)} |`);
      tf.dispose([x, w, y]);
    }
  }
}
