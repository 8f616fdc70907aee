/**
 * The JS conv3d gradient kernels that replace the stock wasm ones (wrong in tfjs 4.22) when the native
 * kernels are off: right values directly and through registerFastKernels in a process with
 * SSL_BENCH_FAST_KERNELS=0.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { conv3dInfo, convGeometry } from '../../../src/nn/kernels/geometry.js';
import { conv3dBackpropFilterJs, conv3dBackpropInputJs } from '../../../src/nn/kernels/reference.js';
import { assertClose, onBackend, random, size } from './helpers.js';

type Shape5 = [number, number, number, number, number];

const CASES: { dx: number[]; w: number[]; s: number | [number, number, number]; pad: 'same' | 'valid' }[] = [
  { dx: [2, 5, 6, 7, 3], w: [3, 3, 3, 3, 4], s: 1, pad: 'same' },
  { dx: [1, 8, 6, 4, 5], w: [2, 2, 2, 5, 6], s: 2, pad: 'valid' },
  { dx: [2, 7, 5, 8, 2], w: [3, 1, 2, 2, 3], s: [2, 1, 2], pad: 'same' },
  { dx: [1, 6, 6, 6, 2], w: [1, 1, 1, 2, 2], s: 2, pad: 'same' }, // negative 'same' padding
];

test('the input gradient matches the stock cpu kernel', async () => {
  for (const c of CASES) {
    const info = conv3dInfo(c.dx, c.w, c.s, 1, c.pad);
    const dy = random(size(info.outShape), 1);
    const w = random(size(c.w), 2);
    const [want] = await onBackend('cpu', 'stock', () => [
      tf.conv3dTranspose(tf.tensor5d(dy, info.outShape), tf.tensor5d(w, c.w as Shape5), c.dx as Shape5, c.s, c.pad),
    ]);
    const got = new Float32Array(size(c.dx));
    conv3dBackpropInputJs(dy, w, got, convGeometry(info));
    assertClose(got, want, 1e-6, `dx ${c.dx.join('x')} s ${c.s} ${c.pad}`);
  }
});

test('the filter gradient matches the stock cpu kernel', async () => {
  for (const c of CASES) {
    const info = conv3dInfo(c.dx, c.w, c.s, 1, c.pad);
    const x = random(size(c.dx), 3);
    const dy = random(size(info.outShape), 4);
    const [want] = await onBackend('cpu', 'stock', () => [
      tf.engine().runKernel(tf.Conv3DBackpropFilterV2, { x: tf.tensor5d(x, c.dx as Shape5), dy: tf.tensor5d(dy, info.outShape) }, { strides: c.s, pad: c.pad, filterShape: c.w }) as tf.Tensor,
    ]);
    const got = new Float32Array(size(c.w));
    conv3dBackpropFilterJs(x, dy, got, convGeometry(info));
    assertClose(got, want, 1e-6, `dw ${c.w.join('x')} s ${c.s} ${c.pad}`);
  }
});

test('they are what wasm runs with SSL_BENCH_FAST_KERNELS=0', () => {
  const index = fileURLToPath(new URL('../../../src/nn/kernels/index.js', import.meta.url));
  const script = `
    const tf = await import('@tensorflow/tfjs');
    await import('@tensorflow/tfjs-backend-wasm');
    const k = await import(${JSON.stringify(index)});
    // the stride-2 input and filter gradients of a conv3d, both wrong with the stock wasm kernels
    const run = () => {
      const x = tf.sin(tf.range(0, 2 * 4 * 4 * 4 * 3)).reshape([2, 4, 4, 4, 3]);
      const w = tf.cos(tf.range(0, 2 * 2 * 2 * 3 * 5)).reshape([2, 2, 2, 3, 5]);
      const [gx, gw] = tf.grads((a, b) => tf.sum(tf.mul(tf.conv3d(a, b, 2, 'valid'), tf.range(1, 81).reshape([2, 2, 2, 2, 5]))))([x, w]);
      return [...gx.dataSync(), ...gw.dataSync()];
    };
    k.registerFastKernels('cpu');
    await tf.setBackend('cpu');
    const want = run();
    await tf.setBackend('wasm');
    const report = k.registerFastKernels('wasm');
    const got = run();
    console.log(JSON.stringify({ registered: report.registered, err: Math.max(...want.map((v, i) => Math.abs(v - got[i]) / Math.max(1, Math.abs(v)))) }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, SSL_BENCH_FAST_KERNELS: '0' } });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.ok(out.registered.includes('reference:Conv3DBackpropInputV2'), JSON.stringify(out.registered));
  assert.ok(out.registered.includes('reference:Conv3DBackpropFilterV2'), JSON.stringify(out.registered));
  assert.ok(out.err < 1e-4, `max error ${out.err}`);
});
