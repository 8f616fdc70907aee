/**
 * DyCON (Assefa et al., CVPR 2025), DyCON:code/train_DyCON_BraTS19.py with DyCON:code/utils/dycon_losses.py
 * (METHODS §4.10). Student and EMA teacher UNet3D + projection head (§2.2), both in train mode; the teacher
 * sees x + clamp(N(0, 0.1²), ±0.2) on all samples. One step:
 *   L = l_w·(CE + Dice-FG)[labeled] + w(k)·MSE[unlabeled] + u_w·(FeCL[unlabeled] + UnCL[all]),
 *   w(k) = 0.1·sigmoid_rampup(⌊k/150⌋, 200), l_w = 1, u_w = 0.5,
 * with UnCL at β(e) = 5·0.1^(e/E) per sampler epoch e (E = max_epoch) and FeCL (τ 0.6, γ 2, focal, teacher
 * cross-negative term, thresholds ramped over 1500 epochs) on L2-normalised projection embeddings.
 *
 * Code vs paper, and the official code's quirks (each reproduced unless stated):
 * - QUIRK double softmax: the plain consistency passes the already-softmaxed outputs to
 *   `softmax_mse_loss`, which applies softmax again (L253); reproduced (`doubleSoftmaxMse`).
 * - QUIRK label leakage: the FeCL patch labels of the *unlabeled* half are cut from `label_batch`, i.e.
 *   the ground truth of the unlabeled volumes (L227-230, L247-251), contrary to the semi-supervised
 *   setting the paper claims. The official code offers no leakage-free variant. ssl-bench's choice: by
 *   default (`params.fecLabels = 'teacher'`) the patch labels of the unlabeled half come from the EMA
 *   teacher's prediction on the same (noisy) input, P(fg) ≥ 0.5, down-sampled exactly as the code
 *   down-samples the ground truth. `fecLabels = 'ground-truth'` reproduces the code's leak; the method
 *   then declares `usesUnlabeledLabels`, so the trainer passes `allLabels` and the record is marked.
 * - Optimisation: constant lr 0.01, gradient clipping to global L2-norm 1.0 (L266-267) and skipping of a
 *   step whose loss is NaN/Inf — recipe switches the trainer honours (`gradClipNorm`, `skipNonFiniteSteps`).
 * - No LA script exists in the repo (METHODS §8): the LA recipe is the BraTS/Pancreas recipe with LA's
 *   112×112×80 patch — an assumption, stated in `LA_DYCON`'s sources.
 * - Paper vs code on UnCL: the README says it first focuses on uncertain regions; the formula divides the
 *   squared difference by e^{βH} with β largest early, i.e. it down-weights uncertain voxels early. The
 *   formula is implemented as written.
 * - FeCL as coded (the vector findings): the diagonal of the similarity logits is multiplied by 0 (not
 *   masked out), every column is then shifted by its (detached) maximum; since d ≤ 1 < pos_thresh every
 *   positive pair gets the focal weight (1 − d)^γ, which is not detached; the negative-pair focal weights
 *   multiply zero loss entries; rows are normalised by Σ_j same_ij − 1 + 1e-18, so a patch without a
 *   same-label partner contributes 0; the teacher term is 0 when no different-label pair exceeds θ(e).
 * - The patch-label factor is 1/(4·feature_scaler) in the script while the embeddings sit at
 *   feature_scaler/16 of the input: the two agree only for feature_scaler 2 (the default). Here the factor
 *   is taken from the actual embedding grid, and a non-integer ratio is an error.
 * - Evaluation: student, P(fg) > 0.5 from `out_conv2`, largest connected component; the paper keeps the
 *   best checkpoint on its validation list, which is its test list (BraTS val.txt, Pancreas test1.list).
 */
import { tf, type Tensor } from '../nn/tf.js';
import { stopGradient } from '../nn/ops.js';
import { consistencyWeight } from '../train/schedules.js';
import { UsageError, unknownChoice } from '../errors.js';
import { channel, clampedNoise, crossEntropy, diceLossForeground, samples, softmaxMse } from './losses.js';
import type { Method } from './method.js';
import type { ResolvedConfig } from '../train/config.js';

