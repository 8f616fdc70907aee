import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/nn/tf.js';
import { UNet2D } from '../../src/nn/unet2d.js';
import { CmlUNet2D } from '../../src/nn/cml-unet2d.js';
import { createNetwork } from '../../src/nn/networks.js';
import { Rng } from '../../src/util/rng.js';
import { resolveConfig } from '../../src/train/config.js';
import { evaluationPolicy } from '../../src/methods/method.js';
import { cml } from '../../src/methods/cml.js';
import { acdcPseudoLabels, copyPastePseudoLabels, lccPseudoLabels } from '../../src/methods/copy-paste.js';

function values(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(0, 1));
}

const same = (a: tf.Tensor, b: tf.Tensor) => Array.from(a.dataSync()).every((x, i) => x === b.dataSync()[i]);

test("CML's 2-D network is one U-Net run twice (the official forward): shared weights, two dropout passes, identical in eval", () => {
  const x = tf.tensor(values(2 * 32 * 32, 1), [2, 32, 32, 1]);
  const cmlNet = new CmlUNet2D('model', 5, { filters: 2, classes: 4 });
  const plain = new UNet2D('model', 5, { filters: 2, classes: 4 });
  // Same parameters as the one U-Net: decoder2 of the official state dict is never used, so not built.
  assert.equal(cmlNet.parameterCount(), plain.parameterCount());
  assert.deepEqual([...cmlNet.store.params.keys()], [...plain.store.params.keys()]);
  assert.equal(new CmlUNet2D('full', 1, { filters: 16, classes: 4 }).parameterCount(), 1_813_764);

  // Train mode: view 1 and view 2 are two consecutive passes of the same network with the same stream.
  const out = cmlNet.forward(x, { training: true, rng: new Rng(9) });
  const rng = new Rng(9);
  const p1 = plain.forward(x, { training: true, rng });
  const p2 = plain.forward(x, { training: true, rng });
  assert.ok(same(out.logits, p1.logits) && same(out.heads[0], p2.logits), 'views = passes 1 and 2');
  assert.ok(same(out.features.emb1, p1.features.x4) && same(out.features.emb2, p2.features.x4), 'embeddings = each pass bottleneck x4');
  assert.deepEqual(out.features.emb1.shape, [2, 2, 2, 32]);
  assert.ok(!same(out.logits, out.heads[0]), 'the two views differ by their dropout masks');
  // Each pass updated the BN running statistics, as two train-mode calls of one module do.
  for (const [k, v] of cmlNet.store.buffers) assert.ok(same(v, plain.store.buffers.get(k)!), k);

  const ev = cmlNet.forward(x, { training: false });
  assert.ok(same(ev.logits, ev.heads[0]) && same(ev.features.emb1, ev.features.emb2));
  assert.ok(same(ev.logits, plain.forward(x, { training: false }).logits));
  const viaFactory = createNetwork('cml-unet2d', 'model', 5, { filters: 2, classes: 4 });
  assert.ok(viaFactory instanceof CmlUNet2D);
  [cmlNet, plain, viaFactory].forEach((n) => n.dispose());
});

test('the copy-paste pseudo-label rule follows the input rank: 3-D LCC on LA volumes, argmax + per-class 2-D LCC on slices', () => {
  const logits2d = tf.tensor(values(2 * 6 * 6 * 4, 3), [2, 6, 6, 4]);
  assert.deepEqual(Array.from(copyPastePseudoLabels(logits2d).dataSync()), Array.from(acdcPseudoLabels(logits2d).dataSync()));
  const logits3d = tf.tensor(values(1 * 4 * 4 * 4 * 2, 4), [1, 4, 4, 4, 2]);
  assert.deepEqual(Array.from(copyPastePseudoLabels(logits3d).dataSync()), Array.from(lccPseudoLabels(logits3d).dataSync()));
});

