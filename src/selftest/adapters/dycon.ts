/**
 * @file `dycon__*`: DyCON's schedules, UnCL, FeCL, patch labels, double-softmax MSE and step total through
 * src/methods/dycon.ts, with the project's DyCON recipe (β range, FeCL τ/γ/ramp/λ, loss weights, w(k)).
 * The recipe is DyCON's BraTS/Pancreas one reused on LA (no LA script exists), so its values are the
 * scripts' own.
 */
import { tf } from '../../nn/tf.js';
import { samples, softmaxMse } from '../../methods/losses.js';
import {
  adaptiveBeta,
  doubleSoftmaxMse,
  downsampleLabels,
  dyconStepLoss,
  embeddingFactor,
  feclLoss,
  feclThresholds,
  flattenEmbeddings,
  maxEpoch,
  patchLabels,
  unclLoss,
  type FeclOptions,
} from '../../methods/dycon.js';
import type { ResolvedConfig } from '../../train/config.js';
import { laRecipe, part, type Adapter } from '../adapter.js';
import { inputChannelsLast, readScalar, readTensor, toTensor } from '../tensors.js';
import { inputNumber, inputNumbers, inputTensor, vectorError } from '../vector.js';

function feclOptions(r: ResolvedConfig): Required<FeclOptions> {
  return {
    temperature: Number(r.params.temperature),
    gamma: Number(r.params.gamma),
    useFocal: Boolean(r.params.useFocal),
    rampupEpochs: Number(r.params.rampupEpochs),
    lambdaCross: Number(r.params.lambdaCross),
  };
}

export const schedulesAdapter: Adapter = (v, check) => {
  const r = laRecipe('dycon');
  const betaMax = Number(r.params.betaMax);
  const betaMin = Number(r.params.betaMin);
  const epochs = inputNumbers(v, 'epochs');
  check.number(['beta_max'], betaMax, 'f64');
  check.number(['beta_min'], betaMin, 'f64');
  for (const labelnum of inputNumbers(v, 'labelnums')) {
    part(check, [`beta_labelnum_${labelnum}`], () => {
      // The run length and labeled batch are the recipe's: the same 20000 iterations and 4 labeled per batch as the scripts.
      const E = maxEpoch(r.iterations, labelnum, r.labeledBatch);
      check.exact(['total_epochs_by_labelnum', String(labelnum)], E);
      check.numbers([`beta_labelnum_${labelnum}`], epochs.map((e) => adaptiveBeta(e, E, betaMax, betaMin)), 'f64');
    });
  }
  const rampup = Number(r.params.rampupEpochs);
  check.numbers(['pos_thresh'], epochs.map((e) => feclThresholds(e, rampup).pos), 'f64');
  check.numbers(['neg_thresh'], epochs.map((e) => feclThresholds(e, rampup).neg), 'f64');
};

export const unclAdapter: Adapter = (v, check) => {
  const s = inputChannelsLast(inputTensor(v, 's_logits'));
  const t = inputChannelsLast(inputTensor(v, 't_logits'));
  check.numbers(['loss'], inputNumbers(v, 'betas').map((b) => readScalar(unclLoss(s, t, b))));
};

export const feclAdapter: Adapter = (v, check) => {
  const options = feclOptions(laRecipe('dycon'));
  const fs = flattenEmbeddings(inputChannelsLast(inputTensor(v, 'student_features')));
  const ft = flattenEmbeddings(inputChannelsLast(inputTensor(v, 'teacher_features')));
  check.tensor(['student_embeddings'], readTensor(fs));
  check.tensor(['teacher_embeddings'], readTensor(ft));
  const raw = inputTensor(v, 'patch_labels');
  // [N, 1, P] as the script keeps them → the [N, P] feclLoss takes.
  const labels = tf.reshape(toTensor(raw), [raw.shape[0], -1]);
  inputNumbers(v, 'epochs').forEach((e, j) => {
    const at = ['per_epoch', j];
    part(check, at, () => {
      const focal = feclLoss(fs, ft, labels, e, { ...options, useFocal: true });
      const plain = feclLoss(fs, ft, labels, e, { ...options, useFocal: false });
      check.exact([...at, 'epoch'], e);
      check.number([...at, 'cross_neg_threshold'], focal.crossThreshold, 'f64');
      check.exact([...at, 'cross_hard_negatives'], readScalar(focal.hardNegatives));
      check.number([...at, 'total_focal'], readScalar(focal.total));
      check.number([...at, 'total_no_focal'], readScalar(plain.total));
      // The official FeCLoss called with teacher_feat=None.
      check.number([...at, 'student_term_focal'], readScalar(feclLoss(fs, null, labels, e, { ...options, useFocal: true }).total));
      check.number([...at, 'student_term_no_focal'], readScalar(feclLoss(fs, null, labels, e, { ...options, useFocal: false }).total));
    });
  });
};

