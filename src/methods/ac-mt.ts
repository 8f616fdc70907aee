/**
 * AC-MT, Ambiguity-Consensus Mean Teacher (Xu et al., MedIA 2023), ACMT:code/train_ACMT_Ent_3D.py,
 * …_MU_3D.py, …_PErr_3D.py, …_SErr_3D_cl2.py (METHODS §4.9). A mean teacher whose consistency
 * (softmax(s_u) − softmax(t_u))², t_u the EMA teacher in train mode on x_u + clamp(N(0, 0.1²), ±0.2), is
 * applied only on *ambiguous* voxels; four ways to pick them (`config.params.strategy`):
 *   entropy — normalised student entropy ≥ τ_k, τ_k = 0.75 → 0.95 (sigmoid ramp over the run);
 *   mu      — entropy of the mean of T = 8 noisy MC softmaxes ≥ (0.75 → 0.90)·ln2;
 *   perr    — voxels whose student label disagrees with the label of the nearer teacher-feature
 *             prototype (fg/bg), plus an entropy term on the agreeing ones;
 *   serr    — cleanlab's confident-learning label issues of the student argmax against the teacher softmax.
 * L = 0.5·(CE + DiceLoss(2)) on the labeled samples + w(k)·L_con, w(k) = 0.1·sigmoid_rampup(⌊k/150⌋, 40).
 * The default strategy is `entropy`: the README gives no preference (`train_ACMT_{}_3D.py`), the Ent
 * script is the first of the four and the recipe's reference script (its defaults are shared by all four).
 *
 * Code facts reproduced (QUIRKs of the official scripts, kept by default):
 * - MU's MC passes run through the **student** (`model`, train mode, no grad), not the teacher, so the
 *   student's BN running statistics move 4 extra times per iteration: the passes below call
 *   `nets.student.forward(…, { training: true })`, whose BN updates its running stats.
 * - MU's mask has one channel and Σm counts each voxel once; Ent, S-Err and P-Err count both channels
 *   (their mask is concatenated over the 2 channels), so MU's value is 2× the per-channel mean.
 * - P-Err's `masked_entropy_loss` multiplies the (B_u, 2, …) clean mask by the (B_u, …) entropy map,
 *   which broadcasts the entropy's *batch* axis against the mask's *channel* axis: term =
 *   mean_{b,c,v} K[b,c,v]·E[c,v]. Exact for B_u = 2 (the official batch). For B_u = 1 PyTorch's
 *   broadcast gives K[b,c,v]·E[b,v], which is what is computed; for other B_u PyTorch raises, and this
 *   port generalises to the same per-sample pairing K[b,c,v]·E[b,v] rather than failing.
 * - S-Err falls back to the plain mean((p_u − softmax(t_u))²) whenever cleanlab raises — in practice when
 *   the student predicts a single class on the unlabeled batch (early training); see `cleanlab.ts` for
 *   exactly where 2.0.0 raises. Only `CleanlabError` is caught, so a bug here is not silently hidden.
 * - Teacher in train mode (dropout on, BN batch statistics) for every pass; EMA 0.99 with warm-up,
 *   parameters only (trainer); poly(0.9) lr over 8000 updates; the student is checkpointed on the best
 *   Dice on the 20 *test* cases, every 50 updates after 500 (MU validates with stride 64/64).
 * - The final test (`test_3D_util.py` L110, L159-165) calls medpy's asd/hd95 as (gt, pred), so the
 *   reported ASD is GT→prediction; that belongs to evaluation and is only noted here.
 * Omitted because it changes nothing: the Ent script's extra teacher pass on the clean input (its
 * output is unused) and P-Err's use of the first clean pass's features (only their shape is read).
 *
 * Gradients: only the student's forward on the batch carries one (as under the scripts' no_grad). Masks
 * built from MC passes, prototypes or cleanlab are fresh tensors, so backpropagation never walks back
 * through those passes. P-Err's prototype step has no gradient in the official code and runs on typed
 * arrays (`ac-mt-prototypes.ts`).
 */
