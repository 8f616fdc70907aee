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
 */
import { tf, type Tensor } from '../nn/tf.js';
import { crossEntropyMasked, diceLossPerSample, boxMask, lccPseudoLabels, mix, mixLoss, randomBoxCorner } from './copy-paste.js';
import { samples } from './losses.js';
import type { Method, StepContext, StepLoss } from './method.js';

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

function pairs(ctx: StepContext) {
  const L = ctx.batch.labeledCount;
  const U = ctx.batch.unlabeledCount;
  if (L < 2 || L % 2 !== 0) throw new Error(`BCP needs an even labeled batch of at least 2, got ${L}`);
  const h = L / 2;
  const hu = Math.floor(U / 2);
  return { h, hu, L };
}

export const bcp: Method = {
  id: 'bcp',
  title: 'Bidirectional Copy-Paste',
  paper: 'Bai et al., CVPR 2023',
  source: 'BCP:code/LA_BCP_train.py',
  usesUnlabeled: true,
  networks: (config) => [
    { role: 'student', arch: 'vnet', trainable: true, options: { filters: config.filters, classes: 2, dropout: config.dropout } },
    { role: 'teacher', arch: 'vnet', trainable: false, emaOf: 'student', options: { filters: config.filters, classes: 2, dropout: config.dropout } },
  ],
  loss: (ctx) => {
    const { nets, batch, config, rng, stage } = ctx;
    const { h, hu, L } = pairs(ctx);
    const patch = batch.images.shape.slice(1, -1);
    const ratio = Number(config.params.maskRatio);
    const mask = tf.tensor(boxMask(patch, ratio, randomBoxCorner(patch, ratio, rng)), patch);
    const la = samples(batch.images, 0, h);
    const lb = samples(batch.images, h, h);
    const ya = samples(batch.labels, 0, h);
    const yb = samples(batch.labels, h, h);
    if (stage === 'pretrain') {
      const x = mix(la, lb, mask);
      const y = tf.cast(mix(tf.cast(ya, 'float32'), tf.cast(yb, 'float32'), mask), 'int32');
      const { logits } = nets.student.forward(x, { training: true, rng });
      const t = bcpPretrainLoss(logits, y);
      const terms: StepLoss['terms'] = { loss_ce: t.ce, loss_dice: t.dice };
      return { loss: t.loss, terms };
    }
    if (hu < 1 || batch.unlabeledCount !== 2 * hu) throw new Error(`BCP self-training needs an even unlabeled batch, got ${batch.unlabeledCount}`);
    const ua = samples(batch.images, L, hu);
    const ub = samples(batch.images, L + hu, hu);
    const plabA = lccPseudoLabels(nets.teacher.forward(ua, { training: true, rng }).logits);
    const plabB = lccPseudoLabels(nets.teacher.forward(ub, { training: true, rng }).logits);
    const outIn = nets.student.forward(mix(la, ua, mask), { training: true, rng }).logits;
    const outOut = nets.student.forward(mix(ub, lb, mask), { training: true, rng }).logits;
    const t = bcpSelfTrainLoss(outIn, outOut, ya, yb, plabA, plabB, mask, Number(config.params.uWeight));
    return { loss: t.loss, terms: { loss_l: t.lossL.loss, loss_u: t.lossU.loss } };
  },
  evaluation: {
    networks: ['student'],
    decision: 'foreground-threshold',
    largestComponent: true,
    checkpoint: 'best-on-test',
    source: 'BCP:code/test_LA.py (student, P(fg) > 0.5, nms=1; the paper reports the best self-train model on the test cases)',
  },
};
