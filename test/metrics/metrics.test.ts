import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { binaryMetrics, labelMetrics, EMPTY_NOTES, type BinaryMetrics } from '../../src/metrics/index.js';
import { surfaceOf } from '../../src/metrics/masks.js';
import { SslBenchError } from '../../src/errors.js';
import { decodeMask, loadVectors, num } from './vectors.js';
import { oracle } from './oracle.js';

function close(actual: number, expected: number, what: string, rel = 1e-9): void {
  const tol = rel + rel * Math.abs(expected);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected} (±${tol})`);
}

function prod(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

describe('reference vectors (METRICS.md §11)', () => {
  const vectors = loadVectors();
  test('all 18 public vectors are present', () => {
    assert.equal(vectors.length, 18);
  });
  for (const v of vectors) {
    test(v.file, () => {
      const size = prod(v.shape);
      const pred = decodeMask(v.pred, size);
      const ref = decodeMask(v.ref, size);
      const opts = { spacing: v.spacing };
      const m = binaryMetrics(pred, ref, v.shape, opts);
      const e = v.expected;
      const predEmpty = v.diagnostics.n_pred === 0;
      const refEmpty = v.diagnostics.n_ref === 0;
      assert.equal(m.emptyPrediction, predEmpty);
      assert.equal(m.emptyReference, refEmpty);

      if (predEmpty || refEmpty) {
        // medpy raises on these; the papers' guard records (0, 0, 0, 0).
        assert.ok(v.ssl_convention, 'empty vectors carry ssl_convention');
        assert.deepEqual(
          { dice: m.dice, jaccard: m.jaccard, hd95: m.hd95, asd: m.asd },
          { dice: v.ssl_convention.dice, jaccard: v.ssl_convention.jaccard, hd95: v.ssl_convention.hd95, asd: v.ssl_convention.asd },
        );
        assert.equal(m.note, predEmpty && refEmpty ? EMPTY_NOTES.bothEmpty : EMPTY_NOTES.emptyPrediction);
        const monai = binaryMetrics(pred, ref, v.shape, { ...opts, semantics: 'monai' });
        assert.ok(Number.isNaN(monai.hd95), 'MONAI hd95 with an empty mask is NaN');
        const monaiAsd = num(v.diagnostics.monai_asd)!;
        if (Number.isNaN(monaiAsd)) assert.ok(Number.isNaN(monai.asd));
        else assert.equal(monai.asd, monaiAsd);
        const monaiDice = num(v.diagnostics.monai_dice_ignore_empty)!;
        if (Number.isNaN(monaiDice)) assert.ok(Number.isNaN(monai.dice));
        else assert.equal(monai.dice, monaiDice);
        assert.ok(monai.note?.startsWith('monai-'));
        return;
      }

      assert.equal(m.note, undefined);
      // Bitwise for the overlap metrics, 1e-9 for distances (METRICS.md's suggested comparison).
      assert.equal(m.dice, e.dice);
      assert.equal(m.jaccard, e.jaccard);
      close(m.hd95, e.hd95!, 'hd95');
      close(m.asd, e.asd!, 'asd');

      const reverse = binaryMetrics(pred, ref, v.shape, { ...opts, asdDirection: 'ref-to-pred' });
      close(reverse.asd, num(v.diagnostics.asd_ref_to_pred)!, 'asd ref→pred');
      assert.equal(reverse.hd95, m.hd95);

      const monai = binaryMetrics(pred, ref, v.shape, { ...opts, semantics: 'monai' });
      close(monai.hd95, num(v.diagnostics.monai_hd95)!, 'MONAI hd95');
      close(monai.asd, num(v.diagnostics.monai_asd)!, 'MONAI asd');
      close(monai.dice, num(v.diagnostics.monai_dice_ignore_empty)!, 'MONAI dice');

      assert.equal(surfaceOf(pred, v.shape).indices.length, v.diagnostics.n_surface_pred, 'pred surface size');
      assert.equal(surfaceOf(ref, v.shape).indices.length, v.diagnostics.n_surface_ref, 'ref surface size');
    });
  }
});

describe('medpy and MONAI unit-test values', () => {
  test('medpy tests/metric_/binary.py: asd([1,0],[0,1]) is 1, and 2 with spacing 2', () => {
    assert.equal(binaryMetrics([1, 0], [0, 1], [2]).asd, 1);
    assert.equal(binaryMetrics([1, 0], [0, 1], [2], { spacing: [2] }).asd, 2);
  });

  // MONAI's create_spherical_seg_3d: (index·spacing − centre)² summed ≤ r², on a 99³ grid.
  function sphere(radius: number, centre: [number, number, number], spacing: [number, number, number] = [1, 1, 1]): Uint8Array {
    const n = 99;
    const out = new Uint8Array(n * n * n);
    for (let i = 0; i < n; i++) {
      const y = i * spacing[0] - centre[0];
      for (let j = 0; j < n; j++) {
        const x = j * spacing[1] - centre[1];
        for (let k = 0; k < n; k++) {
          const z = k * spacing[2] - centre[2];
          if (x * x + y * y + z * z <= radius * radius) out[(i * n + j) * n + k] = 1;
        }
      }
    }
    return out;
  }
  const shape = [99, 99, 99];

  test('spheres r20 at (20,20,20) and (19,19,19): hd95 √3 in both semantics', () => {
    const a = sphere(20, [20, 20, 20]);
    const b = sphere(20, [19, 19, 19]);
    close(binaryMetrics(a, b, shape).hd95, 1.7320508, 'medpy hd95', 1e-7);
    close(binaryMetrics(a, b, shape, { semantics: 'monai' }).hd95, 1.7320508, 'MONAI hd95', 1e-7);
  });

  test('spheres r20 vs r40 at (20,33,22): pooled vs per-direction percentile, directed asd', () => {
    const a = sphere(20, [20, 33, 22]);
    const b = sphere(40, [20, 33, 22]);
    const medpy = binaryMetrics(a, b, shape);
    close(medpy.hd95, 20.0499377, 'medpy hd95', 1e-7);
    close(medpy.asd, 12.040033513150455, 'medpy asd');
    const monai = binaryMetrics(a, b, shape, { semantics: 'monai' });
    close(monai.hd95, 20.0997512, 'MONAI hd95', 1e-7);
    close(monai.asd, 12.040033513150455, 'MONAI asd');
  });

  test('spheres r33 shifted by one voxel: asd 0.34832788…', () => {
    const m = binaryMetrics(sphere(33, [19, 33, 22]), sphere(33, [20, 33, 22]), shape);
    close(m.asd, 0.3483278807706289, 'asd');
  });
});

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A few random ellipsoids plus scattered voxels: blobs with interiors, thin parts and border contact. */
function randomMask(shape: readonly number[], rand: () => number, speckle: number): Uint8Array {
  const size = prod(shape);
  const out = new Uint8Array(size);
  const blobs = 1 + Math.floor(rand() * 3);
  const centres: number[][] = [];
  const radii: number[][] = [];
  for (let b = 0; b < blobs; b++) {
    centres.push(shape.map((s) => rand() * s));
    radii.push(shape.map((s) => 0.5 + rand() * s * 0.4));
  }
  for (let i = 0; i < size; i++) {
    let rem = i;
    const c = new Array<number>(shape.length);
    for (let a = shape.length - 1; a >= 0; a--) {
      c[a] = rem % shape[a];
      rem = Math.floor(rem / shape[a]);
    }
    for (let b = 0; b < blobs; b++) {
      let s = 0;
      for (let a = 0; a < shape.length; a++) s += ((c[a] - centres[b][a]) / radii[b][a]) ** 2;
      if (s <= 1) out[i] = 1;
    }
    if (rand() < speckle) out[i] = 1;
  }
  return out;
}

function assertMatchesOracle(m: BinaryMetrics, o: ReturnType<typeof oracle>, label: string): void {
  assert.equal(m.dice, o.dice, `${label} dice`);
  assert.equal(m.jaccard, o.jaccard, `${label} jaccard`);
  close(m.hd95, o.hd95, `${label} hd95`, 1e-12);
  close(m.asd, o.asd, `${label} asd`, 1e-12);
}

describe('agreement with a brute-force oracle on random masks', () => {
  const rand = rng(20240601);
  const shapes: number[][] = [[17], [9, 13], [1, 12, 10], [7, 9, 6], [10, 8, 5], [5, 6, 4, 3], [12, 1, 9], [3, 3, 3]];
  let caseNo = 0;
  for (const shape of shapes) {
    for (let rep = 0; rep < 4; rep++) {
      const id = caseNo++;
      test(`case ${id}: shape ${shape.join('×')}`, () => {
        const spacing = shape.map(() => [1, 0.625, 2.5, 0.8, 1.2, 3][Math.floor(rand() * 6)]);
        let pred = randomMask(shape, rand, 0.05);
        let ref = randomMask(shape, rand, 0.05);
        if (!pred.some((x) => x)) pred[0] = 1;
        if (!ref.some((x) => x)) ref[ref.length - 1] = 1;
        const o = oracle(pred, ref, shape, spacing);
        const m = binaryMetrics(pred, ref, shape, { spacing });
        assertMatchesOracle(m, o, `shape ${shape.join('×')} spacing ${spacing.join(',')}`);
        close(binaryMetrics(pred, ref, shape, { spacing, asdDirection: 'ref-to-pred' }).asd, o.asdRefToPred, 'asd ref→pred', 1e-12);
      });
    }
  }

  test('lines dense with surface voxels (one envelope per line) and sparse ones (outward scan) both match', () => {
    // One-voxel-thick sheets along the last axis put up to 30 queries on a line; a far-away blob makes the
    // outward scans long.
    const shape = [6, 7, 30];
    const p = new Uint8Array(prod(shape));
    const r = new Uint8Array(prod(shape));
    for (let j = 1; j < 6; j++) for (let k = 0; k < 30; k++) p[(2 * 7 + j) * 30 + k] = 1;
    for (let i = 3; i < 6; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 28; k += 9) r[(i * 7 + j) * 30 + k] = 1;
    r[(0 * 7 + 6) * 30 + 29] = 1;
    for (const spacing of [[1, 1, 1], [2.5, 0.7, 0.3]]) {
      assertMatchesOracle(binaryMetrics(p, r, shape, { spacing }), oracle(p, r, shape, spacing), `spacing ${spacing}`);
      const rev = binaryMetrics(p, r, shape, { spacing, asdDirection: 'ref-to-pred' });
      close(rev.asd, oracle(p, r, shape, spacing).asdRefToPred, 'asd ref→pred', 1e-12);
    }
  });

  test('nonzero values of any sign or size are foreground (medpy astype(bool))', () => {
    const shape = [6, 7];
    const r = rng(7);
    const base = randomMask(shape, r, 0.1);
    const ref = randomMask(shape, r, 0.1);
    const weird = Float32Array.from(base, (x, i) => (x ? [-3, 0.5, 255, 2][i % 4] : 0));
    assert.deepEqual(binaryMetrics(weird, ref, shape), binaryMetrics(base, ref, shape));
  });
});

describe('properties', () => {
  const rand = rng(99);
  const shape = [14, 12, 9];
  const spacing = [0.8, 1.2, 2.5];
  const pairs = Array.from({ length: 4 }, () => {
    // Keep clear of the border so zero-padding leaves surfaces unchanged.
    const inner = [10, 8, 5];
    const embed = (m: Uint8Array): Uint8Array => {
      const out = new Uint8Array(prod(shape));
      for (let i = 0; i < inner[0]; i++)
        for (let j = 0; j < inner[1]; j++)
          for (let k = 0; k < inner[2]; k++) out[((i + 2) * shape[1] + (j + 2)) * shape[2] + (k + 2)] = m[(i * inner[1] + j) * inner[2] + k];
      return out;
    };
    return [embed(randomMask(inner, rand, 0.02)), embed(randomMask(inner, rand, 0.02))] as const;
  });

  test('dice, jaccard and hd95 are symmetric; swapping arguments swaps the asd direction', () => {
    for (const [p, r] of pairs) {
      const a = binaryMetrics(p, r, shape, { spacing });
      const b = binaryMetrics(r, p, shape, { spacing });
      assert.equal(b.dice, a.dice);
      assert.equal(b.jaccard, a.jaccard);
      assert.equal(b.hd95, a.hd95);
      assert.equal(b.asd, binaryMetrics(p, r, shape, { spacing, asdDirection: 'ref-to-pred' }).asd);
    }
  });

  test('zero-padding the volume changes nothing (masks off the border)', () => {
    const pad = [[3, 1], [0, 4], [2, 2]];
    const big = shape.map((s, a) => s + pad[a][0] + pad[a][1]);
    const embed = (m: Uint8Array): Uint8Array => {
      const out = new Uint8Array(prod(big));
      for (let i = 0; i < shape[0]; i++)
        for (let j = 0; j < shape[1]; j++)
          for (let k = 0; k < shape[2]; k++)
            out[((i + pad[0][0]) * big[1] + (j + pad[1][0])) * big[2] + (k + pad[2][0])] = m[(i * shape[1] + j) * shape[2] + k];
      return out;
    };
    for (const [p, r] of pairs) {
      assert.deepEqual(binaryMetrics(embed(p), embed(r), big, { spacing }), binaryMetrics(p, r, shape, { spacing }));
    }
  });

  test('zero-padding also leaves border-touching masks unchanged: outside the array is background', () => {
    // If voxels outside the array counted as foreground (or were ignored), the faces of vector 11's masks
    // would stop being surface and padding would change every distance metric.
    const v = loadVectors().find((x) => x.file.startsWith('11_border_touching'))!;
    const size = prod(v.shape);
    const p = decodeMask(v.pred, size);
    const r = decodeMask(v.ref, size);
    const big = v.shape.map((s) => s + 4);
    const embed = (m: Uint8Array): Uint8Array => {
      const out = new Uint8Array(prod(big));
      const [s0, s1, s2] = v.shape;
      for (let i = 0; i < s0; i++)
        for (let j = 0; j < s1; j++)
          for (let k = 0; k < s2; k++) out[((i + 2) * big[1] + (j + 2)) * big[2] + (k + 2)] = m[(i * s1 + j) * s2 + k];
      return out;
    };
    assert.equal(surfaceOf(embed(p), big).indices.length, 236);
    const padded = binaryMetrics(embed(p), embed(r), big, { spacing: v.spacing });
    assert.deepEqual(padded, binaryMetrics(p, r, v.shape, { spacing: v.spacing }));
    close(padded.asd, v.expected.asd!, 'asd');
  });

  test('scaling the spacing scales hd95 and asd and leaves dice and jaccard alone', () => {
    for (const [p, r] of pairs) {
      const a = binaryMetrics(p, r, shape, { spacing });
      const twice = binaryMetrics(p, r, shape, { spacing: spacing.map((s) => s * 2) });
      // ×2 is exact in binary floating point.
      assert.equal(twice.hd95, a.hd95 * 2);
      assert.equal(twice.asd, a.asd * 2);
      const thrice = binaryMetrics(p, r, shape, { spacing: spacing.map((s) => s * 3) });
      close(thrice.hd95, a.hd95 * 3, 'hd95 ×3', 1e-12);
      close(thrice.asd, a.asd * 3, 'asd ×3', 1e-12);
      assert.equal(thrice.dice, a.dice);
      assert.equal(thrice.jaccard, a.jaccard);
    }
  });

  test('isotropic distances do not depend on the axis order', () => {
    const [p, r] = pairs[0];
    const a = binaryMetrics(p, r, shape);
    // Transpose to [k, j, i].
    const t = (m: Uint8Array): Uint8Array => {
      const out = new Uint8Array(m.length);
      for (let i = 0; i < shape[0]; i++)
        for (let j = 0; j < shape[1]; j++)
          for (let k = 0; k < shape[2]; k++) out[(k * shape[1] + j) * shape[0] + i] = m[(i * shape[1] + j) * shape[2] + k];
      return out;
    };
    const b = binaryMetrics(t(p), t(r), [shape[2], shape[1], shape[0]]);
    assert.equal(b.dice, a.dice);
    assert.equal(b.hd95, a.hd95);
    close(b.asd, a.asd, 'asd', 1e-14);
  });
});

describe('empty masks', () => {
  const shape = [5, 6];
  const blob = Uint8Array.from({ length: 30 }, (_, i) => (i % 6 > 1 && i % 6 < 4 && i > 6 && i < 24 ? 1 : 0));
  const none = new Uint8Array(30);

  test('medpy: empty prediction, empty reference and both score (0,0,0,0) with flags and notes', () => {
    assert.deepEqual(binaryMetrics(none, blob, shape), {
      dice: 0, jaccard: 0, hd95: 0, asd: 0, emptyPrediction: true, emptyReference: false, note: 'empty-prediction-scored-zero',
    });
    assert.deepEqual(binaryMetrics(blob, none, shape), {
      dice: 0, jaccard: 0, hd95: 0, asd: 0, emptyPrediction: false, emptyReference: true, note: 'empty-reference-scored-zero',
    });
    assert.deepEqual(binaryMetrics(none, none, shape), {
      dice: 0, jaccard: 0, hd95: 0, asd: 0, emptyPrediction: true, emptyReference: true, note: 'both-empty-scored-zero',
    });
    const ok = binaryMetrics(blob, blob, shape);
    assert.deepEqual(ok, { dice: 1, jaccard: 1, hd95: 0, asd: 0, emptyPrediction: false, emptyReference: false });
  });

  test('monai: NaN and +Infinity as MONAI returns them, flagged', () => {
    const p = binaryMetrics(none, blob, shape, { semantics: 'monai' });
    assert.equal(p.dice, 0);
    assert.ok(Number.isNaN(p.hd95));
    assert.equal(p.asd, Infinity);
    assert.equal(p.note, EMPTY_NOTES.monaiEmptyPrediction);
    const r = binaryMetrics(blob, none, shape, { semantics: 'monai' });
    assert.ok(Number.isNaN(r.dice) && Number.isNaN(r.jaccard) && Number.isNaN(r.hd95));
    assert.equal(r.asd, Infinity);
    assert.equal(r.emptyReference, true);
    const both = binaryMetrics(none, none, shape, { semantics: 'monai' });
    assert.ok([both.dice, both.jaccard, both.hd95, both.asd].every(Number.isNaN));
  });

  test('monai binarises with == 1 while medpy takes any nonzero value', () => {
    const twos = Uint8Array.from(blob, (x) => x * 2);
    assert.equal(binaryMetrics(twos, blob, shape).dice, 1);
    const m = binaryMetrics(twos, blob, shape, { semantics: 'monai' });
    assert.equal(m.emptyPrediction, true);
    assert.equal(m.dice, 0);
  });
});

describe('labelMetrics', () => {
  const rand = rng(5);
  const shape = [8, 9, 7];
  const size = prod(shape);
  const lab = (): Uint8Array => {
    const a = randomMask(shape, rand, 0);
    const b = randomMask(shape, rand, 0);
    return Uint8Array.from({ length: size }, (_, i) => (a[i] ? 1 : b[i] ? 2 : 0));
  };
  const pred = lab();
  const ref = lab();
  for (let i = 0; i < size; i += 11) ref[i] = 3;

  test('each label equals binaryMetrics of (pred == c, ref == c); medpy mean counts empty classes as 0', () => {
    const spacing = [1, 1, 2.5];
    const lm = labelMetrics(pred, ref, shape, [1, 2, 3], { spacing });
    for (const c of [1, 2, 3]) {
      const bp = Uint8Array.from(pred, (x) => (x === c ? 1 : 0));
      const br = Uint8Array.from(ref, (x) => (x === c ? 1 : 0));
      assert.deepEqual(lm.labels[String(c)], binaryMetrics(bp, br, shape, { spacing }));
    }
    assert.equal(lm.labels['3'].emptyPrediction, true);
    assert.equal(lm.labels['3'].note, EMPTY_NOTES.emptyPrediction);
    const vals = Object.values(lm.labels);
    assert.equal(lm.mean.dice, (vals[0].dice + vals[1].dice + vals[2].dice) / 3);
    assert.equal(lm.mean.hd95, (vals[0].hd95 + vals[1].hd95 + vals[2].hd95) / 3);
  });

  test('monai mean skips NaN entries (do_metric_reduction)', () => {
    const noTwo = Uint8Array.from(ref, (x) => (x === 2 ? 0 : x));
    const lm = labelMetrics(pred, noTwo, shape, [1, 2], { semantics: 'monai' });
    assert.ok(Number.isNaN(lm.labels['2'].dice));
    assert.equal(lm.mean.dice, lm.labels['1'].dice);
    assert.equal(lm.mean.asd, Infinity);
  });
});

describe('input array types', () => {
  test('typed arrays (word-skipping fast path), plain arrays, unaligned views and -0 give identical results', () => {
    const shape = [9, 6, 8]; // 8-byte rows: byte masks take the word-at-a-time path
    const r = rng(31);
    const p = randomMask(shape, r, 0.01);
    const q = randomMask(shape, r, 0.01);
    const expected = binaryMetrics(Array.from(p), Array.from(q), shape, { spacing: [1, 2, 0.5] });
    const backing = new Uint8Array(p.length + 1);
    backing.set(p, 1);
    const variants: Array<[string, ArrayLike<number>]> = [
      ['Uint8Array', p],
      ['unaligned Uint8Array view', backing.subarray(1)],
      ['Float32Array with -0 background', Float32Array.from(p, (x) => (x ? 1 : -0))],
      ['Float64Array', Float64Array.from(p)],
      ['Int16Array', Int16Array.from(p)],
    ];
    for (const [name, arr] of variants) assert.deepEqual(binaryMetrics(arr, q, shape, { spacing: [1, 2, 0.5] }), expected, name);
    const labels = Uint16Array.from(p, (x, i) => (x ? 1 + (i % 2) * 6 : 0));
    const lm = labelMetrics(labels, labels, shape, [1, 7]);
    assert.equal(lm.labels['1'].dice, 1);
    assert.equal(lm.labels['7'].dice, 1);
  });
});

describe('input validation', () => {
  test('length, shape, spacing and option errors are SslBenchErrors with one clear line', () => {
    const a = new Uint8Array(12);
    assert.throws(() => binaryMetrics(a, new Uint8Array(11), [3, 4]), (e: unknown) => e instanceof SslBenchError && /prediction has 12 and reference 11/.test(e.message));
    assert.throws(() => binaryMetrics(a, a, [3, 4], { spacing: [1, 1, 1] }), (e: unknown) => e instanceof SslBenchError && /spacing has 3 values for 2 axes/.test(e.message));
    assert.throws(() => binaryMetrics(a, a, [3, 4], { spacing: [1, 0] }), SslBenchError);
    assert.throws(() => binaryMetrics(a, a, [3, 4.5]), SslBenchError);
    assert.throws(() => binaryMetrics(a, a, [3, 4], { semantics: 'scipy' as never }), /unknown semantics 'scipy'/);
    assert.throws(() => labelMetrics(a, a, [3, 4], [1, 1]), /label 1 is listed twice/);
  });
});
