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
import { consistencyWeight } from '../../src/train/schedules.js';
import { samples } from '../../src/methods/losses.js';
import {
  acMt,
  acmtStrategy,
  acmtSupervised,
  entSelection,
  muSelection,
  perrSelection,
  serrSelection,
  type AcmtStrategy,
} from '../../src/methods/ac-mt.js';

interface T {
  shape: number[];
  data: number[];
}

function fixture(name: string): Record<string, any> {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return JSON.parse(readFileSync(path.join(dir, 'test', 'fixtures', 'acmt-vectors', `${name}.json`), 'utf8'));
}

/** NC… (PyTorch) data → the same values in N…C order. */
function channelsLast(t: T): number[] {
  const [N, C, ...S] = t.shape;
  const V = S.reduce((a, b) => a * b, 1);
  const out = new Array<number>(t.data.length);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let v = 0; v < V; v++) out[(n * V + v) * C + c] = t.data[(n * C + c) * V + v];
  return out;
}

/** A PyTorch NCDHW tensor as a channels-last float32 tensor. */
function tensorNC(t: T): Tensor {
  const [N, C, ...S] = t.shape;
  return tf.tensor(Float32Array.from(channelsLast(t)), [N, ...S, C]);
}

/** The leading `count` samples of an N… int tensor (labels). */
function labelsOf(t: T, count: number): Tensor {
  const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return tf.tensor(Int32Array.from(t.data.slice(0, count * per)), [count, ...t.shape.slice(1)], 'int32');
}

/** Pass [i] of a stacked (P, N, C, …) tensor as channels-last. */
function pass(t: T, i: number): Tensor {
  const [, ...rest] = t.shape;
  const per = rest.reduce((a, b) => a * b, 1);
  return tensorNC({ shape: rest, data: t.data.slice(i * per, (i + 1) * per) });
}

function scalar(x: Tensor | number): number {
  return typeof x === 'number' ? x : x.dataSync()[0];
}

function close(got: ArrayLike<number> | number | Tensor, exp: ArrayLike<number> | number, tol: { rel: number; abs: number }, what: string): void {
  const g = typeof got === 'number' ? [got] : got instanceof tf.Tensor ? Array.from(got.dataSync()) : Array.from(got);
  const e = typeof exp === 'number' ? [exp] : Array.from(exp);
  assert.equal(g.length, e.length, `${what}: length`);
  for (let i = 0; i < e.length; i++) {
    assert.ok(Math.abs(g[i] - e[i]) <= tol.abs + tol.rel * Math.abs(e[i]), `${what}[${i}]: got ${g[i]}, expected ${e[i]}`);
  }
}

function exact(got: ArrayLike<number> | Tensor, exp: ArrayLike<number>, what: string): void {
  const g = got instanceof tf.Tensor ? Array.from(got.dataSync()) : Array.from(got);
  assert.deepEqual(g, Array.from(exp), what);
}

const F64 = { rel: 0, abs: 1e-12 };

/** The total of every script: supervised + w(k)·consistency, in float32 like the loss. */
function total(sup: tf.Scalar, consistency: tf.Scalar, w: number): number {
  return tf.tidy(() => tf.add(sup, tf.mul(consistency, w)).dataSync()[0]);
}

function checkSupervised(v: Record<string, any>, sup: ReturnType<typeof acmtSupervised>): void {
  close(sup.ce, v.expected.loss_ce, v.tolerance, 'loss_ce');
  close(sup.dice, v.expected.loss_dice, v.tolerance, 'loss_dice');
  close(sup.loss, v.expected.supervised_loss, v.tolerance, 'supervised_loss');
}

test('acmt__ent_selection: entropy map, τ_k, selection, consistency over both channels, total', async () => {
  await tf.setBackend('cpu');
  const v = fixture('acmt__ent_selection');
  const logits = tensorNC(v.inputs.logits);
  const teacher = tensorNC(v.inputs.noisy_teacher_logits);
  const sup = acmtSupervised(samples(logits, 0, 2), labelsOf(v.inputs.label, 2));
  checkSupervised(v, sup);
  for (const it of v.expected.per_iteration) {
    const s = entSelection(samples(logits, 2, 2), teacher, it.iteration, 8000);
    close(s.entropy, v.expected.entropy_map.data, v.tolerance, 'entropy_map');
    close(s.threshold, it.threshold, F64, `threshold@${it.iteration}`);
    exact(s.mask, it.selected.data, `selected@${it.iteration}`);
    assert.equal(s.selected, it.selected_count);
    close(s.consistency, it.consistency_loss, v.tolerance, `consistency@${it.iteration}`);
    const w = consistencyWeight(it.iteration, 0.1, 40);
    close(w, it.consistency_weight, F64, 'weight');
    close(total(sup.loss, s.consistency, w), it.loss, v.tolerance, `loss@${it.iteration}`);
  }
});

