import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tf, type Tensor } from '../../src/nn/tf.js';
import { ParameterStore } from '../../src/nn/module.js';
import { UNet2D } from '../../src/nn/unet2d.js';
import { Rng } from '../../src/util/rng.js';
import { resolveConfig } from '../../src/train/config.js';
import { emaUpdate, emaUpdateState } from '../../src/train/ema.js';
import { train } from '../../src/train/trainer.js';
import { getDataset, resolveSplit } from '../../src/data/catalog.js';
import { SyntheticSource } from '../../src/data/synthetic.js';
import { evaluationPolicy, type Method } from '../../src/methods/method.js';
import { bcp, bcpAcdcPretrainLoss, bcpAcdcSelfTrainLoss } from '../../src/methods/bcp.js';
import { acdcMixLoss, acdcPseudoLabels, boxMask, crossEntropyMasked, diceLossMasked, largestComponentPerClass2d, randomBoxCorner } from '../../src/methods/copy-paste.js';

/** Deterministic pseudo-random floats in [−2, 2). */
function values(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-2, 2));
}

function labelsOf(n: number, classes: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(classes));
}

/** An Rng that records the bound of each `int(n)` call and answers `draws` in order. */
function recordingRng(draws: number[], bounds: number[]): Rng {
  let i = 0;
  return { int: (n: number) => (bounds.push(n), draws[i++]) } as unknown as Rng;
}

/** BCP-ACDC's DiceLoss(4) with a mask, written out with loops over channels-last data. */
function referenceDice(p: Float32Array, g: Int32Array, m: Float32Array, voxels: number, classes: number): number {
  let total = 0;
  for (let c = 0; c < classes; c++) {
    let inter = 0;
    let y = 0;
    let z = 0;
    for (let v = 0; v < voxels; v++) {
      const gc = g[v] === c ? 1 : 0;
      inter += p[v * classes + c] * gc * m[v];
      y += gc * gc * m[v];
      z += p[v * classes + c] * p[v * classes + c] * m[v];
    }
    total += 1 - (2 * inter + 1e-10) / (z + y + 1e-10);
  }
  return total / classes;
}

test('diceLossMasked is BCP-ACDC DiceLoss(4): squared terms pooled over the batch, background included, smooth 1e-10', () => {
  const [N, H, W, C] = [2, 6, 5, 4];
  const voxels = N * H * W;
  const logits = tf.tensor(values(voxels * C, 1), [N, H, W, C]);
  const labels = labelsOf(voxels, C, 2);
  const region = Float32Array.from({ length: voxels }, (_, v) => (v % 3 === 0 ? 0 : 1));
  const p = tf.softmax(logits).dataSync() as Float32Array;
  const got = diceLossMasked(logits, tf.tensor(labels, [N, H, W], 'int32'), tf.tensor(region, [N, H, W])).dataSync()[0];
  assert.ok(Math.abs(got - referenceDice(p, labels, region, voxels, C)) < 1e-6, `masked ${got}`);
  const ones = new Float32Array(voxels).fill(1);
  const unmasked = diceLossMasked(logits, tf.tensor(labels, [N, H, W], 'int32')).dataSync()[0];
  assert.ok(Math.abs(unmasked - referenceDice(p, labels, ones, voxels, C)) < 1e-6, `unmasked ${unmasked}`);
  // Pooled over the batch: not the mean of the two per-slice losses.
  const perSlice = [0, 1].map((n) => referenceDice(p.subarray(n * H * W * C), labels.subarray(n * H * W), ones, H * W, C));
  assert.ok(Math.abs(unmasked - (perSlice[0] + perSlice[1]) / 2) > 1e-4);
  // An empty region: every class is (0 + 1e-10)/(0 + 1e-10) = 1, so the loss is exactly 0.
  assert.equal(diceLossMasked(logits, tf.tensor(labels, [N, H, W], 'int32'), tf.zeros([N, H, W])).dataSync()[0], 0);
});

test('acdcMixLoss: (w_img·Dice(A; M) + w_patch·Dice(B; 1−M), w_img·CE_M(A) + w_patch·CE_{1−M}(B)), one mask tiled over the slices', () => {
  const [N, H, W, C] = [2, 6, 6, 4];
  const out = tf.tensor(values(N * H * W * C, 3), [N, H, W, C]);
  const a = tf.tensor(labelsOf(N * H * W, C, 4), [N, H, W], 'int32');
  const b = tf.tensor(labelsOf(N * H * W, C, 5), [N, H, W], 'int32');
  const mask = tf.tensor(boxMask([H, W], 2 / 3, [1, 2]), [H, W]);
  const m = tf.tile(tf.expandDims(mask, 0), [N, 1, 1]);
  const inv = tf.sub(1, m);
  const { dice, ce } = acdcMixLoss(out, a, b, mask, 0.5, 1);
  const s = (x: Tensor) => x.dataSync()[0];
  const expDice = 0.5 * s(diceLossMasked(out, a, m)) + s(diceLossMasked(out, b, inv));
  const expCe = 0.5 * s(crossEntropyMasked(out, a, m)) + s(crossEntropyMasked(out, b, inv));
  assert.ok(Math.abs(s(dice) - expDice) < 1e-6);
  assert.ok(Math.abs(s(ce) - expCe) < 1e-6);
});

