/**
 * @file `dtc__*`: compute_sdf and DTC's loss terms, with the project's DTC recipe (labeled count, β, k,
 * weight). The vectors give the two heads' outputs (tanh φ and the segmentation logit).
 */
import { tf } from '../../nn/tf.js';
import { samples } from '../../methods/losses.js';
import { computeSdf, dtcLoss, dtcTransform } from '../../methods/dtc.js';
import { consistencyWeight } from '../../train/schedules.js';
import { laRecipe, part, type Adapter } from '../adapter.js';
import { channelsFirst, inputChannelsLast, readScalar, readTensor, toTensor } from '../tensors.js';
import { inputNumbers, inputTensor, vectorError, type TensorValue } from '../vector.js';

/** computeSdf of each sample of an [N, ...spatial] label tensor, concatenated (float64). */
function sdfOfSamples(labels: TensorValue, count: number): Float64Array {
  const spatial = labels.shape.slice(1);
  const voxels = spatial.reduce((a, b) => a * b, 1);
  const out = new Float64Array(count * voxels);
  for (let i = 0; i < count; i++) out.set(computeSdf(labels.data.slice(i * voxels, (i + 1) * voxels), spatial), i * voxels);
  return out;
}

export const computeSdfAdapter: Adapter = (v, check) => {
  const masks = inputTensor(v, 'masks');
  check.tensor(['sdf'], { shape: masks.shape, data: sdfOfSamples(masks, masks.shape[0]) });
};

export const dtcLossesAdapter: Adapter = (v, check) => {
  const recipe = laRecipe('dtc');
  const L = recipe.labeledBatch;
  const beta = Number(recipe.params.beta);
  const k = Number(recipe.params.transformK);
  const label = inputTensor(v, 'label');
  if (label.shape[0] < L) throw vectorError(v, 'inputs.label', `needs the recipe's ${L} labeled samples, has ${label.shape[0]}`);
  const tanhOut = inputChannelsLast(inputTensor(v, 'tanh_out'));
  const segLogit = inputChannelsLast(inputTensor(v, 'seg_logit'));
  const labels = samples(toTensor(label), 0, L);
  // The method casts the float64 map to float32 before the MSE, as the script's `.float()` does.
  const sdf = Float32Array.from(sdfOfSamples(label, L));
  const spatial = label.shape.slice(1);
  const sdfTensor = tf.tensor(sdf, [L, ...spatial]);
  check.number(['beta'], beta, 'f64');
  check.tensor(['gt_dis'], { shape: [L, ...spatial], data: sdf });
  check.tensor(['dis_to_mask'], readTensor(channelsFirst(dtcTransform(tanhOut, k))));
  // With weight 0 the total is the script's supervised_loss = Dice + β·MSE.
  const sup = dtcLoss(tanhOut, segLogit, labels, sdfTensor, L, beta, k, 0);
  check.number(['loss_sdf'], readScalar(sup.lossSdf));
  check.number(['loss_seg_dice'], readScalar(sup.lossDice));
  check.number(['consistency_loss'], readScalar(sup.lossDtc));
  check.number(['supervised_loss'], readScalar(sup.loss));
  check.notImplemented(['loss_seg_bce_unused'], 'the official script computes and logs this BCE but never adds it to the loss; the project does not compute it');
  inputNumbers(v, 'iterations', 'params').forEach((it, j) => {
    const at = ['per_iteration', j];
    part(check, at, () => {
      const w = consistencyWeight(it, recipe.consistencyWeight, recipe.consistencyRampup);
      check.exact([...at, 'iteration'], it);
      check.number([...at, 'consistency_weight'], w, 'f64');
      check.number([...at, 'loss'], readScalar(dtcLoss(tanhOut, segLogit, labels, sdfTensor, L, beta, k, w).loss));
    });
  });
};
