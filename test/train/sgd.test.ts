import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/nn/tf.js';
import { Sgd } from '../../src/train/sgd.js';

test('SGD follows torch.optim.SGD: coupled decay, v = g at the first step, then v = μv + g', async () => {
  await tf.setBackend('cpu');
  const w = tf.variable(tf.tensor1d([1, -2]), true, 'sgd-test-w');
  const unused = tf.variable(tf.tensor1d([5]), true, 'sgd-test-unused');
  const opt = new Sgd(new Map([['w', w], ['unused', unused]]), { momentum: 0.9, weightDecay: 0.1 });
  // step 1: g = [0.5, 0.5] + 0.1·w = [0.6, 0.3]; v = g; w = w − 0.1·v
  opt.step({ [w.name]: tf.tensor1d([0.5, 0.5]) }, 0.1);
  let got = Array.from(await w.data());
  assert.ok(Math.abs(got[0] - (1 - 0.06)) < 1e-6 && Math.abs(got[1] - (-2 - 0.03)) < 1e-6, `after step 1: ${got}`);
  // step 2: g = [0.5, 0.5] + 0.1·w; v = 0.9·v + g
  const w1 = [0.94, -2.03];
  const v1 = [0.6, 0.3];
  const g2 = [0.5 + 0.1 * w1[0], 0.5 + 0.1 * w1[1]];
  const v2 = [0.9 * v1[0] + g2[0], 0.9 * v1[1] + g2[1]];
  opt.step({ [w.name]: tf.tensor1d([0.5, 0.5]) }, 0.1);
  got = Array.from(await w.data());
  assert.ok(Math.abs(got[0] - (w1[0] - 0.1 * v2[0])) < 1e-6 && Math.abs(got[1] - (w1[1] - 0.1 * v2[1])) < 1e-6, `after step 2: ${got}`);
  // a parameter without gradient is neither decayed nor moved
  assert.deepEqual(Array.from(await unused.data()), [5]);
  assert.equal(opt.velocity.has('unused'), false);
  opt.dispose();
  w.dispose();
  unused.dispose();
});
