import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Checker, formatPath } from '../../src/selftest/compare.js';
import { learningRate } from '../../src/train/schedules.js';
import { laRecipe } from '../../src/selftest/adapter.js';
import { readFixture } from './helpers.js';

const f32 = { rel: 1e-5, abs: 1e-6 };

test('floats pass within abs + rel·|exp| and fail just outside; NaN matches only NaN', () => {
  const c = new Checker({ a: 2, b: 2, z: 0, n: NaN, m: NaN, inf: Infinity }, f32);
  c.number(['a'], 2 + 0.99 * (1e-6 + 2e-5));
  c.number(['b'], 2 + 1.01 * (1e-6 + 2e-5));
  c.number(['z'], 9e-7);
  c.number(['n'], NaN);
  c.number(['m'], 0);
  c.number(['inf'], Infinity);
  const s = c.summary();
  assert.equal(s.compared, 6);
  assert.equal(s.failureCount, 2);
  assert.match(s.failures[0], /^b: got 2\.0000212\d+, expected 2 \(\|diff\| 2\.12e-5 > 2\.10e-5/);
  assert.match(s.failures[1], /^m: got 0, expected NaN/);
  assert.ok(Math.abs(s.maxRelError! - 1.01 * 2.1e-5 / 2) < 1e-12, 'relative error only over exp ≠ 0');
});

test('integer and bool tensors must match exactly; float tensors element-wise; shapes exactly', () => {
  const c = new Checker(
    {
      labels: { shape: [2, 2], dtype: 'int64', data: [0, 1, 1, 0] },
      mask: { shape: [3], dtype: 'bool', data: [1, 0, 1] },
      probs: { shape: [2], dtype: 'float32', data: [0.5, 0.25] },
      sdf: { shape: [2], dtype: 'float64', data: [0.5, NaN] },
    },
    f32,
  );
  c.tensor(['labels'], { shape: [2, 2], data: [0, 1, 1, 0] });
  c.tensor(['mask'], { shape: [3], data: [1, 1, 1] });
  c.tensor(['probs'], { shape: [1, 2], data: [0.5, 0.25] });
  c.tensor(['sdf'], { shape: [2], data: [0.5 + 1e-10, NaN] });
  const s = c.summary();
  assert.deepEqual(s.failures, [
    'mask: 1 of 3 bool elements differ; first at [1]: got 1, expected 0',
    'probs: shape [1,2], expected [2]',
    'sdf: 1 of 2 elements differ; first at [0]: got 0.5000000001, expected 0.5 (|diff| 1.00e-10 > 5.01e-13 = abs 1e-15 + rel 1e-12·|exp|)',
  ]);
});

test('learning rates are float64: compared at 1e-12 relative, so 1e-11 off fails and 1e-13 off passes', () => {
  const exp = 0.01 * 0.1 ** 2; // 0.00010000000000000002, the UA-MT family's third lr
  const c = new Checker({ lr: [exp, exp, null] }, { rel: 1e-12, abs: 1e-18 });
  c.numbers(['lr'], [exp * (1 + 1e-13), exp * (1 + 1e-11), null]);
  const s = c.summary();
  assert.equal(s.failureCount, 1);
  assert.match(s.failures[0], /^lr\[1\]: /);
  // 1e-4 is a different double from 0.01·0.1² and is 1.7e-16 relative away: equal at 1e-12.
  const d = new Checker({ lr: exp }, { rel: 1e-12, abs: 1e-18 });
  d.number(['lr'], 1e-4, 'f64');
  assert.equal(d.summary().failureCount, 0);
});

test("MCF's recipe schedule gives the official lr of every queried update exactly, not only at 1e-12", () => {
  // The selftest compares lrs at 1e-12; the cumulative schedule multiplies the running value as the
  // script does, so it is exact: 0.01·0.1·0.1 is the double nearest 1e-4, unlike 0.01·0.1².
  const v = readFixture('common__lr_schedules');
  const row = v.expected['MCF LA (both networks)'];
  const { lrSchedule } = laRecipe('mcf');
  v.inputs.query_updates.forEach((u: number, i: number) => {
    const exp = row.lr_used[i];
    if (exp === null) return assert.ok(u >= row.n_updates);
    assert.equal(learningRate(v.params.base_lr, lrSchedule, u), exp, `update ${u}`);
  });
  assert.equal(learningRate(0.01, lrSchedule, 5001), 0.0001);
});

test('a value taken as an input is covered and noted once per reason; a draw the port cannot make is a not-implemented part', () => {
  const c = new Checker({ a: [3, 4], b: [[0, 38, 7]], c: 5 }, f32);
  assert.deepEqual(c.takeAsInput(['a', 0], 'given'), 3);
  c.takeAsInput(['a', 1], 'given');
  assert.equal(c.takeNotImplemented(['b', 0, 2], 'numpy stream'), 7);
  c.exact(['b', 0, 0], 0);
  c.exact(['b', 0, 1], 38);
  c.note('n');
  c.note('n');
  const s = c.summary();
  assert.deepEqual(s.notes, ['a[0], a[1] used as inputs, not checked: given', 'n']);
  assert.deepEqual(s.notImplemented, [{ path: 'b[0][2]', reason: 'numpy stream' }]);
  assert.deepEqual(s.unchecked, ['c']);
  assert.equal(s.compared, 2);
  assert.throws(() => c.takeNotImplemented(['d'], 'x'), /expected d is missing/);
});

test('paths name script entries readably; structure queries never expose numbers', () => {
  assert.equal(formatPath(['UA-MT (LA)', 'weights', 3]), '"UA-MT (LA)".weights[3]');
  assert.equal(formatPath(['per_iteration', 2, 'mask']), 'per_iteration[2].mask');
  const c = new Checker({ s: { 'A (x)': { w: [1, 2] } } }, f32);
  assert.deepEqual(c.keys(['s']), ['A (x)']);
  assert.equal(c.length(['s', 'A (x)', 'w']), 2);
  assert.equal(c.has(['s', 'B']), false);
  c.number(['s', 'B'], 1);
  assert.match(c.summary().failures[0], /^s\.B: missing from expected/);
});
