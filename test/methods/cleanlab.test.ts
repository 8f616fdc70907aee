import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CleanlabError,
  findLabelIssues,
  keepAtLeastNPerClass,
  pairwiseSum,
  roundHalfEven,
  roundPreservingSum,
} from '../../src/methods/cleanlab.js';

function fixture(name: string): Record<string, any> {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return JSON.parse(readFileSync(path.join(dir, 'test', 'fixtures', 'acmt-vectors', `${name}.json`), 'utf8'));
}

/** Rows of class probabilities, flattened. */
function rows(...r: number[][]): Float32Array {
  return Float32Array.from(r.flat());
}

function indices(mask: Uint8Array | undefined): number[] {
  return Array.from(mask ?? []).flatMap((m, i) => (m ? [i] : []));
}

/** Softmax over the last axis of NCDHW logits, as [N·D·H·W, C] rows in (n, d, h, w) order (what S-Err hands cleanlab). */
function softmaxRows(t: { shape: number[]; data: number[] }): { probs: Float32Array; argmax: Uint8Array } {
  const [N, C, ...S] = t.shape;
  const V = S.reduce((a, b) => a * b, 1);
  const probs = new Float32Array(N * V * C);
  const argmax = new Uint8Array(N * V);
  for (let n = 0; n < N; n++) {
    for (let v = 0; v < V; v++) {
      const z = Array.from({ length: C }, (_, c) => Math.fround(t.data[(n * C + c) * V + v]));
      const m = Math.max(...z);
      const e = z.map((x) => Math.exp(x - m));
      const s = e.reduce((a, b) => a + b, 0);
      e.forEach((x, c) => (probs[(n * V + v) * C + c] = x / s));
      let best = 0;
      for (let c = 1; c < C; c++) if (probs[(n * V + v) * C + c] > probs[(n * V + v) * C + best]) best = c;
      argmax[n * V + v] = best;
    }
  }
  return { probs, argmax };
}

test('numpy rounding and pairwise summation as cleanlab 2.0 relies on them', () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, -0, -2, 2, 3]);
  // float32 pairwise: 2^24 + 1 + 1 sequentially loses both 1s; numpy's 8-accumulator blocks keep them.
  const a = new Float32Array(9).fill(1);
  a[0] = 2 ** 24;
  assert.equal(pairwiseSum(a, true), 2 ** 24 + 8);
  assert.equal(pairwiseSum([0.1, 0.2, 0.3], false), 0.1 + 0.2 + 0.3);
});

test('round_preserving_sum: half-to-even first, then the largest remainders move (stable order, reversed when adding)', () => {
  // ints [0, 0, 1] sum 1 < 2: remainders [.5, .5, 0] sorted ascending [2, 0, 1], reversed → index 1 gets +1.
  assert.deepEqual(roundPreservingSum([0.5, 0.5, 1.0]), [0, 1, 1]);
  assert.deepEqual(roundPreservingSum([2.5, 2.5]), [2, 3]);
  // ints [2, 2, 1] sum 5 > 4: remainders [−.5, −.5, 0] ascending → index 0 loses 1.
  assert.deepEqual(roundPreservingSum([1.5, 1.5, 1.0]), [1, 2, 1]);
  assert.deepEqual(roundPreservingSum([5.333333333333333, 2.6666666666666665]), [5, 3]);
});

test('_keep_at_least_n_per_class: the diagonal rises to n, the column pays it, off-diagonals scale by frac_noise, truncation', () => {
  // Column 0: diag 0 → 1, its one non-zero off-diagonal (5) pays 1/max(1 − 1, 1) = 1.
  assert.deepEqual(keepAtLeastNPerClass([[0, 3], [5, 2]], 1), [[1, 3], [4, 2]]);
  // frac 0.5: off-diagonals halve, the columns' removed mass (2 and 1.5) goes to the diagonal, then int truncation.
  assert.deepEqual(keepAtLeastNPerClass([[0, 3], [5, 2]], 1, 0.5), [[3, 1], [2, 3]]);
});

