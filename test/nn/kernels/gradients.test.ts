/** The gradient registered for Conv3DBackpropInputV2 (tf.conv3dTranspose), checked by finite differences. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { registerConv3dTransposeGradient } from '../../../src/nn/kernels/gradients.js';
import { random } from './helpers.js';

test('conv3dTranspose gradients match central differences', async () => {
  registerConv3dTransposeGradient();
  await tf.setBackend('cpu');
  const outShape: [number, number, number, number, number] = [2, 5, 6, 4, 3];
  const cases: [number | [number, number, number], 'same' | 'valid'][] = [[2, 'same'], [1, 'valid'], [[2, 1, 2], 'same']];
  for (const [stride, pad] of cases) {
    const inShape = tf.conv3d(tf.zeros(outShape) as tf.Tensor5D, tf.zeros([3, 2, 2, 3, 4]) as tf.Tensor5D, stride, pad).shape;
    const x0 = random(inShape.reduce((a, b) => a * b, 1), 1);
    const w0 = random(3 * 2 * 2 * 3 * 4, 2);
    const r = tf.tensor(random(outShape.reduce((a, b) => a * b, 1), 3), outShape);
    // float64 sums on the cpu backend: differences of 1e-2 are exact to ~1e-5 for this linear function
    const f = (x: tf.Tensor, w: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.conv3dTranspose(x as tf.Tensor5D, w as tf.Tensor5D, outShape, stride, pad), r));
    const [gx, gw] = tf.grads(f)([tf.tensor(x0, inShape), tf.tensor(w0, [3, 2, 2, 3, 4])]);
    const check = (grad: Float32Array, base: Float32Array, at: (v: Float32Array) => number, what: string): void => {
      for (const i of [0, 7, Math.floor(base.length / 2), base.length - 1]) {
        const plus = base.slice();
        const minus = base.slice();
        plus[i] += 0.01;
        minus[i] -= 0.01;
        const numeric = (at(plus) - at(minus)) / 0.02;
        assert.ok(Math.abs(numeric - grad[i]) < 1e-3 * Math.max(1, Math.abs(numeric)), `${what}[${i}] ${grad[i]} vs ${numeric} (stride ${stride}, ${pad})`);
      }
    };
    check(gx.dataSync() as Float32Array, x0, (v) => f(tf.tensor(v, inShape), tf.tensor(w0, [3, 2, 2, 3, 4])).dataSync()[0], 'dx');
    check(gw.dataSync() as Float32Array, w0, (v) => f(tf.tensor(x0, inShape), tf.tensor(v, [3, 2, 2, 3, 4])).dataSync()[0], 'dw');
  }
});

test('registering twice keeps the first registration', () => {
  registerConv3dTransposeGradient();
  const first = tf.getGradient(tf.Conv3DBackpropInputV2);
  assert.equal(registerConv3dTransposeGradient(), false);
  assert.equal(tf.getGradient(tf.Conv3DBackpropInputV2), first);
});
