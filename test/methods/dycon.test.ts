import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tf, type Tensor } from '../../src/nn/tf.js';
import { createNetwork } from '../../src/nn/networks.js';
import type { Network } from '../../src/nn/network.js';
import { Rng } from '../../src/util/rng.js';
import { resolveConfig, type ResolvedConfig } from '../../src/train/config.js';
import { samples, softmaxMse } from '../../src/methods/losses.js';
import type { TrainBatch } from '../../src/methods/method.js';
import {
  adaptiveBeta,
  doubleSoftmaxMse,
  downsampleLabels,
  dycon,
  dyconStepLoss,
  embeddingFactor,
  fecLabelSource,
  feclLoss,
  feclThresholds,
  flattenEmbeddings,
  maxEpoch,
  patchLabels,
  unclLoss,
} from '../../src/methods/dycon.js';

interface T {
  shape: number[];
  data: number[];
}
interface Tol {
  rel: number;
  abs: number;
}

function fixture(name: string): Record<string, any> {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return JSON.parse(readFileSync(path.join(dir, 'test', 'fixtures', 'dycon-vectors', `${name}.json`), 'utf8'));
}

/** A PyTorch N C … tensor as a channels-last float32 tensor N … C. */
function tensorNC(t: T): Tensor {
  const [N, C, ...S] = t.shape;
  const V = S.reduce((a, b) => a * b, 1);
  const out = new Float32Array(t.data.length);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let v = 0; v < V; v++) out[(n * V + v) * C + c] = t.data[(n * C + c) * V + v];
  return tf.tensor(out, [N, ...S, C]);
}

function labelTensor(t: T, start = 0, count = t.shape[0]): Tensor {
  const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return tf.tensor(Int32Array.from(t.data.slice(start * per, (start + count) * per)), [count, ...t.shape.slice(1)], 'int32');
}

function scalar(x: Tensor | number): number {
  return typeof x === 'number' ? x : x.dataSync()[0];
}

function close(got: ArrayLike<number> | number | Tensor, exp: ArrayLike<number> | number, tol: Tol, what: string): void {
  const g = typeof got === 'number' ? [got] : got instanceof tf.Tensor ? Array.from(got.dataSync()) : Array.from(got);
  const e = typeof exp === 'number' ? [exp] : Array.from(exp);
  assert.equal(g.length, e.length, `${what}: length`);
  for (let i = 0; i < e.length; i++) assert.ok(Math.abs(g[i] - e[i]) <= tol.abs + tol.rel * Math.abs(e[i]), `${what}[${i}]: got ${g[i]}, expected ${e[i]}`);
}

test('dycon__schedules: β per epoch for labelnum 25/12/8, FeCL thresholds, max_epoch', async () => {
  const v = fixture('dycon__schedules');
  const tol: Tol = v.tolerance;
  for (const labelnum of v.inputs.labelnums as number[]) {
    const E = maxEpoch(v.params.max_iterations, labelnum, v.params.labeled_bs);
    assert.equal(E, v.expected.total_epochs_by_labelnum[String(labelnum)], `max_epoch for labelnum ${labelnum}`);
    close(v.inputs.epochs.map((e: number) => adaptiveBeta(e, E, v.expected.beta_max, v.expected.beta_min)), v.expected[`beta_labelnum_${labelnum}`], tol, `beta labelnum ${labelnum}`);
    close(v.inputs.epochs.map((e: number) => adaptiveBeta(e, E)), v.expected[`beta_labelnum_${labelnum}`], tol, `beta defaults labelnum ${labelnum}`);
  }
  close(v.inputs.epochs.map((e: number) => feclThresholds(e).pos), v.expected.pos_thresh, tol, 'pos_thresh');
  close(v.inputs.epochs.map((e: number) => feclThresholds(e).neg), v.expected.neg_thresh, tol, 'neg_thresh');
  close(v.inputs.epochs.map((e: number) => feclThresholds(e).crossNeg), v.expected.neg_thresh, tol, 'cross neg_thresh');
});