test('BCP-ACDC losses: pre-training (Dice + CE)/2 at weights 1/1; self-training α on the pseudo-labelled region of each mix', () => {
  const [N, H, W, C] = [2, 8, 8, 4];
  const mask = tf.tensor(boxMask([H, W], 2 / 3, [2, 1]), [H, W]);
  const t = (seed: number) => tf.tensor(values(N * H * W * C, seed), [N, H, W, C]);
  const l = (seed: number) => tf.tensor(labelsOf(N * H * W, C, seed), [N, H, W], 'int32');
  const [outPre, outUnl, outL] = [t(10), t(11), t(12)];
  const [ya, yb, pa, pb] = [l(20), l(21), l(22), l(23)];
  const s = (x: Tensor) => x.dataSync()[0];
  const pre = bcpAcdcPretrainLoss(outPre, ya, yb, mask);
  const mp = acdcMixLoss(outPre, ya, yb, mask, 1, 1);
  assert.ok(Math.abs(s(pre.loss) - (s(mp.dice) + s(mp.ce)) / 2) < 1e-6);
  const st = bcpAcdcSelfTrainLoss(outUnl, outL, ya, yb, pa, pb, mask, 0.5);
  // X_unl = u_a·M + l_a·(1−M): ŷ_a on M with α, y_la on 1−M with 1. X_l = l_b·M + u_b·(1−M): y_lb on M with 1, ŷ_b on 1−M with α.
  const unl = acdcMixLoss(outUnl, pa, ya, mask, 0.5, 1);
  const lab = acdcMixLoss(outL, yb, pb, mask, 1, 0.5);
  assert.ok(Math.abs(s(st.unl.dice) - s(unl.dice)) < 1e-6 && Math.abs(s(st.unl.ce) - s(unl.ce)) < 1e-6);
  assert.ok(Math.abs(s(st.l.dice) - s(lab.dice)) < 1e-6 && Math.abs(s(st.l.ce) - s(lab.ce)) < 1e-6);
  assert.ok(Math.abs(s(st.loss) - (s(unl.dice) + s(lab.dice) + s(unl.ce) + s(lab.ce)) / 2) < 1e-6);
});

test('2-D pseudo-labels: per slice and per class the largest 8-connected component; dropped pixels become background', () => {
  // Slice 0 (6×6): class 1 = two pixels touching only diagonally plus one far pixel (8-connectivity: the
  // pair is one component of 2); class 2 = a 3-pixel bar and a 2-pixel bar; class 3 = two single pixels (tie).
  // Slice 1: class 1 only, one component, untouched.
  const s0 = [
    1, 0, 0, 0, 0, 1,
    0, 1, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0,
    2, 2, 2, 0, 2, 2,
    0, 0, 0, 0, 0, 0,
    3, 0, 0, 0, 0, 3,
  ];
  const s1 = [
    0, 0, 0, 0, 0, 0,
    0, 1, 1, 0, 0, 0,
    0, 1, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0,
  ];
  const out = largestComponentPerClass2d(Int32Array.from([...s0, ...s1]), 2, 6, 6, 4);
  const want0 = [
    1, 0, 0, 0, 0, 0,
    0, 1, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0,
    2, 2, 2, 0, 0, 0,
    0, 0, 0, 0, 0, 0,
    3, 0, 0, 0, 0, 0,
  ];
  assert.deepEqual(Array.from(out.subarray(0, 36)), want0);
  assert.deepEqual(Array.from(out.subarray(36)), s1);

  // From logits: argmax first (one-hot logits of the map above, channels last), then the same rule.
  const logits = new Float32Array(2 * 36 * 4);
  [...s0, ...s1].forEach((c, v) => (logits[v * 4 + c] = 3));
  const plab = acdcPseudoLabels(tf.tensor(logits, [2, 6, 6, 4]));
  assert.deepEqual(plab.shape, [2, 6, 6]);
  assert.equal(plab.dtype, 'int32');
  assert.deepEqual(Array.from(plab.dataSync()), [...want0, ...s1]);
});

