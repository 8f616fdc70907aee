/**
 * MCF, Mutual Correction Framework (Wang et al., CVPR 2023), MCF:code/train_MCF.py (METHODS §4.6).
 * Two heterogeneous students on the same crop — the V-Net (kaiming init) and a 3D-ResVNet — each with its
 * own SGD optimiser. Per net: CE + Dice-FG (no 0.5) + 0.5·CDR, where CDR is the squared error of P(fg)
 * against the label over the voxels where exactly one net predicts foreground. The net with the strictly
 * lower Dice loss is the good student (ties → ResVNet); its unlabeled softmax, sharpened with T = 0.1 and
 * detached, is the pseudo-label the weak net fits with w(k)·mean((p − PL)²) — MCF's `softmax_mse_loss`
 * does no softmax (QUIRK, reproduced). Test: both nets, mean softmax, argmax, no LCC.
 * The two losses are summed into one scalar: each net's loss depends only on its own parameters (the
 * pseudo-label is detached, the CDR mask is an argmax), so each optimiser receives exactly its net's
 * gradient, as with the two backward passes of the official loop.
 */
import { tf, type Tensor } from '../nn/tf.js';
import { constantOf, stopGradient } from '../nn/ops.js';
import { consistencyWeight } from '../train/schedules.js';
import { channel, crossEntropy, diceLossForeground, samples } from './losses.js';
import type { Method } from './method.js';

/** p^(1/T) / Σ_c p^(1/T) over the class axis. */
export function sharpen(probabilities: Tensor, temperature: number): Tensor {
  return tf.tidy(() => {
    const powered = tf.pow(probabilities, 1 / temperature);
    return tf.div(powered, tf.sum(powered, -1, true));
  });
}

export interface McfTerms {
  vCe: tf.Scalar;
  vDice: tf.Scalar;
  rCe: tf.Scalar;
  rDice: tf.Scalar;
  /** 0 = V-Net is the good student, 1 = ResVNet. */
  goodStudent: 0 | 1;
  diffMask: Tensor;
  vCdr: tf.Scalar;
  rCdr: tf.Scalar;
  vSupervised: tf.Scalar;
  rSupervised: tf.Scalar;
  pseudoLabel: Tensor;
  consistency: tf.Scalar;
  /** Loss of each net at this weight, and their sum (what is differentiated). */
  vLoss: tf.Scalar;
  rLoss: tf.Scalar;
  total: tf.Scalar;
}

/** One MCF step from the two nets' logits on the same batch (labeled first). */
export function mcfLosses(vLogits: Tensor, rLogits: Tensor, labels: Tensor, labeledCount: number, weight: number, temperature = 0.1, cdrWeight = 0.5): McfTerms {
  const L = labeledCount;
  const U = vLogits.shape[0] - L;
  const pV = tf.softmax(vLogits);
  const pR = tf.softmax(rLogits);
  const pVl = samples(pV, 0, L);
  const pRl = samples(pR, 0, L);
  const vCe = crossEntropy(samples(vLogits, 0, L), labels);
  const rCe = crossEntropy(samples(rLogits, 0, L), labels);
  const vDice = diceLossForeground(channel(pVl, 1), labels);
  const rDice = diceLossForeground(channel(pRl, 1), labels);
  const goodStudent: 0 | 1 = vDice.dataSync()[0] < rDice.dataSync()[0] ? 0 : 1;
  // The mask is a constant of the step (argmax); built from history-free copies because tfjs has no
  // gradient for comparison ops, even zero ones.
  const diffMask = tf.tidy(() => tf.cast(tf.notEqual(tf.equal(tf.argMax(constantOf(pVl), -1), 1), tf.equal(tf.argMax(constantOf(pRl), -1), 1)), 'float32'));
  const cdr = (pl: Tensor) =>
    tf.tidy(() => {
      const err = tf.square(tf.sub(channel(pl, 1), tf.cast(labels, 'float32')));
      return tf.div(tf.sum(tf.mul(diffMask, err)), tf.add(tf.sum(diffMask), 1e-16)) as tf.Scalar;
    });
  const vCdr = cdr(pVl);
  const rCdr = cdr(pRl);
  const vSupervised = tf.addN([vCe, vDice, tf.mul(vCdr, cdrWeight)]) as tf.Scalar;
  const rSupervised = tf.addN([rCe, rDice, tf.mul(rCdr, cdrWeight)]) as tf.Scalar;
  const good = goodStudent === 0 ? pV : pR;
  const weak = goodStudent === 0 ? pR : pV;
  const pseudoLabel = sharpen(stopGradient(samples(good, L, U)), temperature);
  const consistency = tf.mean(tf.square(tf.sub(samples(weak, L, U), pseudoLabel))) as tf.Scalar;
  const weighted = tf.mul(consistency, weight);
  const vLoss = (goodStudent === 0 ? vSupervised : tf.add(vSupervised, weighted)) as tf.Scalar;
  const rLoss = (goodStudent === 1 ? rSupervised : tf.add(rSupervised, weighted)) as tf.Scalar;
  return { vCe, vDice, rCe, rDice, goodStudent, diffMask, vCdr, rCdr, vSupervised, rSupervised, pseudoLabel, consistency, vLoss, rLoss, total: tf.add(vLoss, rLoss) as tf.Scalar };
}

export const mcf: Method = {
  id: 'mcf',
  title: 'Mutual Correction Framework',
  paper: 'Wang et al., CVPR 2023',
  source: 'MCF:code/train_MCF.py',
  usesUnlabeled: true,
  networks: (config) => [
    { role: 'vnet', arch: 'vnet', trainable: true, options: { filters: config.filters, classes: 2, dropout: config.dropout, init: 'kaiming-normal' } },
    { role: 'resvnet', arch: 'resvnet', trainable: true, options: { filters: config.filters, classes: 2, dropout: config.dropout } },
  ],
  loss: ({ nets, batch, iteration, config, rng }) => {
    const v = nets.vnet.forward(batch.images, { training: true, rng }).logits;
    const r = nets.resvnet.forward(batch.images, { training: true, rng }).logits;
    const w = consistencyWeight(iteration, config.consistencyWeight, config.consistencyRampup, config.consistencyEpoch);
    const t = mcfLosses(v, r, batch.labels, batch.labeledCount, w, Number(config.params.sharpenTemperature), Number(config.params.cdrWeight));
    return {
      loss: t.total,
      terms: {
        vnet_ce: t.vCe, vnet_dice: t.vDice, vnet_cdr: t.vCdr, resvnet_ce: t.rCe, resvnet_dice: t.rDice, resvnet_cdr: t.rCdr,
        good_student: t.goodStudent, loss_consistency: t.consistency, consistency_weight: w,
      },
    };
  },
  evaluation: {
    networks: ['vnet', 'resvnet'],
    decision: 'argmax',
    largestComponent: false,
    checkpoint: 'last',
    source: 'MCF:code/test_LA_MCF.py L61 (both nets, mean softmax, last iteration, no LCC)',
  },
};