/** β(e) = β_max·(β_min/β_max)^(e/E), per epoch, not clipped (dycon_losses.py L8-12). */
export function adaptiveBeta(epoch: number, totalEpochs: number, betaMax = 5.0, betaMin = 0.5): number {
  const ratio = betaMin / betaMax;
  return betaMax * ratio ** (epoch / totalEpochs);
}

/**
 * `dycon_losses.sigmoid_rampup(epoch, R, min, max)` = min + (max − min)·exp(−5(1 − clip(epoch, 0, R)/R)²),
 * `max` when R = 0 (L28-47). Unlike the consistency ramp it starts at min + 0.0067·(max − min), not 0.
 */
export function feclThreshold(epoch: number, rampupEpochs: number, min: number, max: number): number {
  if (rampupEpochs === 0) return max;
  const current = Math.max(0, Math.min(epoch, rampupEpochs));
  const phase = 1 - current / rampupEpochs;
  return min + (max - min) * Math.exp(-5 * phase ** 2);
}

/** The three FeCL thresholds at an epoch: hard positive (1.3→1.5), hard negative and cross-negative (0.3→0.5). */
export function feclThresholds(epoch: number, rampupEpochs = 1500): { pos: number; neg: number; crossNeg: number } {
  const neg = feclThreshold(epoch, rampupEpochs, 0.3, 0.5);
  return { pos: feclThreshold(epoch, rampupEpochs, 1.3, 1.5), neg, crossNeg: neg };
}

/** Epochs of a run: max_epoch = iterations // (labeled // labeled_bs) + 1 (the loop's range). */
export function maxEpoch(iterations: number, labeledCases: number, labeledBatch: number): number {
  return Math.floor(iterations / Math.floor(labeledCases / labeledBatch)) + 1;
}

/**
 * Mean over each s-block of the voxels the align_corners=False sample point s·i + (s − 1)/2 touches: the
 * central two per axis for even s (weights ½), the central one for odd s. Along spatial `axis` (1..3).
 */
function centralMean(x: Tensor, axis: number, factor: number): Tensor {
  const shape = x.shape;
  const out = Math.floor(shape[axis] / factor);
  const cropped = tf.slice(x, shape.map(() => 0), shape.map((d, i) => (i === axis ? out * factor : d)));
  const split = [...shape.slice(0, axis), out, factor, ...shape.slice(axis + 1)];
  const r = tf.reshape(cropped, split);
  const first = factor % 2 === 0 ? factor / 2 - 1 : (factor - 1) / 2;
  const width = factor % 2 === 0 ? 2 : 1;
  const begin = split.map((_, i) => (i === axis + 1 ? first : 0));
  const size = split.map((d, i) => (i === axis + 1 ? width : d));
  return tf.mean(tf.slice(r, begin, size), axis + 1);
}

/**
 * F.interpolate(label, scale_factor=1/factor, trilinear, align_corners=False) of a [N, D, H, W] 0/1 map,
 * for an integer factor: the mean of the central 2×2×2 voxels of each factor-block (float32).
 */
export function downsampleLabels(labels: Tensor, factor: number): Tensor {
  if (!Number.isInteger(factor) || factor < 1) throw new RangeError(`downsampleLabels: factor must be a positive integer, got ${factor}`);
  return tf.tidy(() => {
    let x = tf.cast(labels, 'float32');
    for (const axis of [1, 2, 3]) x = centralMean(x, axis, factor);
    return x;
  });
}

/**
 * Contrastive patch labels (L227-230): down-sampled label > 0.5 (strict: 4 of 8 → 0), flattened to
 * [N, P] with P in d·h·w C-order — the order of the flattened embeddings.
 */
export function patchLabels(labels: Tensor, factor: number): Tensor {
  return tf.tidy(() => {
    const down = downsampleLabels(labels, factor);
    return tf.reshape(tf.cast(tf.greater(down, 0.5), 'float32'), [down.shape[0], -1]);
  });
}

