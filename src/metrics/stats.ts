/**
 * @file The two reductions medpy leaves to numpy, restated so that results agree to the last bit
 * where the inputs do: `numpy.percentile(x, q)` with the default 'linear' method and `ndarray.mean()`.
 */

/**
 * `numpy.percentile(values, q)` (numpy ≥ 1.22, method 'linear' = Hyndman–Fan type 7). Sorts `values`
 * in place. numpy splits the interpolation at g = 0.5 to keep it monotone; the split changes the last bit,
 * so it is kept (METRICS.md §5, vector 16: 6.899999999999999, not 6.9).
 */
export function percentileLinear(values: Float64Array, q: number): number {
  const n = values.length;
  if (n === 0) return NaN;
  values.sort();
  const h = (n - 1) * (q / 100);
  if (h >= n - 1) return values[n - 1];
  const lo = Math.floor(h);
  const g = h - lo;
  const a = values[lo];
  const b = values[lo + 1];
  const diff = b - a;
  return g < 0.5 ? a + diff * g : b - diff * (1 - g);
}

const PAIRWISE_BLOCK = 128;

/**
 * numpy's pairwise summation of a contiguous float64 array (`DOUBLE_pairwise_sum`): blocks of at most 128
 * summed with eight interleaved accumulators, halves split at multiples of 8. A running sum differs from
 * numpy by up to ~5e-14 relative on the reference vectors (METRICS.md §10.7).
 */
export function pairwiseSum(values: Float64Array, start = 0, count = values.length - start): number {
  if (count < 8) {
    let res = -0.0;
    for (let i = 0; i < count; i++) res += values[start + i];
    return res;
  }
  if (count <= PAIRWISE_BLOCK) {
    let r0 = values[start];
    let r1 = values[start + 1];
    let r2 = values[start + 2];
    let r3 = values[start + 3];
    let r4 = values[start + 4];
    let r5 = values[start + 5];
    let r6 = values[start + 6];
    let r7 = values[start + 7];
    const unrolled = count - (count % 8);
    let i = 8;
    for (; i < unrolled; i += 8) {
      const p = start + i;
      r0 += values[p];
      r1 += values[p + 1];
      r2 += values[p + 2];
      r3 += values[p + 3];
      r4 += values[p + 4];
      r5 += values[p + 5];
      r6 += values[p + 6];
      r7 += values[p + 7];
    }
    let res = (r0 + r1 + (r2 + r3)) + (r4 + r5 + (r6 + r7));
    for (; i < count; i++) res += values[start + i];
    return res;
  }
  let half = Math.floor(count / 2);
  half -= half % 8;
  return pairwiseSum(values, start, half) + pairwiseSum(values, start + half, count - half);
}

/** `ndarray.mean()` of a float64 array: pairwise sum divided by the count; NaN when empty. */
export function numpyMean(values: Float64Array): number {
  if (values.length === 0) return NaN;
  return pairwiseSum(values) / values.length;
}
