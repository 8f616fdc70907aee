import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/nn/tf.js';
import { ConvTranspose3d, ParameterStore } from '../../src/nn/module.js';
import { Conv2d, PaddedConv3d, concatChannels, dropout, instanceNorm, kaimingTranspose, maxPool2x, padSpatial } from '../../src/nn/layers-extra.js';
import { Rng } from '../../src/util/rng.js';

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** PyTorch Conv3d semantics, written out: zero padding p on both sides of every spatial axis, stride s. */
function torchConv3d(x: Float32Array, xs: number[], w: Float32Array, k: number, cout: number, s: number, p: number) {
  const [n, d, h, wd, cin] = xs;
  const o = (len: number) => Math.floor((len + 2 * p - k) / s) + 1;
  const [od, oh, ow] = [o(d), o(h), o(wd)];
  const out = new Float64Array(n * od * oh * ow * cout);
  for (let b = 0; b < n; b++)
    for (let z = 0; z < od; z++)
      for (let y = 0; y < oh; y++)
        for (let xx = 0; xx < ow; xx++)
          for (let co = 0; co < cout; co++) {
            let acc = 0;
            for (let kz = 0; kz < k; kz++)
              for (let ky = 0; ky < k; ky++)
                for (let kx = 0; kx < k; kx++) {
                  const iz = z * s - p + kz;
                  const iy = y * s - p + ky;
                  const ix = xx * s - p + kx;
                  if (iz < 0 || iy < 0 || ix < 0 || iz >= d || iy >= h || ix >= wd) continue;
                  for (let ci = 0; ci < cin; ci++) acc += x[(((b * d + iz) * h + iy) * wd + ix) * cin + ci] * w[(((kz * k + ky) * k + kx) * cin + ci) * cout + co];
                }
            out[(((b * od + z) * oh + y) * ow + xx) * cout + co] = acc;
          }
  return { out, shape: [n, od, oh, ow, cout] };
}

test('stride-2 3×3×3 conv pads like PyTorch (1 on both sides), not like TF "same"', async () => {
  await tf.setBackend('cpu');
  const store = new ParameterStore('pad', new Rng(3));
  const conv = new PaddedConv3d(store, 'c', 2, 3, 3, 2, 1, { bias: false });
  for (const shape of [
    [1, 6, 4, 8, 2],
    [2, 5, 7, 4, 2],
  ]) {
    const x = tf.randomNormal(shape, 0, 1, 'float32', 9);
    const y = conv.forward(x);
    const ref = torchConv3d((await x.data()) as Float32Array, shape, (await conv.weight.data()) as Float32Array, 3, 3, 2, 1);
    assert.deepEqual(y.shape, ref.shape);
    assert.ok(maxDiff(await y.data(), ref.out) < 1e-5);
    if (shape[1] % 2 === 0) {
      // Even sizes halve exactly; TF's 'same' would give the same shape but shifted sampling.
      assert.deepEqual(y.shape.slice(1, 4), shape.slice(1, 4).map((v) => v / 2));
      const same = tf.conv3d(x as tf.Tensor5D, conv.weight as unknown as tf.Tensor5D, 2, 'same');
      assert.ok(maxDiff(await same.data(), ref.out) > 1e-2);
    }
  }
  assert.equal(PaddedConv3d.outputSize(112, 3, 2, 1), 56);
  assert.equal(PaddedConv3d.outputSize(7, 3, 2, 1), 4);
  store.dispose();
});

test('stride-1 padded convs (7³ pad 3, 3³ pad 1) match PyTorch too', async () => {
  await tf.setBackend('cpu');
  const store = new ParameterStore('pad1', new Rng(4));
  const c7 = new PaddedConv3d(store, 'c7', 1, 2, 7, 1, 3, { bias: false });
  const shape = [1, 4, 5, 6, 1];
  const x = tf.randomNormal(shape, 0, 1, 'float32', 2);
  const ref = torchConv3d((await x.data()) as Float32Array, shape, (await c7.weight.data()) as Float32Array, 7, 2, 1, 3);
  assert.ok(maxDiff(await c7.forward(x).data(), ref.out) < 1e-5);
  store.dispose();
});