/**
 * Projection embeddings [N, d, h, w, C] → [N, P, C] (the script's view + transpose: P in d·h·w C-order),
 * each position L2-normalised as F.normalize does: x / max(‖x‖, 1e-12).
 */
export function flattenEmbeddings(features: Tensor): Tensor {
  return tf.tidy(() => {
    const C = features.shape[features.shape.length - 1];
    const flat = tf.reshape(features, [features.shape[0], -1, C]);
    // Clamping the squared norm (1e-24 = (1e-12)²) instead of the norm keeps the gradient of an all-zero
    // embedding finite (torch's norm backward is 0 there; sqrt's would be 0·∞ = NaN).
    const norm = tf.sqrt(tf.maximum(tf.sum(tf.square(flat), -1, true), 1e-24));
    return tf.div(flat, norm);
  });
}

/**
 * UnCLoss (L94-118): mean over voxels of Σ_c (p_s − p_t)²/(e^{βH_s} + e^{βH_t}) + β(H_s + H_t), with
 * H = −Σ_c p·log(p + 1e-6) in nats; logits channels-last [N, ...spatial, C].
 */
export function unclLoss(sLogits: Tensor, tLogits: Tensor, beta: number): tf.Scalar {
  return tf.tidy(() => {
    const ps = tf.softmax(sLogits);
    const pt = tf.softmax(tLogits);
    const hs = tf.neg(tf.sum(tf.mul(ps, tf.log(tf.add(ps, 1e-6))), -1));
    const ht = tf.neg(tf.sum(tf.mul(pt, tf.log(tf.add(pt, 1e-6))), -1));
    const denom = tf.add(tf.exp(tf.mul(hs, beta)), tf.exp(tf.mul(ht, beta)));
    const weighted = tf.div(tf.sum(tf.square(tf.sub(ps, pt)), -1), denom);
    return tf.mean(tf.add(weighted, tf.mul(tf.add(hs, ht), beta))) as tf.Scalar;
  });
}

/**
 * 1[test(x)] as float32 0/1 with a zero gradient. tfjs has no gradient for Greater/Less/LogicalAnd, and
 * a comparison of a value that depends on the weights sits on the backprop path of any mask built from it.
 */