test('hand case, 2 classes: thresholds, confident joint, calibration, both prunings', () => {
  // Given 0: p0 = .9375 .875 .875 .75 .25 .125; given 1: p1 = .9375 .875 .625 .125.
  // t0 = 3.8125/6, t1 = 2.5625/4 = .640625. Confident guesses: given 0 → 0,0,0,0,1,1; given 1 → 1,1,–,0
  // (.625 < t1 and .375 < t0: not counted). C = [[4,2],[1,2]]; rows scaled to 6 and 4 → [[4,2],[1.33,2.67]]
  // → [[4,2],[1,3]]; P = Cᵀ = [[4,1],[2,3]]. By class: 6−4 = 2 lowest p0 (.25, .125) and 4−3 = 1 lowest
  // p1 (.125). By noise rate: P[1][0] = 2 largest p1−p0 of given 0 (.5, .75), P[0][1] = 1 largest p0−p1 of given 1.
  const p0 = [0.9375, 0.875, 0.875, 0.75, 0.25, 0.125];
  const p1 = [0.9375, 0.875, 0.625, 0.125];
  const probs = rows(...p0.map((p) => [p, 1 - p]), ...p1.map((p) => [1 - p, p]));
  const labels = Uint8Array.from([0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
  const r = findLabelIssues(labels, probs, 2, { filterBy: 'both' });
  assert.deepEqual(Array.from(r.thresholds), [Math.fround(3.8125 / 6), 0.640625]);
  assert.deepEqual(r.confidentJointUncalibrated, [[4, 2], [1, 2]]);
  assert.deepEqual(r.confidentJoint, [[4, 2], [1, 3]]);
  assert.deepEqual(r.pruneCountMatrix, [[4, 1], [2, 3]]);
  assert.deepEqual(indices(r.issuesByClass), [4, 5, 9]);
  assert.deepEqual(indices(r.issuesByNoiseRate), [4, 5, 9]);
  assert.deepEqual(indices(r.issues), [4, 5, 9]);
  assert.equal(r.count, 3);
});

test('hand case, ties: prune_by_class cuts strictly below the order statistic, prune_by_count keeps every tie at its cut', () => {
  // Given 0 (8): p0 = .875×4, .25×2, .4375×2; given 1 (4): p1 = .75. t0 = 4.875/8 = .609375, t1 = .75.
  // Guesses of given 0: 0×4, 1×2 (p1 = .75 ≥ t1 − 1e-6), the .4375s are confident in neither → C row [4, 2],
  // scaled to 8: [5.33, 2.67] → [5, 3]. So prune_by_class wants 8 − 5 = 3 issues, but the 3rd smallest p0
  // (.4375) is shared, and only p0 < .4375 is flagged: the two .25s. prune_by_count wants P[1][0] = 3, the
  // 3rd largest margin p1 − p0 is .125 (shared by two), and margin ≥ .125 flags four.
  const p0 = [0.875, 0.875, 0.875, 0.875, 0.25, 0.25, 0.4375, 0.4375];
  const probs = rows(...p0.map((p) => [p, 1 - p]), [0.25, 0.75], [0.25, 0.75], [0.25, 0.75], [0.25, 0.75]);
  const labels = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
  const r = findLabelIssues(labels, probs, 2, { filterBy: 'both' });
  assert.deepEqual(Array.from(r.thresholds), [0.609375, 0.75]);
  assert.deepEqual(r.confidentJointUncalibrated, [[4, 2], [0, 4]]);
  assert.deepEqual(r.confidentJoint, [[5, 3], [0, 4]]);
  assert.deepEqual(r.pruneCountMatrix, [[5, 0], [3, 4]]);
  assert.deepEqual(indices(r.issuesByClass), [4, 5]);
  assert.deepEqual(indices(r.issuesByNoiseRate), [4, 5, 6, 7]);
  assert.deepEqual(indices(r.issues), [4, 5]);
  assert.deepEqual(indices(findLabelIssues(labels, probs, 2, { filterBy: 'prune_by_noise_rate' }).issues), [4, 5, 6, 7]);
  // With .5/.5 instead of .4375/.5625 the same counts arise (t0 = .625), the margin cut is 0 and flags the two
  // .5s as well, but their argmax (first maximum: class 0) is their given label, so the final step unflags them.
  const even = rows(...[0.875, 0.875, 0.875, 0.875, 0.25, 0.25, 0.5, 0.5].map((p) => [p, 1 - p]), [0.25, 0.75], [0.25, 0.75], [0.25, 0.75], [0.25, 0.75]);
  const e = findLabelIssues(labels, even, 2, { filterBy: 'prune_by_noise_rate' });
  assert.deepEqual(e.pruneCountMatrix, [[5, 0], [3, 4]]);
  assert.deepEqual(indices(e.issues), [4, 5]);
});

test('hand case, 3 classes: several confident classes take the argmax, the diagonal is clipped to 1, argmax = label unflags', () => {
  // t = (.3125, .5625, .625). e1 = (.375, .625, 0) is confident in 0 and 1 → argmax 1; e0 and e4 in none.
  // C = [[0→1, 1, 0], [1, 1, 0], [0, 0, 1]]; calibrated to counts (2, 2, 2) it is unchanged; P = Cᵀ.
  // By class: e0 (p0 .25 < .375), e3 (p1 .375 < .75). By noise rate: given 0 margins p1 − p0 tie at .25 → e0, e1;
  // given 1: p0 − p1 largest at e3.
  const probs = rows([0.25, 0.5, 0.25], [0.375, 0.625, 0], [0.125, 0.75, 0.125], [0.5, 0.375, 0.125], [0.25, 0.25, 0.5], [0.125, 0.125, 0.75]);
  const labels = Uint8Array.from([0, 0, 1, 1, 2, 2]);
  const r = findLabelIssues(labels, probs, 3, { filterBy: 'both' });
  assert.deepEqual(Array.from(r.thresholds), [0.3125, 0.5625, 0.625]);
  assert.deepEqual(r.confidentJointUncalibrated, [[1, 1, 0], [1, 1, 0], [0, 0, 1]]);
  assert.deepEqual(r.confidentJoint, [[1, 1, 0], [1, 1, 0], [0, 0, 2]]);
  assert.deepEqual(indices(r.issuesByClass), [0, 3]);
  assert.deepEqual(indices(r.issuesByNoiseRate), [0, 1, 3]);
  assert.deepEqual(indices(r.issues), [0, 3]);
});

test('a single given class raises where cleanlab 2.0.0 raises (AC-MT then falls back)', () => {
  const probs = rows([0.9, 0.1], [0.8, 0.2], [0.4, 0.6]);
  assert.throws(() => findLabelIssues(Uint8Array.from([0, 0, 0]), probs, 2, { filterBy: 'both' }), (e: unknown) => e instanceof CleanlabError && /IndexError: index 1 is out of bounds for axis 0 with size 1/.test(e.message));
  assert.throws(() => findLabelIssues(Uint8Array.from([1, 1, 1]), probs, 2, { filterBy: 'both' }), (e: unknown) => e instanceof CleanlabError && /ValueError: kth\(=0\) out of bounds/.test(e.message));
});

test('acmt__serr_selection: cleanlab intermediates of the pinned commit', () => {
  const v = fixture('acmt__serr_selection');
  const { probs } = softmaxRows(v.inputs.teacher_logits_clean);
  const given = Uint8Array.from(v.expected.given_labels.data);
  const r = findLabelIssues(given, probs, 2, { filterBy: 'both' });
  const { rel, abs } = v.tolerance;
  v.expected.per_class_thresholds.forEach((t: number, k: number) => assert.ok(Math.abs(r.thresholds[k] - t) <= abs + rel * Math.abs(t), `threshold ${k}: ${r.thresholds[k]} vs ${t}`));
  // float32 means, so exact to the printed float32.
  assert.deepEqual(Array.from(r.thresholds), v.expected.per_class_thresholds.map(Math.fround));
  const mat = (t: { data: number[] }) => [t.data.slice(0, 2), t.data.slice(2, 4)];
  assert.deepEqual(r.confidentJointUncalibrated, mat(v.expected.confident_joint_uncalibrated));
  assert.deepEqual(r.confidentJoint, mat(v.expected.confident_joint_calibrated));
  assert.equal(indices(r.issuesByClass).length, v.expected.issues_prune_by_class);
  assert.equal(indices(r.issuesByNoiseRate).length, v.expected.issues_prune_by_noise_rate);
  assert.equal(r.count, v.expected.label_issue_count);
  assert.deepEqual(Array.from(r.issues), v.expected.label_issues.data);
});

test('2·112·112·80 examples (one S-Err iteration) take well under a second or two of CPU', () => {
  const N = 2 * 112 * 112 * 80;
  const probs = new Float32Array(2 * N);
  const labels = new Uint8Array(N);
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let i = 0; i < N; i++) {
    const p1 = Math.fround(rand());
    probs[2 * i] = Math.fround(1 - p1);
    probs[2 * i + 1] = p1;
    labels[i] = (p1 > 0.5) !== rand() < 0.1 ? 1 : 0;
  }
  // CPU time, not wall time: the test machines are shared.
  const c0 = process.cpuUsage();
  const r = findLabelIssues(labels, probs, 2, { filterBy: 'both' });
  const ms = process.cpuUsage(c0).user / 1000;
  assert.ok(r.count > 0.05 * N && r.count < 0.15 * N, `${r.count} issues of ${N}`);
  assert.ok(ms < 3000, `took ${ms.toFixed(0)} ms of CPU`);
});
