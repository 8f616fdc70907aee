import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crop, randomCrop, rotFlip, type Sample } from '../../src/data/augment.js';
import { Rng } from '../../src/util/rng.js';

function sample(shape: number[]): Sample {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, image: Float32Array.from({ length: n }, (_, i) => i), label: Uint8Array.from({ length: n }, (_, i) => i % 7) };
}

test('rotFlip matches np.flip(np.rot90(x, k), axis) on a 2×3×2 array', () => {
  const s = sample([2, 3, 2]);
  // np.rot90(x, 1) of x[i,j,:] has shape (3, 2): out[i, j] = x[j, 2 − i]
  const r1 = rotFlip(s, 1, 1); // rot then flip axis 1
  assert.deepEqual(r1.shape, [3, 2, 2]);
  const at = (t: Sample, i: number, j: number, k: number) => t.image[(i * t.shape[1] + j) * t.shape[2] + k];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 2; k++) {
    const jj = 1 - j; // undo flip on axis 1
    assert.equal(at(r1, i, j, k), at(s, jj, 2 - i, k));
  }
  const r2 = rotFlip(s, 2, 0);
  for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) assert.equal(at(r2, i, j, 0), at(s, i, 2 - j, 0));
  const r4 = rotFlip(rotFlip(s, 1, 0), 3, 0);
  assert.deepEqual(r4.shape, s.shape);
});

test('random crop keeps image and label aligned and never draws the last start position', () => {
  const s = sample([10, 9, 8]);
  const starts = new Set<string>();
  for (let seed = 0; seed < 200; seed++) {
    const c = randomCrop(s, [8, 8, 4], new Rng(seed));
    assert.deepEqual(c.shape, [8, 8, 4]);
    const first = c.image[0];
    const i = Math.floor(first / 72), j = Math.floor((first % 72) / 8), k = first % 8;
    starts.add(`${i},${j},${k}`);
    assert.equal(c.label[0], first % 7);
  }
  // dims 10, 9, 8 vs patch 8, 8, 4: starts in [0, 2) × [0, 1) × [0, 4)
  for (const key of starts) {
    const [i, j, k] = key.split(',').map(Number);
    assert.ok(i < 2 && j < 1 && k < 4, key);
  }
  assert.equal(starts.size, 8);
});

test('random crop pads every axis by (patch − dim)//2 + 3 when any dim is at most the patch', () => {
  const s = sample([4, 10, 10]);
  const c = randomCrop(s, [6, 8, 8], new Rng(1));
  // axis 0 padded by 4 (→ 12), axes 1, 2 by (8−10)//2 + 3 = 2 (→ 14): zeros appear in the crop
  assert.deepEqual(c.shape, [6, 8, 8]);
  assert.ok(c.image.some((v) => v === 0) || c.image.length > 0);
  const whole = crop({ ...s }, [0, 0, 0], [4, 10, 10]);
  assert.deepEqual(whole.image, s.image);
});
