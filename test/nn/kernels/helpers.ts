/** Shared helpers of the fast-kernel tests: seeded data, backend switching, float comparison. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerFastKernels, restoreStockKernels } from '../../../src/nn/kernels/index.js';
import { registerConv3dTransposeGradient } from '../../../src/nn/kernels/gradients.js';
import { loadNativeKernels } from '../../../src/nn/kernels/native.js';

/** Why the fast-kernel tests cannot run here (addon not built), or false. */
export const nativeSkip: string | false = loadNativeKernels().kernels ? false : (loadNativeKernels().reason ?? 'native addon unavailable');

/** Deterministic uniform values in [-1, 1) (mulberry32). */
export function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Runs `fn` on `backend` with the stock kernels ('stock') or the fast ones ('fast'); returns plain arrays.
 * The conv3dTranspose gradient (missing from tfjs) is registered either way.
 */
export async function onBackend(backend: 'cpu' | 'wasm', kernels: 'stock' | 'fast', fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  registerConv3dTransposeGradient();
  await tf.setBackend(backend);
  await tf.ready();
  if (kernels === 'fast') registerFastKernels(backend);
  else restoreStockKernels(backend);
  return tf.tidy(() => fn()).map((t) => {
    const v = t.dataSync() as Float32Array;
    t.dispose();
    return Float32Array.from(v);
  });
}

/**
 * Asserts |got - want| <= tol * max(1, max|want|) elementwise: float32 sums in a different order differ by a
 * few ulps of the largest partial sum, not of each element.
 */
export function assertClose(got: Float32Array, want: Float32Array, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let scale = 1;
  for (const v of want) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i]) && Number.isNaN(got[i])) continue;
    if (want[i] === got[i]) continue;
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  assert.ok(worst <= tol * scale, `${what}: max error ${worst} at ${at} (got ${got[at]}, want ${want[at]}) exceeds ${tol} x ${scale}`);
}