test('dycon__uncl: UnCLoss at β 5, 3.1, 1, 0.5', async () => {
  await tf.setBackend('cpu');
  const v = fixture('dycon__uncl');
  const s = tensorNC(v.inputs.s_logits);
  const t = tensorNC(v.inputs.t_logits);
  close((v.inputs.betas as number[]).map((b) => scalar(unclLoss(s, t, b))), v.expected.loss, v.tolerance, 'uncl');
});

test('dycon__fecl: embeddings, student term and teacher cross term, focal on/off, at epochs 0/500/1500/3000', async () => {
  await tf.setBackend('cpu');
  const v = fixture('dycon__fecl');
  const tol: Tol = v.tolerance;
  const fs = flattenEmbeddings(tensorNC(v.inputs.student_features));
  const ft = flattenEmbeddings(tensorNC(v.inputs.teacher_features));
  assert.deepEqual(fs.shape, v.expected.student_embeddings.shape);
  close(fs, v.expected.student_embeddings.data, tol, 'student_embeddings');
  close(ft, v.expected.teacher_embeddings.data, tol, 'teacher_embeddings');
  const [B, , P] = v.inputs.patch_labels.shape;
  const labels = tf.tensor(Float32Array.from(v.inputs.patch_labels.data), [B, P]);
  for (const e of v.expected.per_epoch) {
    const focal = feclLoss(fs, ft, labels, e.epoch, { useFocal: true });
    const plain = feclLoss(fs, ft, labels, e.epoch, { useFocal: false });
    close(focal.crossThreshold, e.cross_neg_threshold, { rel: 1e-12, abs: 1e-15 }, `threshold e=${e.epoch}`);
    assert.equal(scalar(focal.hardNegatives), e.cross_hard_negatives, `hard negatives e=${e.epoch}`);
    close(scalar(focal.total), e.total_focal, tol, `total_focal e=${e.epoch}`);
    close(scalar(plain.total), e.total_no_focal, tol, `total_no_focal e=${e.epoch}`);
    close(scalar(feclLoss(fs, null, labels, e.epoch, { useFocal: true }).total), e.student_term_focal, tol, `student_term_focal e=${e.epoch}`);
    close(scalar(feclLoss(fs, null, labels, e.epoch, { useFocal: false }).total), e.student_term_no_focal, tol, `student_term_no_focal e=${e.epoch}`);
    close(scalar(focal.student), e.student_term_focal, tol, `student part e=${e.epoch}`);
  }
});

test('FeCL teacher term is exactly 0 when no different-label pair exceeds θ(e)', async () => {
  await tf.setBackend('cpu');
  // Orthogonal student/teacher features: every cross similarity is 0 < θ.
  const fs = tf.tensor([[[1, 0], [1, 0], [1, 0]]]);
  const ft = tf.tensor([[[0, 1], [0, 1], [0, 1]]]);
  const labels = tf.tensor([[0, 1, 1]]);
  const r = feclLoss(fs, ft, labels, 0);
  assert.equal(scalar(r.hardNegatives), 0);
  assert.equal(scalar(r.cross), 0);
  assert.equal(scalar(r.total), scalar(r.student));
});

test('dycon__patch_labels: trilinear 1/8 and 1/4 down-sampling (central 2×2×2 mean) and strict > 0.5', async () => {
  await tf.setBackend('cpu');
  const v = fixture('dycon__patch_labels');
  const label = labelTensor(v.inputs.label);
  for (const scaler of v.params.feature_scalers as number[]) {
    const exp = v.expected[`feature_scaler_${scaler}`];
    const factor = 4 * scaler;
    const down = downsampleLabels(label, factor);
    assert.deepEqual(down.shape, exp.interpolated.shape);
    close(down, exp.interpolated.data, v.tolerance, `interpolated scaler ${scaler}`);
    const mask = patchLabels(label, factor);
    assert.deepEqual(mask.shape, [exp.mask_con.shape[0], exp.mask_con.shape[2]]);
    assert.deepEqual(Array.from(mask.dataSync()), exp.mask_con.data, `mask_con scaler ${scaler}`);
  }
  // 4 of the 8 central voxels set → exactly 0.5 → background.
  const half = tf.tensor4d(Int32Array.from([1, 1, 1, 1, 0, 0, 0, 0]), [1, 2, 2, 2], 'int32');
  assert.deepEqual(Array.from(patchLabels(half, 2).dataSync()), [0]);
  // Odd factors sample the single central voxel.
  const odd = tf.tensor4d(Int32Array.from(Array.from({ length: 27 }, (_, i) => (i === 13 ? 1 : 0))), [1, 3, 3, 3], 'int32');
  assert.deepEqual(Array.from(downsampleLabels(odd, 3).dataSync()), [1]);
});

