import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateLaLikeCase, SyntheticSource } from '../../src/data/synthetic.js';
import { getDataset, resolveSplit } from '../../src/data/catalog.js';

test('synthetic cases are deterministic from (seed, index) and differ between cases', () => {
  const a = generateLaLikeCase(1337, 3, [40, 40, 32]);
  const b = generateLaLikeCase(1337, 3, [40, 40, 32]);
  const c = generateLaLikeCase(1337, 4, [40, 40, 32]);
  assert.deepEqual(a.image, b.image);
  assert.deepEqual(a.label, b.label);
  assert.notDeepEqual(a.label, c.label);
});

test('synthetic foreground is LA-like: one sizeable blob, 3–25 % of the volume, not separable by intensity alone', async () => {
  const entry = getDataset('synthetic');
  const source = new SyntheticSource(entry);
  const vol = await source.load(entry.splits.train[0]);
  assert.deepEqual(vol.shape, entry.generator!.shape);
  const n = vol.image.length;
  let fg = 0;
  for (const v of vol.label!) fg += v;
  assert.ok(fg / n > 0.03 && fg / n < 0.25, `foreground fraction ${fg / n}`);
  // z-scored image
  const mean = vol.image.reduce((s, v) => s + v, 0) / n;
  assert.ok(Math.abs(mean) < 1e-3);
  // The best single intensity threshold must leave real errors: look-alike structures, bias field, noise.
  const order = Array.from(vol.image.keys()).sort((i, j) => vol.image[j] - vol.image[i]);
  let tp = 0;
  let best = 0;
  for (let k = 0; k < n; k++) {
    tp += vol.label![order[k]];
    best = Math.max(best, (2 * tp) / (k + 1 + fg));
  }
  assert.ok(best < 0.9, `a global threshold reaches Dice ${best}`);
});

test('synthetic protocols are shaped like LA: 40 train / 10 test, 8+32 and 4+36, aliases', () => {
  const entry = getDataset('synthetic');
  const s = resolveSplit(entry, '8+32');
  assert.equal(s.labeled.length, 8);
  assert.equal(s.unlabeled.length, 32);
  assert.equal(s.test.length, 10);
  assert.deepEqual(s.labeled, entry.splits.train.slice(0, 8));
  assert.equal(resolveSplit(entry, '10%').protocol, '4+36');
  assert.throws(() => resolveSplit(entry, '3+3'), /unknown protocol '3\+3'.*known: 8\+32/);
});
