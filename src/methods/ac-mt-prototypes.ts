/**
 * AC-MT P-Err's prototype step (`getPrototype`, `calDist` and the selection mask of
 * ACMT:code/train_ACMT_PErr_3D.py L87-112 and their use in L180-240), on plain typed arrays: it carries no gradient in
 * the official code (everything runs on teacher outputs under no_grad), so it does not need tensors.
 *
 * The official code upsamples the teacher's block-eight features [U, F, d, h, w] trilinearly
 * (align_corners=False) to the patch size and then reduces over voxels or channels. Interpolation is
 * linear, so the same numbers come without materialising the upsampled features (F·112·112·80 floats
 * per sample at full size):
 * - prototype P = Σ_v w_v·Fup_v / (Σ_v w_v + 1e-5) = Σ_u (Uᵀw)_u·F_u / (Σ_v w_v + 1e-5), with Uᵀ the
 *   adjoint of the upsampling applied to the voxel weights w = 1[ŷ = c]·q_c;
 * - d_obj − d_bg = ‖Fup − P_obj‖² − ‖Fup − P_bg‖² = U(2·F·(P_bg − P_obj)) + ‖P_obj‖² − ‖P_bg‖², one
 *   upsampled scalar field, whose sign is the selection.
 * The distance maps themselves are only computed on request (tests), channel by channel.
 */
import { interpolationTaps, type Tap } from '../nn/upsample.js';

/** Resamples the middle axis of a row-major [A, L, B] block to [A, taps.length, B]. */
function resampleAxis(src: Float64Array, A: number, L: number, B: number, taps: Tap[]): Float64Array {
  const O = taps.length;
  const out = new Float64Array(A * O * B);
  for (let a = 0; a < A; a++) {
    for (let o = 0; o < O; o++) {
      const { i0, i1, w } = taps[o];
      const s0 = (a * L + i0) * B;
      const s1 = (a * L + i1) * B;
      const d = (a * O + o) * B;
      for (let b = 0; b < B; b++) out[d + b] = (1 - w) * src[s0 + b] + w * src[s1 + b];
    }
  }
  return out;
}

/** Adjoint of `resampleAxis`: [A, taps.length, B] back onto [A, L, B]. */
function resampleAxisAdjoint(src: Float64Array, A: number, L: number, B: number, taps: Tap[]): Float64Array {
  const O = taps.length;
  const out = new Float64Array(A * L * B);
  for (let a = 0; a < A; a++) {
    for (let o = 0; o < O; o++) {
      const { i0, i1, w } = taps[o];
      const s0 = (a * L + i0) * B;
      const s1 = (a * L + i1) * B;
      const d = (a * O + o) * B;
      for (let b = 0; b < B; b++) {
        out[s0 + b] += (1 - w) * src[d + b];
        out[s1 + b] += w * src[d + b];
      }
    }
  }
  return out;
}

export interface Grid {
  small: [number, number, number];
  size: [number, number, number];
  taps: [Tap[], Tap[], Tap[]];
}

export function grid(small: [number, number, number], size: [number, number, number]): Grid {
  // F.interpolate(size=…) without scale_factor: PyTorch uses in/out as the scale.
  return { small, size, taps: [0, 1, 2].map((k) => interpolationTaps(small[k], size[k], false)) as Grid['taps'] };
}

/** Trilinear upsampling of a scalar field [d, h, w] → [D, H, W] (align_corners=False). */
export function upsampleField(field: Float64Array, g: Grid): Float64Array {
  const [d, h] = g.small;
  const [, H, W] = g.size;
  let x = resampleAxis(field, d * h, g.small[2], 1, g.taps[2]);
  x = resampleAxis(x, d, h, W, g.taps[1]);
  return resampleAxis(x, 1, d, H * W, g.taps[0]);
}

/** Adjoint of `upsampleField`: [D, H, W] → [d, h, w]. */
export function upsampleFieldAdjoint(field: Float64Array, g: Grid): Float64Array {
  const [d, h] = g.small;
  const [, H, W] = g.size;
  let x = resampleAxisAdjoint(field, 1, d, H * W, g.taps[0]);
  x = resampleAxisAdjoint(x, d, h, W, g.taps[1]);
  return resampleAxisAdjoint(x, d * h, g.small[2], 1, g.taps[2]);
}

