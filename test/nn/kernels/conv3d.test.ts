/**
 * The native Conv3D, Conv3DBackpropInputV2 (= conv3dTranspose) and Conv3DBackpropFilterV2 kernels, on wasm and
 * on cpu, against the stock cpu kernels: random shapes with odd sizes, batch > 1, 1..17 (and 40) channels,
 * strides 1 and 2 (mixed per axis), 'same' and 'valid' padding, plus the V-Net's own layer shapes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { registerFastKernels } from '../../../src/nn/kernels/index.js';
import { assertClose, nativeSkip, onBackend, random, size } from './helpers.js';

type Triple = [number, number, number];
interface Case {
  x: [number, number, number, number, number];
  k: Triple;
  co: number;
  s: Triple;
  pad: 'same' | 'valid';
  dilation?: Triple;
}

/** Deterministic random cases: each spatial size 1..9, kernel 1..3 (never larger than a 'valid' input). */
function randomCases(count: number, seed: number): Case[] {
  const r = random(count * 16, seed);
  const pick = (i: number, lo: number, hi: number): number => lo + Math.floor(((r[i] + 1) / 2) * (hi - lo + 1));
  const cases: Case[] = [];
  for (let c = 0; c < count; c++) {
    const o = c * 16;
    const pad = r[o] < 0 ? 'same' : 'valid';
    const k: Triple = [pick(o + 1, 1, 3), pick(o + 2, 1, 3), pick(o + 3, 1, 3)];
    const dims = [0, 1, 2].map((i) => Math.max(pick(o + 4 + i, 1, 9), pad === 'valid' ? k[i] : 1)) as Triple;
    const s: Triple = [pick(o + 7, 1, 2), pick(o + 8, 1, 2), pick(o + 9, 1, 2)];
    cases.push({ x: [pick(o + 10, 1, 3), ...dims, pick(o + 11, 1, 17)], k, co: pick(o + 12, 1, 17), s, pad });
  }
  return cases;
}

const CASES: Case[] = [
  // V-Net layers: 3x3x3 'same' convs (first layer with one input channel), 2x2x2 stride-2 down convs
  { x: [2, 8, 8, 6, 1], k: [3, 3, 3], co: 8, s: [1, 1, 1], pad: 'same' },
  { x: [2, 8, 8, 6, 8], k: [3, 3, 3], co: 8, s: [1, 1, 1], pad: 'same' },
  { x: [2, 8, 8, 6, 8], k: [2, 2, 2], co: 16, s: [2, 2, 2], pad: 'valid' },
  { x: [1, 4, 4, 2, 16], k: [1, 1, 1], co: 2, s: [1, 1, 1], pad: 'valid' },
  // several filter chunks and output panels (40 channels), work spread over threads
  { x: [2, 6, 5, 7, 40], k: [3, 3, 3], co: 33, s: [1, 1, 1], pad: 'same' },
  { x: [2, 12, 10, 14, 8], k: [3, 3, 3], co: 9, s: [2, 1, 2], pad: 'same' },
  // stride larger than the kernel: some input voxels get no gradient
  { x: [1, 7, 7, 7, 3], k: [1, 1, 1], co: 4, s: [2, 2, 2], pad: 'valid' },
  { x: [1, 5, 6, 7, 3], k: [3, 3, 3], co: 5, s: [1, 1, 1], pad: 'same', dilation: [2, 1, 2] },
  // SSL_BENCH_FUZZ=<count>[:seed] runs more random cases.
  ...randomCases(Number(process.env.SSL_BENCH_FUZZ?.split(':')[0] ?? 24), Number(process.env.SSL_BENCH_FUZZ?.split(':')[1] ?? 2024)),
];

const label = (c: Case): string =>
  `x ${c.x.join('x')} k ${c.k.join('')} co ${c.co} s ${c.s.join('')} ${c.pad}${c.dilation ? ` d ${c.dilation.join('')}` : ''}`;

/** Forward, both backprops of conv3d, and conv3dTranspose with both of its gradients. */
function compute(c: Case): () => tf.Tensor[] {
  return () => {
    const filterShape = [...c.k, c.x[4], c.co] as [number, number, number, number, number];
    const x = tf.tensor5d(random(size(c.x), 1), c.x);
    const w = tf.tensor5d(random(size(filterShape), 2), filterShape);
    const dil = c.dilation ?? 1;
    const y = tf.conv3d(x, w, c.s, c.pad, 'NDHWC', dil);
    const out: tf.Tensor[] = [y];
    if (c.dilation) return out; // tfjs has no gradient for dilated conv3d
    const r = tf.tensor(random(y.size, 3), y.shape);
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, c.s, c.pad), r)))([x, w]);
    // The transposed convolution maps y-shaped tensors back to x's shape with the same filter.
    const u = tf.tensor5d(random(y.size, 4), y.shape as [number, number, number, number, number]);
    const t = tf.conv3dTranspose(u, w, c.x, c.s, c.pad);
    const r2 = tf.tensor(random(t.size, 5), t.shape);
    const [gu, gw2] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv3dTranspose(a as tf.Tensor5D, b as tf.Tensor5D, c.x, c.s, c.pad), r2)))([u, w]);
    return [...out, gx, gw, t, gu, gw2];
  };
}

const NAMES = ['conv3d', 'dx (BackpropInput)', 'dw (BackpropFilter)', 'conv3dTranspose', 'transpose d/dinput', 'transpose d/dfilter'];

describe('fast 3-D convolution kernels', { skip: nativeSkip }, () => {
  test('register on wasm and cpu', async () => {
    for (const backend of ['wasm', 'cpu'] as const) {
      await tf.setBackend(backend);
      const { registered } = registerFastKernels(backend);
      for (const k of [tf.Conv3D, tf.Conv3DBackpropInputV2, tf.Conv3DBackpropFilterV2]) assert.ok(registered.includes(k), `${backend} ${k}`);
    }
  });

  for (const c of CASES) {
    test(label(c), async () => {
      const want = await onBackend('cpu', 'stock', compute(c));
      for (const backend of ['wasm', 'cpu'] as const) {
        const got = await onBackend(backend, 'fast', compute(c));
        got.forEach((g, i) => assertClose(g, want[i], 1e-5, `${backend} ${NAMES[i]}`));
      }
    });
  }
});
