/**
 * BCP, Bidirectional Copy-Paste (Bai et al., CVPR 2023), BCP:code/LA_BCP_train.py (METHODS §4.7).
 * Stage `pretrain` (2000 its, constant lr): copy-paste between two labeled pairs, L = ½(CE + Dice-PS)
 * on the mixed volumes; the best model on the test cases (every 200 its) is kept — the official pipeline
 * selects it on the test set, and the record says so. Stage `selftrain` (15000 its, lr ×0.1/2500): student
 * and teacher start from that model; X_in = l_a⊙M + u_a⊙(1−M), X_out = u_b⊙M + l_b⊙(1−M) with teacher
 * pseudo-labels (train mode, P(fg) ≥ 0.5, largest component) and `mix_loss` weights so that every
 * pseudo-labelled voxel weighs α = 0.5; EMA 0.99 without warm-up after every step. Test: student,
 * P(fg) > 0.5, LCC. Code facts kept: the unlabeled half of a pre-training batch is drawn and discarded;
 * one box per iteration is shared by both pairs; the student is forwarded twice (BN statistics over 2
 * volumes each). Deviations: the box corner's bounds follow the patch instead of the hard-coded
 * 112×112×80 (identical at the LA patch; see copy-paste.ts); the unused projection/selector heads of
 * BCP's V-Net (8,452 parameters that never receive a gradient) are not built.
 *
 * ACDC (2-D slices, BCP:code/ACDC_BCP_train.py, METHODS §4.7 "ACDC losses", §5.2): the 2-D inputs select
 * this script's step. Network `UNet_2d` = the SSL4MIS U-Net with its encoder dropout (its unused
 * projection/selector heads, 13,064 parameters without gradient, are not built). Box int(2/3·H) × int(2/3·W)
 * (`generate_mask` hard-codes 2/3; 170×170 at 256²) with the corner drawn in [0, H − 170) from the image
 * size, one box per iteration. Pre-training (10000 its): X = l_a⊙M + l_b⊙(1−M), L = (Dice + CE)/2 with the
 * ACDC `mix_loss` at weights 1/1 (`u_weight=1.0, unlab=True`): Dice is the region-masked `DiceLoss(4)`
 * (squared terms pooled over the batch, smooth 1e-10, background included), CE region-masked.
 * Self-training (30000 its): teacher pseudo-labels = argmax + per-slice, per-class largest 8-connected
 * component (`get_ACDC_masks(nms=1)`, teacher in train mode); QUIRK kept — the directions are the mirror
 * of LA's: X_unl = u_a⊙M + l_a⊙(1−M) (the unlabeled slice outside the box, weight α there) and
 * X_l = l_b⊙M + u_b⊙(1−M) (pseudo-labelled box, weight α); L = (Dice_unl + Dice_l + CE_unl + CE_l)/2.
 * Constant lr 0.01 in both stages; the student reloads the pre-training weights and SGD state, the
 * teacher the weights and BN buffers; the EMA (α 0.99, no warm-up) averages the whole state_dict, BN
 * running statistics included (recipe `emaState: full-state`; the trainer owns it). The consistency
 * weight the script computes (5·0.1·ramp) is only logged there and not computed here. Test: student,
 * argmax, no LCC, slice by slice; best val Dice (every 200 its) is the paper's checkpoint.
 * The SGD momentum handed to the next stage comes with the best weights (best.ckpt), as `load_net_opt` does.
 */
import { tf, type Tensor } from '../nn/tf.js';
import { acdcMixLoss, copyPastePseudoLabels, crossEntropyMasked, diceLossPerSample, boxMask, mix, mixLoss, randomBoxCorner } from './copy-paste.js';
import { samples } from './losses.js';
import type { EvaluationPolicy, Method, StepContext, StepLoss } from './method.js';

/** Pre-training loss on the two mixed labeled volumes. */
export function bcpPretrainLoss(logits: Tensor, mixedLabels: Tensor): { ce: tf.Scalar; dice: tf.Scalar; loss: tf.Scalar } {
  const ce = crossEntropyMasked(logits, mixedLabels);
  const dice = diceLossPerSample(logits, mixedLabels);
  return { ce, dice, loss: tf.tidy(() => tf.div(tf.add(ce, dice), 2) as tf.Scalar) };
}

