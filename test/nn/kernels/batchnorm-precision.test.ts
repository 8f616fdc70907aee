/**
 * The native batch-norm kernel against a float64 reference. Its reductions used to keep float32 lanes over
 * 2048/c rows: the one-pass variance then lost digits to cancellation when |mean| >> std (6.8e-6 relative
 * at mean/std ~7, stock tfjs cpu 2.7e-8) and sum(dy) — which cancels when dy is nearly zero-mean per
 * channel, as the dx of another batch norm is — came out with ~40x the stock cpu error (dbeta 9.2e-7 vs
 * 2.4e-8 over 393,216 rows). The tolerances below sit between the two.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadNativeKernels } from '../../../src/nn/kernels/native.js';
import { nativeSkip, random } from './helpers.js';

const EPS = 1e-5;

interface Bn {
  y: ArrayLike<number>;
  variance: ArrayLike<number>;
  dx: ArrayLike<number>;
  dgamma: ArrayLike<number>;
  dbeta: ArrayLike<number>;
}

/** Training batch norm + ReLU over the rows of [rows, c] and its gradient for upstream dy, in float64. */
function reference(x: Float32Array, dy: Float32Array, rows: number, c: number, gamma: Float32Array, beta: Float32Array): Bn {
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let i = 0; i < x.length; i++) mean[i % c] += x[i] / rows;
  for (let i = 0; i < x.length; i++) variance[i % c] += (x[i] - mean[i % c]) ** 2 / rows;
  const invstd = variance.map((v) => 1 / Math.sqrt(v + EPS));
  const y = new Float64Array(x.length);
  const g = new Float64Array(x.length);
  const dgamma = new Float64Array(c);
  const dbeta = new Float64Array(c);
  for (let i = 0; i < x.length; i++) {
    const j = i % c;
    const z = (x[i] - mean[j]) * invstd[j] * gamma[j] + beta[j];
    y[i] = Math.max(z, 0);
    g[i] = z > 0 ? dy[i] : 0;
    dbeta[j] += g[i];
    dgamma[j] += g[i] * (x[i] - mean[j]) * invstd[j];
  }
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const j = i % c;
    const xhat = (x[i] - mean[j]) * invstd[j];
    dx[i] = gamma[j] * invstd[j] * (g[i] - dbeta[j] / rows - (xhat * dgamma[j]) / rows);
  }
  return { y, variance, dx, dgamma, dbeta };
}

/** max |got - want| / max |want|. */
function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return err / scale;
}

/** Conv-output-like x (per-channel scale, mean `offset` in units of the spread) and a dy with zero channel means. */
function data(rows: number, c: number, offset: number) {
  const n = rows * c;
  const spread = random(c, 11).map((v) => 0.5 + 0.4 * v);
  const x = random(n, 1).map((v, i) => spread[i % c] * (v + offset * (1 + 0.3 * Math.sin(i % c))));
  const gamma = random(c, 2).map((v) => 1 + 0.5 * v);
  const beta = random(c, 3).map((v) => 0.3 * v);
  const dy = random(n, 5).map((v) => 0.01 * v);
  const channelMean = new Float64Array(c);
  for (let i = 0; i < n; i++) channelMean[i % c] += dy[i] / rows;
  for (let i = 0; i < n; i++) dy[i] -= channelMean[i % c];
  return { x, dy, gamma, beta };
}

function runNative(x: Float32Array, dy: Float32Array, rows: number, c: number, gamma: Float32Array, beta: Float32Array): Bn {
  const native = loadNativeKernels().kernels!;
  const y = new Float32Array(x.length);
  const mean = new Float32Array(c);
  const variance = new Float32Array(c);
  const dx = new Float32Array(x.length);
  const dgamma = new Float32Array(c);
  const dbeta = new Float32Array(c);
  native.bnForward(x, rows, c, null, gamma, beta, EPS, true, y, mean, variance);
  native.bnBackward(dy, x, rows, c, null, gamma, beta, mean, variance, EPS, true, dx, dgamma, dbeta);
  return { y, variance, dx, dgamma, dbeta };
}

const CASES = [
  // [rows, channels, mean offset]: the V-Net's first layers at 2x64x64x48 and 2x32x32x32 with 4-8 filters
  { rows: 2 * 64 * 64 * 48, c: 4, offset: 1 },
  { rows: 2 * 32 * 32 * 32, c: 4, offset: 4 },
  { rows: 2 * 16 * 16 * 16, c: 8, offset: 4 },
];

describe('native batch norm precision (float64 reference)', { skip: nativeSkip }, () => {
  for (const { rows, c, offset } of CASES) {
    test(`${rows} rows x ${c} channels, mean ${offset} x spread`, () => {
      const { x, dy, gamma, beta } = data(rows, c, offset);
      const want = reference(x, dy, rows, c, gamma, beta);
      const got = runNative(x, dy, rows, c, gamma, beta);
      // float32 outputs of float64-accumulated sums: a few 1e-8 (stock tfjs cpu: 2e-8..2e-7). With a large
      // mean, x - mean carries the float32 rounding of the mean, ~|mean|/std ulps, in stock tfjs as well
      // (dgamma 4.4e-7 at mean 4 x spread), so dgamma gets more room there.
      const tolerance: Record<keyof Bn, number> = { y: 1e-6, variance: 3e-7, dx: 5e-7, dgamma: offset > 1 ? 1e-6 : 2e-7, dbeta: 2e-7 };
      for (const key of Object.keys(tolerance) as (keyof Bn)[]) {
        const e = relError(got[key], want[key]);
        assert.ok(e <= tolerance[key], `${key}: relative error ${e.toExponential(2)} exceeds ${tolerance[key]}`);
      }
    });
  }

  test('does not depend on the thread count', () => {
    const native = loadNativeKernels().kernels!;
    const { rows, c } = CASES[1];
    const { x, dy, gamma, beta } = data(rows, c, 1);
    const before = native.info().threads;
    try {
      native.setThreads(1);
      const one = runNative(x, dy, rows, c, gamma, beta);
      native.setThreads(3);
      const three = runNative(x, dy, rows, c, gamma, beta);
      for (const key of Object.keys(one) as (keyof Bn)[]) assert.deepEqual(three[key], one[key], key);
    } finally {
      native.setThreads(before);
    }
  });
});