test('acmt__mu_selection: student MC uncertainty, H_k, one-channel mask counted once, total', async () => {
  await tf.setBackend('cpu');
  const v = fixture('acmt__mu_selection');
  const logits = tensorNC(v.inputs.logits);
  const teacher = tensorNC(v.inputs.teacher_logits);
  // Fill order of the script: row r of the 16 belongs to unlabeled sample r % 2; pass t = rows 2t, 2t+1.
  const mcAll = tf.softmax(tensorNC(v.inputs.mc_student_logits));
  const mc = Array.from({ length: 8 }, (_, t) => samples(mcAll, 2 * t, 2));
  const sup = acmtSupervised(samples(logits, 0, 2), labelsOf(v.inputs.label, 2));
  checkSupervised(v, sup);
  for (const it of v.expected.per_iteration) {
    const s = muSelection(samples(logits, 2, 2), teacher, mc, it.iteration, 8000);
    close(s.uncertainty, v.expected.uncertainty.data, v.tolerance, 'uncertainty');
    close(s.threshold, it.threshold, F64, `threshold@${it.iteration}`);
    exact(s.mask, it.selected.data, `selected@${it.iteration}`);
    close(s.consistency, it.consistency_loss, v.tolerance, `consistency@${it.iteration}`);
    const w = consistencyWeight(it.iteration, 0.1, 40);
    close(w, it.consistency_weight, F64, 'weight');
    close(total(sup.loss, s.consistency, w), it.loss, v.tolerance, `loss@${it.iteration}`);
  }
});

test('acmt__perr_selection: MC σ, certain mask, rectified label, prototypes, distances, clean/noisy masks, both terms', async () => {
  await tf.setBackend('cpu');
  const v = fixture('acmt__perr_selection');
  const e = v.expected;
  const tol = v.tolerance;
  const logits = tensorNC(v.inputs.logits);
  const s = perrSelection({
    studentUnlabeledLogits: samples(logits, 2, 2),
    noisyTeacherLogits: tensorNC(v.inputs.teacher_logits_noisy),
    cleanTeacherLogits: tensorNC(v.inputs.teacher_logits_clean),
    mcTeacherLogits: Array.from({ length: 10 }, (_, i) => pass(v.inputs.teacher_logits_mc, i)),
    mcTeacherFeatures: Array.from({ length: 10 }, (_, i) => pass(v.inputs.teacher_features_mc, i)),
    uncertaintyThreshold: v.params.uncertainty_th,
    withDistances: true,
  });
  close(s.uncertainty, channelsLast(e.uncertainty_map), tol, 'uncertainty_map');
  exact(s.certain, channelsLast(e.certain_mask), 'certain_mask');
  exact(s.rectLabel, e.rect_label.data, 'rect_label');
  close(s.meanFeatures, channelsLast(e.mean_features), tol, 'mean_features');
  close(s.objPrototype, e.obj_prototype.data, tol, 'obj_prototype');
  close(s.bgPrototype, e.bg_prototype.data, tol, 'bg_prototype');
  close(s.distanceObj!, e.distance_obj.data, tol, 'distance_obj');
  close(s.distanceBg!, e.distance_bg.data, tol, 'distance_bg');
  exact(s.selection, channelsLast(e.selection_mask), 'selection_mask');
  // The selection comes from one upsampled scalar field; it agrees with the sign of the explicit distances.
  const fromDistances = Array.from(s.distanceObj!).flatMap((d, i) => [d > s.distanceBg![i] ? 1 : 0, d < s.distanceBg![i] ? 1 : 0]);
  exact(s.selection, fromDistances, 'selection vs distances');
  exact(s.studentOneHot, channelsLast(e.student_onehot), 'student_onehot');
  exact(s.clean, channelsLast(e.clean_mask), 'clean_mask');
  close(s.noisyTerm, e.noisy_term, tol, 'noisy_term');
  close(s.entropyTerm, e.entropy_term, tol, 'entropy_term (batch-against-channel broadcast)');
  close(s.consistency, e.consistency_loss, tol, 'consistency_loss');
  const sup = acmtSupervised(samples(logits, 0, 2), labelsOf(v.inputs.label, 2));
  checkSupervised(v, sup);
  for (const it of e.per_iteration) {
    const w = consistencyWeight(it.iteration, 0.1, 40);
    close(w, it.consistency_weight, F64, 'weight');
    close(total(sup.loss, s.consistency, w), it.loss, tol, `loss@${it.iteration}`);
  }
});

