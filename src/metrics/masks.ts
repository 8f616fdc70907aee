/**
 * @file Binarising two label arrays in one pass, cropping them to the bounding box of their union, and
 * extracting medpy's surface (border) voxels.
 *
 * The crop is exact for every metric: overlap counts are taken over the whole array, all surface voxels of
 * both masks lie inside the union box, and distances are measured only between surface voxels. A neighbour
 * outside the crop is background either way (outside the array, or outside the box of the mask), which is
 * scipy's `border_value=0`.
 */

/** How an array value is turned into foreground: `value !== 0` (medpy) or `value === label`. */
export interface Selector {
  /** The value compared against. */
  value: number;
  /** true: foreground iff `x !== value` (used with value 0 for "nonzero"); false: iff `x === value`. */
  invert: boolean;
}

export const NONZERO: Selector = { value: 0, invert: true };

export function equalTo(value: number): Selector {
  return { value, invert: false };
}

export interface PairScan {
  nPred: number;
  nRef: number;
  intersection: number;
  /** Inclusive bounding box of P ∪ R per axis; undefined when both are empty. */
  lo?: Int32Array;
  hi?: Int32Array;
}

/** Counts |P|, |R|, |P∩R| and the union bounding box in a single row-wise pass over the whole array. */
export function scanPair(
  pred: ArrayLike<number>,
  ref: ArrayLike<number>,
  shape: readonly number[],
  sel: Selector,
): PairScan {
  const n = shape.length;
  const rowLen = shape[n - 1];
  const size = pred.length;
  const rows = size / rowLen;
  const idx = new Int32Array(n);
  const lo = new Int32Array(n).fill(2147483647);
  const hi = new Int32Array(n).fill(-1);
  const target = sel.value;
  const inv = sel.invert;
  let nPred = 0;
  let nRef = 0;
  let inter = 0;
  // Rows whose bytes are all zero hold no foreground for any selector except `=== 0`; checking them a
  // 32-bit word at a time skips most of an LA-sized volume (mostly background) cheaply.
  const canSkip = inv ? target === 0 : target !== 0;
  const pw = canSkip ? rowWords(pred, rowLen) : null;
  const rw = pw !== null ? rowWords(ref, rowLen) : null;
  const skip = pw !== null && rw !== null;
  const pWords = skip ? pw.words : new Uint32Array(0);
  const rWords = skip ? rw.words : new Uint32Array(0);
  const pPer = skip ? pw.perRow : 0;
  const rPer = skip ? rw.perRow : 0;
  for (let r = 0; r < rows; r++) {
    const base = r * rowLen;
    let first = -1;
    let last = -1;
    if (skip) {
      let any = 0;
      for (let w = r * pPer, e = w + pPer; w < e; w++) any |= pWords[w];
      for (let w = r * rPer, e = w + rPer; w < e; w++) any |= rWords[w];
      if (any === 0) {
        for (let a = n - 2; a >= 0; a--) {
          if (++idx[a] < shape[a]) break;
          idx[a] = 0;
        }
        continue;
      }
    }
    for (let k = 0; k < rowLen; k++) {
      const p = (pred[base + k] === target) !== inv;
      const q = (ref[base + k] === target) !== inv;
      if (p || q) {
        if (first < 0) first = k;
        last = k;
        if (p) nPred++;
        if (q) nRef++;
        if (p && q) inter++;
      }
    }
    if (first >= 0) {
      if (first < lo[n - 1]) lo[n - 1] = first;
      if (last > hi[n - 1]) hi[n - 1] = last;
      for (let a = 0; a < n - 1; a++) {
        if (idx[a] < lo[a]) lo[a] = idx[a];
        if (idx[a] > hi[a]) hi[a] = idx[a];
      }
    }
    for (let a = n - 2; a >= 0; a--) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
  if (nPred + nRef === 0) return { nPred, nRef, intersection: inter };
  return { nPred, nRef, intersection: inter, lo, hi };
}

/**
 * A Uint32 view of a typed array's bytes when every row starts on a word boundary, else null. All-zero
 * bits mean value 0 for every integer and float type (-0 has a sign bit, so it only costs the slow path).
 */
function rowWords(arr: ArrayLike<number>, rowLen: number): { words: Uint32Array; perRow: number } | null {
  if (!ArrayBuffer.isView(arr) || arr instanceof DataView) return null;
  const view = arr as unknown as { buffer: ArrayBufferLike; byteOffset: number; byteLength: number; BYTES_PER_ELEMENT: number };
  const rowBytes = rowLen * view.BYTES_PER_ELEMENT;
  if (view.byteOffset % 4 !== 0 || rowBytes % 4 !== 0) return null;
  return { words: new Uint32Array(view.buffer, view.byteOffset, view.byteLength >>> 2), perRow: rowBytes >>> 2 };
}

export interface Crop {
  shape: number[];
  pred: Uint8Array;
  ref: Uint8Array;
}

/** Copies the box [lo, hi] of both masks, binarised, into C-order arrays of the box's shape. */
export function cropPair(
  pred: ArrayLike<number>,
  ref: ArrayLike<number>,
  shape: readonly number[],
  sel: Selector,
  lo: Int32Array,
  hi: Int32Array,
): Crop {
  const n = shape.length;
  const cshape = new Array<number>(n);
  let csize = 1;
  for (let a = 0; a < n; a++) {
    cshape[a] = hi[a] - lo[a] + 1;
    csize *= cshape[a];
  }
  const strides = new Array<number>(n);
  strides[n - 1] = 1;
  for (let a = n - 2; a >= 0; a--) strides[a] = strides[a + 1] * shape[a + 1];
  const cp = new Uint8Array(csize);
  const cr = new Uint8Array(csize);
  const rowLen = cshape[n - 1];
  const rows = csize / rowLen;
  const idx = new Int32Array(n);
  const target = sel.value;
  const inv = sel.invert;
  for (let r = 0; r < rows; r++) {
    let src = lo[n - 1];
    for (let a = 0; a < n - 1; a++) src += (lo[a] + idx[a]) * strides[a];
    const dst = r * rowLen;
    for (let k = 0; k < rowLen; k++) {
      if ((pred[src + k] === target) !== inv) cp[dst + k] = 1;
      if ((ref[src + k] === target) !== inv) cr[dst + k] = 1;
    }
    for (let a = n - 2; a >= 0; a--) {
      if (++idx[a] < cshape[a]) break;
      idx[a] = 0;
    }
  }
  return { shape: cshape, pred: cp, ref: cr };
}

export interface Surface {
  /** 1 on surface voxels, 0 elsewhere. */
  mask: Uint8Array;
  /** Flat indices of the surface voxels, ascending (C order, as medpy's boolean indexing yields them). */
  indices: Int32Array;
}

/**
 * `M XOR binary_erosion(M, connectivity 1, border_value 0)`: a foreground voxel is surface iff one of its
 * 2·ndim face neighbours is background or outside the array. A singleton axis therefore makes every
 * foreground voxel surface (METRICS.md §3).
 */
export function surfaceOf(mask: Uint8Array, shape: readonly number[]): Surface {
  const n = shape.length;
  const size = mask.length;
  const rowLen = shape[n - 1];
  const rows = size / rowLen;
  const strides = new Array<number>(n);
  strides[n - 1] = 1;
  for (let a = n - 2; a >= 0; a--) strides[a] = strides[a + 1] * shape[a + 1];
  const out = new Uint8Array(size);
  let list = new Int32Array(1024);
  let count = 0;
  const idx = new Int32Array(n);
  for (let r = 0; r < rows; r++) {
    const base = r * rowLen;
    let rowOnFace = false;
    for (let a = 0; a < n - 1; a++) {
      if (idx[a] === 0 || idx[a] === shape[a] - 1) {
        rowOnFace = true;
        break;
      }
    }
    for (let k = 0; k < rowLen; k++) {
      const p = base + k;
      if (mask[p] === 0) continue;
      let surf = rowOnFace || k === 0 || k === rowLen - 1 || mask[p - 1] === 0 || mask[p + 1] === 0;
      if (!surf) {
        for (let a = 0; a < n - 1; a++) {
          const st = strides[a];
          if (mask[p - st] === 0 || mask[p + st] === 0) {
            surf = true;
            break;
          }
        }
      }
      if (surf) {
        out[p] = 1;
        if (count === list.length) {
          const grown = new Int32Array(list.length * 2);
          grown.set(list);
          list = grown;
        }
        list[count++] = p;
      }
    }
    for (let a = n - 2; a >= 0; a--) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
  return { mask: out, indices: list.slice(0, count) };
}

/**
 * The first value that is neither 0 nor 1, or undefined for a binary mask. Byte masks are checked four
 * voxels per 32-bit word, which matters on 29-million-voxel LA volumes.
 */
export function firstNonBinary(arr: ArrayLike<number>): number | undefined {
  let start = 0;
  if (arr instanceof Uint8Array && arr.byteOffset % 4 === 0) {
    const words = new Uint32Array(arr.buffer, arr.byteOffset, arr.length >>> 2);
    let w = 0;
    while (w < words.length && (words[w] & 0xfefefefe) === 0) w++;
    start = w * 4;
  }
  for (let i = start; i < arr.length; i++) {
    const v = arr[i];
    if (v !== 0 && v !== 1) return v;
  }
  return undefined;
}
