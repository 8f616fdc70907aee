/**
 * @file What a method is: the networks it needs and its loss for one step. The trainer owns the loop,
 * sampling, schedules, EMA teachers, checkpoints and logging; a method never touches those.
 */
import type { tf, Tensor } from '../nn/tf.js';
import type { Network, NetworkArch } from '../nn/network.js';
import type { NetworkOptions } from '../nn/networks.js';
import type { Rng } from '../util/rng.js';
import type { ResolvedConfig } from '../train/config.js';

export interface NetworkSpec {
  /** Name the method uses for it (`student`, `teacher`, …). */
  role: string;
  arch: NetworkArch;
  options: NetworkOptions;
  /** Trained by SGD; otherwise it is an EMA copy of `emaOf`. */
  trainable: boolean;
  emaOf?: string;
}

/** One training batch, channels-last: images [N, D, H, W, 1], labels [N, D, H, W] int32. */
export interface TrainBatch {
  /** Labeled samples first, then unlabeled (the two-stream sampler's order). */
  images: Tensor;
  /** Labels of the labeled samples only. */
  labels: Tensor;
  labeledCount: number;
  unlabeledCount: number;
  /** Labels of every sample, unlabeled ones included — only for a method that asks (DyCON's label-leak option). */
  allLabels?: Tensor;
}

export interface StepContext {
  nets: Record<string, Network>;
  batch: TrainBatch;
  /** 0-based index of the update being made. */
  iteration: number;
  config: ResolvedConfig;
  /** Stream for this step's random draws (dropout masks, noise). */
  rng: Rng;
  /** Name of the training stage (`train` for single-stage methods; e.g. `pretrain`, `selftrain`). */
  stage?: string;
  /** 0-based epoch of the two-stream sampler and the loop's epoch count (max_epoch), for epoch schedules. */
  epoch?: number;
  epochs?: number;
}

export interface StepLoss {
  /** The scalar that is differentiated. */
  loss: tf.Scalar;
  /** Every term and weight worth logging, by name. */
  terms: Record<string, tf.Scalar | number>;
}

export interface EvaluationPolicy {
  /** Network role(s) whose softmax is evaluated (averaged when several). */
  networks: string[];
  /** Label rule for the averaged probabilities (METHODS §1.8 step 4). */
  decision: 'argmax' | 'foreground-threshold';
  /** Largest-connected-component post-processing at test time. */
  largestComponent: boolean;
  /** Which checkpoint the paper reports: the last one, or the best on the test (or val) cases. */
  checkpoint: 'last' | 'best-on-test' | 'best-on-val';
  source: string;
  /**
   * Class probabilities [N, ...spatial, C] of the evaluated networks in eval mode; default: the mean of
   * their softmax outputs. DTC overrides it (sigmoid of its segmentation head).
   */
  probabilities?: (nets: Network[], x: Tensor) => Tensor;
}

export interface Method {
  id: string;
  title: string;
  paper: string;
  /** The official script the implementation follows. */
  source: string;
  /** Whether unlabeled samples are drawn (two-stream sampler) or only labeled ones (plain loader). */
  usesUnlabeled: boolean;
  networks(config: ResolvedConfig): NetworkSpec[];
  /** True when the loss reads the labels of unlabeled samples (a leak; the record marks it). */
  usesUnlabeledLabels?: (config: ResolvedConfig) => boolean;
  loss(ctx: StepContext): StepLoss;
  /** The paper's test policy on the method's reference dataset (LA for the 3-D methods). */
  evaluation: EvaluationPolicy;
  /** A policy that depends on the recipe (BCP/CML test ACDC differently from LA); absent: `evaluation`. */
  evaluationFor?: (config: ResolvedConfig) => EvaluationPolicy;
}

/** The test policy of `method` under `config`. */
export function evaluationPolicy(method: Method, config: ResolvedConfig): EvaluationPolicy {
  return method.evaluationFor?.(config) ?? method.evaluation;
}