test('dycon__double_softmax_mse: softmax applied to probabilities (QUIRK) vs the single-softmax reference', async () => {
  await tf.setBackend('cpu');
  const v = fixture('dycon__double_softmax_mse');
  const L = v.params.labeled_bs;
  const s = tensorNC(v.inputs.stud_logits);
  const t = tensorNC(v.inputs.ema_logits);
  const U = s.shape[0] - L;
  const got = doubleSoftmaxMse(tf.softmax(samples(s, L, U)), tf.softmax(samples(t, L, U)));
  close(scalar(got), v.expected.consistency_loss, v.tolerance, 'consistency_loss');
  close(scalar(tf.mean(softmaxMse(samples(s, L, U), samples(t, L, U)))), v.expected.single_softmax_reference, v.tolerance, 'single_softmax_reference');
});

test('dycon__step_losses: CE + Dice-FG, double-softmax MSE, FeCL (GT patch labels), UnCL, weights and total', async () => {
  await tf.setBackend('cpu');
  const v = fixture('dycon__step_losses');
  const tol: Tol = v.tolerance;
  const L = v.params.labeled_bs;
  const sLogits = tensorNC(v.inputs.stud_logits);
  const tLogits = tensorNC(v.inputs.ema_logits);
  const sFeat = tensorNC(v.inputs.stud_features);
  const tFeat = tensorNC(v.inputs.ema_features);
  const all = labelTensor(v.inputs.label);
  const N = all.shape[0];
  const factor = embeddingFactor(all.shape.slice(1), sFeat.shape.slice(1, 4));
  assert.equal(factor, 4 * v.params.feature_scaler);
  const patches = patchLabels(all, factor);
  assert.deepEqual(Array.from(patches.dataSync()), v.expected.patch_labels.data);
  const r = dyconStepLoss(
    {
      studentLogits: sLogits,
      teacherLogits: tLogits,
      studentEmbeddings: flattenEmbeddings(sFeat),
      teacherEmbeddings: flattenEmbeddings(tFeat),
      labels: labelTensor(v.inputs.label, 0, L),
      unlabeledPatchLabels: samples(patches, L, N - L),
      labeledCount: L,
      iteration: v.params.iteration,
      epoch: v.params.epoch,
      totalEpochs: v.params.total_epochs,
    },
    { labeledWeight: v.expected.weights.l_weight, unlabeledWeight: v.expected.weights.u_weight, temperature: v.expected.weights.temp, gamma: v.expected.weights.gamma },
  );
  close(r.beta, v.expected.beta, { rel: 1e-12, abs: 1e-15 }, 'beta');
  close(r.consistencyWeight, v.expected.consistency_weight, { rel: 1e-12, abs: 1e-15 }, 'consistency_weight');
  close(scalar(r.ce), v.expected.loss_seg, tol, 'loss_seg (CE)');
  close(scalar(r.dice), v.expected.loss_seg_dice, tol, 'loss_seg_dice');
  close(scalar(r.fecl.total), v.expected.f_loss, tol, 'f_loss');
  close(scalar(r.uncl), v.expected.u_loss, tol, 'u_loss');
  close(scalar(r.consistency), v.expected.consistency_loss, tol, 'consistency_loss');
  close(scalar(r.loss), v.expected.loss, tol, 'loss');
});