export const patchLabelsAdapter: Adapter = (v, check) => {
  const label = toTensor(inputTensor(v, 'label'));
  const scalers = inputNumbers(v, 'feature_scalers', 'params');
  check.note(
    "patch labels at the script's factor 4·feature_scaler (F.interpolate scale 1/(4·feature_scaler)); the project's DyCON takes the factor from its embedding grid (16/feature_scaler), the same at the default feature_scaler 2",
  );
  for (const s of scalers) {
    const key = `feature_scaler_${s}`;
    part(check, [key], () => {
      const factor = 4 * s;
      check.tensor([key, 'interpolated'], readTensor(downsampleLabels(label, factor)));
      const mask = patchLabels(label, factor);
      check.tensor([key, 'mask_con'], readTensor(tf.expandDims(mask, 1)));
    });
  }
};

export const doubleSoftmaxMseAdapter: Adapter = (v, check) => {
  const s = inputChannelsLast(inputTensor(v, 'stud_logits'));
  const t = inputChannelsLast(inputTensor(v, 'ema_logits'));
  // The vector's reduced batch (the script's 4 + 4 would not change the per-element mean).
  const L = inputNumber(v, 'labeled_bs', 'params');
  const U = s.shape[0] - L;
  if (!(Number.isInteger(L) && L > 0 && U > 0)) throw vectorError(v, 'params.labeled_bs', `expected an integer in 1..${s.shape[0] - 1}, got ${L}`);
  const su = samples(s, L, U);
  const tu = samples(t, L, U);
  // dycon.ts passes the probabilities, which doubleSoftmaxMse softmaxes again (the official QUIRK).
  check.number(['consistency_loss'], readScalar(doubleSoftmaxMse(tf.softmax(su), tf.softmax(tu))));
  // The single-softmax value the vector lists for comparison: the project's MT consistency on the same logits.
  check.number(['single_softmax_reference'], readScalar(tf.mean(softmaxMse(su, tu))));
};

export const stepLossesAdapter: Adapter = (v, check) => {
  const r = laRecipe('dycon');
  const options = feclOptions(r);
  const labeledWeight = Number(r.params.labeledWeight);
  const unlabeledWeight = Number(r.params.unlabeledWeight);
  check.number(['weights', 'l_weight'], labeledWeight, 'f64');
  check.number(['weights', 'u_weight'], unlabeledWeight, 'f64');
  check.number(['weights', 'temp'], options.temperature, 'f64');
  check.number(['weights', 'gamma'], options.gamma, 'f64');
  // The vector's reduced batch and its (iteration, epoch, epochs) point of the run.
  const L = inputNumber(v, 'labeled_bs', 'params');
  const sLogits = inputChannelsLast(inputTensor(v, 'stud_logits'));
  const tLogits = inputChannelsLast(inputTensor(v, 'ema_logits'));
  const sFeat = inputChannelsLast(inputTensor(v, 'stud_features'));
  const tFeat = inputChannelsLast(inputTensor(v, 'ema_features'));
  const all = toTensor(inputTensor(v, 'label'));
  const N = all.shape[0];
  if (!(Number.isInteger(L) && L > 0 && L < N)) throw vectorError(v, 'params.labeled_bs', `expected an integer in 1..${N - 1}, got ${L}`);
  // The project's rule: the factor between the patch and the embedding grid.
  const factor = embeddingFactor(all.shape.slice(1), sFeat.shape.slice(1, -1));
  const patches = patchLabels(all, factor);
  check.tensor(['patch_labels'], readTensor(tf.expandDims(patches, 1)));
  check.note("FeCL patch labels of the unlabeled half from the ground truth, as the official code does: the project's fecLabels 'ground-truth' mode (its default, 'teacher', avoids that label leak)");
  const t = dyconStepLoss(
    {
      studentLogits: sLogits,
      teacherLogits: tLogits,
      studentEmbeddings: flattenEmbeddings(sFeat),
      teacherEmbeddings: flattenEmbeddings(tFeat),
      labels: samples(all, 0, L),
      unlabeledPatchLabels: samples(patches, L, N - L),
      labeledCount: L,
      iteration: inputNumber(v, 'iteration', 'params'),
      epoch: inputNumber(v, 'epoch', 'params'),
      totalEpochs: inputNumber(v, 'total_epochs', 'params'),
    },
    {
      ...options,
      labeledWeight,
      unlabeledWeight,
      consistency: r.consistencyWeight,
      consistencyRampup: r.consistencyRampup,
      betaMax: Number(r.params.betaMax),
      betaMin: Number(r.params.betaMin),
    },
  );
  check.number(['beta'], t.beta, 'f64');
  check.number(['consistency_weight'], t.consistencyWeight, 'f64');
  check.number(['loss_seg'], readScalar(t.ce));
  check.number(['loss_seg_dice'], readScalar(t.dice));
  check.number(['f_loss'], readScalar(t.fecl.total));
  check.number(['u_loss'], readScalar(t.uncl));
  check.number(['consistency_loss'], readScalar(t.consistency));
  check.number(['loss'], readScalar(t.loss));
};