export interface PrototypeInputs {
  /** Mean teacher block-eight features, channels-last [U, d, h, w, F]. */
  features: Float32Array;
  featureShape: [number, number, number, number, number];
  /** Rectified pseudo-label ŷ ∈ {0, 1} per voxel [U, D, H, W]. */
  rectLabel: Uint8Array;
  /** Teacher softmax on the clean input [U, D, H, W, 2]. */
  probabilities: Float32Array;
  /** Patch size [D, H, W] the features are upsampled to. */
  size: [number, number, number];
}

export interface PrototypeSelection {
  /** Per sample foreground / background prototype [U, F]. */
  objPrototype: Float64Array;
  bgPrototype: Float64Array;
  /** [U, D, H, W, 2]: channel 0 = 1[d_obj > d_bg] (background-like), channel 1 = 1[d_obj < d_bg]; ties give 0, 0. */
  selection: Uint8Array;
  /** ‖Fup − P‖² per voxel [U, D, H, W], only when asked for. */
  distanceObj?: Float64Array;
  distanceBg?: Float64Array;
}

/** Prototypes, (optionally) distances and the prototype-label selection of P-Err steps 4–5 (METHODS §4.9). */
export function prototypeSelection(inputs: PrototypeInputs, withDistances = false): PrototypeSelection {
  const [U, d, h, w, F] = inputs.featureShape;
  const [D, H, W] = inputs.size;
  const V = D * H * W;
  const small = d * h * w;
  const g = grid([d, h, w], inputs.size);
  const objPrototype = new Float64Array(U * F);
  const bgPrototype = new Float64Array(U * F);
  const selection = new Uint8Array(U * V * 2);
  const distanceObj = withDistances ? new Float64Array(U * V) : undefined;
  const distanceBg = withDistances ? new Float64Array(U * V) : undefined;
  for (let b = 0; b < U; b++) {
    const w1 = new Float64Array(V);
    const w0 = new Float64Array(V);
    let s1 = 0;
    let s0 = 0;
    for (let v = 0; v < V; v++) {
      const i = b * V + v;
      if (inputs.rectLabel[i] === 1) s1 += w1[v] = inputs.probabilities[2 * i + 1];
      else if (inputs.rectLabel[i] === 0) s0 += w0[v] = inputs.probabilities[2 * i];
    }
    const a1 = upsampleFieldAdjoint(w1, g);
    const a0 = upsampleFieldAdjoint(w0, g);
    const base = b * small * F;
    for (let u = 0; u < small; u++) {
      for (let k = 0; k < F; k++) {
        const f = inputs.features[base + u * F + k];
        objPrototype[b * F + k] += a1[u] * f;
        bgPrototype[b * F + k] += a0[u] * f;
      }
    }
    let n1 = 0;
    let n0 = 0;
    for (let k = 0; k < F; k++) {
      const p1 = (objPrototype[b * F + k] /= s1 + 1e-5);
      const p0 = (bgPrototype[b * F + k] /= s0 + 1e-5);
      n1 += p1 * p1;
      n0 += p0 * p0;
    }
    const gap = new Float64Array(small);
    for (let u = 0; u < small; u++) {
      let s = 0;
      for (let k = 0; k < F; k++) s += inputs.features[base + u * F + k] * (bgPrototype[b * F + k] - objPrototype[b * F + k]);
      gap[u] = 2 * s;
    }
    const delta = upsampleField(gap, g);
    for (let v = 0; v < V; v++) {
      const diff = delta[v] + n1 - n0; // d_obj − d_bg
      const o = 2 * (b * V + v);
      selection[o] = diff > 0 ? 1 : 0;
      selection[o + 1] = diff < 0 ? 1 : 0;
    }
    if (distanceObj && distanceBg) {
      const field = new Float64Array(small);
      for (let k = 0; k < F; k++) {
        for (let u = 0; u < small; u++) field[u] = inputs.features[base + u * F + k];
        const up = upsampleField(field, g);
        const p1 = objPrototype[b * F + k];
        const p0 = bgPrototype[b * F + k];
        for (let v = 0; v < V; v++) {
          distanceObj[b * V + v] += (up[v] - p1) ** 2;
          distanceBg[b * V + v] += (up[v] - p0) ** 2;
        }
      }
    }
  }
  return { objPrototype, bgPrototype, selection, distanceObj, distanceBg };
}