test('label source: usesUnlabeledLabels only for fecLabels = ground-truth; unknown sources refused', () => {
  const c = resolveConfig({ method: 'dycon', dataset: 'LA', protocol: '8', profile: 'paper', seed: 1 });
  assert.equal(fecLabelSource(c), 'teacher');
  assert.equal(dycon.usesUnlabeledLabels!(c), false);
  assert.equal(dycon.usesUnlabeledLabels!({ ...c, params: { ...c.params, fecLabels: 'ground-truth' } }), true);
  assert.equal(dycon.usesUnlabeledLabels!({ ...c, params: { ...c.params, fecLabels: 'teacher' } }), false);
  assert.throws(() => fecLabelSource({ ...c, params: { ...c.params, fecLabels: 'gt' } }), /unknown DyCON FeCL label source 'gt'/);
});

test('the recipe: LA DyCON values with their sources; evaluation policy', () => {
  const c = resolveConfig({ method: 'dycon', dataset: 'LA', protocol: '8', profile: 'paper', seed: 1 });
  assert.deepEqual([c.iterations, c.batchSize, c.labeledBatch, c.baseLr], [20000, 8, 4, 0.01]);
  assert.deepEqual(c.lrSchedule, { kind: 'constant' });
  assert.deepEqual([c.gradClipNorm, c.skipNonFiniteSteps], [1, true]);
  assert.deepEqual([c.emaDecay, c.emaWarmup, c.consistencyWeight, c.consistencyRampup], [0.99, true, 0.1, 200]);
  assert.deepEqual([c.augmentation, c.patch, c.filters, c.dropout], ['crop-rotflip', [112, 112, 80], 16, 0.3]);
  assert.deepEqual(
    [c.params.labeledWeight, c.params.unlabeledWeight, c.params.betaMax, c.params.betaMin, c.params.temperature, c.params.gamma, c.params.useFocal, c.params.rampupEpochs, c.params.featureScaler, c.params.fecLabels],
    [1, 0.5, 5, 0.5, 0.6, 2, true, 1500, 2, 'teacher'],
  );
  assert.match(c.sources.patch, /assumption/);
  assert.match(c.sources.gradClipNorm, /train_DyCON_BraTS19\.py L266-267/);
  assert.match(c.sources.params.fecLabels, /ground truth.*L227-230/);
  for (const [k, s] of Object.entries(c.sources)) if (k !== 'params') assert.ok(typeof s === 'string' && s.length > 0, `source of ${k}`);
  assert.deepEqual(dycon.networks(c).map((n) => [n.role, n.arch, n.trainable, n.emaOf, n.options.scaleFactor]), [
    ['student', 'unet3d', true, undefined, 2],
    ['teacher', 'unet3d', false, 'student', 2],
  ]);
  assert.deepEqual(
    [dycon.evaluation.networks, dycon.evaluation.decision, dycon.evaluation.largestComponent, dycon.evaluation.checkpoint],
    [['student'], 'foreground-threshold', true, 'best-on-test'],
  );
});

/**
 * A tiny UNet3D pair and a 2 + 2 batch. The patch is 32×16×16 rather than 16³: at 16³ the centre is a
 * single voxel, which InstanceNorm maps to 0, so every embedding would be zero and FeCL degenerate.
 */
function tinySetup(fecLabels: string): { config: ResolvedConfig; nets: Record<string, Network>; images: Tensor; allLabels: Tensor } {
  const base = resolveConfig({ method: 'dycon', dataset: 'LA', protocol: '8', profile: 'paper', seed: 1 });
  const config: ResolvedConfig = { ...base, filters: 2, patch: [32, 16, 16], params: { ...base.params, fecLabels } };
  const nets = Object.fromEntries(dycon.networks(config).map((spec) => [spec.role, createNetwork(spec.arch, spec.role, 7, spec.options)]));
  const images = tf.randomNormal([4, 32, 16, 16, 1], 0, 1, 'float32', 11);
  const allLabels = tf.tidy(() => tf.cast(tf.greater(tf.squeeze(images, [4]), 0.3), 'int32'));
  return { config, nets, images, allLabels };
}

