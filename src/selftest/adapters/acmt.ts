/**
 * @file `acmt__*`: AC-MT's four selection strategies (Ent, MU, P-Err, S-Err with its cleanlab fallback)
 * through src/methods/ac-mt.ts and cleanlab.ts, with the project's AC-MT recipe (labeled count, run
 * length, thresholds, P-Err σ threshold and pass count, S-Err filter, w(k)). The step total is assembled
 * as ac-mt.ts does: L_sup + w(k)·L_con.
 */
import { tf, type Tensor } from '../../nn/tf.js';
import { samples } from '../../methods/losses.js';
import { acmtSupervised, entSelection, muSelection, perrSelection, serrSelection } from '../../methods/ac-mt.js';
import type { FilterBy } from '../../methods/cleanlab.js';
import { consistencyWeight } from '../../train/schedules.js';
import type { ResolvedConfig } from '../../train/config.js';
import { laRecipe, part, type Adapter } from '../adapter.js';
import type { Checker } from '../compare.js';
import { inputChannelsLast, readScalar, readTensor, toTensor, withChannelAxis } from '../tensors.js';
import { inputNumbers, inputTensor, vectorError, type TensorValue, type VectorInput } from '../vector.js';
import { mcSamples } from './uamt.js';

/** The student's labeled/unlabeled halves and L_sup, checked; labeled samples come first. */
function supervised(v: VectorInput, check: Checker, recipe: ResolvedConfig): { student: Tensor; sup: tf.Scalar; U: number } {
  const L = recipe.labeledBatch;
  const logits = inputChannelsLast(inputTensor(v, 'logits'));
  const U = logits.shape[0] - L;
  if (U < 1) throw vectorError(v, 'inputs.logits', `needs more than the recipe's ${L} labeled samples, has ${logits.shape[0]}`);
  const sup = acmtSupervised(samples(logits, 0, L), samples(toTensor(inputTensor(v, 'label')), 0, L));
  check.number(['loss_ce'], readScalar(sup.ce));
  check.number(['loss_dice'], readScalar(sup.dice));
  check.number(['supervised_loss'], readScalar(sup.loss));
  return { student: samples(logits, L, U), sup: sup.loss, U };
}

/** per_iteration[j]: iteration, w(k) and L_sup + w(k)·L_con, with what `consistencyAt` checks at that k. */
function perIteration(v: VectorInput, check: Checker, recipe: ResolvedConfig, sup: tf.Scalar, consistencyAt: (k: number, at: (string | number)[]) => tf.Scalar): void {
  inputNumbers(v, 'iterations', 'params').forEach((k, j) => {
    const at = ['per_iteration', j];
    part(check, at, () => {
      const w = consistencyWeight(k, recipe.consistencyWeight, recipe.consistencyRampup);
      check.exact([...at, 'iteration'], k);
      const consistency = consistencyAt(k, at);
      check.number([...at, 'consistency_weight'], w, 'f64');
      check.number([...at, 'loss'], readScalar(tf.add(sup, tf.mul(consistency, w))));
    });
  });
}

export const entSelectionAdapter: Adapter = (v, check) => {
  const recipe = laRecipe('ac-mt');
  const { student, sup } = supervised(v, check, recipe);
  const teacher = inputChannelsLast(inputTensor(v, 'noisy_teacher_logits'));
  const start = Number(recipe.params.entThresholdStart);
  const end = Number(recipe.params.entThresholdEnd);
  // The entropy map does not depend on k.
  check.tensor(['entropy_map'], readTensor(entSelection(student, teacher, 0, recipe.iterations, start, end).entropy));
  perIteration(v, check, recipe, sup, (k, at) => {
    const s = entSelection(student, teacher, k, recipe.iterations, start, end);
    check.number([...at, 'threshold'], s.threshold, 'f64');
    check.tensor([...at, 'selected'], readTensor(s.mask));
    check.exact([...at, 'selected_count'], s.selected);
    check.number([...at, 'consistency_loss'], readScalar(s.consistency));
    return s.consistency;
  });
};

export const muSelectionAdapter: Adapter = (v, check) => {
  const recipe = laRecipe('ac-mt');
  const { student, sup, U } = supervised(v, check, recipe);
  const teacher = inputChannelsLast(inputTensor(v, 'teacher_logits'));
  // The student MC rows are filled as UA-MT's teacher rows: passes over [u1, u2, u1, u2].
  const mc = mcSamples(v, 'mc_student_logits', U);
  if (mc.length !== Number(recipe.params.mcSamples)) throw vectorError(v, 'inputs.mc_student_logits', `holds ${mc.length} MC samples, the recipe takes ${recipe.params.mcSamples}`);
  const start = Number(recipe.params.muThresholdStart);
  const rise = Number(recipe.params.muThresholdRise);
  check.tensor(['uncertainty'], readTensor(withChannelAxis(muSelection(student, teacher, mc, 0, recipe.iterations, start, rise).uncertainty)));
  perIteration(v, check, recipe, sup, (k, at) => {
    const s = muSelection(student, teacher, mc, k, recipe.iterations, start, rise);
    check.number([...at, 'threshold'], s.threshold, 'f64');
    check.tensor([...at, 'selected'], readTensor(withChannelAxis(s.mask)));
    check.number([...at, 'consistency_loss'], readScalar(s.consistency));
    return s.consistency;
  });
};

