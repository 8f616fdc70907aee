/**
 * End to end: the gradients of a small V-Net-shaped network (3x3x3 conv, fused batch norm + ReLU, stride-2
 * down conv, transposed up conv, skip add, 1x1x1 head) on the fast wasm and cpu kernels equal those of the
 * stock cpu kernels, with tfjs's per-kernel leak check (IS_TEST) switched on.
 */
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { batchNormTrain } from '../../../src/nn/kernels/index.js';
import { assertClose, nativeSkip, onBackend, random, size } from './helpers.js';

const SHAPES: Record<string, number[]> = {
  w1: [3, 3, 3, 1, 4], b1: [4], g1: [4], be1: [4],
  w2: [2, 2, 2, 4, 8], b2: [8], g2: [8], be2: [8],
  w3: [2, 2, 2, 4, 8], b3: [4],
  w4: [1, 1, 1, 4, 2], b4: [2],
};

function lossAndGrads(): tf.Tensor[] {
  tf.env().set('IS_TEST', true);
  const names = Object.keys(SHAPES);
  const params = names.map((n, i) => tf.tensor(random(size(SHAPES[n]), 100 + i).map((v) => (n.startsWith('g') ? 1 + 0.2 * v : 0.5 * v)), SHAPES[n]));
  const x = tf.tensor5d(random(2 * 8 * 8 * 6, 1), [2, 8, 8, 6, 1]);
  const target = tf.tensor5d(random(2 * 8 * 8 * 6 * 2, 2), [2, 8, 8, 6, 2]);
  const f = (...p: tf.Tensor[]): tf.Scalar => {
    const [w1, b1, g1, be1, w2, b2, g2, be2, w3, b3, w4, b4] = p;
    const h1 = batchNormTrain(tf.conv3d(x, w1 as tf.Tensor5D, 1, 'same'), g1, be1, { bias: b1, relu: true }).y as tf.Tensor5D;
    const h2 = batchNormTrain(tf.conv3d(h1, w2 as tf.Tensor5D, 2, 'valid'), g2, be2, { bias: b2, relu: true }).y as tf.Tensor5D;
    const up = tf.add(tf.conv3dTranspose(h2, w3 as tf.Tensor5D, [2, 8, 8, 6, 4], 2, 'valid'), b3);
    const logits = tf.add(tf.conv3d(tf.relu(tf.add(up, h1)) as tf.Tensor5D, w4 as tf.Tensor5D, 1, 'valid'), b4);
    return tf.mean(tf.square(tf.sub(tf.softmax(logits), target)));
  };
  const { value, grads } = tf.valueAndGrads(f)(params);
  tf.env().set('IS_TEST', false);
  return [value, ...grads];
}

describe('a small V-Net on the fast kernels', { skip: nativeSkip }, () => {
  test('has the stock cpu loss and gradients', async () => {
    const want = await onBackend('cpu', 'stock', lossAndGrads);
    for (const backend of ['wasm', 'cpu'] as const) {
      const got = await onBackend(backend, 'fast', lossAndGrads);
      got.forEach((g, i) => assertClose(g, want[i], 1e-5, `${backend} ${i === 0 ? 'loss' : `d${Object.keys(SHAPES)[i - 1]}`}`));
    }
  });
});