for (const name of ['acmt__serr_selection', 'acmt__serr_fallback']) {
  test(`${name}: given labels, pred_probs, cleanlab path or fallback, consistency, total`, async () => {
    await tf.setBackend('cpu');
    const v = fixture(name);
    const e = v.expected;
    const logits = tensorNC(v.inputs.logits);
    const s = serrSelection(samples(logits, 2, 2), tensorNC(v.inputs.teacher_logits_noisy), tensorNC(v.inputs.teacher_logits_clean), 'both');
    exact(s.givenLabels, e.given_labels.data, 'given_labels');
    close(s.predProbs.slice(0, 10), e.pred_probs_flat_first5.data, v.tolerance, 'pred_probs first 5 rows');
    assert.equal(s.path, e.path);
    if (e.path === 'cleanlab') {
      exact(s.mask!, e.label_issues.data, 'label_issues');
      assert.equal(s.selected, e.label_issue_count);
    } else {
      assert.ok(s.error!.includes(e.exception), `${s.error} vs ${e.exception}`);
    }
    close(s.consistency, e.consistency_loss, v.tolerance, 'consistency_loss');
    const sup = acmtSupervised(samples(logits, 0, 2), labelsOf(v.inputs.label, 2));
    checkSupervised(v, sup);
    for (const it of e.per_iteration) {
      const w = consistencyWeight(it.iteration, 0.1, 40);
      close(w, it.consistency_weight, F64, 'weight');
      close(total(sup.loss, s.consistency, w), it.loss, v.tolerance, `loss@${it.iteration}`);
    }
  });
}

test('P-Err entropy term with one unlabeled sample pairs each sample with its own entropy (PyTorch broadcast for B_u = 1)', async () => {
  await tf.setBackend('cpu');
  const { perrMaskedEntropy, normalizedEntropy } = await import('../../src/methods/ac-mt.js');
  const p = tf.softmax(tf.randomNormal([1, 2, 2, 2, 2], 0, 1, 'float32', 4));
  const clean = tf.tensor(Float32Array.from([1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 1, 1, 1, 0, 0]), [1, 2, 2, 2, 2]);
  const expected = tf.mean(tf.mul(clean, tf.expandDims(normalizedEntropy(p), -1)));
  close(perrMaskedEntropy(p, clean), expected.dataSync()[0], { rel: 1e-6, abs: 1e-7 }, 'B_u = 1');
});

test('the recipe: LA AC-MT values with their sources, default strategy entropy, unknown strategies refused', () => {
  const c = resolveConfig({ method: 'ac-mt', dataset: 'LA', protocol: '8', profile: 'paper', seed: 1 });
  assert.equal(c.iterations, 8000);
  assert.deepEqual([c.batchSize, c.labeledBatch], [4, 2]);
  assert.deepEqual(c.lrSchedule, { kind: 'poly', power: 0.9, maxIterations: 8000 });
  assert.deepEqual([c.emaDecay, c.emaWarmup, c.consistencyWeight, c.consistencyRampup], [0.99, true, 0.1, 40]);
  assert.deepEqual([c.selectEvery, c.selectAfter], [50, 500]);
  assert.equal(acmtStrategy(c), 'entropy');
  assert.deepEqual(
    [c.params.entThresholdStart, c.params.entThresholdEnd, c.params.mcSamples, c.params.muThresholdRise, c.params.perrUncertaintyThreshold, c.params.perrPasses, c.params.serrFilterBy],
    [0.75, 0.95, 8, 0.15, 0.1, 10, 'both'],
  );
  assert.match(c.sources.lrSchedule, /train_ACMT_Ent_3D\.py L198-202/);
  assert.match(c.sources.params.mcSamples, /train_ACMT_MU_3D\.py/);
  assert.throws(() => acmtStrategy({ params: { strategy: 'cps' } }), /unknown AC-MT strategy 'cps'/);
  assert.deepEqual(acMt.evaluation.networks, ['student']);
  assert.equal(acMt.evaluation.checkpoint, 'best-on-test');
  assert.equal(acMt.evaluation.largestComponent, false);
});