/** A flat channels-last array [N, ...S, C] reordered to the vectors' [N, C, ...S]. */
function toChannelsFirst(data: ArrayLike<number>, shape: number[]): { shape: number[]; data: number[] } {
  const [N, ...rest] = shape;
  const C = rest[rest.length - 1];
  const spatial = rest.slice(0, -1);
  const V = spatial.reduce((a, b) => a * b, 1);
  const out = new Array<number>(data.length);
  for (let n = 0; n < N; n++) for (let v = 0; v < V; v++) for (let c = 0; c < C; c++) out[(n * C + c) * V + v] = data[(n * V + v) * C + c];
  return { shape: [N, C, ...spatial], data: out };
}

/** Pass i of a stacked (P, N, C, …) input as a channels-last tensor. */
function pass(t: TensorValue, i: number): Tensor {
  const rest = t.shape.slice(1);
  const per = rest.reduce((a, b) => a * b, 1);
  return inputChannelsLast({ shape: rest, dtype: t.dtype, data: t.data.slice(i * per, (i + 1) * per) });
}

export const perrSelectionAdapter: Adapter = (v, check) => {
  const recipe = laRecipe('ac-mt');
  const { student, sup } = supervised(v, check, recipe);
  const passes = Number(recipe.params.perrPasses);
  const mcLogits = inputTensor(v, 'teacher_logits_mc');
  const mcFeatures = inputTensor(v, 'teacher_features_mc');
  if (mcLogits.shape[0] !== passes || mcFeatures.shape[0] !== passes) throw vectorError(v, 'inputs.teacher_*_mc', `expected the recipe's ${passes} teacher passes`);
  const s = perrSelection({
    studentUnlabeledLogits: student,
    noisyTeacherLogits: inputChannelsLast(inputTensor(v, 'teacher_logits_noisy')),
    cleanTeacherLogits: inputChannelsLast(inputTensor(v, 'teacher_logits_clean')),
    mcTeacherLogits: Array.from({ length: passes }, (_, i) => pass(mcLogits, i)),
    mcTeacherFeatures: Array.from({ length: passes }, (_, i) => pass(mcFeatures, i)),
    uncertaintyThreshold: Number(recipe.params.perrUncertaintyThreshold),
    withDistances: true,
  });
  const voxelShape = student.shape.slice(0, -1);
  const perChannel = student.shape;
  check.tensor(['uncertainty_map'], toChannelsFirst(s.uncertainty, perChannel));
  check.tensor(['certain_mask'], toChannelsFirst(s.certain, perChannel));
  check.tensor(['rect_label'], { shape: voxelShape, data: s.rectLabel });
  const fs = pass(mcFeatures, 0).shape;
  check.tensor(['mean_features'], toChannelsFirst(s.meanFeatures, fs));
  const F = fs[fs.length - 1];
  check.tensor(['obj_prototype'], { shape: [fs[0], F], data: s.objPrototype });
  check.tensor(['bg_prototype'], { shape: [fs[0], F], data: s.bgPrototype });
  check.tensor(['distance_obj'], { shape: [voxelShape[0], 1, ...voxelShape.slice(1)], data: s.distanceObj! });
  check.tensor(['distance_bg'], { shape: [voxelShape[0], 1, ...voxelShape.slice(1)], data: s.distanceBg! });
  check.tensor(['selection_mask'], toChannelsFirst(s.selection, perChannel));
  check.tensor(['student_onehot'], toChannelsFirst(s.studentOneHot, perChannel));
  check.tensor(['clean_mask'], toChannelsFirst(s.clean, perChannel));
  check.number(['noisy_term'], readScalar(s.noisyTerm));
  check.number(['entropy_term'], readScalar(s.entropyTerm));
  check.number(['consistency_loss'], readScalar(s.consistency));
  perIteration(v, check, recipe, sup, () => s.consistency);
};

/** The CleanlabError's numpy message, without the project's note on which class is absent. */
function numpyMessage(error: string): string {
  return error.replace(/ \(class(es)? [\d, ]+ absent from the given labels\)$/, '');
}

export const serrSelectionAdapter: Adapter = (v, check) => {
  const recipe = laRecipe('ac-mt');
  const { student, sup } = supervised(v, check, recipe);
  const s = serrSelection(student, inputChannelsLast(inputTensor(v, 'teacher_logits_noisy')), inputChannelsLast(inputTensor(v, 'teacher_logits_clean')), String(recipe.params.serrFilterBy) as FilterBy);
  const voxelShape = student.shape.slice(0, -1);
  const C = student.shape[student.shape.length - 1];
  check.tensor(['given_labels'], { shape: voxelShape, data: s.givenLabels });
  check.tensor(['pred_probs_flat_first5'], { shape: [5, C], data: s.predProbs.slice(0, 5 * C) });
  check.exact(['path'], s.path);
  if (s.path === 'fallback') {
    check.exact(['exception'], numpyMessage(s.error ?? ''));
  } else {
    const cl = s.cleanlab!;
    check.tensor(['label_issues'], readTensor(s.mask!));
    check.exact(['label_issue_count'], s.selected);
    check.numbers(['per_class_thresholds'], Array.from(cl.thresholds));
    check.tensor(['confident_joint_uncalibrated'], { shape: [C, C], data: cl.confidentJointUncalibrated.flat() });
    check.tensor(['confident_joint_calibrated'], { shape: [C, C], data: cl.confidentJoint.flat() });
    const count = (m: Uint8Array | undefined) => (m ? m.reduce((a, b) => a + b, 0) : null);
    check.exact(['issues_prune_by_class'], count(cl.issuesByClass));
    check.exact(['issues_prune_by_noise_rate'], count(cl.issuesByNoiseRate));
  }
  check.number(['consistency_loss'], readScalar(s.consistency));
  perIteration(v, check, recipe, sup, () => s.consistency);
};
