/**
 * @file Sliding-window inference exactly as the LA test utilities do it (UAMT:code/test_util.py
 * L38-94, METHODS §1.8): symmetric zero padding of dims smaller than the patch, n = ⌈(dim−patch)/s⌉+1
 * windows per axis with the last one snapped to the border, class probabilities added into an
 * accumulator and divided by the per-voxel window count, padding cropped away.
 */
import { SslBenchError } from '../errors.js';

export interface SlidingWindowOptions {
  patch: readonly [number, number, number];
  /** Strides [xy, z]: axes 0 and 1 use xy, axis 2 uses z. */
  strides: readonly [number, number];
  classes: number;
  /** Windows predicted per call (a speed knob; results do not depend on it in eval mode). */
  windowsPerCall?: number;
}

/** Predicts class probabilities for a batch of windows: input [n·px·py·pz] → output [n·px·py·pz·C] (channels-last). */
export type WindowPredictor = (windows: Float32Array, count: number) => Promise<Float32Array>;

export function windowStarts(dim: number, patch: number, stride: number): number[] {
  const n = Math.ceil((dim - patch) / stride) + 1;
  return Array.from({ length: n }, (_, i) => Math.min(i * stride, dim - patch));
}

/**
 * Returns probabilities [C, s0, s1, s2] (class-major) for an image of `shape`, and the number of windows.
 */
export async function slidingWindow(
  image: Float32Array,
  shape: readonly number[],
  options: SlidingWindowOptions,
  predict: WindowPredictor,
  onWindow?: (done: number, total: number) => void,
): Promise<{ probabilities: Float32Array; windows: number }> {
  if (shape.length !== 3) throw new SslBenchError('SSLB_INFER', `sliding window: expected a 3-D volume, got shape [${shape.join(', ')}]`);
  const { patch, strides, classes } = options;
  const pad = shape.map((d, a) => Math.max(patch[a] - d, 0));
  const lo = pad.map((p) => Math.floor(p / 2));
  const ps = shape.map((d, a) => d + pad[a]);
  const padded = new Float32Array(ps[0] * ps[1] * ps[2]);
  for (let i = 0; i < shape[0]; i++) {
    for (let j = 0; j < shape[1]; j++) {
      const src = (i * shape[1] + j) * shape[2];
      padded.set(image.subarray(src, src + shape[2]), ((i + lo[0]) * ps[1] + j + lo[1]) * ps[2] + lo[2]);
    }
  }
  const starts = [windowStarts(ps[0], patch[0], strides[0]), windowStarts(ps[1], patch[1], strides[0]), windowStarts(ps[2], patch[2], strides[1])];
  const all: number[][] = [];
  for (const x of starts[0]) for (const y of starts[1]) for (const z of starts[2]) all.push([x, y, z]);
  const voxels = ps[0] * ps[1] * ps[2];
  const sum = new Float32Array(classes * voxels);
  const count = new Float32Array(voxels);
  const pv = patch[0] * patch[1] * patch[2];
  const perCall = Math.max(1, options.windowsPerCall ?? 1);
  for (let w0 = 0; w0 < all.length; w0 += perCall) {
    const group = all.slice(w0, w0 + perCall);
    const input = new Float32Array(group.length * pv);
    group.forEach(([x, y, z], g) => {
      for (let i = 0; i < patch[0]; i++) {
        for (let j = 0; j < patch[1]; j++) {
          const src = ((x + i) * ps[1] + y + j) * ps[2] + z;
          input.set(padded.subarray(src, src + patch[2]), g * pv + (i * patch[1] + j) * patch[2]);
        }
      }
    });
    const probs = await predict(input, group.length);
    group.forEach(([x, y, z], g) => {
      let o = g * pv * classes;
      for (let i = 0; i < patch[0]; i++) {
        for (let j = 0; j < patch[1]; j++) {
          let v = ((x + i) * ps[1] + y + j) * ps[2] + z;
          for (let k = 0; k < patch[2]; k++, v++) {
            count[v] += 1;
            for (let c = 0; c < classes; c++) sum[c * voxels + v] += probs[o++];
          }
        }
      }
    });
    onWindow?.(Math.min(w0 + perCall, all.length), all.length);
  }
  const n = shape[0] * shape[1] * shape[2];
  const probabilities = new Float32Array(classes * n);
  for (let c = 0; c < classes; c++) {
    let o = c * n;
    for (let i = 0; i < shape[0]; i++) {
      for (let j = 0; j < shape[1]; j++) {
        let v = ((i + lo[0]) * ps[1] + j + lo[1]) * ps[2] + lo[2];
        for (let k = 0; k < shape[2]; k++, v++, o++) probabilities[o] = sum[c * voxels + v] / count[v];
      }
    }
  }
  return { probabilities, windows: all.length };
}

/** Label map from class-major probabilities: argmax (first max wins, as torch/numpy) or P(fg) > 0.5. */
export function decide(probabilities: Float32Array, classes: number, rule: 'argmax' | 'foreground-threshold'): Uint8Array {
  const n = probabilities.length / classes;
  const out = new Uint8Array(n);
  if (rule === 'foreground-threshold') {
    for (let v = 0; v < n; v++) out[v] = probabilities[n + v] > 0.5 ? 1 : 0;
    return out;
  }
  for (let v = 0; v < n; v++) {
    let best = 0;
    let bestP = probabilities[v];
    for (let c = 1; c < classes; c++) {
      const p = probabilities[c * n + v];
      if (p > bestP) { bestP = p; best = c; }
    }
    out[v] = best;
  }
  return out;
}
