/**
 * @file `uamt__*`: Dice-FG and UA-MT's uncertainty-masked consistency on LA, with the project's UA-MT
 * recipe (threshold ramp length, weight). The MC teacher outputs are inputs: row r of the 16 belongs to
 * unlabeled sample r mod U, filled as teacher([u1, u2, u1, u2]) four times, which is the order
 * src/methods/ua-mt.ts splits its passes in.
 */
import { tf, type Tensor } from '../../nn/tf.js';
import { halfCeDice, samples } from '../../methods/losses.js';
import { mcUncertainty, uamtCertainMask, uamtConsistency, uamtThreshold } from '../../methods/ua-mt.js';
import { consistencyWeight } from '../../train/schedules.js';
import { laRecipe, part, type Adapter } from '../adapter.js';
import { channelsFirst, inputChannelsLast, readScalar, readTensor, toTensor, withChannelAxis } from '../tensors.js';
import { inputNumbers, inputTensor, vectorError, type VectorInput } from '../vector.js';
import { labeledCount } from './mt.js';

export const diceLossFgAdapter: Adapter = (v, check) => {
  const { dice } = halfCeDice(inputChannelsLast(inputTensor(v, 'logits')), toTensor(inputTensor(v, 'label')));
  check.number(['loss'], readScalar(dice));
};

/**
 * The MC softmax samples in the project's order: each teacher pass sees the U unlabeled samples stacked
 * twice and yields two samples per volume (ua-mt.ts: `mc.push(samples(p, 0, U), samples(p, U, U))`).
 */
export function mcSamples(v: VectorInput, key: string, unlabeled: number): Tensor[] {
  const rows = inputChannelsLast(inputTensor(v, key));
  const perPass = 2 * unlabeled;
  if (rows.shape[0] % perPass !== 0) throw vectorError(v, `inputs.${key}`, `${rows.shape[0]} rows is not a whole number of passes over ${perPass} stacked samples`);
  const mc: Tensor[] = [];
  for (let i = 0; i < rows.shape[0] / perPass; i++) {
    const p = tf.softmax(samples(rows, i * perPass, perPass));
    mc.push(samples(p, 0, unlabeled), samples(p, unlabeled, unlabeled));
  }
  return mc;
}

export const uncertaintyMaskedConsistencyAdapter: Adapter = (v, check) => {
  const recipe = laRecipe('ua-mt');
  const logits = inputChannelsLast(inputTensor(v, 'logits'));
  const teacher = inputChannelsLast(inputTensor(v, 'teacher_logits'));
  const L = labeledCount(v, 'logits', 'teacher_logits');
  const U = logits.shape[0] - L;
  const { mean, uncertainty } = mcUncertainty(mcSamples(v, 'mc_teacher_logits', U));
  check.tensor(['mc_mean_probs'], readTensor(channelsFirst(mean)));
  check.tensor(['uncertainty'], readTensor(withChannelAxis(uncertainty)));
  const sup = halfCeDice(samples(logits, 0, L), samples(toTensor(inputTensor(v, 'label')), 0, L));
  check.number(['loss_seg'], readScalar(sup.ce));
  check.number(['loss_seg_dice'], readScalar(sup.dice));
  check.number(['supervised_loss'], readScalar(sup.loss));
  const student = samples(logits, L, U);
  inputNumbers(v, 'iterations', 'params').forEach((k, j) => {
    const at = ['per_iteration', j];
    part(check, at, () => {
      const threshold = uamtThreshold(k, recipe.iterations, Number(recipe.params.thresholdStart), Number(recipe.params.thresholdEnd));
      const con = uamtConsistency(student, teacher, uncertainty, threshold);
      const w = consistencyWeight(k, recipe.consistencyWeight, recipe.consistencyRampup);
      check.exact([...at, 'iteration'], k);
      check.number([...at, 'threshold'], threshold, 'f64');
      check.tensor([...at, 'mask'], readTensor(withChannelAxis(uamtCertainMask(uncertainty, threshold))));
      check.exact([...at, 'mask_count'], readScalar(con.kept));
      check.number([...at, 'consistency_dist'], readScalar(con.value));
      check.number([...at, 'consistency_weight'], w, 'f64');
      const weighted = tf.mul(con.value, w);
      check.number([...at, 'consistency_loss'], readScalar(weighted));
      // The same assembly as src/methods/ua-mt.ts: L_sup + w·L_con.
      check.number([...at, 'loss'], readScalar(tf.add(sup.loss, weighted)));
    });
  });
};
