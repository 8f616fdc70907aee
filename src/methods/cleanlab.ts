/**
 * Confident learning as cleanlab 2.0.0 computes it (the version AC-MT pins: cleanlab@f918b82,
 * `ACMT:requirements.txt`), for the single-label case AC-MT's S-Err strategy uses:
 * `cleanlab.filter.find_label_issues(labels, pred_probs, filter_by=…, n_jobs=1)` with the defaults
 * frac_noise = 1, min_examples_per_class = 1, no confident_joint given (METHODS §4.9 S-Err).
 * Written from the definitions in cleanlab 2.0's `count.py` (compute_confident_joint,
 * get_confident_thresholds, calibrate_confident_joint), `filter.py` (find_label_issues,
 * _keep_at_least_n_per_class, _reduce_prune_counts, _prune_by_class, _prune_by_count) and
 * `internal/util.py` (value_counts, round_preserving_sum, round_preserving_row_totals).
 *
 * Facts of that code kept here because they decide which examples are flagged:
 * - per-class thresholds are float32 means (numpy's float32 pairwise sum), and the confident test is
 *   `p >= t − 1e-6` evaluated in float32 (the 1e-6 is rounded to float32 before the subtraction);
 * - the calibrated joint is rounded per row with numpy's half-to-even rounding and the
 *   "largest remainder" fix-up of round_preserving_sum;
 * - _reduce_prune_counts ends in `astype(int)`, i.e. truncation, not rounding;
 * - prune_by_class flags the examples strictly below the (n_k − P[k][k])-th smallest p_k
 *   (np.partition: ties at the cut are all kept), prune_by_count flags every example whose margin is
 *   at least the P[j][k]-th largest margin (ties at the cut are all flagged);
 * - at the end every example whose argmax probability is its given label is unflagged.
 * The selections use value cuts, so they do not depend on the order of the examples.
 *
 * Where 2.0.0 raises: with a class absent from the given labels, `value_counts` returns fewer counts than
 * classes and the per-class code indexes past its end. For two classes (AC-MT's case) that always ends
 * in an exception — IndexError "index 1 is out of bounds for axis 0 with size 1" when only class 0 is
 * given, a ValueError from np.partition on an empty array when only class 1 is — and AC-MT catches it
 * and falls back to the plain consistency. `findLabelIssues` throws `CleanlabError` in every
 * missing-class case; for K > 2 cleanlab 2.0.0 sometimes returns a result computed from misaligned
 * arrays instead, which is deliberately not reproduced.
 *
 * Sizes: AC-MT runs this on 2·112·112·80 ≈ 2.0 M voxels per iteration, so everything is typed arrays
 * and the order statistics are found by quickselect (O(N) expected) on one copy per class.
 */

/** Raised where cleanlab 2.0.0 raises; AC-MT's S-Err catches it and falls back to the plain consistency. */
export class CleanlabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CleanlabError';
  }
}

export type FilterBy = 'prune_by_class' | 'prune_by_noise_rate' | 'both';

export interface LabelIssuesOptions {
  filterBy?: FilterBy;
  /** cleanlab `min_examples_per_class` (default 1). */
  minExamplesPerClass?: number;
  /** cleanlab `frac_noise` (default 1). */
  fracNoise?: number;
}

export interface LabelIssuesResult {
  /** 1 where `find_label_issues(…, filter_by)` returns True. */
  issues: Uint8Array;
  count: number;
  /** Per-class thresholds t_k (float32 means of p_k over the examples given label k). */
  thresholds: Float32Array;
  /** Confident joint C[given][guessed] before calibration (diagonal clipped to ≥ 1). */
  confidentJointUncalibrated: number[][];
  /** After calibrate_confident_joint (rows sum to the class counts). */
  confidentJoint: number[][];
  /** `_keep_at_least_n_per_class(confident_joint.T, …)`: P[true][given]. */
  pruneCountMatrix: number[][];
  /** What filter_by='prune_by_class' would return (final argmax unflag applied); absent for 'prune_by_noise_rate'. */
  issuesByClass?: Uint8Array;
  /** What filter_by='prune_by_noise_rate' would return (final argmax unflag applied); absent for 'prune_by_class'. */
  issuesByNoiseRate?: Uint8Array;
}

/** numpy's rounding (`np.round`, `ndarray.round`): half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round sends .5 up; numpy sends it to the even neighbour.
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * numpy's pairwise summation (`pairwise_sum` in loops_utils.h): below 8 values a plain loop from 0;
 * up to 128, eight interleaved accumulators combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) plus the
 * tail; above, split at n/2 rounded down to a multiple of 8. `f32` rounds every addition to float32
 * (np.sum / np.mean of a float32 array); otherwise double (float64 arrays).
 */