test('Conv2d: default init bounds, 1×1 fast path = tf.conv2d, 3×3 pad 1 keeps the size', async () => {
  await tf.setBackend('cpu');
  const store = new ParameterStore('c2', new Rng(5));
  const c1 = new Conv2d(store, 'one', 8, 4, 1, 0);
  const c3 = new Conv2d(store, 'three', 8, 4, 3, 1);
  const bound = 1 / Math.sqrt(8 * 9);
  const w3 = await c3.weight.data();
  assert.ok(Math.max(...Array.from(w3, Math.abs)) <= bound && Math.max(...Array.from(w3, Math.abs)) > 0.8 * bound);
  const x = tf.randomNormal([2, 6, 5, 8], 0, 1, 'float32', 1);
  const ref = tf.add(tf.conv2d(x as tf.Tensor4D, c1.weight as unknown as tf.Tensor4D, 1, 'valid'), c1.bias!);
  assert.ok(maxDiff(await c1.forward(x).data(), await ref.data()) < 1e-5);
  assert.deepEqual(c3.forward(x).shape, [2, 6, 5, 4]);
  store.dispose();
});

test('instanceNorm normalises each sample and channel over space with the biased variance', async () => {
  await tf.setBackend('cpu');
  const shape = [2, 3, 4, 5, 3];
  const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 6), tf.tensor([1, 5, 0.1])), tf.tensor([0, -3, 7]));
  const y = instanceNorm(x);
  const xv = await x.data();
  const yv = await y.data();
  const per = 3 * 4 * 5;
  for (let b = 0; b < 2; b++)
    for (let c = 0; c < 3; c++) {
      let m = 0;
      let v = 0;
      for (let i = 0; i < per; i++) m += xv[(b * per + i) * 3 + c];
      m /= per;
      for (let i = 0; i < per; i++) v += (xv[(b * per + i) * 3 + c] - m) ** 2;
      v /= per;
      for (let i = 0; i < per; i++) {
        const j = (b * per + i) * 3 + c;
        assert.ok(Math.abs(yv[j] - (xv[j] - m) / Math.sqrt(v + 1e-5)) < 1e-4);
      }
    }
});

test('maxPool2x: 2×2(×2) windows, floor mode on odd sizes, 2-D and 3-D; gradient to the first maximum', async () => {
  await tf.setBackend('cpu');
  const x2 = tf.tensor(Array.from({ length: 30 }, (_, i) => (i * 7) % 11), [1, 5, 6, 1]);
  const y2 = maxPool2x(x2);
  assert.deepEqual(y2.shape, [1, 2, 3, 1]);
  const v = await x2.data();
  const at = (r: number, c: number) => v[r * 6 + c];
  const expected: number[] = [];
  for (let r = 0; r < 2; r++) for (let c = 0; c < 3; c++) expected.push(Math.max(at(2 * r, 2 * c), at(2 * r, 2 * c + 1), at(2 * r + 1, 2 * c), at(2 * r + 1, 2 * c + 1)));
  assert.deepEqual(Array.from(await y2.data()), expected);
  const x3 = tf.randomNormal([2, 4, 5, 6, 3], 0, 1, 'float32', 8);
  const y3 = maxPool2x(x3);
  assert.deepEqual(y3.shape, [2, 2, 2, 3, 3]);
  const ref = tf.max(tf.reshape(tf.slice(x3, [0, 0, 0, 0, 0], [2, 4, 4, 6, 3]), [2, 2, 2, 2, 2, 3, 2, 3]), [2, 4, 6]);
  assert.equal(maxDiff(await y3.data(), await ref.data()), 0);
  // Distinct values: the gradient equals tfjs's own max-pool gradient.
  const r = tf.randomNormal(y3.shape, 0, 1, 'float32', 9);
  const ours = tf.grad((t) => tf.sum(tf.mul(maxPool2x(t), r)))(x3);
  const theirs = tf.grad((t) => tf.sum(tf.mul(tf.maxPool3d(t as tf.Tensor5D, 2, 2, 'valid'), r)))(x3);
  assert.ok(maxDiff(await ours.data(), await theirs.data()) < 1e-6);
  // Ties: one window of equal values sends its whole gradient to the first element, as PyTorch does.
  const tie = tf.grad((t) => tf.sum(maxPool2x(t)))(tf.ones([1, 2, 2, 1]));
  assert.deepEqual(Array.from(await tie.data()), [1, 0, 0, 0]);
});