/** Self-training loss from the two student outputs, the labels of l_a / l_b, the pseudo-labels of u_a / u_b and M. */
export function bcpSelfTrainLoss(outIn: Tensor, outOut: Tensor, labelsA: Tensor, labelsB: Tensor, plabA: Tensor, plabB: Tensor, mask: Tensor, alpha: number) {
  const lossL = mixLoss(outIn, labelsA, plabA, mask, 1, alpha);
  const lossU = mixLoss(outOut, plabB, labelsB, mask, alpha, 1);
  return { lossL, lossU, loss: tf.tidy(() => tf.add(lossL.loss, lossU.loss) as tf.Scalar) };
}

/** ACDC pre-training: the ACDC `mix_loss(out, y_a, y_b, M, u_weight=1.0, unlab=True)`, L = (Dice + CE)/2. */
export function bcpAcdcPretrainLoss(logits: Tensor, labelsA: Tensor, labelsB: Tensor, mask: Tensor): { dice: tf.Scalar; ce: tf.Scalar; loss: tf.Scalar } {
  const { dice, ce } = acdcMixLoss(logits, labelsA, labelsB, mask, 1, 1);
  return { dice, ce, loss: tf.tidy(() => tf.div(tf.add(dice, ce), 2) as tf.Scalar) };
}

/**
 * ACDC self-training from the outputs on X_unl = u_a⊙M + l_a⊙(1−M) and X_l = l_b⊙M + u_b⊙(1−M):
 * unl = mix_loss(out_unl, ŷ_a, y_la, M; α on M, 1 on 1−M), l = mix_loss(out_l, y_lb, ŷ_b, M; 1 on M, α on 1−M),
 * L = (Dice_unl + Dice_l + CE_unl + CE_l)/2.
 */
export function bcpAcdcSelfTrainLoss(outUnl: Tensor, outL: Tensor, labelsA: Tensor, labelsB: Tensor, plabA: Tensor, plabB: Tensor, mask: Tensor, alpha: number) {
  const unl = acdcMixLoss(outUnl, plabA, labelsA, mask, alpha, 1);
  const l = acdcMixLoss(outL, labelsB, plabB, mask, 1, alpha);
  return { unl, l, loss: tf.tidy(() => tf.div(tf.addN([unl.dice, l.dice, unl.ce, l.ce]), 2) as tf.Scalar) };
}

function pairs(ctx: StepContext) {
  const L = ctx.batch.labeledCount;
  const U = ctx.batch.unlabeledCount;
  if (L < 2 || L % 2 !== 0) throw new Error(`BCP needs an even labeled batch of at least 2, got ${L}`);
  const h = L / 2;
  const hu = Math.floor(U / 2);
  return { h, hu, L };
}

const LA_EVALUATION: EvaluationPolicy = {
  networks: ['student'],
  decision: 'foreground-threshold',
  largestComponent: true,
  checkpoint: 'best-on-test',
  source: 'BCP:code/test_LA.py (student, P(fg) > 0.5, nms=1; the paper reports the best self-train model on the test cases)',
};

const ACDC_EVALUATION: EvaluationPolicy = {
  networks: ['student'],
  decision: 'argmax',
  largestComponent: false,
  checkpoint: 'best-on-val',
  source: 'BCP:code/test_ACDC.py L36-79 (student, slice by slice, argmax, no LCC; best val Dice self-train model, ACDC_BCP_train.py every 200 its)',
};

export const bcp: Method = {
  id: 'bcp',
  title: 'Bidirectional Copy-Paste',
  paper: 'Bai et al., CVPR 2023',
  source: 'BCP:code/LA_BCP_train.py; BCP:code/ACDC_BCP_train.py (2-D)',
  usesUnlabeled: true,
  networks: (config) => [
    // LA: the V-Net (2 classes); ACDC: UNet_2d (4 classes) — the recipe's network.
    { role: 'student', arch: config.network, trainable: true, options: { filters: config.filters, classes: config.classes, dropout: config.dropout } },
    { role: 'teacher', arch: config.network, trainable: false, emaOf: 'student', options: { filters: config.filters, classes: config.classes, dropout: config.dropout } },
  ],
  loss: (ctx) => (ctx.batch.images.rank === 4 ? acdcLoss(ctx) : laLoss(ctx)),
  evaluation: LA_EVALUATION,
  evaluationFor: (config) => (config.patch.length === 2 ? ACDC_EVALUATION : LA_EVALUATION),
};

