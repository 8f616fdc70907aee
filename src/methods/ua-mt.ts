/**
 * UA-MT (Yu et al., MICCAI 2019), UAMT:code/train_LA_meanteacher_certainty_unlabel.py (METHODS §4.3).
 * Consistency on the unlabeled samples only, masked to voxels whose teacher uncertainty — entropy of the
 * mean of T = 8 MC-dropout passes on noisy inputs — is below a threshold ramping from 0.75·ln2 to ln2.
 * Code facts kept (QUIRKs of the official code): the teacher runs in train mode (dropout on, BN batch
 * statistics) for its target and its MC passes; the normaliser is 2·Σmask (the two class channels).
 */
import { tf, type Tensor } from '../nn/tf.js';
import { consistencyWeight, sigmoidRampup } from '../train/schedules.js';
import { clampedNoise, samples, softmaxMse, supervisedTerm } from './losses.js';
import type { Method } from './method.js';

/** Threshold H_k = (start + (end − start)·sigmoid_rampup(k, maxIterations))·ln2 (L173), continuous in k. */
export function uamtThreshold(k: number, maxIterations: number, start = 0.75, end = 1.0): number {
  return (start + (end - start) * sigmoidRampup(k, maxIterations)) * Math.LN2;
}

/** μ = mean of the MC softmax samples, u = −Σ_c μ_c·log(μ_c + 1e-6), per voxel [U, ...spatial]. */
export function mcUncertainty(mcProbabilities: Tensor[]): { mean: Tensor; uncertainty: Tensor } {
  return tf.tidy(() => {
    const mean = tf.div(tf.addN(mcProbabilities), mcProbabilities.length);
    const uncertainty = tf.neg(tf.sum(tf.mul(mean, tf.log(tf.add(mean, 1e-6))), -1));
    return { mean, uncertainty };
  });
}

/** m = 1[u < H] as float32 0/1, per voxel [U, ...spatial]. */
export function uamtCertainMask(uncertainty: Tensor, threshold: number): Tensor {
  // A float32 tensor compared with a Python float: the threshold is rounded to float32 first.
  return tf.tidy(() => tf.cast(tf.less(uncertainty, Math.fround(threshold)), 'float32'));
}

/** Σ m·(p − q)² / (2·Σm + 1e-16) with m = 1[u < H] broadcast over the class channels. */
export function uamtConsistency(studentUnlabeledLogits: Tensor, teacherLogits: Tensor, uncertainty: Tensor, threshold: number): { value: tf.Scalar; kept: tf.Scalar } {
  return tf.tidy(() => {
    const mask = uamtCertainMask(uncertainty, threshold);
    const dist = softmaxMse(studentUnlabeledLogits, teacherLogits);
    const masked = tf.sum(tf.mul(dist, tf.expandDims(mask, -1)));
    const kept = tf.sum(mask);
    return { value: tf.div(masked, tf.add(tf.mul(kept, 2), 1e-16)) as tf.Scalar, kept: kept as tf.Scalar };
  });
}

export const uaMt: Method = {
  id: 'ua-mt',
  title: 'Uncertainty-Aware Mean Teacher',
  paper: 'Yu et al., MICCAI 2019',
  source: 'UAMT:code/train_LA_meanteacher_certainty_unlabel.py',
  usesUnlabeled: true,
  networks: (config) => [
    { role: 'student', arch: config.network, trainable: true, options: { filters: config.filters, classes: config.classes, dropout: config.dropout } },
    { role: 'teacher', arch: config.network, trainable: false, emaOf: 'student', options: { filters: config.filters, classes: config.classes, dropout: config.dropout } },
  ],
  loss: ({ nets, batch, iteration, config, rng }) => {
    const L = batch.labeledCount;
    const U = batch.unlabeledCount;
    const std = Number(config.params.teacherNoiseStd);
    const clip = Number(config.params.teacherNoiseClip);
    const { logits } = nets.student.forward(batch.images, { training: true, rng });
    const sup = supervisedTerm(samples(logits, 0, L), batch.labels, config.params.supervisedDice);
    const unlabeled = samples(batch.images, L, U);
    const teacher = nets.teacher.forward(tf.add(unlabeled, clampedNoise(unlabeled.shape, std, clip, rng.int(2 ** 31))), { training: true, rng }).logits;
    // MC estimate (L151-162): the unlabeled volumes stacked twice, T/2 noisy teacher passes.
    const T = Number(config.params.mcSamples);
    const stacked = tf.concat([unlabeled, unlabeled], 0);
    const mc: Tensor[] = [];
    for (let i = 0; i < T / 2; i++) {
      const p = tf.softmax(nets.teacher.forward(tf.add(stacked, clampedNoise(stacked.shape, std, clip, rng.int(2 ** 31))), { training: true, rng }).logits);
      mc.push(samples(p, 0, U), samples(p, U, U));
    }
    const { uncertainty } = mcUncertainty(mc);
    const threshold = uamtThreshold(iteration, config.iterations, Number(config.params.thresholdStart), Number(config.params.thresholdEnd));
    const con = uamtConsistency(samples(logits, L, U), teacher, uncertainty, threshold);
    const w = consistencyWeight(iteration, config.consistencyWeight, config.consistencyRampup, config.consistencyEpoch);
    const loss = tf.add(sup.loss, tf.mul(con.value, w)) as tf.Scalar;
    return {
      loss,
      terms: { loss_ce: sup.ce, loss_dice: sup.dice, loss_consistency: con.value, consistency_weight: w, threshold, certain_voxels: con.kept },
    };
  },
  evaluation: {
    networks: ['student'],
    decision: 'argmax',
    largestComponent: false,
    checkpoint: 'last',
    source: 'UAMT:code/test_LA.py (student iter_6000, argmax, no LCC)',
  },
};