import { tf, type Tensor } from '../nn/tf.js';
import type { Network } from '../nn/network.js';
import { unknownChoice } from '../errors.js';
import type { Rng } from '../util/rng.js';
import type { ResolvedConfig } from '../train/config.js';
import { consistencyWeight, sigmoidRampup } from '../train/schedules.js';
import { clampedNoise, crossEntropy, diceLossMultiClass, samples, softmaxMse } from './losses.js';
import { mcUncertainty } from './ua-mt.js';
import { CleanlabError, findLabelIssues, type FilterBy, type LabelIssuesResult } from './cleanlab.js';
import { prototypeSelection } from './ac-mt-prototypes.js';
import type { Method } from './method.js';

export const ACMT_STRATEGIES = ['entropy', 'mu', 'perr', 'serr'] as const;
export type AcmtStrategy = (typeof ACMT_STRATEGIES)[number];

/** The strategy of a config (`params.strategy`, default `entropy`). */
export function acmtStrategy(config: Pick<ResolvedConfig, 'params'>): AcmtStrategy {
  const s = String(config.params.strategy ?? 'entropy');
  if (!(ACMT_STRATEGIES as readonly string[]).includes(s)) throw unknownChoice('AC-MT strategy', s, ACMT_STRATEGIES);
  return s as AcmtStrategy;
}

/** L_sup = 0.5·(CE + DiceLoss(2)) on the labeled logits: SSL4MIS-style Dice over both classes (background included). */
export function acmtSupervised(labeledLogits: Tensor, labels: Tensor): { loss: tf.Scalar; ce: tf.Scalar; dice: tf.Scalar } {
  const ce = crossEntropy(labeledLogits, labels);
  const dice = tf.tidy(() => diceLossMultiClass(tf.softmax(labeledLogits), labels));
  const loss = tf.tidy(() => tf.mul(tf.add(ce, dice), 0.5) as tf.Scalar);
  return { loss, ce, dice };
}

/** E = −Σ_c p_c·log(p_c + 1e-6) / ln C per voxel [N, ...spatial] (`entropy_map`, `masked_entropy_loss`). */
export function normalizedEntropy(probabilities: Tensor): Tensor {
  return tf.tidy(() => {
    const classes = probabilities.shape[probabilities.shape.length - 1];
    return tf.div(tf.neg(tf.sum(tf.mul(probabilities, tf.log(tf.add(probabilities, 1e-6))), -1)), Math.log(classes));
  });
}

/** Ent τ_k = start + (end − start)·sigmoid_rampup(k, maxIterations), continuous in k (Ent L181). */
export function entThreshold(k: number, maxIterations: number, start = 0.75, end = 0.95): number {
  return start + (end - start) * sigmoidRampup(k, maxIterations);
}

/** MU H_k = (start + rise·sigmoid_rampup(k, maxIterations))·ln2, i.e. (0.75 → 0.90)·ln2 (MU L182; `rise` is the script's literal 0.15). */
export function muThreshold(k: number, maxIterations: number, start = 0.75, rise = 0.15): number {
  return (start + rise * sigmoidRampup(k, maxIterations)) * Math.LN2;
}

/**
 * Σ m·d / (Σm' + 1e-16) for a per-voxel mask m [U, ...spatial] broadcast over the C channels of d.
 * `countChannels`: Σm' = C·Σm (Ent, S-Err: the mask is concatenated over channels) or Σm (MU).
 */
export function maskedConsistency(dist: Tensor, voxelMask: Tensor, countChannels: boolean): tf.Scalar {
  return tf.tidy(() => {
    const classes = dist.shape[dist.shape.length - 1];
    const kept = tf.sum(voxelMask);
    const norm = countChannels ? tf.mul(kept, classes) : kept;
    return tf.div(tf.sum(tf.mul(dist, tf.expandDims(voxelMask, -1))), tf.add(norm, 1e-16)) as tf.Scalar;
  });
}

/** 1[x ≥ threshold] as float32 0/1; a float32 tensor against a Python float compares with the threshold rounded to float32. */
function atLeast(x: Tensor, threshold: number): Tensor {
  return tf.tidy(() => tf.cast(tf.greaterEqual(x, Math.fround(threshold)), 'float32'));
}

/** A copy with no autodiff history: backpropagation stops here instead of walking back through passes that only select. */
function detached(t: Tensor): Tensor {
  return tf.tensor(t.dataSync(), t.shape, t.dtype);
}

