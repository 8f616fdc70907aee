/**
 * @file The contract every network of the project meets, and the factory the trainer builds them with.
 * A network owns its parameters and BN buffers (ParameterStore) and maps a channels-last batch to
 * logits, plus whatever extra outputs its methods need (extra heads, bottleneck features, embeddings).
 */
import type { Tensor } from './tf.js';
import type { ForwardContext, ParameterStore } from './module.js';

export interface NetworkOutput {
  /** Main segmentation logits [N, ...spatial, C]. */
  logits: Tensor;
  /** Extra heads on the same features (DTC's second head, CML's second view…), in declaration order. */
  heads: Tensor[];
  /** Named intermediate features some methods use (e.g. `x5` bottleneck, `x8`, `embedding`). */
  features: Record<string, Tensor>;
}

export interface Network {
  readonly store: ParameterStore;
  forward(x: Tensor, ctx: ForwardContext): NetworkOutput;
  parameterCount(): number;
  dispose(): void;
}

export type NetworkArch = 'vnet' | 'resvnet' | 'dual-vnet' | 'unet3d' | 'unet2d' | 'cml-unet2d';