export function pairwiseSum(a: ArrayLike<number>, f32: boolean, start = 0, n = a.length - start): number {
  return f32 ? pairwiseSum32(a, start, n) : pairwiseSum64(a, start, n);
}

// Two copies rather than a rounding callback: this runs over ~1 M probabilities per class and iteration.
function pairwiseSum32(a: ArrayLike<number>, start: number, n: number): number {
  const r = Math.fround;
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res = r(res + a[start + i]);
    return res;
  }
  if (n <= 128) {
    let r0 = a[start], r1 = a[start + 1], r2 = a[start + 2], r3 = a[start + 3];
    let r4 = a[start + 4], r5 = a[start + 5], r6 = a[start + 6], r7 = a[start + 7];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      const o = start + i;
      r0 = r(r0 + a[o]); r1 = r(r1 + a[o + 1]); r2 = r(r2 + a[o + 2]); r3 = r(r3 + a[o + 3]);
      r4 = r(r4 + a[o + 4]); r5 = r(r5 + a[o + 5]); r6 = r(r6 + a[o + 6]); r7 = r(r7 + a[o + 7]);
    }
    let res = r(r(r(r0 + r1) + r(r2 + r3)) + r(r(r4 + r5) + r(r6 + r7)));
    for (; i < n; i++) res = r(res + a[start + i]);
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return r(pairwiseSum32(a, start, n2) + pairwiseSum32(a, start + n2, n - n2));
}

function pairwiseSum64(a: ArrayLike<number>, start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    let r0 = a[start], r1 = a[start + 1], r2 = a[start + 2], r3 = a[start + 3];
    let r4 = a[start + 4], r5 = a[start + 5], r6 = a[start + 6], r7 = a[start + 7];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      const o = start + i;
      r0 += a[o]; r1 += a[o + 1]; r2 += a[o + 2]; r3 += a[o + 3];
      r4 += a[o + 4]; r5 += a[o + 5]; r6 += a[o + 6]; r7 += a[o + 7];
    }
    let res = (r0 + r1 + (r2 + r3)) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum64(a, start, n2) + pairwiseSum64(a, start + n2, n - n2);
}

/** `round_preserving_sum`: round half-even, then move the largest remainders until the rounded sum matches. */
export function roundPreservingSum(values: ArrayLike<number>): number[] {
  const floats = Array.from(values);
  const ints = floats.map(roundHalfEven);
  const origSum = roundHalfEven(pairwiseSum(floats, false));
  let intSum = roundHalfEven(pairwiseSum(ints, false));
  while (Math.abs(intSum - origSum) > 1e-6) {
    const diff = roundHalfEven(origSum - intSum);
    const increment = diff < 0 ? -1 : 1;
    const changes = Math.min(Math.trunc(Math.abs(diff)), floats.length);
    // np.argsort (introsort; insertion sort, hence stable, for the ≤ 16 entries of a row), then
    // [::-increment]: descending remainders when adding, ascending when removing.
    const rem = floats.map((f, i) => f - ints[i]);
    const order = rem.map((_, i) => i).sort((i, j) => rem[i] - rem[j] || i - j);
    if (increment === 1) order.reverse();
    for (const i of order.slice(0, changes)) ints[i] += increment;
    intSum = roundHalfEven(pairwiseSum(ints, false));
  }
  return ints;
}

/** `round_preserving_row_totals`: round_preserving_sum on every row. */
export function roundPreservingRowTotals(matrix: number[][]): number[][] {
  return matrix.map((row) => roundPreservingSum(row));
}

/** `calibrate_confident_joint`: rows scaled to the given-label counts, the whole to their total, rounded per row. */
export function calibrateConfidentJoint(confidentJoint: number[][], labelCounts: ArrayLike<number>): number[][] {
  const scaled = confidentJoint.map((row, i) => {
    const rowSum = row.reduce((s, v) => s + v, 0);
    return row.map((v) => (v / rowSum) * labelCounts[i]);
  });
  const total = pairwiseSum(scaled.flat(), false);
  let n = 0;
  for (let i = 0; i < labelCounts.length; i++) n += labelCounts[i];
  return roundPreservingRowTotals(scaled.map((row) => row.map((v) => (v / total) * n)));
}

/**
 * `_keep_at_least_n_per_class` (with `_reduce_prune_counts`): raise each diagonal entry of the
 * prune-count matrix to ≥ n, taking the increase evenly from the column's non-zero entries (the
 * divisor counts the column's non-zeros minus one, at least 1, as cleanlab does), scale off-diagonals by
 * fracNoise moving the removed mass onto the diagonal, truncate to int, round rows preserving totals.
 */