/** The step's box mask (one draw) and the two labeled halves, images and labels, that BCP mixes. */
function labeledPairs(ctx: StepContext) {
  const { batch, config, rng } = ctx;
  const { h, hu, L } = pairs(ctx);
  const patch = batch.images.shape.slice(1, -1);
  const ratio = Number(config.params.maskRatio);
  const mask = tf.tensor(boxMask(patch, ratio, randomBoxCorner(patch, ratio, rng)), patch);
  const half = (t: Tensor, start: number) => samples(t, start, h);
  return { h, hu, L, mask, la: half(batch.images, 0), lb: half(batch.images, h), ya: half(batch.labels, 0), yb: half(batch.labels, h) };
}

/** The two unlabeled halves and the teacher's pseudo-labels of each (3-D: LCC; 2-D: per-slice, per-class LCC). */
function unlabeledPairs(ctx: StepContext, L: number, hu: number) {
  const { nets, batch, rng } = ctx;
  if (hu < 1 || batch.unlabeledCount !== 2 * hu) throw new Error(`BCP self-training needs an even unlabeled batch, got ${batch.unlabeledCount}`);
  const ua = samples(batch.images, L, hu);
  const ub = samples(batch.images, L + hu, hu);
  const teacher = (x: Tensor) => copyPastePseudoLabels(nets.teacher.forward(x, { training: true, rng }).logits);
  return { ua, ub, plabA: teacher(ua), plabB: teacher(ub) };
}

function laLoss(ctx: StepContext): StepLoss {
  const { nets, batch, config, rng, stage } = ctx;
  const { h, hu, L, mask, la, lb, ya, yb } = labeledPairs(ctx);
  if (stage === 'pretrain') {
    const x = mix(la, lb, mask);
    const y = tf.cast(mix(tf.cast(ya, 'float32'), tf.cast(yb, 'float32'), mask), 'int32');
    const { logits } = nets.student.forward(x, { training: true, rng });
    const t = bcpPretrainLoss(logits, y);
    const terms: StepLoss['terms'] = { loss_ce: t.ce, loss_dice: t.dice };
    return { loss: t.loss, terms };
  }
  const { ua, ub, plabA, plabB } = unlabeledPairs(ctx, L, hu);
  const outIn = nets.student.forward(mix(la, ua, mask), { training: true, rng }).logits;
  const outOut = nets.student.forward(mix(ub, lb, mask), { training: true, rng }).logits;
  const t = bcpSelfTrainLoss(outIn, outOut, ya, yb, plabA, plabB, mask, Number(config.params.uWeight));
  return { loss: t.loss, terms: { loss_l: t.lossL.loss, loss_u: t.lossU.loss } };
}

/** One BCP step of ACDC_BCP_train.py (pre_train L237-261 / self_train L354-388) on 2-D slices. */
function acdcLoss(ctx: StepContext): StepLoss {
  const { nets, batch, config, rng, stage } = ctx;
  const { h, hu, L, mask, la, lb, ya, yb } = labeledPairs(ctx);
  if (stage === 'pretrain') {
    const { logits } = nets.student.forward(mix(la, lb, mask), { training: true, rng });
    const t = bcpAcdcPretrainLoss(logits, ya, yb, mask);
    return { loss: t.loss, terms: { mix_dice: t.dice, mix_ce: t.ce } };
  }
  const { ua, ub, plabA, plabB } = unlabeledPairs(ctx, L, hu);
  const outUnl = nets.student.forward(mix(ua, la, mask), { training: true, rng }).logits;
  const outL = nets.student.forward(mix(lb, ub, mask), { training: true, rng }).logits;
  const t = bcpAcdcSelfTrainLoss(outUnl, outL, ya, yb, plabA, plabB, mask, Number(config.params.uWeight));
  return {
    loss: t.loss,
    terms: { mix_dice: tf.add(t.unl.dice, t.l.dice) as tf.Scalar, mix_ce: tf.add(t.unl.ce, t.l.ce) as tf.Scalar, unl_dice: t.unl.dice, unl_ce: t.unl.ce, l_dice: t.l.dice, l_ce: t.l.ce },
  };
}