test('2-D box geometry: BCP-ACDC int(2/3·d) box with the corner drawn in [0, d − box); CML-ACDC a half-size box', () => {
  for (const [d, ratio, box] of [[256, 2 / 3, 170], [12, 2 / 3, 8], [96, 2 / 3, 64], [32, 2 / 3, 21], [256, 1 / 2, 128], [10, 1 / 2, 5]] as const) {
    const bounds: number[] = [];
    const corner = randomBoxCorner([d, d], ratio, recordingRng([d - box - 1, 0], bounds));
    assert.deepEqual(bounds, [d - box, d - box], `bounds at ${d}, ratio ${ratio}`);
    const mask = boxMask([d, d], ratio, corner);
    let zeros = 0;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        const inside = i >= corner[0] && i < corner[0] + box && j >= corner[1] && j < corner[1] + box;
        assert.equal(mask[i * d + j], inside ? 0 : 1);
        zeros += inside ? 1 : 0;
      }
    }
    assert.equal(zeros, box * box);
  }
});

test('full-state EMA averages BN buffers too, truncates integer counters toward zero; params-only EMA leaves buffers', () => {
  const make = (name: string, p: number[], mean: number[], count: number) => {
    const s = new ParameterStore(name, new Rng(0));
    s.param('w', [2], Float32Array.from(p));
    s.buffer('bn.running_mean', [2], 0).assign(tf.tensor(mean, [2]));
    s.buffer('bn.num_batches_tracked', [], count, 'int32');
    return s;
  };
  const teacher = make('t', [1, -1], [0.5, -0.5], 10);
  const student = make('s', [3, 5], [1.5, 2.5], 13);
  emaUpdate(teacher.params, student.params, 0.99);
  assert.deepEqual(Array.from(teacher.buffers.get('bn.running_mean')!.dataSync()), [0.5, -0.5], 'params-only: buffers untouched');
  emaUpdateState(teacher, student, 0.99);
  const w = teacher.params.get('w')!.dataSync();
  const w1 = 0.99 * (0.99 * 1 + 0.01 * 3) + 0.01 * 3;
  assert.ok(Math.abs(w[0] - w1) < 1e-6);
  const mean = teacher.buffers.get('bn.running_mean')!.dataSync();
  assert.ok(Math.abs(mean[0] - (0.99 * 0.5 + 0.01 * 1.5)) < 1e-6 && Math.abs(mean[1] - (0.99 * -0.5 + 0.01 * 2.5)) < 1e-6);
  const counter = teacher.buffers.get('bn.num_batches_tracked')!;
  assert.equal(counter.dtype, 'int32');
  assert.equal(counter.dataSync()[0], 10, '0.99·10 + 0.01·13 = 10.03 → 10');
  const neg = make('n', [0, 0], [0, 0], -10);
  emaUpdateState(neg, make('m', [0, 0], [0, 0], -13), 0.99);
  assert.equal(neg.buffers.get('bn.num_batches_tracked')!.dataSync()[0], -10, 'toward zero, not floor');
  // α = 0 copies the whole state (the self-training start).
  emaUpdateState(teacher, student, 0);
  assert.deepEqual(Array.from(teacher.buffers.get('bn.running_mean')!.dataSync()), [1.5, 2.5]);
  assert.equal(counter.dataSync()[0], 13);
  [teacher, student, neg].forEach((s) => s.dispose());
});

test("the trainer's EMA follows the recipe: full-state moves a never-forwarded teacher's BN buffers, params-only does not", async () => {
  await tf.setBackend('cpu');
  const entry = getDataset('synthetic-2d');
  const split = resolveSplit(entry, '3+17');
  const base = resolveConfig({ method: 'bcp', dataset: 'synthetic-2d', protocol: '3+17', profile: 'smoke', seed: 3 });
  // A method whose teacher only follows the student: its BN buffers can change through the EMA alone.
  const probe: Method = {
    ...bcp,
    loss: ({ nets, batch, rng }) => {
      const { logits } = nets.student.forward(batch.images, { training: true, rng });
      return { loss: tf.mean(tf.square(logits)) as tf.Scalar, terms: {} };
    },
  };
  const run = async (emaState: 'params' | 'full-state') => {
    const config = { ...base, emaState, iterations: 2, stages: undefined, emaDecay: 0.99, checkpointEvery: 2 };
    const r = await train({ method: probe, config, split, source: new SyntheticSource(entry), runDir: mkdtempSync(path.join(os.tmpdir(), 'sslb-ema-')), fingerprint: emaState });
    const key = [...r.nets.teacher.store.buffers.keys()].find((k) => k.endsWith('running_mean'))!;
    const teacherMean = Array.from(r.nets.teacher.store.buffers.get(key)!.dataSync());
    const studentMean = Array.from(r.nets.student.store.buffers.get(key)!.dataSync());
    Object.values(r.nets).forEach((n) => n.dispose());
    return { teacherMean, studentMean };
  };
  const params = await run('params');
  assert.ok(params.teacherMean.every((x) => x === 0), 'params-only: the teacher keeps its initial running mean');
  const full = await run('full-state');
  assert.ok(full.studentMean.some((x) => x !== 0));
  assert.ok(full.teacherMean.some((x) => x !== 0), 'full-state: the teacher running mean follows the student');
});

