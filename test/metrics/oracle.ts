/**
 * @file A deliberately naive restatement of medpy's metrics for cross-checking: surfaces from explicit
 * coordinate neighbour tests, nearest distances by exhaustive search over physical coordinates, the
 * percentile written out, a plain running sum. O(|∂P|·|∂R|): small inputs only.
 */
export interface OracleResult {
  dice: number;
  jaccard: number;
  hd95: number;
  asd: number;
  asdRefToPred: number;
  nSurfPred: number;
  nSurfRef: number;
  predToRef: number[];
  refToPred: number[];
}

function coordsOf(flat: number, shape: readonly number[]): number[] {
  const c = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    c[a] = flat % shape[a];
    flat = Math.floor(flat / shape[a]);
  }
  return c;
}

function flatOf(c: readonly number[], shape: readonly number[]): number {
  let f = 0;
  for (let a = 0; a < shape.length; a++) f = f * shape[a] + c[a];
  return f;
}

export function surfaceCoords(mask: ArrayLike<number>, shape: readonly number[]): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) continue;
    const c = coordsOf(i, shape);
    let surf = false;
    for (let a = 0; a < shape.length && !surf; a++) {
      for (const step of [-1, 1]) {
        const nc = c.slice();
        nc[a] += step;
        if (nc[a] < 0 || nc[a] >= shape[a] || mask[flatOf(nc, shape)] === 0) {
          surf = true;
          break;
        }
      }
    }
    if (surf) out.push(c);
  }
  return out;
}

function nearest(from: number[][], to: number[][], spacing: readonly number[]): number[] {
  return from.map((x) => {
    let best = Infinity;
    for (const y of to) {
      let s = 0;
      for (let a = 0; a < x.length; a++) {
        const t = (x[a] - y[a]) * spacing[a];
        s += t * t;
      }
      if (s < best) best = s;
    }
    return Math.sqrt(best);
  });
}

export function oracle(pred: ArrayLike<number>, ref: ArrayLike<number>, shape: readonly number[], spacing: readonly number[]): OracleResult {
  let np = 0;
  let nr = 0;
  let inter = 0;
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i] !== 0;
    const r = ref[i] !== 0;
    if (p) np++;
    if (r) nr++;
    if (p && r) inter++;
  }
  const sp = surfaceCoords(pred, shape);
  const sr = surfaceCoords(ref, shape);
  const d1 = nearest(sp, sr, spacing);
  const d2 = nearest(sr, sp, spacing);
  const pooled = [...d1, ...d2].sort((a, b) => a - b);
  const n = pooled.length;
  const h = (n - 1) * 0.95;
  let hd95: number;
  if (h >= n - 1) hd95 = pooled[n - 1];
  else {
    const lo = Math.floor(h);
    const g = h - lo;
    hd95 = pooled[lo] + (pooled[lo + 1] - pooled[lo]) * g;
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    dice: (2 * inter) / (np + nr),
    jaccard: inter / (np + nr - inter),
    hd95,
    asd: mean(d1),
    asdRefToPred: mean(d2),
    nSurfPred: sp.length,
    nSurfRef: sr.length,
    predToRef: d1,
    refToPred: d2,
  };
}
