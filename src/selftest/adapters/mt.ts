/**
 * @file `mt__*`: softmax-MSE and the Mean Teacher LA step loss, with the project's MT recipe for the
 * weight. The vectors give the teacher's output; labeled samples come first in the batch.
 */
import { tf } from '../../nn/tf.js';
import { halfCeDice, samples, softmaxMse } from '../../methods/losses.js';
import { mtConsistency } from '../../methods/mt.js';
import { consistencyWeight } from '../../train/schedules.js';
import { laRecipe, part, type Adapter } from '../adapter.js';
import { channelsFirst, inputChannelsLast, readScalar, readTensor, toTensor } from '../tensors.js';
import { inputNumbers, inputTensor, vectorError, type VectorInput } from '../vector.js';

export const softmaxMseAdapter: Adapter = (v, check) => {
  const s = inputChannelsLast(inputTensor(v, 'student_logits'));
  const t = inputChannelsLast(inputTensor(v, 'teacher_logits'));
  const map = softmaxMse(s, t);
  check.tensor(['map'], readTensor(channelsFirst(map)));
  check.number(['mean'], readScalar(mtConsistency(s, t)));
  check.number(['sum'], readScalar(tf.sum(map)));
};

/** Labeled count of a step vector: the batch minus the samples the teacher saw (the unlabeled ones). */
export function labeledCount(v: VectorInput, logitsKey: string, teacherKey: string): number {
  const n = inputTensor(v, logitsKey).shape[0];
  const u = inputTensor(v, teacherKey).shape[0];
  if (!(u > 0 && u < n)) throw vectorError(v, `inputs.${teacherKey}`, `expected fewer samples than ${logitsKey} (${n}), got ${u}`);
  return n - u;
}

export const mtStepLossAdapter: Adapter = (v, check) => {
  const recipe = laRecipe('mt');
  const logits = inputChannelsLast(inputTensor(v, 'logits'));
  const teacher = inputChannelsLast(inputTensor(v, 'teacher_logits'));
  const L = labeledCount(v, 'logits', 'teacher_logits');
  const U = logits.shape[0] - L;
  const sup = halfCeDice(samples(logits, 0, L), samples(toTensor(inputTensor(v, 'label')), 0, L));
  check.number(['loss_seg'], readScalar(sup.ce));
  check.number(['loss_seg_dice'], readScalar(sup.dice));
  check.number(['supervised_loss'], readScalar(sup.loss));
  const consistency = mtConsistency(samples(logits, L, U), teacher);
  inputNumbers(v, 'iterations', 'params').forEach((k, j) => {
    const at = ['per_iteration', j];
    part(check, at, () => {
      const w = consistencyWeight(k, recipe.consistencyWeight, recipe.consistencyRampup);
      check.exact([...at, 'iteration'], k);
      check.number([...at, 'consistency_weight'], w, 'f64');
      check.number([...at, 'consistency_loss'], readScalar(consistency));
      // The same assembly as src/methods/mt.ts: L_sup + w·L_con.
      check.number([...at, 'loss'], readScalar(tf.add(sup.loss, tf.mul(consistency, w))));
    });
  });
};
