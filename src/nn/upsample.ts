/**
 * @file Differentiable linear interpolation over the spatial axes of a channels-last tensor: PyTorch's
 * `F.interpolate(mode='bilinear' | 'trilinear')` with either `align_corners` flag (METHODS §0.2 — the
 * flag differs per network: CML decoder2, the DyCON projection head and the 2-D U-Net use True, the
 * DyCON decoder uses the default False).
 *
 * Why not tfjs ops: `tf.image.resizeBilinear`'s gradient kernel ignores `halfPixelCenters` (wrong
 * align_corners=False backward), reports the gradient with H and W swapped, and has no 3-D form; gather's
 * gradient (UnsortedSegmentSum) does not exist on wasm; and compositions of slice/concat/stack or of
 * transposes + matMul were measured at 20–120 s of CPU for one forward+backward of a [2, 28, 28, 20, 64]
 * ×2 on the cpu backend, whose inner-axis slice/concat/transpose kernels index element by element.
 * Interpolation is separable and linear, so the op here is one typed-array pass per axis forward and the
 * adjoint passes in reverse order backward (tf.customGrad): O(size) per axis on any backend, exactly
 * PyTorch's arithmetic up to float rounding.
 */
import { tf, type Tensor } from './tf.js';

export interface InterpolateOptions {
  /** Output size per spatial axis; or give `scale`. */
  size?: number[];
  /** Integer-or-not scale factor applied to every spatial axis (PyTorch `scale_factor`). */
  scale?: number;
  alignCorners: boolean;
}

/** One output position of a 1-D linear interpolation: value = (1 − w)·x[i0] + w·x[i1]. */
export interface Tap {
  i0: number;
  i1: number;
  w: number;
}

/**
 * PyTorch's source-index arithmetic (`area_pixel_compute_source_index` + the linear-upsample kernels):
 * align_corners=True maps the corner samples onto each other, scale (L−1)/(O−1); align_corners=False
 * maps pixel centres, src = (j + ½)·L/O − ½, clamped at 0 (so the first output repeats x[0]). When a
 * `scale_factor` is given PyTorch uses 1/scale_factor rather than L/O in the align_corners=False case.
 */
export function interpolationTaps(inSize: number, outSize: number, alignCorners: boolean, scaleFactor?: number): Tap[] {
  const taps: Tap[] = [];
  for (let j = 0; j < outSize; j++) {
    let src: number;
    if (alignCorners) src = outSize > 1 ? (j * (inSize - 1)) / (outSize - 1) : 0;
    else {
      const scale = scaleFactor !== undefined && scaleFactor > 0 ? 1 / scaleFactor : inSize / outSize;
      src = Math.max((j + 0.5) * scale - 0.5, 0);
    }
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    taps.push({ i0, i1, w: i1 === i0 ? 0 : src - i0 });
  }
  return taps;
}

interface AxisPlan {
  /** Product of the dims before the axis (batch and earlier spatial axes). */
  outer: number;
  inLen: number;
  /** Product of the dims after the axis (later spatial axes and channels). */
  inner: number;
  taps: Tap[];
}

/** out[a, j, b] = (1 − w_j)·x[a, i0_j, b] + w_j·x[a, i1_j, b]. */
function resampleForward(x: Float32Array, { outer, inLen, inner, taps }: AxisPlan): Float32Array {
  const outLen = taps.length;
  const out = new Float32Array(outer * outLen * inner);
  for (let a = 0; a < outer; a++) {
    const src = a * inLen * inner;
    const dst = a * outLen * inner;
    for (let j = 0; j < outLen; j++) {
      const { i0, i1, w } = taps[j];
      const o = dst + j * inner;
      const p0 = src + i0 * inner;
      if (w === 0) {
        out.set(x.subarray(p0, p0 + inner), o);
        continue;
      }
      const p1 = src + i1 * inner;
      const w0 = 1 - w;
      for (let b = 0; b < inner; b++) out[o + b] = w0 * x[p0 + b] + w * x[p1 + b];
    }
  }
  return out;
}

/** The transpose of resampleForward: each output gradient flows back to its two taps. */
function resampleAdjoint(dy: Float32Array, { outer, inLen, inner, taps }: AxisPlan): Float32Array {
  const outLen = taps.length;
  const dx = new Float32Array(outer * inLen * inner);
  for (let a = 0; a < outer; a++) {
    const src = a * outLen * inner;
    const dst = a * inLen * inner;
    for (let j = 0; j < outLen; j++) {
      const { i0, i1, w } = taps[j];
      const g = src + j * inner;
      const p0 = dst + i0 * inner;
      const p1 = dst + i1 * inner;
      const w0 = 1 - w;
      if (w === 0) for (let b = 0; b < inner; b++) dx[p0 + b] += dy[g + b];
      else
        for (let b = 0; b < inner; b++) {
          dx[p0 + b] += w0 * dy[g + b];
          dx[p1 + b] += w * dy[g + b];
        }
    }
  }
  return dx;
}

/**
 * Linear interpolation over every spatial axis of [N, ...spatial, C] (bilinear for rank 4, trilinear
 * for rank 5), matching PyTorch's values to float rounding. Differentiable with respect to `x`.
 */
export function interpolate(x: Tensor, options: InterpolateOptions): Tensor {
  const spatial = x.shape.slice(1, -1);
  const { alignCorners, scale } = options;
  const size =
    options.size ??
    spatial.map((s) => {
      if (scale === undefined) throw new Error('interpolate: give size or scale');
      return Math.floor(s * scale);
    });
  if (size.length !== spatial.length) throw new Error(`interpolate: size ${JSON.stringify(size)} does not match spatial shape ${JSON.stringify(spatial)}`);
  const plans: AxisPlan[] = [];
  const shape = x.shape.slice();
  spatial.forEach((len, k) => {
    const axis = k + 1;
    const out = size[k];
    if (out === len && (alignCorners || scale === undefined || scale === 1)) return;
    const outer = shape.slice(0, axis).reduce((p, q) => p * q, 1);
    const inner = shape.slice(axis + 1).reduce((p, q) => p * q, 1);
    plans.push({ outer, inLen: len, inner, taps: interpolationTaps(len, out, alignCorners, options.size ? undefined : scale) });
    shape[axis] = out;
  });
  if (plans.length === 0) return tf.clone(x);
  const outShape = shape;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    let values = input.dataSync() as Float32Array;
    for (const plan of plans) values = resampleForward(values, plan);
    return {
      value: tf.tensor(values, outShape, 'float32'),
      gradFunc: (dy: tf.Tensor) => {
        let g = dy.dataSync() as Float32Array;
        for (let i = plans.length - 1; i >= 0; i--) g = resampleAdjoint(g, plans[i]);
        return tf.tensor(g, input.shape, 'float32');
      },
    };
  });
  return op(x);
}

/** `nn.Upsample(scale_factor=2, mode='bilinear'|'trilinear', align_corners=…)`. */
export function upsample2x(x: Tensor, alignCorners: boolean): Tensor {
  return interpolate(x, { scale: 2, alignCorners });
}
