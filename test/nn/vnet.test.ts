import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/nn/tf.js';
import { VNet } from '../../src/nn/vnet.js';
import { ConvTranspose3d, Conv3d, ParameterStore } from '../../src/nn/module.js';
import { Rng } from '../../src/util/rng.js';

test('V-Net at 16 filters has 9,448,866 parameters (METHODS §2.1)', async () => {
  await tf.setBackend('cpu');
  const net = new VNet('count', 1, { filters: 16 });
  assert.equal(net.parameterCount(), 9_448_866);
  net.dispose();
});

test('V-Net maps [N, D, H, W, 1] to logits [N, D, H, W, 2] and updates BN running stats only in train mode', async () => {
  await tf.setBackend('cpu');
  const net = new VNet('shape', 3, { filters: 2 });
  const x = tf.randomNormal([2, 16, 16, 32, 1], 0, 1, 'float32', 7);
  const mean = net.store.buffers.get('block_1.bn.0.running_mean')!;
  const before = Array.from(await mean.data());
  const { logits } = net.forward(x, { training: false });
  assert.deepEqual(logits.shape, [2, 16, 16, 32, 2]);
  assert.deepEqual(Array.from(await mean.data()), before);
  net.forward(x, { training: true, rng: new Rng(1) });
  assert.notDeepEqual(Array.from(await mean.data()), before);
  net.dispose();
});

test('same seed, same initial weights; different seed, different weights', async () => {
  await tf.setBackend('cpu');
  const a = new VNet('seed-a', 11, { filters: 2 });
  const b = new VNet('seed-a', 11, { filters: 2 });
  const c = new VNet('seed-a', 12, { filters: 2 });
  const key = 'block_3.conv.1.weight';
  const wa = Array.from(await a.store.params.get(key)!.data());
  assert.deepEqual(Array.from(await b.store.params.get(key)!.data()), wa);
  assert.notDeepEqual(Array.from(await c.store.params.get(key)!.data()), wa);
  [a, b, c].forEach((n) => n.dispose());
});

test('patch-wise convolutions equal tfjs conv3d / conv3dTranspose on the cpu backend', async () => {
  await tf.setBackend('cpu');
  const store = new ParameterStore('eq', new Rng(5));
  const down = new Conv3d(store, 'down', 3, 4, 2, 2, 'valid');
  const up = new ConvTranspose3d(store, 'up', 4, 3, 2);
  const x = tf.randomNormal([2, 4, 6, 8, 3], 0, 1, 'float32', 3);
  const ours = down.forward(x);
  const ref = tf.add(tf.conv3d(x as tf.Tensor5D, down.weight as unknown as tf.Tensor5D, 2, 'valid'), down.bias!);
  assert.ok(tf.max(tf.abs(tf.sub(ours, ref))).dataSync()[0] < 1e-5);
  const y = tf.randomNormal([2, 2, 3, 4, 4], 0, 1, 'float32', 4);
  const oursUp = up.forward(y);
  const refUp = tf.add(tf.conv3dTranspose(y as tf.Tensor5D, up.weight as unknown as tf.Tensor5D, [2, 4, 6, 8, 3], 2, 'valid'), up.bias);
  assert.ok(tf.max(tf.abs(tf.sub(oursUp, refUp))).dataSync()[0] < 1e-5);
  store.dispose();
});
