/**
 * @file Preprocessing steps for raw files (NIfTI straight from a challenge), so that a case read from
 * them matches what the papers' preprocessed h5 files hold. Preprocessed h5 files get no steps: their
 * intensities are used as shipped. Step names are listed in catalog.ts PREPROCESS_STEPS.
 */
import { SslBenchError } from '../errors.js';

export interface RawCase {
  shape: number[];
  image: Float32Array;
  label: Uint8Array;
}

export function applySteps(steps: readonly string[], input: RawCase, where: string): RawCase {
  let c = input;
  for (const step of steps) {
    const [name, ...args] = step.split(':');
    const nums = args.map(Number);
    switch (name) {
      case 'crop-nonzero':
        c = cropNonzero(c);
        break;
      case 'clip-upper-cdf':
        c = { ...c, image: clipUpperCdf(c.image, nums[0] ?? 0.999) };
        break;
      case 'clip':
        if (nums.length !== 2 || nums.some((v) => !Number.isFinite(v))) {
          throw new SslBenchError('SSLB_PREPROCESS', `${where}: step '${step}' needs two numbers, as in clip:-125:275`);
        }
        c = { ...c, image: clip(c.image, nums[0], nums[1]) };
        break;
      case 'zscore':
        c = { ...c, image: zscore(c.image, false) };
        break;
      case 'zscore-nonzero':
        c = { ...c, image: zscore(c.image, true) };
        break;
      case 'minmax':
        c = { ...c, image: minmax(c.image) };
        break;
      default:
        throw new SslBenchError('SSLB_PREPROCESS', `${where}: unknown preprocessing step '${step}'`);
    }
  }
  return c;
}

/** Crops image and label to the bounding box of the image's non-zero voxels (brain bbox in BraTS). */
export function cropNonzero(c: RawCase): RawCase {
  const n = c.shape.length;
  const lo = c.shape.map((d) => d);
  const hi = c.shape.map(() => -1);
  const strides = stridesOf(c.shape);
  for (let i = 0; i < c.image.length; i++) {
    if (c.image[i] === 0) continue;
    let rest = i;
    for (let a = 0; a < n; a++) {
      const idx = Math.floor(rest / strides[a]);
      rest -= idx * strides[a];
      if (idx < lo[a]) lo[a] = idx;
      if (idx > hi[a]) hi[a] = idx;
    }
  }
  if (hi[0] < 0) return c; // all zero: nothing to crop to
  const outShape = lo.map((l, a) => hi[a] - l + 1);
  const image = new Float32Array(outShape.reduce((p, d) => p * d, 1));
  const label = new Uint8Array(image.length);
  const outStrides = stridesOf(outShape);
  const idx = new Array<number>(n).fill(0);
  for (let o = 0; o < image.length; o++) {
    let rest = o;
    let src = 0;
    for (let a = 0; a < n; a++) {
      idx[a] = Math.floor(rest / outStrides[a]);
      rest -= idx[a] * outStrides[a];
      src += (idx[a] + lo[a]) * strides[a];
    }
    image[o] = c.image[src];
    label[o] = c.label[src];
  }
  return { shape: outShape, image, label };
}

/**
 * Clips the top at the smallest value v with P(x <= v) >= p, over all voxels: the cut SSL4MIS makes with
 * skimage's cumulative histogram (MedicalImageDeal(percent=0.999)). For integer-valued images, as raw
 * BraTS FLAIR is, skimage bins per integer, so the cut is the same value.
 */
export function clipUpperCdf(image: Float32Array, p: number): Float32Array {
  if (image.length === 0) return image;
  const sorted = Float32Array.from(image).sort();
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return clip(image, sorted[0], sorted[k]);
}

export function clip(image: Float32Array, lo: number, hi: number): Float32Array {
  const out = new Float32Array(image.length);
  for (let i = 0; i < image.length; i++) out[i] = Math.min(hi, Math.max(lo, image[i]));
  return out;
}

/**
 * (x - mean) / std with numpy's population std. `positiveOnly`: statistics over voxels > 0 (SSL4MIS
 * `volume[volume > 0]`), applied to every voxel, so the background becomes (0 - mean) / std, not 0.
 */
export function zscore(image: Float32Array, positiveOnly: boolean): Float32Array {
  let n = 0;
  let sum = 0;
  for (let i = 0; i < image.length; i++) {
    if (positiveOnly && !(image[i] > 0)) continue;
    sum += image[i];
    n++;
  }
  const out = new Float32Array(image.length);
  if (n === 0) return out;
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < image.length; i++) {
    if (positiveOnly && !(image[i] > 0)) continue;
    const d = image[i] - mean;
    sq += d * d;
  }
  const std = Math.sqrt(sq / n) || 1;
  for (let i = 0; i < image.length; i++) out[i] = (image[i] - mean) / std;
  return out;
}

export function minmax(image: Float32Array): Float32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of image) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const out = new Float32Array(image.length);
  const range = hi - lo || 1;
  for (let i = 0; i < image.length; i++) out[i] = (image[i] - lo) / range;
  return out;
}

function stridesOf(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let a = shape.length - 1; a >= 0; a--) {
    s[a] = acc;
    acc *= shape[a];
  }
  return s;
}