/** np.argmax over the class axis (first maximum) of channels-last probabilities, as flat Uint8 labels. */
function argmaxLabels(probabilities: Tensor): Uint8Array {
  const C = probabilities.shape[probabilities.shape.length - 1];
  const p = probabilities.dataSync();
  const out = new Uint8Array(p.length / C);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (p[i * C + c] > p[i * C + best]) best = c;
    out[i] = best;
  }
  return out;
}

export interface EntSelection {
  /** Normalised student entropy [U, ...spatial]. */
  entropy: Tensor;
  threshold: number;
  /** 1[E ≥ τ_k] (float32 0/1) [U, ...spatial]. */
  mask: Tensor;
  selected: number;
  consistency: tf.Scalar;
}

/** Ent (L157-192): high-entropy student voxels, consistency against the noisy teacher, Σm over both channels. */
export function entSelection(studentUnlabeledLogits: Tensor, noisyTeacherLogits: Tensor, iteration: number, maxIterations: number, start = 0.75, end = 0.95): EntSelection {
  const entropy = tf.tidy(() => normalizedEntropy(tf.softmax(studentUnlabeledLogits)));
  const threshold = entThreshold(iteration, maxIterations, start, end);
  const mask = atLeast(entropy, threshold);
  const selected = tf.tidy(() => tf.sum(mask).dataSync()[0]);
  const consistency = tf.tidy(() => maskedConsistency(softmaxMse(studentUnlabeledLogits, noisyTeacherLogits), mask, true));
  return { entropy, threshold, mask, selected, consistency };
}

export interface MuSelection {
  /** −Σ_c μ_c·log(μ_c + 1e-6) of the mean MC softmax (nats) [U, ...spatial]. */
  uncertainty: Tensor;
  threshold: number;
  /** 1[u ≥ H_k] (float32 0/1) [U, ...spatial]. */
  mask: Tensor;
  selected: number;
  consistency: tf.Scalar;
}

/**
 * MU (L141-186): `mcProbabilities` are the T student softmaxes of the unlabeled samples ([U, ...spatial, C]
 * each); high-uncertainty voxels; consistency against the teacher on the noisy input; Σm counts voxels once.
 */
export function muSelection(studentUnlabeledLogits: Tensor, teacherLogits: Tensor, mcProbabilities: Tensor[], iteration: number, maxIterations: number, start = 0.75, rise = 0.15): MuSelection {
  const { mean, uncertainty } = mcUncertainty(mcProbabilities);
  mean.dispose();
  const threshold = muThreshold(iteration, maxIterations, start, rise);
  const mask = atLeast(uncertainty, threshold);
  const selected = tf.tidy(() => tf.sum(mask).dataSync()[0]);
  const consistency = tf.tidy(() => maskedConsistency(softmaxMse(studentUnlabeledLogits, teacherLogits), mask, false));
  return { uncertainty, threshold, mask, selected, consistency };
}

/**
 * masked_entropy_loss(p, K): mean over (b, c, v) of K[b, v, c]·E[c, v] — the official broadcast of the
 * entropy's batch axis against the mask's channel axis — when B_u = 2 (= C); K[b, v, c]·E[b, v] otherwise
 * (PyTorch's own result for B_u = 1, the natural pairing for other B_u, where PyTorch raises).
 */
export function perrMaskedEntropy(studentUnlabeledProbabilities: Tensor, cleanMask: Tensor): tf.Scalar {
  return tf.tidy(() => {
    const entropy = normalizedEntropy(studentUnlabeledProbabilities);
    const [B] = entropy.shape;
    const C = cleanMask.shape[cleanMask.shape.length - 1];
    const rank = entropy.shape.length;
    const paired =
      B === C && B !== 1
        ? tf.expandDims(tf.transpose(entropy, [...Array.from({ length: rank - 1 }, (_, i) => i + 1), 0]), 0)
        : tf.expandDims(entropy, -1);
    return tf.mean(tf.mul(cleanMask, paired)) as tf.Scalar;
  });
}

export interface PErrInputs {
  studentUnlabeledLogits: Tensor;
  /** Teacher on the noisy unlabeled input (the consistency target). */
  noisyTeacherLogits: Tensor;
  /** Teacher on the clean unlabeled input (q for the rectified label and the prototype confidences). */
  cleanTeacherLogits: Tensor;
  /** The 10 further clean teacher passes (dropout on): logits [U, D, H, W, 2] and block-eight features [U, d, h, w, F]. */
  mcTeacherLogits: Tensor[];
  mcTeacherFeatures: Tensor[];
  /** σ threshold of the certain mask (`--uncertainty_th 0.1`). */
  uncertaintyThreshold?: number;
  /** Also return the per-voxel prototype distances (exact, slower; for tests). */
  withDistances?: boolean;
}

