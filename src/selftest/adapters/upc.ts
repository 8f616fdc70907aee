/**
 * @file `upc__*`: UPC's pseudo-label consistency (default path and `--pseudo_rect`), its supervised term
 * and the α 0.9999 EMA, with the project's UPC recipe. The consistency runs on all samples, labeled
 * ones included, as the official script does.
 */
import { tf, type Tensor } from '../../nn/tf.js';
import { halfCeDice, samples } from '../../methods/losses.js';
import { upcPseudoLabelLoss, upcPseudoLabels, upcRectifiedLoss } from '../../methods/upc.js';
import { consistencyWeight } from '../../train/schedules.js';
import { laRecipe, part, type Adapter } from '../adapter.js';
import { inputChannelsLast, readScalar, readTensor, toTensor } from '../tensors.js';
import { inputNumbers, inputTensor } from '../vector.js';

export { emaWarmupUpcAdapter } from './common.js';

function upcAdapter(rectified: boolean): Adapter {
  return (v, check) => {
    const recipe = laRecipe('upc');
    const threshold = Number(recipe.params.confidenceThreshold);
    const temperature = Number(recipe.params.temperature);
    // The recipe runs the default path; the --pseudo_rect vector is the same recipe with that flag on.
    const pseudoRect = rectified ? true : recipe.params.pseudoRect === true;
    const L = recipe.labeledBatch;
    const student = inputChannelsLast(inputTensor(v, 'student_logits'));
    const teacher = inputChannelsLast(inputTensor(v, 'teacher_logits'));
    // The project has only the pseudo-label path: the script's MSE branch is unreachable (--pseudo is
    // store_true with default True, METHODS §4.5).
    check.number(['args', 'threshold'], threshold, 'f64');
    check.number(['args', 'T'], temperature, 'f64');
    check.exact(['args', 'pseudo'], true);
    check.exact(['args', 'pseudo_rect'], pseudoRect);
    const { pseudo, mask } = upcPseudoLabels(teacher, threshold, temperature);
    check.tensor(['pseudo_label'], readTensor(pseudo));
    check.tensor(['confident_mask'], readTensor(mask));
    const consistency: Tensor = pseudoRect ? upcRectifiedLoss(student, teacher, temperature) : upcPseudoLabelLoss(student, teacher, threshold, temperature).loss;
    check.number(['consistency_loss'], readScalar(consistency));
    const sup = halfCeDice(samples(student, 0, L), samples(toTensor(inputTensor(v, 'label')), 0, L));
    check.number(['loss_seg'], readScalar(sup.ce));
    check.number(['loss_seg_dice'], readScalar(sup.dice));
    check.number(['supervised_loss'], readScalar(sup.loss));
    inputNumbers(v, 'iterations', 'params').forEach((k, j) => {
      const at = ['per_iteration', j];
      part(check, at, () => {
        const w = consistencyWeight(k, recipe.consistencyWeight, recipe.consistencyRampup);
        check.exact([...at, 'iteration'], k);
        check.number([...at, 'consistency_weight'], w, 'f64');
        // The same assembly as src/methods/upc.ts: L_sup + w·L_con.
        check.number([...at, 'loss'], readScalar(tf.add(sup.loss, tf.mul(consistency, w))));
      });
    });
  };
}

export const upcPseudoLabelAdapter = upcAdapter(false);
export const upcRectifiedAdapter = upcAdapter(true);
