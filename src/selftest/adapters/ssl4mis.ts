/**
 * @file `ssl4mis__*`: SSL4MIS's 2-D ACDC losses — Dice-MC(4) with CE, the MT 2-D step with its k < 1000
 * rule, and UA-MT 2-D's uncertainty mask with the ln2 threshold and 2·Σmask normaliser — computed with
 * src/methods/ssl4mis-2d.ts. The vectors were run with labeled_bs 2 (`params.labeled_bs`).
 */
import { tf } from '../../nn/tf.js';
import { crossEntropy, diceLossMultiClass, diceLossPerClass, samples } from '../../methods/losses.js';
import { mcUncertainty, uamtCertainMask } from '../../methods/ua-mt.js';
import { mt2dConsistency, SSL4MIS_2D, ssl4misSupervisedLoss, uamt2dConsistency, uamt2dThreshold } from '../../methods/ssl4mis-2d.js';
import { consistencyWeight } from '../../train/schedules.js';
import { part, type Adapter } from '../adapter.js';
import { inputChannelsLast, readScalar, readTensor, toTensor, withChannelAxis } from '../tensors.js';
import { inputNumber, inputNumbers, inputTensor, vectorError, type VectorInput } from '../vector.js';
import { mcSamples } from './uamt.js';

const weight = (k: number) => consistencyWeight(k, SSL4MIS_2D.consistencyWeight.value, SSL4MIS_2D.consistencyRampup.value);

export const diceCe4Class2dAdapter: Adapter = (v, check) => {
  const logits = inputChannelsLast(inputTensor(v, 'logits'));
  const labels = toTensor(inputTensor(v, 'label'));
  const probabilities = tf.softmax(logits);
  check.number(['dice_loss'], readScalar(diceLossMultiClass(probabilities, labels)));
  check.numbers(['class_dice_losses'], Array.from(diceLossPerClass(probabilities, labels).dataSync()));
  // DiceLoss(softmax=True) on logits is the softmax followed by the same loss.
  check.number(['dice_loss_softmax_flag'], readScalar(diceLossMultiClass(tf.softmax(logits), labels)));
  check.number(['ce'], readScalar(crossEntropy(logits, labels)));
  check.number(['supervised'], readScalar(ssl4misSupervisedLoss(logits, labels).loss));
};

function labeledBs(v: VectorInput, logitsKey: string): number {
  const L = inputNumber(v, 'labeled_bs', 'params');
  const n = inputTensor(v, logitsKey).shape[0];
  if (!(Number.isInteger(L) && L > 0 && L < n)) throw vectorError(v, 'params.labeled_bs', `expected an integer in 1..${n - 1}, got ${L}`);
  return L;
}

export const mt2dStepLossAdapter: Adapter = (v, check) => {
  const logits = inputChannelsLast(inputTensor(v, 'logits'));
  const teacher = inputChannelsLast(inputTensor(v, 'teacher_logits'));
  const L = labeledBs(v, 'logits');
  const U = logits.shape[0] - L;
  const sup = ssl4misSupervisedLoss(samples(logits, 0, L), samples(toTensor(inputTensor(v, 'label')), 0, L));
  check.number(['loss_ce'], readScalar(sup.ce));
  check.number(['loss_dice'], readScalar(sup.dice));
  check.number(['supervised_loss'], readScalar(sup.loss));
  inputNumbers(v, 'iterations', 'params').forEach((k, j) => {
    const at = ['per_iteration', j];
    part(check, at, () => {
      const w = weight(k);
      const consistency = mt2dConsistency(samples(logits, L, U), teacher, k);
      check.exact([...at, 'iteration'], k);
      check.number([...at, 'consistency_weight'], w, 'f64');
      check.number([...at, 'consistency_loss'], readScalar(consistency));
      check.number([...at, 'loss'], readScalar(tf.add(sup.loss, tf.mul(consistency, w))));
    });
  });
};

export const uamt2dUncertaintyAdapter: Adapter = (v, check) => {
  const logits = inputChannelsLast(inputTensor(v, 'logits'));
  const teacher = inputChannelsLast(inputTensor(v, 'teacher_logits'));
  const L = labeledBs(v, 'logits');
  const U = logits.shape[0] - L;
  const { uncertainty } = mcUncertainty(mcSamples(v, 'mc_teacher_logits', U));
  check.tensor(['uncertainty'], readTensor(withChannelAxis(uncertainty)));
  const sup = ssl4misSupervisedLoss(samples(logits, 0, L), samples(toTensor(inputTensor(v, 'label')), 0, L));
  check.number(['loss_ce'], readScalar(sup.ce));
  check.number(['loss_dice'], readScalar(sup.dice));
  check.number(['supervised_loss'], readScalar(sup.loss));
  const student = samples(logits, L, U);
  inputNumbers(v, 'iterations', 'params').forEach((k, j) => {
    const at = ['per_iteration', j];
    part(check, at, () => {
      const threshold = uamt2dThreshold(k);
      const con = uamt2dConsistency(student, teacher, uncertainty, k);
      const w = weight(k);
      check.exact([...at, 'iteration'], k);
      check.number([...at, 'threshold'], threshold, 'f64');
      check.tensor([...at, 'mask'], readTensor(withChannelAxis(uamtCertainMask(uncertainty, threshold))));
      check.number([...at, 'consistency_loss'], readScalar(con.value));
      check.number([...at, 'consistency_weight'], w, 'f64');
      check.number([...at, 'loss'], readScalar(tf.add(sup.loss, tf.mul(con.value, w))));
    });
  });
};
