/**
 * Broadcasting binary ops, unary ops, Sum/Mean and the copy-free Identity/Cast against the stock cpu kernels,
 * plus the pure planning functions behind them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { planBroadcast } from '../../../src/nn/kernels/elementwise.js';
import { planReduction } from '../../../src/nn/kernels/reduce.js';
import { assertClose, nativeSkip, onBackend, random, size } from './helpers.js';

describe('planBroadcast', () => {
  test('collapses a per-channel operand to [1, rows, channels]', () => {
    const p = planBroadcast([4, 6, 6, 5, 8], [8])!;
    assert.deepEqual(p.outShape, [4, 6, 6, 5, 8]);
    assert.deepEqual([...p.dims], [1, 720, 8]);
    assert.deepEqual([...p.aStrides], [0, 8, 1]);
    assert.deepEqual([...p.bStrides], [0, 0, 1]);
  });
  test('keeps the batch axis of a Dropout3d mask', () => {
    const p = planBroadcast([2, 1, 1, 1, 8], [2, 3, 4, 5, 8])!;
    assert.deepEqual([...p.dims], [2, 60, 8]);
    assert.deepEqual([...p.aStrides], [8, 0, 1]);
    assert.deepEqual([...p.bStrides], [480, 8, 1]);
  });
  test('scalars and equal shapes are one flat axis', () => {
    assert.deepEqual([...planBroadcast([3, 4], [])!.dims], [1, 1, 12]);
    assert.deepEqual([...planBroadcast([3, 4], [])!.bStrides], [0, 0, 0]);
    assert.deepEqual([...planBroadcast([3, 4], [3, 4])!.aStrides], [0, 0, 1]);
  });
  test('gives up beyond three collapsed axes', () => {
    assert.equal(planBroadcast([2, 3, 4, 5], [2, 1, 4, 1]), null);
  });
});

describe('planReduction', () => {
  test('leading, middle and trailing blocks', () => {
    assert.deepEqual(planReduction([4, 5, 6, 7, 8], [0, 1, 2, 3], false), { outer: 1, rows: 840, inner: 8, outShape: [8] });
    assert.deepEqual(planReduction([4, 5, 6, 7, 8], [1, 2, 3], true), { outer: 4, rows: 210, inner: 8, outShape: [4, 1, 1, 1, 8] });
    assert.deepEqual(planReduction([4, 5], [-1], false), { outer: 4, rows: 5, inner: 1, outShape: [4] });
    assert.deepEqual(planReduction([4, 5], undefined, false), { outer: 1, rows: 20, inner: 1, outShape: [] });
  });
  test('non-contiguous axes are left to the stock kernel', () => {
    assert.equal(planReduction([4, 5, 6], [0, 2], false), null);
  });
});

const BINARY: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
  ['add', tf.add],
  ['sub', tf.sub],
  ['mul', tf.mul],
  ['div', tf.div],
  ['squaredDifference', tf.squaredDifference],
];
const SHAPES: [number[], number[]][] = [
  [[3, 5, 4, 7, 9], [3, 5, 4, 7, 9]],
  [[3, 5, 4, 7, 9], [9]],
  [[1, 1, 1, 1, 17], [2, 3, 3, 5, 17]],
  [[2, 1, 1, 1, 6], [2, 7, 5, 3, 6]],
  [[2, 7, 5, 3, 6], []],
  [[], [4, 4]],
  [[5, 1], [1, 6]],
  [[2, 1, 4, 1], [2, 3, 4, 5]], // four collapsed axes: stock fallback
  [[70000], [70000]], // several work units
  [[300, 1000], [1000]],
];

describe('fast elementwise kernels', { skip: nativeSkip }, () => {
  for (const [name, op] of BINARY) {
    test(`${name} with broadcasting`, async () => {
      const f = (): tf.Tensor[] =>
        SHAPES.map(([sa, sb], i) => {
          const a = tf.tensor(random(size(sa), 10 + i), sa);
          // keep divisors away from zero
          const bv = random(size(sb), 20 + i).map((v) => (name === 'div' ? v + Math.sign(v || 1) * 0.5 : v));
          return op(a, tf.tensor(bv, sb));
        });
      const want = await onBackend('cpu', 'stock', f);
      for (const backend of ['wasm', 'cpu'] as const) {
        const got = await onBackend(backend, 'fast', f);
        got.forEach((g, i) => assertClose(g, want[i], 1e-6, `${backend} ${name} ${SHAPES[i].map((s) => `[${s}]`).join('x')}`));
      }
    });
  }

  test('unary ops, special values included', async () => {
    const v = random(50001, 31).map((x, i) => x * (i % 3 === 0 ? 100 : 3));
    v.set([NaN, Infinity, -Infinity, 0, -0, 88.7, -88.7, -104, 89, 1e-30], 0);
    const ops: [string, (t: tf.Tensor) => tf.Tensor][] = [
      ['relu', tf.relu],
      ['step', (t) => tf.step(t, 0.25)],
      ['neg', tf.neg],
      ['square', tf.square],
      ['exp', tf.exp],
      ['log', tf.log],
      ['sqrt', tf.sqrt],
      ['rsqrt', tf.rsqrt],
    ];
    const f = (): tf.Tensor[] => ops.map(([, op]) => op(tf.tensor(v)));
    const want = await onBackend('cpu', 'stock', f);
    for (const backend of ['wasm', 'cpu'] as const) {
      const got = await onBackend(backend, 'fast', f);
      got.forEach((g, i) => {
        for (let j = 0; j < g.length; j++) {
          const w = want[i][j];
          if (Number.isNaN(w) || !Number.isFinite(w)) assert.ok(Object.is(g[j], w), `${backend} ${ops[i][0]}(${v[j]}) = ${g[j]}, want ${w}`);
          // exp below ln(FLT_MIN) flushes to 0 instead of a denormal
          else if (Math.abs(w) < 1.2e-38) assert.ok(Math.abs(g[j]) < 1.2e-38, `${backend} ${ops[i][0]}(${v[j]})`);
          else assert.ok(Math.abs(g[j] - w) <= 4e-7 * Math.abs(w), `${backend} ${ops[i][0]}(${v[j]}) = ${g[j]}, want ${w}`);
        }
      });
    }
  });

  test('Sum and Mean over axis blocks', async () => {
    const shape = [3, 6, 5, 7, 9];
    const cases: [number | number[] | undefined, boolean][] = [
      [[0, 1, 2, 3], false],
      [[1, 2, 3], true],
      [[0, 1], false],
      [4, false],
      [undefined, false],
      [[0, 2], true], // not contiguous: stock
      [[3, 4], false],
    ];
    const f = (): tf.Tensor[] => {
      const x = tf.tensor(random(size(shape), 41), shape);
      return cases.flatMap(([axis, keep]) => [tf.sum(x, axis, keep), tf.mean(x, axis, keep)]);
    };
    const want = await onBackend('cpu', 'stock', f);
    for (const backend of ['wasm', 'cpu'] as const) {
      const got = await onBackend(backend, 'fast', f);
      got.forEach((g, i) => assertClose(g, want[i], 1e-6, `${backend} ${i % 2 ? 'mean' : 'sum'} axis ${JSON.stringify(cases[i >> 1][0])}`));
    }
  });

  test('a large leading-axis sum keeps float64 accuracy', async () => {
    const [sum] = await onBackend('wasm', 'fast', () => [tf.sum(tf.fill([1 << 22, 2], 0.1), 0)]);
    assert.ok(Math.abs(sum[0] - 0.1 * (1 << 22)) < 1, `sum of 4M x 0.1 = ${sum[0]}`);
  });

  test('wasm Identity and same-dtype Cast share memory, other casts convert', async () => {
    await onBackend('wasm', 'fast', () => []);
    const x = tf.tensor([1.5, -2.5, 3]);
    const before = tf.backend().numDataIds();
    const y = tf.clone(x);
    const z = tf.cast(x, 'float32');
    assert.equal(tf.backend().numDataIds(), before, 'no new buffers');
    x.dispose();
    assert.deepEqual([...y.dataSync()], [1.5, -2.5, 3]);
    assert.deepEqual([...z.dataSync()], [1.5, -2.5, 3]);
    assert.deepEqual([...tf.cast(y, 'int32').dataSync()], [1, -2, 3]);
    tf.dispose([y, z]);
  });
});