export function keepAtLeastNPerClass(pruneCountMatrix: number[][], n: number, fracNoise = 1): number[][] {
  const K = pruneCountMatrix.length;
  const diag = pruneCountMatrix.map((row, i) => row[i]);
  const newDiag = diag.map((d) => Math.max(d, n));
  const perCol = Array.from({ length: K }, (_, j) => {
    let nonzero = 0;
    for (let i = 0; i < K; i++) if (pruneCountMatrix[i][j] !== 0) nonzero++;
    return Math.max(nonzero - 1, 1);
  });
  const adjusted = pruneCountMatrix.map((row, i) =>
    row.map((v, j) => (i === j ? newDiag[i] : Math.max(v - (newDiag[j] - diag[j]) / perCol[j], 0))),
  );
  const reduced = adjusted.map((row, i) => row.map((v, j) => (i === j ? v : v * fracNoise)));
  for (let j = 0; j < K; j++) {
    let moved = 0;
    for (let i = 0; i < K; i++) moved += adjusted[i][j] - reduced[i][j];
    reduced[j][j] = adjusted[j][j] + moved;
  }
  return roundPreservingRowTotals(reduced.map((row) => row.map((v) => Math.trunc(v))));
}

/** k-th smallest value (0-based) of `a`, which it reorders: quickselect with three-way partitioning (many ties in saturated softmaxes). */
function kthSmallest(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  for (;;) {
    if (lo >= hi) return a[lo];
    const mid = (lo + hi) >>> 1;
    const x = a[lo];
    const y = a[mid];
    const z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let lt = lo;
    let gt = hi;
    let i = lo;
    while (i <= gt) {
      const v = a[i];
      if (v < pivot) {
        a[i] = a[lt];
        a[lt] = v;
        lt++;
        i++;
      } else if (v > pivot) {
        a[i] = a[gt];
        a[gt] = v;
        gt--;
      } else i++;
    }
    if (k < lt) hi = lt - 1;
    else if (k > gt) lo = gt + 1;
    else return pivot;
  }
}

/** np.partition(values, kth)[kth], with numpy's negative-kth wrap and its out-of-bounds ValueError. */
function partitionValue(values: Float32Array, kth: number): number {
  const n = values.length;
  const k = kth < 0 ? kth + n : kth;
  if (k < 0 || k >= n) throw new CleanlabError(`ValueError: kth(=${kth}) out of bounds (${n})`);
  return kthSmallest(values, k);
}

/** First index of the largest of the K values of row i (np.argmax). */
function argmaxRow(probs: Float32Array, K: number, i: number): number {
  let best = 0;
  for (let c = 1; c < K; c++) if (probs[i * K + c] > probs[i * K + best]) best = c;
  return best;
}

/**
 * cleanlab 2.0.0 `filter.find_label_issues(labels, pred_probs, filter_by=…)` for single-label data.
 * `labels` [N] in 0..K−1; `predProbs` [N, K] row-major float32 (cleanlab reads AC-MT's float32 array).
 */
