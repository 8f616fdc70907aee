/**
 * @file `mcf__*`: one MCF step (V-Net better, ResVNet better, tie) through src/methods/mcf.ts `mcfLosses`,
 * with the project's MCF recipe (labeled count, T, CDR weight, w(k)). The vectors give the two nets'
 * logits on the same batch, labeled samples first.
 */
import { tf } from '../../nn/tf.js';
import { mcfLosses } from '../../methods/mcf.js';
import { samples } from '../../methods/losses.js';
import { consistencyWeight } from '../../train/schedules.js';
import { laRecipe, part, type Adapter } from '../adapter.js';
import { channelsFirst, inputChannelsLast, readScalar, readTensor, toTensor } from '../tensors.js';
import { inputNumbers, inputTensor, vectorError } from '../vector.js';

/** The official script's names for `goodStudent` 0 / 1 (train_MCF.py prints "vnet" / "resnet"). */
const STUDENT_NAMES = ['vnet', 'resnet'] as const;

export const mcfStepAdapter: Adapter = (v, check) => {
  const recipe = laRecipe('mcf');
  const L = recipe.labeledBatch;
  const temperature = Number(recipe.params.sharpenTemperature);
  const cdrWeight = Number(recipe.params.cdrWeight);
  const vLogits = inputChannelsLast(inputTensor(v, 'v_logits'));
  const rLogits = inputChannelsLast(inputTensor(v, 'r_logits'));
  const label = inputTensor(v, 'label');
  if (label.shape[0] < L || vLogits.shape[0] <= L) throw vectorError(v, 'inputs', `needs more than the recipe's ${L} labeled samples`);
  const labels = samples(toTensor(label), 0, L);
  // The per-net supervised terms, the CDR mask and the pseudo-label do not depend on w(k).
  const t = mcfLosses(vLogits, rLogits, labels, L, 0, temperature, cdrWeight);
  check.number(['v_loss_seg'], readScalar(t.vCe));
  check.number(['v_loss_seg_dice'], readScalar(t.vDice));
  check.number(['r_loss_seg'], readScalar(t.rCe));
  check.number(['r_loss_seg_dice'], readScalar(t.rDice));
  check.exact(['good_student'], t.goodStudent);
  check.exact(['good_student_name'], STUDENT_NAMES[t.goodStudent]);
  check.tensor(['diff_mask'], readTensor(t.diffMask));
  check.exact(['diff_count'], readScalar(tf.sum(t.diffMask)));
  check.number(['v_mse'], readScalar(t.vCdr));
  check.number(['r_mse'], readScalar(t.rCdr));
  check.number(['v_supervised_loss'], readScalar(t.vSupervised));
  check.number(['r_supervised_loss'], readScalar(t.rSupervised));
  check.tensor(['pseudo_label'], readTensor(channelsFirst(t.pseudoLabel)));
  check.number(['consistency_loss_weak'], readScalar(t.consistency));
  inputNumbers(v, 'iterations', 'params').forEach((k, j) => {
    const at = ['per_iteration', j];
    part(check, at, () => {
      const w = consistencyWeight(k, recipe.consistencyWeight, recipe.consistencyRampup);
      const step = mcfLosses(vLogits, rLogits, labels, L, w, temperature, cdrWeight);
      check.exact([...at, 'iteration'], k);
      check.number([...at, 'consistency_weight'], w, 'f64');
      check.number([...at, 'v_loss'], readScalar(step.vLoss));
      check.number([...at, 'r_loss'], readScalar(step.rLoss));
    });
  });
};
