import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, type Tensor } from '../../src/nn/tf.js';
import { interpolate, upsample2x } from '../../src/nn/upsample.js';

/**
 * Direct (non-separable) evaluation of PyTorch's linear interpolation: every output voxel sums its 2^d
 * corners with weights Π(1−λ or λ), coordinates from the formulas of
 * aten/src/ATen/native/UpSample.h (area_pixel_compute_source_index), written out independently of the code.
 */
function coords(inSize: number, outSize: number, alignCorners: boolean, scaleFactor?: number) {
  return Array.from({ length: outSize }, (_, j) => {
    let src: number;
    if (alignCorners) src = outSize > 1 ? ((inSize - 1) / (outSize - 1)) * j : 0;
    else {
      const scale = scaleFactor ? 1 / scaleFactor : inSize / outSize;
      src = scale * (j + 0.5) - 0.5;
      if (src < 0) src = 0;
    }
    const i0 = Math.floor(src);
    const i1 = i0 < inSize - 1 ? i0 + 1 : i0;
    const l1 = src - i0;
    return { i0, i1, l0: 1 - l1, l1 };
  });
}

interface Ref {
  forward: Float64Array;
  /** Adjoint applied to r: the gradient of Σ out·r with respect to the input. */
  adjoint: Float64Array;
}

function reference(x: Float32Array, shape: number[], outSpatial: number[], r: Float32Array, alignCorners: boolean, scaleFactor?: number): Ref {
  const [n, ...rest] = shape;
  const c = rest[rest.length - 1];
  const inSpatial = rest.slice(0, -1);
  const d = inSpatial.length;
  const axes = inSpatial.map((len, k) => coords(len, outSpatial[k], alignCorners, scaleFactor));
  const inStrides: number[] = new Array(d);
  let s = c;
  for (let k = d - 1; k >= 0; k--) {
    inStrides[k] = s;
    s *= inSpatial[k];
  }
  const inPer = s;
  const outPer = outSpatial.reduce((a, b) => a * b, 1) * c;
  const forward = new Float64Array(n * outPer);
  const adjoint = new Float64Array(x.length);
  const idx = new Array(d).fill(0);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < outPer / c; o++) {
      let rem = o;
      for (let k = d - 1; k >= 0; k--) {
        idx[k] = rem % outSpatial[k];
        rem = Math.floor(rem / outSpatial[k]);
      }
      for (let corner = 0; corner < 1 << d; corner++) {
        let w = 1;
        let off = b * inPer;
        for (let k = 0; k < d; k++) {
          const t = axes[k][idx[k]];
          const hi = (corner >> k) & 1;
          w *= hi ? t.l1 : t.l0;
          off += (hi ? t.i1 : t.i0) * inStrides[k];
        }
        for (let ch = 0; ch < c; ch++) {
          const oi = (b * (outPer / c) + o) * c + ch;
          forward[oi] += w * x[off + ch];
          adjoint[off + ch] += w * r[oi];
        }
      }
    }
  }
  return { forward, adjoint };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function check(shape: number[], outSpatial: number[], alignCorners: boolean, run: (x: Tensor) => Tensor, scaleFactor?: number) {
  const x = tf.randomNormal(shape, 0, 1, 'float32', 17);
  const outShape = [shape[0], ...outSpatial, shape[shape.length - 1]];
  const r = tf.randomNormal(outShape, 0, 1, 'float32', 18);
  const xv = (await x.data()) as Float32Array;
  const rv = (await r.data()) as Float32Array;
  const ref = reference(xv, shape, outSpatial, rv, alignCorners, scaleFactor);
  const y = run(x);
  assert.deepEqual(y.shape, outShape);
  assert.ok(maxDiff(await y.data(), ref.forward) < 1e-5, `forward ${JSON.stringify(shape)} → ${JSON.stringify(outSpatial)} align=${alignCorners}`);
  const g = tf.grad((t: Tensor) => tf.sum(tf.mul(run(t), r)))(x);
  assert.ok(maxDiff(await g.data(), ref.adjoint) < 1e-4, `gradient ${JSON.stringify(shape)} align=${alignCorners}`);
  tf.dispose([x, r, y, g]);
}

test('linear ×2 on a ramp gives the values PyTorch prints for both align_corners settings', async () => {
  await tf.setBackend('cpu');
  const x = tf.tensor([0, 1, 2, 3], [1, 1, 4, 1]);
  const onFalse = Array.from(await upsample2x(x, false).data());
  assert.deepEqual(onFalse.filter((_, i) => i < 8), [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3]);
  const onTrue = Array.from(await upsample2x(x, true).data()).slice(0, 8);
  const expected = [0, 3 / 7, 6 / 7, 9 / 7, 12 / 7, 15 / 7, 18 / 7, 3];
  assert.ok(maxDiff(onTrue, expected) < 1e-6);
  // The H axis of size 1 is doubled by copying, as PyTorch does.
  assert.deepEqual(Array.from(await upsample2x(x, true).data()).slice(8), onTrue);
});

test('bilinear ×2 equals the direct PyTorch formula, forward and gradient, both align_corners', async () => {
  await tf.setBackend('cpu');
  for (const align of [true, false]) {
    await check([2, 5, 4, 3], [10, 8], align, (t) => upsample2x(t, align));
    await check([1, 1, 3, 2], [2, 6], align, (t) => upsample2x(t, align));
  }
});

test('trilinear ×2 equals the direct PyTorch formula, forward and gradient, both align_corners', async () => {
  await tf.setBackend('cpu');
  for (const align of [true, false]) await check([2, 3, 4, 5, 2], [6, 8, 10], align, (t) => upsample2x(t, align));
});

test('arbitrary sizes and scale factors follow PyTorch (sizes, non-integer scale with align_corners=False)', async () => {
  await tf.setBackend('cpu');
  await check([1, 3, 5, 2], [7, 4], true, (t) => interpolate(t, { size: [7, 4], alignCorners: true }));
  await check([1, 3, 5, 2], [7, 4], false, (t) => interpolate(t, { size: [7, 4], alignCorners: false }));
  await check([1, 2, 3, 4, 1], [6, 9, 12], true, (t) => interpolate(t, { scale: 3, alignCorners: true }));
  // PyTorch uses 1/scale_factor (not in/out) for the source index when a scale factor is given.
  await check([1, 4, 3, 1], [6, 4], false, (t) => interpolate(t, { scale: 1.5, alignCorners: false }), 1.5);
});

test('the wasm backend gives the same values and gradients', async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  const ok = await tf.setBackend('wasm');
  assert.ok(ok, 'wasm backend initialises');
  try {
    for (const align of [true, false]) await check([1, 3, 4, 5, 2], [6, 8, 10], align, (t) => upsample2x(t, align));
  } finally {
    await tf.setBackend('cpu');
  }
});