function indicator(x: Tensor, test: (x: Tensor) => Tensor): Tensor {
  const op = tf.customGrad(((input: Tensor) => ({
    value: tf.cast(test(input), 'float32'),
    gradFunc: (dy: Tensor) => tf.zerosLike(dy),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x) as Tensor;
}

export interface FeclOptions {
  temperature?: number;
  gamma?: number;
  useFocal?: boolean;
  rampupEpochs?: number;
  lambdaCross?: number;
}

export interface FeclResult {
  /** L_student + λ_cross·L_cross: what FeCLoss returns. */
  total: tf.Scalar;
  student: tf.Scalar;
  /** 0 when no teacher features or no hard pair. */
  cross: tf.Scalar;
  /** |H|: different-label student–teacher pairs with similarity above θ(e) (0 without teacher). */
  hardNegatives: tf.Scalar;
  /** θ(e) of the cross term. */
  crossThreshold: number;
}

/**
 * FeCLoss (dycon_losses.py L150-235) on L2-normalised embeddings [B, P, C] and patch labels [B, P]:
 * the focal InfoNCE-like student term plus, with teacher features, the cross-negative term
 * Σ_H −log(1 − f_s·f_t + 1e-18)/|H| over different-label pairs with f_s·f_t > θ(e).
 */
export function feclLoss(studentFeatures: Tensor, teacherFeatures: Tensor | null, labels: Tensor, epoch: number, options: FeclOptions = {}): FeclResult {
  const { temperature = 0.6, gamma = 2, useFocal = true, rampupEpochs = 1500, lambdaCross = 1 } = options;
  const thresholds = feclThresholds(epoch, rampupEpochs);
  const parts = tf.tidy(() => {
    const P = studentFeatures.shape[1] as number;
    const mask = tf.cast(labels, 'float32');
    const same = tf.cast(tf.equal(tf.expandDims(mask, 2), tf.expandDims(mask, 1)), 'float32');
    const diff = tf.sub(1, same);
    const offDiagonal = tf.sub(1, tf.eye(P));
    const raw = tf.mul(tf.div(tf.matMul(studentFeatures, studentFeatures, false, true), temperature), offDiagonal);
    // The max over dim 1 (per column), detached, as the code does — not the usual per-row shift.
    const logits = tf.sub(raw, stopGradient(tf.max(raw, 1, true)));
    const e = tf.exp(logits);
    const negSum = tf.sum(tf.mul(e, diff), -1, true);
    const d = tf.div(e, tf.add(tf.add(e, negSum), 1e-18));
    const lossMatrix = tf.mul(tf.mul(tf.neg(tf.log(tf.add(d, 1e-18))), same), offDiagonal);
    let weighted = lossMatrix;
    if (useFocal) {
      // Thresholds are Python floats compared with a float32 tensor: rounded to float32 first.
      const hardPos = tf.cast(tf.mul(same, indicator(d, (v) => tf.less(v, Math.fround(thresholds.pos)))), 'bool');
      const hardNeg = tf.cast(tf.mul(diff, indicator(d, (v) => tf.greater(v, Math.fround(thresholds.neg)))), 'bool');
      // Not detached: the code's focal weights carry gradient.
      const w = tf.where(hardNeg, tf.pow(d, gamma), tf.where(hardPos, tf.pow(tf.sub(1, d), gamma), tf.onesLike(d)));
      weighted = tf.mul(lossMatrix, w);
    }
    const perPatch = tf.div(tf.sum(weighted, -1), tf.add(tf.sub(tf.sum(same, -1), 1), 1e-18));
    const student = tf.mean(perPatch) as tf.Scalar;
    if (!teacherFeatures) return { student, cross: tf.scalar(0), hardNegatives: tf.scalar(0) };
    const crossSim = tf.matMul(studentFeatures, teacherFeatures, false, true);
    const hard = tf.mul(diff, indicator(crossSim, (v) => tf.greater(v, Math.fround(thresholds.crossNeg))));
    const count = tf.sum(hard);
    const term = tf.mul(tf.neg(tf.log(tf.add(tf.sub(1, crossSim), 1e-18))), hard);
    // Without a hard pair the code returns the constant 0.0; a select keeps the step free of a device sync.
    const any = tf.cast(indicator(count, (c) => tf.greater(c, 0)), 'bool');
    const cross = tf.where(any, tf.div(tf.sum(term), tf.add(count, 1e-18)), tf.scalar(0)) as tf.Scalar;
    return { student, cross, hardNegatives: count as tf.Scalar };
  });
  const total = tf.tidy(() => tf.add(parts.student, tf.mul(parts.cross, lambdaCross)) as tf.Scalar);
  return { total, ...parts, crossThreshold: thresholds.crossNeg };
}

/**
 * DyCON's plain consistency: mean of (softmax(p_s) − softmax(p_t))² over every element, where p_s, p_t
 * are already probabilities — QUIRK (L253): softmax applied twice.
 */
export function doubleSoftmaxMse(studentProbabilities: Tensor, teacherProbabilities: Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(softmaxMse(studentProbabilities, teacherProbabilities)) as tf.Scalar);
}

export interface DyconStepInputs {
  /** Student / teacher segmentation logits of the whole batch [B, D, H, W, 2], labeled first. */
  studentLogits: Tensor;
  teacherLogits: Tensor;
  /** Flattened, normalised embeddings [B, P, C] (`flattenEmbeddings`). */
  studentEmbeddings: Tensor;
  teacherEmbeddings: Tensor;
  /** Labels of the labeled samples [L, D, H, W]. */
  labels: Tensor;
  /** FeCL patch labels of the unlabeled samples [U, P]. */
  unlabeledPatchLabels: Tensor;
  labeledCount: number;
  iteration: number;
  epoch: number;
  totalEpochs: number;
}

export interface DyconWeights extends FeclOptions {
  labeledWeight?: number;
  unlabeledWeight?: number;
  consistency?: number;
  consistencyRampup?: number;
  /** Updates per step of the weight's staircase (iter_num // 150). */
  consistencyEpoch?: number;
  betaMax?: number;
  betaMin?: number;
}

export interface DyconStepTerms {
  ce: tf.Scalar;
  dice: tf.Scalar;
  consistency: tf.Scalar;
  consistencyWeight: number;
  beta: number;
  uncl: tf.Scalar;
  fecl: FeclResult;
  loss: tf.Scalar;
}

/** The step total (L199-256): l_w·(CE + Dice-FG) + w(k)·MSE + u_w·(FeCL + UnCL). */
export function dyconStepLoss(x: DyconStepInputs, weights: DyconWeights = {}): DyconStepTerms {
  const { labeledWeight = 1, unlabeledWeight = 0.5, consistency = 0.1, consistencyRampup = 200, consistencyEpoch = 150, betaMax = 5, betaMin = 0.5 } = weights;
  const L = x.labeledCount;
  const B = x.studentLogits.shape[0];
  const U = B - L;
  const ce = crossEntropy(samples(x.studentLogits, 0, L), x.labels);
  const dice = tf.tidy(() => diceLossForeground(channel(tf.softmax(samples(x.studentLogits, 0, L)), 1), x.labels));
  const w = consistencyWeight(x.iteration, consistency, consistencyRampup, consistencyEpoch);
  const mse = tf.tidy(() => doubleSoftmaxMse(tf.softmax(samples(x.studentLogits, L, U)), tf.softmax(samples(x.teacherLogits, L, U))));
  const beta = adaptiveBeta(x.epoch, x.totalEpochs, betaMax, betaMin);
  const uncl = unclLoss(x.studentLogits, x.teacherLogits, beta);
  const fecl = feclLoss(samples(x.studentEmbeddings, L, U), samples(x.teacherEmbeddings, L, U), x.unlabeledPatchLabels, x.epoch, weights);
  const loss = tf.tidy(() => tf.addN([tf.mul(tf.add(ce, dice), labeledWeight), tf.mul(mse, w), tf.mul(tf.add(fecl.total, uncl), unlabeledWeight)]) as tf.Scalar);
  return { ce, dice, consistency: mse, consistencyWeight: w, beta, uncl, fecl, loss };
}

export const FEC_LABEL_SOURCES = ['teacher', 'ground-truth'] as const;
export type FecLabelSource = (typeof FEC_LABEL_SOURCES)[number];

/** Where the FeCL patch labels of the unlabeled half come from (`params.fecLabels`, default teacher). */
export function fecLabelSource(config: ResolvedConfig): FecLabelSource {
  const v = config.params.fecLabels ?? 'teacher';
  if (!(FEC_LABEL_SOURCES as readonly string[]).includes(String(v))) throw unknownChoice('DyCON FeCL label source', String(v), FEC_LABEL_SOURCES);
  return v as FecLabelSource;
}

/** The integer factor between the patch and the embedding grid, the same on every axis. */
export function embeddingFactor(spatial: number[], grid: number[]): number {
  const ratios = spatial.map((s, i) => s / grid[i]);
  if (!ratios.every((r) => Number.isInteger(r) && r === ratios[0])) {
    throw new UsageError(`DyCON: the embedding grid ${grid.join('×')} is not an integer down-sampling of the patch ${spatial.join('×')}`);
  }
  return ratios[0];
}

const num = (config: ResolvedConfig, key: string, fallback: number): number => (config.params[key] === undefined ? fallback : Number(config.params[key]));

export const dycon: Method = {
  id: 'dycon',
  title: 'Dynamic Uncertainty-aware Consistency and Contrastive learning',
  paper: 'Assefa et al., CVPR 2025',
  source: 'DyCON:code/train_DyCON_BraTS19.py, DyCON:code/utils/dycon_losses.py',
  usesUnlabeled: true,
  usesUnlabeledLabels: (config) => config.params.fecLabels === 'ground-truth',
  networks: (config) => {
    const options = { filters: config.filters, classes: 2, dropout: config.dropout, scaleFactor: num(config, 'featureScaler', 2) };
    return [
      { role: 'student', arch: 'unet3d', trainable: true, options },
      { role: 'teacher', arch: 'unet3d', trainable: false, emaOf: 'student', options },
    ];
  },
  loss: ({ nets, batch, iteration, config, rng, epoch, epochs }) => {
    if (epoch === undefined || epochs === undefined) throw new Error('DyCON needs the sampler epoch and the epoch count (StepContext.epoch/epochs)');
    const source = fecLabelSource(config);
    if (source === 'ground-truth' && !batch.allLabels) throw new Error("DyCON fecLabels 'ground-truth' needs batch.allLabels (usesUnlabeledLabels)");
    const L = batch.labeledCount;
    const U = batch.unlabeledCount;
    const x = batch.images;
    const student = nets.student.forward(x, { training: true, rng });
    const noise = clampedNoise(x.shape, num(config, 'teacherNoiseStd', 0.1), num(config, 'teacherNoiseClip', 0.2), rng.int(2 ** 31));
    const teacher = nets.teacher.forward(tf.add(x, noise), { training: true, rng });
    // The official teacher runs under no_grad.
    const tLogits = stopGradient(teacher.logits);
    const sEmb = flattenEmbeddings(student.features.embedding);
    const tEmb = stopGradient(flattenEmbeddings(teacher.features.embedding));
    const factor = embeddingFactor(x.shape.slice(1, 4), student.features.embedding.shape.slice(1, 4));
    let unlabeledPatchLabels: Tensor;
    if (source === 'ground-truth') {
      unlabeledPatchLabels = patchLabels(samples(batch.allLabels!, L, U), factor);
    } else {
      // ssl-bench's leakage-free variant: the teacher's hard prediction stands in for the unseen labels.
      unlabeledPatchLabels = tf.tidy(() => patchLabels(tf.greaterEqual(channel(tf.softmax(samples(tLogits, L, U)), 1), 0.5), factor));
    }
    const t = dyconStepLoss(
      { studentLogits: student.logits, teacherLogits: tLogits, studentEmbeddings: sEmb, teacherEmbeddings: tEmb, labels: batch.labels, unlabeledPatchLabels, labeledCount: L, iteration, epoch, totalEpochs: epochs },
      {
        labeledWeight: num(config, 'labeledWeight', 1),
        unlabeledWeight: num(config, 'unlabeledWeight', 0.5),
        consistency: config.consistencyWeight,
        consistencyRampup: config.consistencyRampup,
        consistencyEpoch: config.consistencyEpoch,
        betaMax: num(config, 'betaMax', 5),
        betaMin: num(config, 'betaMin', 0.5),
        temperature: num(config, 'temperature', 0.6),
        gamma: num(config, 'gamma', 2),
        useFocal: config.params.useFocal === undefined ? true : Boolean(config.params.useFocal),
        rampupEpochs: num(config, 'rampupEpochs', 1500),
        lambdaCross: num(config, 'lambdaCross', 1),
      },
    );
    return {
      loss: t.loss,
      terms: {
        loss_ce: t.ce,
        loss_dice: t.dice,
        loss_consistency: t.consistency,
        consistency_weight: t.consistencyWeight,
        loss_uncl: t.uncl,
        beta: t.beta,
        loss_fecl: t.fecl.total,
        loss_fecl_student: t.fecl.student,
        loss_fecl_cross: t.fecl.cross,
        fecl_hard_negatives: t.fecl.hardNegatives,
        fecl_cross_threshold: t.fecl.crossThreshold,
        fecl_foreground_patches: tf.sum(unlabeledPatchLabels) as tf.Scalar,
        epoch,
      },
    };
  },
  evaluation: {
    networks: ['student'],
    decision: 'foreground-threshold',
    largestComponent: true,
    checkpoint: 'best-on-test',
    source: 'DyCON:code/test_BraTS19.py L14, test_Pancreas.py L14 (nms=1), DyCON:code/utils/test_3d_patch.py (student out_conv2, P(fg) > 0.5, LCC; best on val.txt / test1.list = the test list)',
  },
};
