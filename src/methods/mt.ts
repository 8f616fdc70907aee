/**
 * Mean Teacher on LA. No official LA MT script exists (METHODS §4.2); the canonical one is UA-MT's loop
 * without the uncertainty mask (UAMT:code/train_LA_meanteacher_certainty_unlabel.py), whose consistency
 * lines match SSL4MIS:code/train_mean_teacher_3D.py L146-158:
 * L = 0.5·(CE + Dice-FG)[labeled] + w(k)·mean_{unlabeled voxels, both channels}(p − q)², with q the
 * EMA teacher (train mode: dropout on) on the unlabeled input + clamp(N(0, 0.1²), ±0.2).
 */
import { tf, type Tensor } from '../nn/tf.js';
import { consistencyWeight } from '../train/schedules.js';
import { clampedNoise, samples, softmaxMse, supervisedTerm } from './losses.js';
import type { Method } from './method.js';

/** mean over unlabeled samples, voxels and both class channels of (softmax(s) − softmax(t))². */
export function mtConsistency(studentUnlabeledLogits: Tensor, teacherLogits: Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(softmaxMse(studentUnlabeledLogits, teacherLogits)) as tf.Scalar);
}

export const mt: Method = {
  id: 'mt',
  title: 'Mean Teacher',
  paper: 'Tarvainen & Valpola, NeurIPS 2017 (LA recipe of the UA-MT code)',
  source: 'UAMT:code/train_LA_meanteacher_certainty_unlabel.py without the uncertainty mask; SSL4MIS:code/train_mean_teacher_3D.py L136-158',
  usesUnlabeled: true,
  networks: (config) => [
    { role: 'student', arch: config.network, trainable: true, options: { filters: config.filters, classes: config.classes, dropout: config.dropout } },
    { role: 'teacher', arch: config.network, trainable: false, emaOf: 'student', options: { filters: config.filters, classes: config.classes, dropout: config.dropout } },
  ],
  loss: ({ nets, batch, iteration, config, rng }) => {
    const L = batch.labeledCount;
    const U = batch.unlabeledCount;
    const { logits } = nets.student.forward(batch.images, { training: true, rng });
    const sup = supervisedTerm(samples(logits, 0, L), batch.labels, config.params.supervisedDice);
    const unlabeled = samples(batch.images, L, U);
    const noise = clampedNoise(unlabeled.shape, Number(config.params.teacherNoiseStd), Number(config.params.teacherNoiseClip), rng.int(2 ** 31));
    const teacher = nets.teacher.forward(tf.add(unlabeled, noise), { training: true, rng }).logits;
    // SSL4MIS MT 2-D replaces the consistency by 0 while k < 1000 (L170-174); LA has no such rule.
    const start = Number(config.params.consistencyStart ?? 0);
    const consistency = iteration < start ? tf.scalar(0) : mtConsistency(samples(logits, L, U), teacher);
    const w = consistencyWeight(iteration, config.consistencyWeight, config.consistencyRampup, config.consistencyEpoch);
    const loss = tf.add(sup.loss, tf.mul(consistency, w)) as tf.Scalar;
    return { loss, terms: { loss_ce: sup.ce, loss_dice: sup.dice, loss_consistency: consistency, consistency_weight: w } };
  },
  evaluation: {
    networks: ['student'],
    decision: 'argmax',
    largestComponent: false,
    checkpoint: 'last',
    source: 'UAMT:code/test_LA.py (student, last iteration, argmax, no LCC)',
  },
};