export interface PErrSelection {
  /** σ over the passes (unbiased) of sigmoid(t_i/2), per voxel and channel [U·V·2], channels-last order. */
  uncertainty: Float32Array;
  certain: Uint8Array;
  /** ŷ = argmax_c(certain·q) [U·V] (voxels certain in neither channel → 0). */
  rectLabel: Uint8Array;
  /** Mean block-eight features [U·d·h·w·F]. */
  meanFeatures: Float32Array;
  objPrototype: Float64Array;
  bgPrototype: Float64Array;
  distanceObj?: Float64Array;
  distanceBg?: Float64Array;
  /** Prototype labels [U·V·2]: (1[d_obj > d_bg], 1[d_obj < d_bg]). */
  selection: Uint8Array;
  /** One-hot of the student argmax [U·V·2]. */
  studentOneHot: Uint8Array;
  /** K = 1[selection = one-hot] per channel [U·V·2]; the noisy mask is 1 − K. */
  clean: Uint8Array;
  noisyCount: number;
  noisyTerm: tf.Scalar;
  entropyTerm: tf.Scalar;
  consistency: tf.Scalar;
}

/** P-Err (L173-246): MC certainty, rectified label, prototypes, clean/noisy masks and both consistency terms. */
export function perrSelection(inputs: PErrInputs): PErrSelection {
  const { studentUnlabeledLogits: s, mcTeacherLogits, mcTeacherFeatures } = inputs;
  const T = mcTeacherLogits.length;
  const shape = s.shape;
  const C = shape[shape.length - 1];
  if (C !== 2) throw new Error(`AC-MT P-Err needs 2 classes, got ${C}`);
  const [U, D, H, W] = shape;
  const uncertainty = tf.tidy(() => {
    const sig = mcTeacherLogits.map((t) => tf.sigmoid(tf.div(t, 2)));
    const mean = tf.div(tf.addN(sig), T);
    return tf.sqrt(tf.div(tf.addN(sig.map((x) => tf.square(tf.sub(x, mean)))), T - 1)).dataSync() as Float32Array;
  });
  const q = tf.tidy(() => tf.softmax(inputs.cleanTeacherLogits).dataSync() as Float32Array);
  const meanFeatures = tf.tidy(() => tf.div(tf.addN(mcTeacherFeatures), T).dataSync() as Float32Array);
  const th = Math.fround(inputs.uncertaintyThreshold ?? 0.1);
  const n = uncertainty.length;
  const certain = new Uint8Array(n);
  for (let i = 0; i < n; i++) certain[i] = uncertainty[i] < th ? 1 : 0;
  const rectLabel = new Uint8Array(n / 2);
  // argmax of certain·q, first index on ties (two uncertain channels: 0 vs 0 → 0).
  for (let v = 0; v < rectLabel.length; v++) rectLabel[v] = certain[2 * v + 1] * q[2 * v + 1] > certain[2 * v] * q[2 * v] ? 1 : 0;
  const fs = mcTeacherFeatures[0].shape as [number, number, number, number, number];
  const proto = prototypeSelection({ features: meanFeatures, featureShape: fs, rectLabel, probabilities: q, size: [D, H, W] }, inputs.withDistances);
  const studentLabels = tf.tidy(() => argmaxLabels(tf.softmax(s)));
  const studentOneHot = new Uint8Array(n);
  for (let v = 0; v < studentLabels.length; v++) studentOneHot[2 * v + studentLabels[v]] = 1;
  const clean = new Uint8Array(n);
  const noisy = new Float32Array(n);
  let noisyCount = 0;
  for (let i = 0; i < n; i++) {
    clean[i] = proto.selection[i] === studentOneHot[i] ? 1 : 0;
    noisy[i] = 1 - clean[i];
    noisyCount += noisy[i];
  }
  const noisyTerm = tf.tidy(() => {
    const m = tf.tensor(noisy, [U, D, H, W, C]);
    return tf.div(tf.sum(tf.mul(m, softmaxMse(s, inputs.noisyTeacherLogits))), noisyCount + 1e-16) as tf.Scalar;
  });
  const entropyTerm = tf.tidy(() => perrMaskedEntropy(tf.softmax(s), tf.tensor(Float32Array.from(clean), [U, D, H, W, C])));
  const consistency = tf.tidy(() => tf.add(noisyTerm, entropyTerm) as tf.Scalar);
  return {
    uncertainty, certain, rectLabel, meanFeatures, objPrototype: proto.objPrototype, bgPrototype: proto.bgPrototype,
    distanceObj: proto.distanceObj, distanceBg: proto.distanceBg, selection: proto.selection, studentOneHot, clean,
    noisyCount, noisyTerm, entropyTerm, consistency,
  };
}