export function findLabelIssues(labels: ArrayLike<number>, predProbs: Float32Array, classes: number, options: LabelIssuesOptions = {}): LabelIssuesResult {
  const filterBy = options.filterBy ?? 'prune_by_noise_rate';
  const minExamples = options.minExamplesPerClass ?? 1;
  const K = classes;
  const N = labels.length;
  const given = Int32Array.from(labels);
  if (predProbs.length !== N * K) throw new CleanlabError(`AssertionError: ${N} labels but ${predProbs.length / K} rows of pred_probs`);

  // Examples per given class (value_counts of the present classes, in class order).
  const counts = new Array<number>(K).fill(0);
  for (let i = 0; i < N; i++) {
    const y = given[i];
    if (!(y >= 0 && y < K)) throw new CleanlabError(`IndexError: label ${labels[i]} outside 0..${K - 1}`);
    counts[y]++;
  }
  const missing = counts.map((c, k) => (c === 0 ? k : -1)).filter((k) => k >= 0);
  if (missing.length > 0) {
    // The K = 2 cases in numpy's words: label_counts / the 1×1 prune matrix indexed at 1, or
    // np.partition on class 0's empty selection when only class 1 is given (prune_by_class runs first).
    const indexError = 'IndexError: index 1 is out of bounds for axis 0 with size 1';
    const detail = K !== 2 ? 'IndexError/ValueError' : missing[0] === 1 || filterBy === 'prune_by_noise_rate' ? indexError : 'ValueError: kth(=0) out of bounds (0)';
    throw new CleanlabError(`${detail} (class${missing.length > 1 ? 'es' : ''} ${missing.join(', ')} absent from the given labels)`);
  }
  const members: Int32Array[] = counts.map((c) => new Int32Array(c));
  const fill = new Array<number>(K).fill(0);
  for (let i = 0; i < N; i++) members[given[i]][fill[given[i]]++] = i;
  const predicted = new Int32Array(N);
  for (let i = 0; i < N; i++) predicted[i] = argmaxRow(predProbs, K, i);

  // get_confident_thresholds: np.mean(pred_probs[:, k][labels == k]) in float32.
  const thresholds = new Float32Array(K);
  for (let k = 0; k < K; k++) {
    const m = members[k];
    const vals = new Float32Array(m.length);
    for (let t = 0; t < m.length; t++) vals[t] = predProbs[m[t] * K + k];
    thresholds[k] = Math.fround(pairwiseSum(vals, true) / m.length);
  }
  // `thresholds - 1e-6` is a float32 array op: 1e-6 becomes float32, the difference is rounded to float32.
  const eps = Math.fround(1e-6);
  const cut = Float32Array.from(thresholds, (t) => Math.fround(t - eps));

  // compute_confident_joint: the one confident class, or the argmax when several are confident.
  const cj = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  for (let i = 0; i < N; i++) {
    let confident = 0;
    let first = -1;
    for (let c = 0; c < K; c++) {
      if (predProbs[i * K + c] >= cut[c]) {
        if (first < 0) first = c;
        confident++;
      }
    }
    if (confident === 0) continue;
    cj[given[i]][confident > 1 ? predicted[i] : first]++;
  }
  for (let k = 0; k < K; k++) cj[k][k] = Math.max(cj[k][k], 1);
  const calibrated = calibrateConfidentJoint(cj, counts);
  const transposed = calibrated.map((_, i) => calibrated.map((row) => row[i]));
  const prune = keepAtLeastNPerClass(transposed, minExamples, options.fracNoise ?? 1);

  const byClass = filterBy === 'prune_by_noise_rate' ? undefined : new Uint8Array(N);
  if (byClass) {
    for (let k = 0; k < K; k++) {
      if (counts[k] <= minExamples) continue;
      const m = members[k];
      const vals = new Float32Array(m.length);
      for (let t = 0; t < m.length; t++) vals[t] = predProbs[m[t] * K + k];
      const rank = partitionValue(vals, counts[k] - prune[k][k]);
      for (let t = 0; t < m.length; t++) if (predProbs[m[t] * K + k] < rank) byClass[m[t]] = 1;
    }
  }
  const byCount = filterBy === 'prune_by_class' ? undefined : new Uint8Array(N);
  if (byCount) {
    for (let k = 0; k < K; k++) {
      if (counts[k] <= minExamples) continue;
      const m = members[k];
      const margin = new Float32Array(m.length);
      const scratch = new Float32Array(m.length);
      for (let j = 0; j < K; j++) {
        const num = prune[j][k];
        if (j === k || num <= 0) continue;
        // float32 margins p_j − p_k; the num-th largest is the cut (−partition(−margin, num−1)[num−1]).
        for (let t = 0; t < m.length; t++) margin[t] = predProbs[m[t] * K + j] - predProbs[m[t] * K + k];
        scratch.set(margin);
        for (let t = 0; t < m.length; t++) scratch[t] = -scratch[t];
        const threshold = -partitionValue(scratch, num - 1);
        for (let t = 0; t < m.length; t++) if (margin[t] >= threshold) byCount[m[t]] = 1;
      }
    }
  }

  // Finally unflag every example whose predicted class is its given label.
  const unflag = (mask: Uint8Array) => {
    for (let i = 0; i < N; i++) if (predicted[i] === given[i]) mask[i] = 0;
    return mask;
  };
  const issuesByClass = byClass && unflag(byClass);
  const issuesByNoiseRate = byCount && unflag(byCount);
  let issues: Uint8Array;
  if (filterBy === 'both') {
    issues = new Uint8Array(N);
    for (let i = 0; i < N; i++) issues[i] = issuesByClass![i] & issuesByNoiseRate![i];
  } else issues = (issuesByClass ?? issuesByNoiseRate)!.slice();
  let count = 0;
  for (let i = 0; i < N; i++) count += issues[i];
  return { issues, count, thresholds, confidentJointUncalibrated: cj, confidentJoint: calibrated, pruneCountMatrix: prune, issuesByClass, issuesByNoiseRate };
}
