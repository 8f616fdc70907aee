/**
 * @file `cml__*`: CML's conflict loss and its LA and ACDC training steps through src/methods/cml.ts and
 * copy-paste.ts, with the project's CML recipe of that dataset (l/u/dis weights, mask ratio) and its
 * pseudo-label rule (3-D LCC on LA, argmax + per-class 2-D LCC on ACDC). The box corners are the
 * vectors' draws. The ACDC vector gives both views' outputs as inputs, so it checks the wiring, not the
 * shared-weight 2-D network (tested in test/methods/cml.test.ts). The step total is assembled as cml.ts assembles it:
 * L = l_w·(S(o1_l) + S(o2_l)) + u_w·(S(o1_u) + S(o2_u)) + dis_w·(D_l + D_u).
 */
import { tf } from '../../nn/tf.js';
import { samples } from '../../methods/losses.js';
import { copyPastePseudoLabels, featureConflict, mix } from '../../methods/copy-paste.js';
import { cmlSupervision, crossViewTargets, symmetricConflict } from '../../methods/cml.js';
import { acdcRecipe, laRecipe, type Adapter } from '../adapter.js';
import type { ResolvedConfig } from '../../train/config.js';
import { channelsFirst, inputChannelsLast, readScalar, readTensor, toTensor } from '../tensors.js';
import { inputTensor, vectorError } from '../vector.js';
import { maskFromDraws, mixLabels } from './bcp.js';

export const featuresDiscrepancyAdapter: Adapter = (v, check) => {
  // featureConflict is rank-agnostic (channels-last): the 3-D LA and the 2-D ACDC bottlenecks alike.
  for (const d of ['3', '2']) {
    const a = inputChannelsLast(inputTensor(v, `f${d}a`));
    const b = inputChannelsLast(inputTensor(v, `f${d}b`));
    check.number([`d${d}_ab`], readScalar(featureConflict(a, b)));
    check.number([`d${d}_ba`], readScalar(featureConflict(b, a)));
  }
};

/** One CML training step (labeled CutMix + cross-view unlabeled CutMix) with `recipe`'s values. */
const trainStepAdapter = (recipe: () => ResolvedConfig): Adapter => (v, check) => {
  const p = recipe().params;
  const ratio = Number(p.maskRatio);
  const lw = Number(p.labeledWeight);
  const uw = Number(p.unlabeledWeight);
  const dw = Number(p.conflictWeight);
  check.number(['weights', 'l_weight'], lw, 'f64');
  check.number(['weights', 'u_weight'], uw, 'f64');
  check.number(['weights', 'dis_weight'], dw, 'f64');
  check.number(['weights', 'mask_ratio'], ratio, 'f64');
  const volume = inputChannelsLast(inputTensor(v, 'volume'));
  const label = toTensor(inputTensor(v, 'label'));
  // Layout: l_a, l_b, u_a, u_b, each of `h` samples.
  const h = inputTensor(v, 'out1_l').shape[0];
  if (volume.shape[0] !== 4 * h) throw vectorError(v, 'inputs.volume', `expected 4 groups of ${h} samples, has ${volume.shape[0]}`);
  const group = (x: tf.Tensor, i: number) => samples(x, i * h, h);
  const spatial = volume.shape.slice(1, -1);
  const cl = (key: string) => inputChannelsLast(inputTensor(v, key));

  // Labeled CutMix.
  const mask = maskFromDraws(v, 'box_draws_l', spatial, ratio);
  check.tensor(['img_mask'], readTensor(mask));
  check.tensor(['mixl_img'], readTensor(channelsFirst(mix(group(volume, 0), group(volume, 1), mask))));
  const y = mixLabels(group(label, 0), group(label, 1), mask);
  check.tensor(['mixl_lab'], readTensor(y));
  const supL1 = cmlSupervision(cl('out1_l'), y);
  const supL2 = cmlSupervision(cl('out2_l'), y);
  check.number(['loss_sup_l'], readScalar(supL1));
  check.number(['sub_loss_sup_l'], readScalar(supL2));
  const f1l = cl('feat1_l');
  const f2l = cl('feat2_l');
  check.number(['sub_loss_dis_l'], readScalar(featureConflict(f2l, f1l)));
  const disL = symmetricConflict(f1l, f2l);
  check.number(['loss_dis_l'], readScalar(disL));
  const lossL = tf.mul(tf.add(supL1, supL2), lw);
  check.number(['loss_l'], readScalar(lossL));

  // Cross-view pseudo-labels on [u_a; u_b] and the unlabeled CutMix.
  // cml.ts's rule by rank: get_cut_mask (3-D) or get_ACDC_masks(nms=1) (2-D).
  const plab = copyPastePseudoLabels(cl('unout1'));
  const plabSub = copyPastePseudoLabels(cl('unout2'));
  check.tensor(['plab'], readTensor(plab));
  check.tensor(['plab_sub'], readTensor(plabSub));
  const maskU = maskFromDraws(v, 'box_draws_u', spatial, ratio);
  check.tensor(['unimg_mask'], readTensor(maskU));
  check.tensor(['mixu_img'], readTensor(channelsFirst(mix(group(volume, 2), group(volume, 3), maskU))));
  const { target1, target2 } = crossViewTargets(plab, plabSub, h, maskU);
  check.tensor(['mixu_plab'], readTensor(target1));
  check.tensor(['mixu_plab_sub'], readTensor(target2));
  const supU1 = cmlSupervision(cl('out1_u'), target1);
  const supU2 = cmlSupervision(cl('out2_u'), target2);
  check.number(['loss_sup_u'], readScalar(supU1));
  check.number(['sub_loss_sup_u'], readScalar(supU2));
  const f1u = cl('feat1_u');
  const f2u = cl('feat2_u');
  check.number(['sub_loss_dis_u'], readScalar(featureConflict(f2u, f1u)));
  const disU = symmetricConflict(f1u, f2u);
  check.number(['loss_dis_u'], readScalar(disU));
  const lossU = tf.mul(tf.add(supU1, supU2), uw);
  check.number(['loss_u'], readScalar(lossU));
  const lossDis = tf.mul(tf.add(disL, disU), dw);
  check.number(['loss_dis'], readScalar(lossDis));
  check.number(['loss'], readScalar(tf.addN([lossL, lossU, lossDis])));
};

export const laTrainStepAdapter = trainStepAdapter(() => laRecipe('cml'));
export const acdcTrainStepAdapter = trainStepAdapter(() => acdcRecipe('cml'));
