/**
 * @file Step-loss pieces of SSL4MIS's 2-D ACDC scripts (METHODS §4.1–4.3): the supervised
 * 0.5·(CE + Dice-MC(4)), Mean Teacher 2-D's consistency with its k < 1000 rule, and UA-MT 2-D's
 * threshold and masked consistency. Not a Method: the project has no 2-D U-Net or ACDC recipe yet; these
 * functions are what such methods will call, and they are checked against the official code now.
 * Code facts kept (QUIRKs): UA-MT 2-D keeps the ln2 threshold scale and the 2·Σmask normaliser of the
 * 2-class LA script although ACDC has 4 classes (max entropy ln4).
 */
import { tf, type Tensor } from '../nn/tf.js';
import { type LrSchedule } from '../train/schedules.js';
import { crossEntropy, diceLossMultiClass } from './losses.js';
import { mtConsistency } from './mt.js';
import { uamtConsistency, uamtThreshold } from './ua-mt.js';

const MT2D = 'SSL4MIS:code/train_mean_teacher_2D.py';
const UAMT2D = 'SSL4MIS:code/train_uncertainty_aware_mean_teacher_2D.py';

/** The scripts' argparse defaults shared by the 2-D MT, UA-MT and supervised scripts (METHODS §5.2). */
export const SSL4MIS_2D = {
  baseLr: { value: 0.01, source: `${MT2D} (base_lr 0.01)` },
  iterations: { value: 30000, source: `${MT2D} (max_iterations 30000)` },
  lrSchedule: { value: { kind: 'poly', power: 0.9, maxIterations: 30000 } as LrSchedule, source: `${MT2D} L180-184` },
  batchSize: { value: 24, source: `${MT2D} (batch_size 24)` },
  labeledBatch: { value: 12, source: `${MT2D} (labeled_bs 12)` },
  classes: { value: 4, source: `${MT2D} (num_classes 4)` },
  consistencyWeight: { value: 0.1, source: `${MT2D} (consistency 0.1), L80-82` },
  consistencyRampup: { value: 200, source: `${MT2D} (consistency_rampup 200.0), L80-82` },
  emaDecay: { value: 0.99, source: `${MT2D} (ema_decay 0.99)` },
  /** MT 2-D replaces the consistency loss by 0.0 while iter_num < 1000 (its weight still ramps). */
  mtConsistencyStart: { value: 1000, source: `${MT2D} L170-174` },
  thresholdStart: { value: 0.75, source: `${UAMT2D} L187-188 ((0.75 + 0.25*ramp)*ln2)` },
  thresholdEnd: { value: 1.0, source: `${UAMT2D} L187-188` },
} as const;

/** 0.5·(CE + Dice-MC(C)) on the labeled logits [L, H, W, C] (train_fully_supervised_2D.py L112-114). */
export function ssl4misSupervisedLoss(labeledLogits: Tensor, labels: Tensor): { loss: tf.Scalar; ce: tf.Scalar; dice: tf.Scalar } {
  const ce = crossEntropy(labeledLogits, labels);
  const dice = tf.tidy(() => diceLossMultiClass(tf.softmax(labeledLogits), labels));
  const loss = tf.tidy(() => tf.mul(tf.add(ce, dice), 0.5) as tf.Scalar);
  return { loss, ce, dice };
}

/** Whether MT 2-D's consistency term is live at 0-based iteration k. */
export function mt2dConsistencyActive(k: number): boolean {
  return k >= SSL4MIS_2D.mtConsistencyStart.value;
}

/** MT 2-D consistency: mean (softmax(s) − softmax(t))², forced to 0 while k < 1000. */
export function mt2dConsistency(studentUnlabeledLogits: Tensor, teacherLogits: Tensor, k: number): tf.Scalar {
  return mt2dConsistencyActive(k) ? mtConsistency(studentUnlabeledLogits, teacherLogits) : tf.scalar(0);
}

/** UA-MT 2-D threshold (0.75 + 0.25·sigmoid_rampup(k, 30000))·ln2 — ln2 kept with 4 classes. */
export function uamt2dThreshold(k: number): number {
  return uamtThreshold(k, SSL4MIS_2D.iterations.value, SSL4MIS_2D.thresholdStart.value, SSL4MIS_2D.thresholdEnd.value);
}

/** UA-MT 2-D consistency Σ m·(p − q)² / (2·Σm + 1e-16) at iteration k (2·Σm kept with 4 classes). */
export function uamt2dConsistency(studentUnlabeledLogits: Tensor, teacherLogits: Tensor, uncertainty: Tensor, k: number): { value: tf.Scalar; kept: tf.Scalar } {
  return uamtConsistency(studentUnlabeledLogits, teacherLogits, uncertainty, uamt2dThreshold(k));
}
