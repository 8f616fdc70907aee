/**
 * @file Exact Euclidean distances to a set of feature voxels, honouring anisotropic spacing.
 *
 * Separable squared EDT (Felzenszwalb & Huttenlocher, "Distance transforms of sampled functions", 2012):
 * axis 0 is a 1-D binary sweep, every later axis takes the lower envelope of parabolas. The passes run in
 * axis order and each adds `((p − q) · s_k)²` to the running minimum, so the value returned for a voxel is
 * `((Δ0·s0)² + (Δ1·s1)²) + (Δ2·s2)² …` — the same float64 operations, in the same order, as scipy's
 * `distance_transform_edt(sampling=…)` applies to the offset of the nearest feature it finds
 * (METRICS.md §4, §10.2). No chamfer or city-block approximation anywhere.
 */

/** Reusable scratch for one line of the envelope pass; sized for the longest axis. */
interface LineScratch {
  f: Float64Array;
  h: Float64Array;
  v: Int32Array;
  z: Float64Array;
}

function makeScratch(maxLen: number): LineScratch {
  return {
    f: new Float64Array(maxLen),
    h: new Float64Array(maxLen),
    v: new Int32Array(maxLen),
    z: new Float64Array(maxLen + 1),
  };
}

/**
 * Builds the lower envelope of the parabolas `f[q] + ((x − q)·sp)²` over the finite entries of `f[0..n)`.
 * Returns the number of parabolas kept (0 when every entry is +∞).
 */
function buildEnvelope(n: number, sp: number, s: LineScratch): number {
  const { f, h, v, z } = s;
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = f[q];
    if (fq === Infinity) continue;
    const xq = q * sp;
    const hq = fq + xq * xq;
    if (k < 0) {
      k = 0;
      v[0] = q;
      h[0] = hq;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    // Intersections are in physical units, so they compare directly with p·sp below.
    let inter = (hq - h[k]) / (2 * (xq - v[k] * sp));
    while (inter <= z[k]) {
      k--;
      inter = (hq - h[k]) / (2 * (xq - v[k] * sp));
    }
    k++;
    v[k] = q;
    h[k] = hq;
    z[k] = inter;
    z[k + 1] = Infinity;
  }
  return k + 1;
}

/**
 * Euclidean distance from each voxel in `queries` (ascending flat indices) to the nearest voxel with
 * `features[i] !== 0`, in the order of `queries`. The earlier axes are transformed over the whole array;
 * the last axis only on the lines that hold queries, since nothing else is read.
 *
 * `work` must hold `features.length` doubles; it is overwritten.
 */