function step(nets: Record<string, Network>, config: ResolvedConfig, batch: TrainBatch): { loss: number; terms: Record<string, number>; grads: number[][] } {
  const trainable = Array.from(nets.student.store.params.values());
  let terms: Record<string, number> = {};
  const { value, grads } = tf.variableGrads(() => {
    const out = dycon.loss({ nets, batch, iteration: 3000, config, rng: new Rng(5), stage: 'train', epoch: 500, epochs: 5001 });
    terms = Object.fromEntries(Object.entries(out.terms).map(([k, t]) => [k, scalar(t)]));
    return out.loss;
  }, trainable);
  const result = { loss: value.dataSync()[0], terms, grads: Object.values(grads).map((t) => Array.from(t.dataSync())) };
  tf.dispose([value, ...Object.values(grads)]);
  return result;
}

/** The same step's loss terms without the backward pass (same dropout and noise stream). */
function forwardOnly(nets: Record<string, Network>, config: ResolvedConfig, batch: TrainBatch): Record<string, number> {
  return tf.tidy(() => {
    const out = dycon.loss({ nets, batch, iteration: 3000, config, rng: new Rng(5), stage: 'train', epoch: 500, epochs: 5001 });
    return Object.fromEntries([['loss', scalar(out.loss)], ...Object.entries(out.terms).map(([k, t]) => [k, scalar(t)])]);
  });
}

for (const fecLabels of ['teacher', 'ground-truth']) {
  test(`one dycon.loss step on a tiny UNet3D with fecLabels = ${fecLabels}: finite loss and gradients; unlabeled ground truth used only when asked`, async () => {
    await tf.setBackend('cpu');
    const { config, nets, images, allLabels } = tinySetup(fecLabels);
    const labels = samples(allLabels, 0, 2);
    const blank = tf.concat([labels, tf.zerosLike(samples(allLabels, 2, 2))], 0);
    const batch = (all?: Tensor): TrainBatch => ({ images, labels, labeledCount: 2, unlabeledCount: 2, ...(all ? { allLabels: all } : {}) });
    const a = step(nets, config, batch(fecLabels === 'teacher' ? undefined : allLabels));
    assert.ok(Number.isFinite(a.loss), `loss ${a.loss}`);
    for (const k of ['loss_ce', 'loss_dice', 'loss_consistency', 'loss_uncl', 'loss_fecl', 'loss_fecl_student', 'loss_fecl_cross', 'beta', 'consistency_weight']) assert.ok(Number.isFinite(a.terms[k]), `${k} = ${a.terms[k]}`);
    close(a.terms.beta, adaptiveBeta(500, 5001), { rel: 1e-12, abs: 0 }, 'beta from the epoch');
    assert.ok(a.grads.every((g) => g.every(Number.isFinite)), 'finite gradients');
    assert.ok(a.grads.some((g) => g.some((x) => x !== 0)), 'some non-zero gradient');
    if (fecLabels === 'teacher') {
      // Given the unlabeled ground truth anyway (here blanked), the teacher variant ignores it.
      assert.equal(forwardOnly(nets, config, batch(blank)).loss, a.loss, 'the teacher variant never reads the unlabeled ground truth');
    } else {
      // Blanking the unlabeled ground truth (16 patches of 4×2×2 per sample) changes FeCL: the leak.
      const b = forwardOnly(nets, config, batch(blank));
      assert.equal(b.loss_uncl, a.terms.loss_uncl, 'same forward pass');
      assert.notEqual(b.loss_fecl, a.terms.loss_fecl, 'the ground-truth variant reads the unlabeled labels');
      assert.throws(() => dycon.loss({ nets, batch: batch(), iteration: 0, config, rng: new Rng(5), epoch: 0, epochs: 1 }), /allLabels/);
    }
    Object.values(nets).forEach((n) => n.dispose());
    tf.dispose([images, allLabels, labels, blank]);
  });
}