test('CML recipes: ACDC per METHODS §4.8/§5.2 (weights 1/0.5/0.1, ratio 1/2, constant lr, no teacher); LA unchanged', () => {
  const acdc = resolveConfig({ method: 'cml', dataset: 'ACDC', protocol: '7+63', profile: 'paper', seed: 1 });
  assert.equal(acdc.network, 'cml-unet2d');
  assert.match(acdc.sources.network, /unet\.py L135-162/);
  assert.equal(acdc.classes, 4);
  assert.deepEqual([acdc.batchSize, acdc.labeledBatch], [24, 12]);
  assert.deepEqual(acdc.params, { maskRatio: 0.5, labeledWeight: 1, unlabeledWeight: 0.5, conflictWeight: 0.1 });
  assert.equal(acdc.emaDecay, 0);
  assert.equal(acdc.emaState, undefined);
  assert.deepEqual(acdc.stages!.map((s) => [s.name, s.iterations, s.lrSchedule.kind, s.ema, s.selectOn ?? null]), [
    ['pretrain', 10000, 'constant', false, 'val'],
    ['train', 30000, 'constant', false, null],
  ]);
  assert.deepEqual(acdc.stages![1].init, { from: 'best', copyToEma: false, keepOptimizer: true });
  for (const key of Object.keys(acdc.params)) assert.match(acdc.sources.params[key], /CML/);
  assert.deepEqual(cml.networks(acdc).map((n) => n.arch), ['cml-unet2d']);
  const la = resolveConfig({ method: 'cml', dataset: 'LA', protocol: '16+64', profile: 'paper', seed: 1 });
  assert.deepEqual(cml.networks(la).map((n) => n.arch), ['dual-vnet']);
  assert.deepEqual(la.params, { maskRatio: 2 / 3, labeledWeight: 1, unlabeledWeight: 1, conflictWeight: 0.2 });
  const ev = evaluationPolicy(cml, acdc);
  assert.deepEqual([ev.decision, ev.largestComponent, ev.checkpoint, ev.networks], ['argmax', false, 'best-on-val', ['model']]);
  assert.equal(evaluationPolicy(cml, la).decision, 'foreground-threshold');
});

test('a CML step on 2-D slices: supervised, cross-view and conflict terms, weighted as the ACDC recipe says', () => {
  const config = resolveConfig({ method: 'cml', dataset: 'synthetic-2d', protocol: '3+17', profile: 'smoke', seed: 7 });
  const model = new CmlUNet2D('model', 7, { filters: 2, classes: 4 });
  const [H, W] = [32, 32];
  const rng = new Rng(2);
  const batch = {
    images: tf.tensor(values(4 * H * W, 8), [4, H, W, 1]),
    labels: tf.tensor(Int32Array.from({ length: 2 * H * W }, () => rng.int(4)), [2, H, W], 'int32'),
    labeledCount: 2,
    unlabeledCount: 2,
  };
  const pre = cml.loss({ nets: { model }, batch, iteration: 0, config, rng: new Rng(1), stage: 'pretrain' });
  const t = (x: unknown) => (typeof x === 'number' ? x : (x as tf.Tensor).dataSync()[0]);
  assert.ok(Math.abs(t(pre.loss) - (1.0 * t(pre.terms.loss_sup_l) + 0.1 * t(pre.terms.loss_dis_l))) < 1e-5);
  const step = cml.loss({ nets: { model }, batch, iteration: 0, config, rng: new Rng(1), stage: 'train' });
  const want = t(step.terms.loss_sup_l) + 0.5 * t(step.terms.loss_sup_u) + 0.1 * (t(step.terms.loss_dis_l) + t(step.terms.loss_dis_u));
  assert.ok(Math.abs(t(step.loss) - want) < 1e-5, `${t(step.loss)} vs ${want}`);
  // Conflict loss D(a,b) + D(b,a), each 1 + mean cosine: in [0, 4].
  for (const k of ['loss_dis_l', 'loss_dis_u']) assert.ok(t(step.terms[k]) >= 0 && t(step.terms[k]) <= 4, k);
  model.dispose();
});
