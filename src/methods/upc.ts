/**
 * UPC (uncertainty-aware pseudo-label and consistency), UPC:code/train_LA_UPC.py (METHODS §4.5).
 * A UA-MT fork in which the *student* gets the noise (clamp(N(0, 0.2²), ±0.4) on all 4 samples) and the
 * EMA teacher (α 0.9999 with warm-up: a running average of all student weights) sees clean inputs.
 * Consistency on all 4 samples, labeled ones included: mean over voxels of 1[max q ≥ 0.9]·CE(s, argmax q),
 * masked voxels counting as zeros, weight 1.0 ramped over 40×150 iterations. Dropout 0.9 in both nets.
 * Code vs paper: the paper's KL-based uncertainty exists only behind `--pseudo_rect` (off by default, kept
 * here as params.pseudoRect) and there is no dynamic threshold in the code: the threshold is 0.90.
 */
import { tf, type Tensor } from '../nn/tf.js';
import { consistencyWeight } from '../train/schedules.js';
import { clampedNoise, halfCeDice, samples } from './losses.js';
import type { Method } from './method.js';

/** ŷ = argmax q (int32) and m = 1[max q ≥ threshold] (float32 0/1) with q = softmax(t/T), per voxel. */
export function upcPseudoLabels(teacherLogits: Tensor, threshold: number, temperature: number): { pseudo: Tensor; mask: Tensor } {
  return tf.tidy(() => {
    const q = tf.softmax(tf.div(teacherLogits, temperature));
    // `max q >= 0.9` runs in float32: the Python threshold is rounded to float32 first.
    return { pseudo: tf.argMax(q, -1), mask: tf.cast(tf.greaterEqual(tf.max(q, -1), Math.fround(threshold)), 'float32') };
  });
}

/** Default path (L98-120): per-voxel CE against the teacher's argmax, kept where the teacher is confident. */
export function upcPseudoLabelLoss(studentLogits: Tensor, teacherLogits: Tensor, threshold: number, temperature: number): { loss: tf.Scalar; confident: tf.Scalar } {
  return tf.tidy(() => {
    const classes = teacherLogits.shape[teacherLogits.shape.length - 1];
    const { pseudo, mask } = upcPseudoLabels(teacherLogits, threshold, temperature);
    const ce = tf.neg(tf.sum(tf.mul(tf.logSoftmax(studentLogits), tf.oneHot(pseudo, classes)), -1));
    return { loss: tf.mean(tf.mul(ce, mask)) as tf.Scalar, confident: tf.mean(mask) as tf.Scalar };
  });
}

/** `--pseudo_rect` path (L83-96): mean(CE·exp(−KL(q‖p))) + mean(KL), no confidence mask. */
export function upcRectifiedLoss(studentLogits: Tensor, teacherLogits: Tensor, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const q = tf.softmax(tf.div(teacherLogits, temperature));
    const classes = q.shape[q.shape.length - 1];
    const logp = tf.logSoftmax(studentLogits);
    const kl = tf.sum(tf.mul(q, tf.sub(tf.log(q), logp)), -1);
    const ce = tf.neg(tf.sum(tf.mul(logp, tf.oneHot(tf.argMax(q, -1), classes)), -1));
    return tf.add(tf.mean(tf.mul(ce, tf.exp(tf.neg(kl)))), tf.mean(kl)) as tf.Scalar;
  });
}

export const upc: Method = {
  id: 'upc',
  title: 'Uncertainty-aware Pseudo-label and Consistency',
  paper: 'Lu et al., UPC (LA, 2023)',
  source: 'UPC:code/train_LA_UPC.py',
  usesUnlabeled: true,
  networks: (config) => [
    { role: 'student', arch: 'vnet', trainable: true, options: { filters: config.filters, classes: 2, dropout: config.dropout } },
    { role: 'teacher', arch: 'vnet', trainable: false, emaOf: 'student', options: { filters: config.filters, classes: 2, dropout: config.dropout } },
  ],
  loss: ({ nets, batch, iteration, config, rng }) => {
    const L = batch.labeledCount;
    const p = config.params;
    const noisy = tf.add(batch.images, clampedNoise(batch.images.shape, Number(p.studentNoiseStd), Number(p.studentNoiseClip), rng.int(2 ** 31)));
    const { logits } = nets.student.forward(noisy, { training: true, rng });
    const teacher = nets.teacher.forward(batch.images, { training: true, rng }).logits;
    const sup = halfCeDice(samples(logits, 0, L), batch.labels);
    const w = consistencyWeight(iteration, config.consistencyWeight, config.consistencyRampup, config.consistencyEpoch);
    let consistency: tf.Scalar;
    const terms: Record<string, tf.Scalar | number> = { loss_ce: sup.ce, loss_dice: sup.dice, consistency_weight: w };
    if (p.pseudoRect === true) {
      consistency = upcRectifiedLoss(logits, teacher, Number(p.temperature));
    } else {
      const r = upcPseudoLabelLoss(logits, teacher, Number(p.confidenceThreshold), Number(p.temperature));
      consistency = r.loss;
      terms.confident_fraction = r.confident;
    }
    terms.loss_consistency = consistency;
    return { loss: tf.add(sup.loss, tf.mul(consistency, w)) as tf.Scalar, terms };
  },
  evaluation: {
    networks: ['student'],
    decision: 'argmax',
    largestComponent: false,
    checkpoint: 'last',
    source: 'UPC:code/test_LA.py (student iter_6000, argmax, no LCC)',
  },
};