export interface SErrSelection {
  /** `cleanlab` when find_label_issues returned, `fallback` when it raised. */
  path: 'cleanlab' | 'fallback';
  error?: string;
  /** Student argmax on the unlabeled voxels [U·V], flattened in (b, d, h, w) order like the script. */
  givenLabels: Uint8Array;
  /** Teacher softmax on the clean input [U·V, 2], the pred_probs given to cleanlab. */
  predProbs: Float32Array;
  cleanlab?: LabelIssuesResult;
  /** Flagged voxels (float32 0/1) [U, ...spatial]; absent on the fallback path. */
  mask?: Tensor;
  selected: number;
  consistency: tf.Scalar;
}

/** S-Err (L148-207): cleanlab label issues of the student argmax against the clean teacher softmax; plain MSE if cleanlab raises. */
export function serrSelection(studentUnlabeledLogits: Tensor, noisyTeacherLogits: Tensor, cleanTeacherLogits: Tensor, filterBy: FilterBy = 'both'): SErrSelection {
  const shape = studentUnlabeledLogits.shape;
  const C = shape[shape.length - 1];
  const givenLabels = tf.tidy(() => argmaxLabels(tf.softmax(studentUnlabeledLogits)));
  const predProbs = tf.tidy(() => tf.softmax(cleanTeacherLogits).dataSync() as Float32Array);
  const dist = softmaxMse(studentUnlabeledLogits, noisyTeacherLogits);
  try {
    const cleanlab = findLabelIssues(givenLabels, predProbs, C, { filterBy });
    const mask = tf.tensor(Float32Array.from(cleanlab.issues), shape.slice(0, -1));
    const consistency = maskedConsistency(dist, mask, true);
    dist.dispose();
    return { path: 'cleanlab', givenLabels, predProbs, cleanlab, mask, selected: cleanlab.count, consistency };
  } catch (err) {
    if (!(err instanceof CleanlabError)) throw err;
    const consistency = tf.tidy(() => tf.mean(dist) as tf.Scalar);
    dist.dispose();
    return { path: 'fallback', error: err.message, givenLabels, predProbs, selected: 0, consistency };
  }
}

/** MU's T MC passes through the student (train mode): the unlabeled samples stacked twice, T/2 noisy passes (MU L145-184). */
function studentMcProbabilities(student: Network, unlabeled: Tensor, T: number, std: number, clip: number, rng: Rng): Tensor[] {
  if (T % 2 !== 0) throw new Error(`AC-MT MU needs an even number of MC samples, got ${T}`);
  const U = unlabeled.shape[0];
  const stacked = tf.concat([unlabeled, unlabeled], 0);
  const out: Tensor[] = [];
  for (let i = 0; i < T / 2; i++) {
    const probs = tf.tidy(() => detached(tf.softmax(student.forward(tf.add(stacked, clampedNoise(stacked.shape, std, clip, rng.int(2 ** 31))), { training: true, rng }).logits)));
    out.push(samples(probs, 0, U), samples(probs, U, U));
    probs.dispose();
  }
  stacked.dispose();
  return out;
}

