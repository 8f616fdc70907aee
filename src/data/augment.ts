/**
 * @file 3-D training augmentation of the LA repos (METHODS §1.4): RandomRotFlip (k·90° in the first two
 * axes, then one flip along axis 0 or 1) and RandomCrop (pad every axis by (patch−dim)//2+3 when any
 * dim ≤ patch; start ~ U{0 … dim−patch−1}, NumPy's exclusive upper bound).
 */
import type { Rng } from '../util/rng.js';

export interface Sample {
  shape: number[];
  image: Float32Array;
  label: Uint8Array;
}

/** np.rot90(x, k) in axes (0, 1) followed by np.flip along `flipAxis` ∈ {0, 1}. */
export function rotFlip(s: Sample, k: number, flipAxis: number): Sample {
  const [a, b, c] = s.shape;
  const turns = ((k % 4) + 4) % 4;
  const outShape = turns % 2 === 0 ? [a, b, c] : [b, a, c];
  const [oa, ob] = outShape;
  const image = new Float32Array(s.image.length);
  const label = new Uint8Array(s.label.length);
  for (let i = 0; i < oa; i++) {
    for (let j = 0; j < ob; j++) {
      // Flip is applied to the rotated array, so undo it first, then undo the rotation.
      const ri = flipAxis === 0 ? oa - 1 - i : i;
      const rj = flipAxis === 1 ? ob - 1 - j : j;
      let si: number;
      let sj: number;
      switch (turns) {
        case 0: si = ri; sj = rj; break;
        case 1: si = rj; sj = b - 1 - ri; break; // rot90: out[i, j] = in[j, b−1−i]
        case 2: si = a - 1 - ri; sj = b - 1 - rj; break;
        default: si = a - 1 - rj; sj = ri; break; // rot270: out[i, j] = in[a−1−j, i]
      }
      const src = (si * b + sj) * c;
      const dst = (i * ob + j) * c;
      image.set(s.image.subarray(src, src + c), dst);
      label.set(s.label.subarray(src, src + c), dst);
    }
  }
  return { shape: outShape, image, label };
}

export function randomRotFlip(s: Sample, rng: Rng): Sample {
  const k = rng.int(4);
  const axis = rng.int(2);
  return rotFlip(s, k, axis);
}

/** Zero-pads every axis by `pad[a]` on both sides. */
export function padSample(s: Sample, pad: number[]): Sample {
  if (pad.every((p) => p === 0)) return s;
  const shape = s.shape.map((d, a) => d + 2 * pad[a]);
  const [, b, c] = s.shape;
  const [, pb, pc] = shape;
  const image = new Float32Array(shape[0] * pb * pc);
  const label = new Uint8Array(image.length);
  for (let i = 0; i < s.shape[0]; i++) {
    for (let j = 0; j < b; j++) {
      const src = (i * b + j) * c;
      const dst = ((i + pad[0]) * pb + j + pad[1]) * pc + pad[2];
      image.set(s.image.subarray(src, src + c), dst);
      label.set(s.label.subarray(src, src + c), dst);
    }
  }
  return { shape, image, label };
}

export function crop(s: Sample, start: number[], size: readonly number[]): Sample {
  const [, b, c] = s.shape;
  const [sa, sb, sc] = size;
  const image = new Float32Array(sa * sb * sc);
  const label = new Uint8Array(image.length);
  for (let i = 0; i < sa; i++) {
    for (let j = 0; j < sb; j++) {
      const src = ((start[0] + i) * b + start[1] + j) * c + start[2];
      const dst = (i * sb + j) * sc;
      image.set(s.image.subarray(src, src + sc), dst);
      label.set(s.label.subarray(src, src + sc), dst);
    }
  }
  return { shape: [...size], image, label };
}

export function randomCrop(s: Sample, patch: readonly number[], rng: Rng): Sample {
  let sample = s;
  if (s.shape.some((d, a) => d <= patch[a])) {
    sample = padSample(s, s.shape.map((d, a) => Math.max(Math.floor((patch[a] - d) / 2) + 3, 0)));
  }
  // randint(0, dim − patch): the last position is never drawn; a zero range means start 0.
  const start = sample.shape.map((d, a) => (d - patch[a] > 0 ? rng.int(d - patch[a]) : 0));
  return crop(sample, start, patch);
}

/** A 2-D slice as a [H, W, 1] sample, so the 3-D rot/flip serves the 2-D path too. */
export interface Sample2d {
  shape: [number, number];
  image: Float32Array;
  label: Uint8Array;
}

/**
 * scipy.ndimage.rotate(x, angle, order=0, reshape=False): rotation about the array centre, nearest
 * neighbour, zero outside — for image and label alike (SSL4MIS random_rotate).
 */
export function rotateNearest(s: Sample2d, degrees: number): Sample2d {
  const [h, w] = s.shape;
  const t = (degrees * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  const image = new Float32Array(h * w);
  const label = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // Inverse mapping of output (y, x) to input coordinates.
      const sy = cos * (y - cy) - sin * (x - cx) + cy;
      const sx = sin * (y - cy) + cos * (x - cx) + cx;
      const iy = Math.round(sy);
      const ix = Math.round(sx);
      if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
      image[y * w + x] = s.image[iy * w + ix];
      label[y * w + x] = s.label[iy * w + ix];
    }
  }
  return { shape: [h, w], image, label };
}

/** scipy.ndimage.zoom(order=0) to `size`: output index o reads input round(o·(n_in − 1)/(n_out − 1)). */
export function zoomNearest<T extends Float32Array | Uint8Array>(data: T, shape: readonly number[], size: readonly number[]): T {
  const [h, w] = shape;
  const [oh, ow] = size;
  const out = new (data.constructor as new (n: number) => T)(oh * ow);
  const ry = oh > 1 ? (h - 1) / (oh - 1) : 0;
  const rx = ow > 1 ? (w - 1) / (ow - 1) : 0;
  for (let y = 0; y < oh; y++) {
    const iy = Math.min(h - 1, Math.round(y * ry));
    for (let x = 0; x < ow; x++) out[y * ow + x] = data[iy * w + Math.min(w - 1, Math.round(x * rx))];
  }
  return out;
}

/**
 * RandomGenerator of the 2-D scripts: SSL4MIS (p 0.5 rot90+flip, else a rotation by U{−20…19}°) or
 * BCP/CML (0.5 rot90+flip, else 0.5 rotation, else nothing), then nearest zoom to the output size.
 */
export function randomGenerator2d(s: Sample2d, size: readonly number[], rng: Rng, variant: 'ssl4mis' | 'bcp'): Sample2d {
  let out = s;
  const flipOrRotate = (): Sample2d => {
    const r = rotFlip({ shape: [s.shape[0], s.shape[1], 1], image: s.image, label: s.label }, rng.int(4), rng.int(2));
    return { shape: [r.shape[0], r.shape[1]], image: r.image, label: r.label };
  };
  if (rng.next() > 0.5) out = flipOrRotate();
  else if (variant === 'ssl4mis' || rng.next() > 0.5) out = rotateNearest(s, rng.int(40) - 20);
  return { shape: [size[0], size[1]], image: zoomNearest(out.image, out.shape, size), label: zoomNearest(out.label, out.shape, size) };
}
