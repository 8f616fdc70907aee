/** The fused training batch norm (+ ReLU) kernel and its gradient against the same arithmetic in tf ops. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { batchNormTrain, registerFastKernels } from '../../../src/nn/kernels/index.js';
import { BN_KERNEL } from '../../../src/nn/kernels/batchnorm.js';
import { assertClose, nativeSkip, onBackend, random, size } from './helpers.js';

const CASES: { shape: number[]; relu: boolean; bias: boolean }[] = [
  { shape: [2, 5, 6, 7, 8], relu: true, bias: true },
  { shape: [3, 4, 3, 5, 17], relu: false, bias: true },
  { shape: [1, 9, 9, 9, 3], relu: true, bias: false },
  { shape: [4, 2, 2, 2, 64], relu: true, bias: true },
];

/** y, mean, variance and the gradients of sum(y * r) with respect to x, gamma and beta. */
function compute(shape: number[], relu: boolean, withBias: boolean): () => tf.Tensor[] {
  return () => {
    const c = shape[shape.length - 1];
    // An offset mean and a spread of scales, as conv outputs have.
    const x = tf.tensor(random(size(shape), 1).map((v, i) => 3 * v + 0.5 + (i % c) * 0.1), shape);
    const gamma = tf.tensor(random(c, 2).map((v) => 1 + 0.5 * v));
    const beta = tf.tensor(random(c, 3).map((v) => 0.3 * v));
    const bias = withBias ? tf.tensor(random(c, 4)) : undefined;
    const r = tf.tensor(random(size(shape), 5), shape);
    const { y, mean, variance } = batchNormTrain(x, gamma, beta, { bias, relu });
    const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(batchNormTrain(a, g, b, { bias, relu }).y, r)))([x, gamma, beta]);
    return [y, mean, variance, ...grads];
  };
}

const NAMES = ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'];

describe('batchNormTrain', () => {
  test('without the kernel it is plain tf ops (any backend)', async () => {
    const [y] = await onBackend('cpu', 'stock', () => [batchNormTrain(tf.tensor([[1, 10], [3, 30]]), tf.ones([2]), tf.zeros([2])).y]);
    const e0 = 1 / Math.sqrt(1 + 1e-5); // channel 0: mean 2, variance 1
    const e1 = 10 / Math.sqrt(100 + 1e-5); // channel 1: mean 20, variance 100
    assertClose(y, Float32Array.from([-e0, -e1, e0, e1]), 1e-6, 'normalised');
  });

  test('rejects per-channel parameters of the wrong size', () => {
    assert.throws(() => batchNormTrain(tf.zeros([2, 3]), tf.ones([2]), tf.zeros([3])), /3 values/);
  });

  describe('fused kernel', { skip: nativeSkip }, () => {
    test('is registered on wasm and cpu', async () => {
      for (const backend of ['wasm', 'cpu'] as const) {
        await tf.setBackend(backend);
        assert.ok(registerFastKernels(backend).registered.includes(BN_KERNEL));
      }
    });
    for (const { shape, relu, bias } of CASES) {
      test(`${shape.join('x')} relu ${relu} bias ${bias}`, async () => {
        const want = await onBackend('cpu', 'stock', compute(shape, relu, bias));
        for (const backend of ['wasm', 'cpu'] as const) {
          const got = await onBackend(backend, 'fast', compute(shape, relu, bias));
          got.forEach((g, i) => assertClose(g, want[i], 2e-5, `${backend} ${NAMES[i]}`));
        }
      });
    }
    test('keeps only its input for the gradient', async () => {
      await onBackend('wasm', 'fast', () => []);
      const x = tf.randomNormal([2, 8, 8, 8, 16]);
      const g = tf.ones([16]);
      const b = tf.zeros([16]);
      let during = 0;
      const base = tf.memory().numBytes;
      tf.grads((a: tf.Tensor) => {
        const y = batchNormTrain(a, g, b, { relu: true }).y;
        during = tf.memory().numBytes - base;
        return tf.sum(y);
      })([x]).forEach((t) => t.dispose());
      // y plus one saved copy of x (shared memory, counted once per tensor): two full tensors, not ~10
      assert.ok(during <= 2.1 * x.size * 4, `${during} bytes alive after the forward`);
    });
  });
});