export function distancesToFeatures(
  features: Uint8Array,
  shape: readonly number[],
  spacing: readonly number[],
  queries: Int32Array,
  work: Float64Array,
): Float64Array {
  const n = shape.length;
  const size = features.length;
  const out = new Float64Array(queries.length);
  if (queries.length === 0) return out;
  const d = work;

  // Axis 0: integer run-lengths to the nearest feature along the axis, swept plane by plane so that the
  // inner loop is contiguous.
  const c0 = shape[0];
  const plane = size / c0;
  for (let j = 0; j < plane; j++) d[j] = features[j] !== 0 ? 0 : Infinity;
  for (let i = 1; i < c0; i++) {
    const base = i * plane;
    const prev = base - plane;
    for (let j = 0; j < plane; j++) d[base + j] = features[base + j] !== 0 ? 0 : d[prev + j] + 1;
  }
  // Backward sweep fused with scaling: `next` keeps the unscaled run-lengths of the plane just left.
  const s0 = spacing[0];
  const next = new Float64Array(plane);
  {
    const base = (c0 - 1) * plane;
    for (let j = 0; j < plane; j++) {
      const g = d[base + j];
      next[j] = g;
      const t = g * s0;
      d[base + j] = t * t;
    }
  }
  for (let i = c0 - 2; i >= 0; i--) {
    const base = i * plane;
    for (let j = 0; j < plane; j++) {
      const ahead = next[j] + 1;
      const own = d[base + j];
      const g = ahead < own ? ahead : own;
      next[j] = g;
      const t = g * s0;
      d[base + j] = t * t;
    }
  }

  if (n === 1) {
    for (let i = 0; i < queries.length; i++) out[i] = Math.sqrt(d[queries[i]]);
    return out;
  }

  let maxLen = 0;
  for (let a = 1; a < n; a++) if (shape[a] > maxLen) maxLen = shape[a];
  const scratch = makeScratch(maxLen);

  // Middle axes 1..n-2: full envelope passes, except that the last of them is skipped for blocks that hold
  // no query (their values are never read).
  const strides = new Array<number>(n);
  strides[n - 1] = 1;
  for (let a = n - 2; a >= 0; a--) strides[a] = strides[a + 1] * shape[a + 1];
  for (let a = 1; a < n - 1; a++) {
    const len = shape[a];
    const st = strides[a];
    const block = len * st;
    const blocks = size / block;
    let needed: Uint8Array | null = null;
    if (a === n - 2) {
      needed = new Uint8Array(blocks);
      for (let i = 0; i < queries.length; i++) needed[Math.floor(queries[i] / block)] = 1;
    }
    envelopePass(d, len, st, blocks, spacing[a], scratch, needed);
  }

  // Last axis, only at the queries. A line with few queries scans outwards from each one and stops once
  // the offset alone exceeds the best value found: near-surface queries (nearly all of them) finish in a
  // few steps. A line with many queries builds one envelope instead, which bounds the worst case.
  const len = shape[n - 1];
  const sp = spacing[n - 1];
  const { f, v, z } = scratch;
  let qi = 0;
  while (qi < queries.length) {
    const base = Math.floor(queries[qi] / len) * len;
    const lineEnd = base + len;
    let qe = qi + 1;
    while (qe < queries.length && queries[qe] < lineEnd) qe++;
    if (qe - qi <= OUTWARD_SCAN_MAX_QUERIES) {
      for (; qi < qe; qi++) {
        const p = queries[qi] - base;
        let best = d[base + p];
        for (let o = 1; ; o++) {
          const w = o * sp;
          const w2 = w * w;
          // Every further candidate is f + w2 with f ≥ 0, so none can beat `best` any more.
          if (!(w2 < best)) break;
          const left = p - o;
          const right = p + o;
          if (left < 0 && right >= len) break;
          if (left >= 0) {
            const c = d[base + left] + w2;
            if (c < best) best = c;
          }
          if (right < len) {
            const c = d[base + right] + w2;
            if (c < best) best = c;
          }
        }
        out[qi] = Math.sqrt(best);
      }
      continue;
    }
    for (let t = 0; t < len; t++) f[t] = d[base + t];
    const count = buildEnvelope(len, sp, scratch);
    let j = 0;
    for (; qi < qe; qi++) {
      const p = queries[qi] - base;
      if (count === 0) {
        out[qi] = Infinity;
        continue;
      }
      const xp = p * sp;
      while (z[j + 1] < xp) j++;
      const t = (p - v[j]) * sp;
      out[qi] = Math.sqrt(f[v[j]] + t * t);
    }
  }
  return out;
}

/** Above this many queries on one line, one envelope (O(len)) is cheaper than scanning out from each. */
const OUTWARD_SCAN_MAX_QUERIES = 8;

function envelopePass(
  d: Float64Array,
  len: number,
  st: number,
  blocks: number,
  sp: number,
  scratch: LineScratch,
  needed: Uint8Array | null,
): void {
  const { f, v, z } = scratch;
  for (let b = 0; b < blocks; b++) {
    if (needed !== null && needed[b] === 0) continue;
    const blockBase = b * len * st;
    for (let inner = 0; inner < st; inner++) {
      const base = blockBase + inner;
      let anyFinite = false;
      for (let t = 0, p = base; t < len; t++, p += st) {
        const x = d[p];
        f[t] = x;
        if (x !== Infinity) anyFinite = true;
      }
      if (!anyFinite) continue;
      buildEnvelope(len, sp, scratch);
      let j = 0;
      for (let t = 0, p = base; t < len; t++, p += st) {
        const xp = t * sp;
        while (z[j + 1] < xp) j++;
        const o = (t - v[j]) * sp;
        d[p] = f[v[j]] + o * o;
      }
    }
  }
}