test('padSpatial and concatChannels equal tf.pad / tf.concat, gradients included', async () => {
  await tf.setBackend('cpu');
  const x = tf.randomNormal([2, 3, 4, 5, 2], 0, 1, 'float32', 10);
  const padded = padSpatial(x, 1);
  const refPad = tf.pad(x, [[0, 0], [1, 1], [1, 1], [1, 1], [0, 0]]);
  assert.deepEqual(padded.shape, refPad.shape);
  assert.equal(maxDiff(await padded.data(), await refPad.data()), 0);
  const rp = tf.randomNormal(refPad.shape, 0, 1, 'float32', 11);
  const gp = tf.grad((t) => tf.sum(tf.mul(padSpatial(t, 1), rp)))(x);
  const gpRef = tf.grad((t) => tf.sum(tf.mul(tf.pad(t, [[0, 0], [1, 1], [1, 1], [1, 1], [0, 0]]), rp)))(x);
  assert.equal(maxDiff(await gp.data(), await gpRef.data()), 0);

  const y = tf.randomNormal([2, 3, 4, 5, 3], 0, 1, 'float32', 12);
  const cat = concatChannels([x, y]);
  assert.equal(maxDiff(await cat.data(), await tf.concat([x, y], -1).data()), 0);
  const rc = tf.randomNormal(cat.shape, 0, 1, 'float32', 13);
  const [gx, gy] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(concatChannels([a, b]), rc)))([x, y]);
  const [rx, ry] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.concat([a, b], -1), rc)))([x, y]);
  assert.equal(maxDiff(await gx.data(), await rx.data()), 0);
  assert.equal(maxDiff(await gy.data(), await ry.data()), 0);
});

test('element-wise dropout: masks from ctx.rng (same seed, same mask), rate p, survivors × 1/(1−p), off in eval', async () => {
  await tf.setBackend('cpu');
  const x = tf.ones([2, 8, 8, 8, 4]);
  const a = await dropout(x, 0.3, { training: true, rng: new Rng(42) }).data();
  const b = await dropout(x, 0.3, { training: true, rng: new Rng(42) }).data();
  const c = await dropout(x, 0.3, { training: true, rng: new Rng(43) }).data();
  assert.deepEqual(Array.from(a), Array.from(b));
  assert.notDeepEqual(Array.from(a), Array.from(c));
  const zeros = Array.from(a).filter((v) => v === 0).length;
  assert.ok(Math.abs(zeros / a.length - 0.3) < 0.03, `zero fraction ${zeros / a.length}`);
  assert.ok(Array.from(a).every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6));
  // Element-wise, not channel-wise: one channel of one sample has both dropped and kept values.
  const ch0 = Array.from(a).filter((_, i) => i % 4 === 0 && i < 512 * 4);
  assert.ok(ch0.includes(0) && ch0.some((v) => v > 0));
  assert.equal(dropout(x, 0.3, { training: false }), x);
  assert.throws(() => dropout(x, 0.3, { training: true }), /ctx\.rng/);
});

test('kaimingTranspose draws N(0, 2/(Cout·k³)) — PyTorch takes a transposed conv’s fan_in from weight dim 1', async () => {
  await tf.setBackend('cpu');
  const store = new ParameterStore('kt', new Rng(7));
  const up = new ConvTranspose3d(store, 'up', 256, 32, 2);
  kaimingTranspose(store, up);
  const w = await up.weight.data();
  let s = 0;
  for (const v of w) s += v * v;
  const std = Math.sqrt(s / w.length);
  assert.ok(Math.abs(std / Math.sqrt(2 / (32 * 8)) - 1) < 0.02, `std ${std}`);
  store.dispose();
});