export const acMt: Method = {
  id: 'ac-mt',
  title: 'Ambiguity-Consensus Mean Teacher',
  paper: 'Xu et al., Medical Image Analysis 2023',
  source: 'ACMT:code/train_ACMT_{Ent,MU,PErr}_3D.py, ACMT:code/train_ACMT_SErr_3D_cl2.py',
  usesUnlabeled: true,
  networks: (config) => [
    // vnet_MTPD (P-Err) is the same V-Net exposing block_eight's output, which every V-Net here returns as features.x8.
    { role: 'student', arch: 'vnet', trainable: true, options: { filters: config.filters, classes: 2, dropout: config.dropout } },
    { role: 'teacher', arch: 'vnet', trainable: false, emaOf: 'student', options: { filters: config.filters, classes: 2, dropout: config.dropout } },
  ],
  loss: ({ nets, batch, iteration, config, rng }) => {
    const strategy = acmtStrategy(config);
    const p = config.params;
    const L = batch.labeledCount;
    const U = batch.unlabeledCount;
    const std = Number(p.teacherNoiseStd);
    const clip = Number(p.teacherNoiseClip);
    const { logits } = nets.student.forward(batch.images, { training: true, rng });
    const sup = acmtSupervised(samples(logits, 0, L), batch.labels);
    const unlabeled = samples(batch.images, L, U);
    const studentU = samples(logits, L, U);
    const noisy = () => tf.add(unlabeled, clampedNoise(unlabeled.shape, std, clip, rng.int(2 ** 31)));
    const teacher = (x: Tensor) => nets.teacher.forward(x, { training: true, rng });
    const w = consistencyWeight(iteration, config.consistencyWeight, config.consistencyRampup, config.consistencyEpoch);
    const terms: Record<string, tf.Scalar | number> = { loss_ce: sup.ce, loss_dice: sup.dice, consistency_weight: w };
    let consistency: tf.Scalar;
    switch (strategy) {
      case 'entropy': {
        const s = entSelection(studentU, teacher(noisy()).logits, iteration, config.iterations, Number(p.entThresholdStart), Number(p.entThresholdEnd));
        consistency = s.consistency;
        Object.assign(terms, { threshold: s.threshold, selected_voxels: s.selected });
        break;
      }
      case 'mu': {
        const t = teacher(noisy()).logits;
        const mc = studentMcProbabilities(nets.student, unlabeled, Number(p.mcSamples), std, clip, rng);
        const s = muSelection(studentU, t, mc, iteration, config.iterations, Number(p.muThresholdStart), Number(p.muThresholdRise));
        consistency = s.consistency;
        Object.assign(terms, { threshold: s.threshold, selected_voxels: s.selected });
        break;
      }
      case 'perr': {
        const clean = teacher(unlabeled).logits;
        const noisyT = teacher(noisy()).logits;
        const mcTeacherLogits: Tensor[] = [];
        const mcTeacherFeatures: Tensor[] = [];
        for (let i = 0; i < Number(p.perrPasses); i++) {
          const out = teacher(unlabeled);
          mcTeacherLogits.push(out.logits);
          mcTeacherFeatures.push(out.features.x8);
        }
        const s = perrSelection({ studentUnlabeledLogits: studentU, noisyTeacherLogits: noisyT, cleanTeacherLogits: clean, mcTeacherLogits, mcTeacherFeatures, uncertaintyThreshold: Number(p.perrUncertaintyThreshold) });
        consistency = s.consistency;
        Object.assign(terms, { noisy_term: s.noisyTerm, entropy_term: s.entropyTerm, noisy_voxels: s.noisyCount });
        break;
      }
      case 'serr': {
        const clean = teacher(unlabeled).logits;
        const s = serrSelection(studentU, teacher(noisy()).logits, clean, String(p.serrFilterBy ?? 'both') as FilterBy);
        consistency = s.consistency;
        Object.assign(terms, { serr_cleanlab: s.path === 'cleanlab' ? 1 : 0, label_issues: s.selected });
        break;
      }
    }
    terms.loss_consistency = consistency;
    const loss = tf.add(sup.loss, tf.mul(consistency, w)) as tf.Scalar;
    return { loss, terms };
  },
  evaluation: {
    networks: ['student'],
    decision: 'argmax',
    largestComponent: false,
    checkpoint: 'best-on-test',
    source:
      'ACMT:code/train_ACMT_*_3D.py ~L235-249 ({model}_best_model.pth: best mean Dice on the 20 test.txt cases, checked every 50 its after 500) + ACMT:code/test_3D.py, test_3D_util.py (student, stride 18/4, argmax, no LCC; asd/hd95 called as (gt, pred) at L110, L159-165)',
  },
};