test('BCP recipes: ACDC per METHODS §5.2 with sources; synthetic-2d is that recipe on 96×96 slices; LA keeps params-only EMA', () => {
  const acdc = resolveConfig({ method: 'bcp', dataset: 'ACDC', protocol: '7+63', profile: 'paper', seed: 1 });
  assert.equal(acdc.network, 'unet2d');
  assert.equal(acdc.classes, 4);
  assert.deepEqual(acdc.patch, [256, 256]);
  assert.equal(acdc.batchSize, 24);
  assert.equal(acdc.labeledBatch, 12);
  assert.deepEqual(acdc.lrSchedule, { kind: 'constant' });
  assert.equal(acdc.emaDecay, 0.99);
  assert.equal(acdc.emaWarmup, false);
  assert.equal(acdc.emaState, 'full-state');
  assert.equal(acdc.augmentation, 'bcp-2d');
  assert.deepEqual(acdc.params, { maskRatio: 2 / 3, uWeight: 0.5 });
  assert.deepEqual(acdc.stages!.map((s) => [s.name, s.iterations, s.lrSchedule.kind, s.ema, s.selectOn ?? null]), [
    ['pretrain', 10000, 'constant', false, 'val'],
    ['selftrain', 30000, 'constant', true, null],
  ]);
  assert.deepEqual(acdc.stages![1].init, { from: 'best', copyToEma: true, keepOptimizer: true });
  for (const [key, src] of Object.entries(acdc.sources)) {
    if (key === 'params') continue;
    assert.ok(typeof src === 'string' && src.length > 0, key);
  }
  assert.match(acdc.sources.emaState!, /ACDC_BCP_train\.py L123-129/);
  assert.match(acdc.sources.params.maskRatio, /generate_mask/);
  const syn = resolveConfig({ method: 'bcp', dataset: 'synthetic-2d', protocol: '3+17', profile: 'paper', seed: 1 });
  assert.deepEqual(syn.patch, [96, 96]);
  assert.deepEqual({ ...syn, patch: acdc.patch, dataset: 'ACDC', protocol: '7+63', sources: null }, { ...acdc, sources: null });
  const smoke = resolveConfig({ method: 'bcp', dataset: 'synthetic-2d', protocol: '3+17', profile: 'smoke', seed: 1 });
  assert.deepEqual([smoke.batchSize, smoke.labeledBatch, smoke.stages!.map((s) => s.iterations)], [4, 2, [3, 3]]);
  const la = resolveConfig({ method: 'bcp', dataset: 'LA', protocol: '16+64', profile: 'paper', seed: 1 });
  assert.equal(la.emaState, undefined);
  assert.equal(la.network, 'vnet');

  assert.deepEqual(
    [evaluationPolicy(bcp, acdc), evaluationPolicy(bcp, la)].map((p) => [p.decision, p.largestComponent, p.checkpoint]),
    [['argmax', false, 'best-on-val'], ['foreground-threshold', true, 'best-on-test']],
  );
});

test('a BCP step on 2-D slices: pre-training and self-training losses are finite, with the ACDC terms logged', () => {
  const config = resolveConfig({ method: 'bcp', dataset: 'synthetic-2d', protocol: '3+17', profile: 'smoke', seed: 7 });
  const student = new UNet2D('student', 7, { filters: 2, classes: 4 });
  const teacher = new UNet2D('teacher', 7, { filters: 2, classes: 4 });
  const [N, H, W] = [4, 32, 32];
  const batch = {
    images: tf.tensor(values(N * H * W, 8).map((x) => (x + 2) / 4), [N, H, W, 1]),
    labels: tf.tensor(labelsOf(2 * H * W, 4, 9), [2, H, W], 'int32'),
    labeledCount: 2,
    unlabeledCount: 2,
  };
  for (const stage of ['pretrain', 'selftrain']) {
    const out = bcp.loss({ nets: { student, teacher }, batch, iteration: 0, config, rng: new Rng(1), stage });
    assert.ok(Number.isFinite(out.loss.dataSync()[0]), stage);
    const names = Object.keys(out.terms).sort();
    assert.deepEqual(names, stage === 'pretrain' ? ['mix_ce', 'mix_dice'] : ['l_ce', 'l_dice', 'mix_ce', 'mix_dice', 'unl_ce', 'unl_dice']);
  }
  student.dispose();
  teacher.dispose();
});