/** A tiny V-Net student/teacher pair, and a batch of 2 labeled + 2 unlabeled 16³ patches. */
function tinySetup(strategy: AcmtStrategy): { config: ResolvedConfig; nets: Record<string, Network>; batch: { images: Tensor; labels: Tensor; labeledCount: number; unlabeledCount: number } } {
  const base = resolveConfig({ method: 'ac-mt', dataset: 'LA', protocol: '8', profile: 'paper', seed: 1 });
  const config: ResolvedConfig = { ...base, filters: 2, patch: [16, 16, 16], params: { ...base.params, strategy } };
  const nets = Object.fromEntries(acMt.networks(config).map((spec) => [spec.role, createNetwork(spec.arch, spec.role, 7, spec.options)]));
  const images = tf.randomNormal([4, 16, 16, 16, 1], 0, 1, 'float32', 11);
  const labels = tf.tidy(() => tf.cast(tf.greater(tf.slice(images, [0, 0, 0, 0, 0], [2, 16, 16, 16, 1]).squeeze([4]), 0.3), 'int32'));
  return { config, nets, batch: { images, labels, labeledCount: 2, unlabeledCount: 2 } };
}

for (const strategy of ['entropy', 'mu', 'perr', 'serr'] as AcmtStrategy[]) {
  test(`one training step of acMt.loss with strategy ${strategy} on a tiny V-Net: finite loss and student gradients`, async () => {
    await tf.setBackend('cpu');
    const { config, nets, batch } = tinySetup(strategy);
    const trainable = Array.from(nets.student.store.params.values());
    let terms: Record<string, number> = {};
    const { value, grads } = tf.variableGrads(() => {
      const out = acMt.loss({ nets, batch, iteration: 3000, config, rng: new Rng(5), stage: 'train' });
      terms = Object.fromEntries(Object.entries(out.terms).map(([k, t]) => [k, scalar(t)]));
      return out.loss;
    }, trainable);
    const loss = value.dataSync()[0];
    assert.ok(Number.isFinite(loss), `loss ${loss}`);
    for (const k of ['loss_ce', 'loss_dice', 'loss_consistency', 'consistency_weight']) assert.ok(Number.isFinite(terms[k]), `${k} = ${terms[k]}`);
    const g = Object.values(grads).map((t) => Array.from(t.dataSync()));
    assert.ok(g.every((a) => a.every(Number.isFinite)), 'finite gradients');
    assert.ok(g.some((a) => a.some((x) => x !== 0)), 'some non-zero gradient');
    assert.equal(Object.keys(grads).length, trainable.length);
    if (strategy === 'serr') assert.ok(terms.serr_cleanlab === 0 || terms.serr_cleanlab === 1);
    if (strategy === 'mu') {
      // QUIRK kept: MU's MC passes go through the student in train mode, so its BN running statistics differ
      // from those of the same student after only the step's own forward (same weights, batch and dropout stream).
      const key = 'block_1.bn.0.running_mean';
      const spec = acMt.networks(config)[0];
      const reference = createNetwork(spec.arch, spec.role, 7, spec.options);
      tf.tidy(() => {
        reference.forward(batch.images, { training: true, rng: new Rng(5) });
      });
      const once = Array.from(reference.store.buffers.get(key)!.dataSync());
      assert.notDeepEqual(Array.from(nets.student.store.buffers.get(key)!.dataSync()), once);
      assert.notDeepEqual(once, new Array(once.length).fill(0));
      reference.dispose();
    }
    Object.values(nets).forEach((n) => n.dispose());
    tf.dispose([value, batch.images, batch.labels, ...Object.values(grads)]);
  });
}
