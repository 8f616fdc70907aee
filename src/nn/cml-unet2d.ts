/**
 * @file CML's 2-D "two-subnet" U-Net as its code runs (`CML:code/networks/unet.py` L135-162, METHODS §2.3).
 * QUIRK reproduced: the constructor assigns `self.encoder` twice and builds a second decoder with
 * transposed convs, but `forward` runs the same encoder twice and decoder1 twice. The two "views" share
 * every weight and differ only by the encoder Dropout masks of the two passes (and each pass updates the
 * BN running statistics, as two train-mode calls of one module do). So this is one SSL4MIS/BCP U-Net
 * (unet2d.ts, 1,813,764 parameters) run twice; the never-used decoder2 (763,860 parameters in the
 * official state dict, no gradient ever) is not built. Output: logits of pass 1, `heads[0]` = logits of
 * pass 2, features `emb1`/`emb2` = the encoder bottleneck x4 of each pass (CML's ACDC embeddings).
 * In eval mode both passes are identical (no dropout, running statistics), so the second is a copy.
 */
import { tf, type Tensor } from './tf.js';
import type { ForwardContext, ParameterStore } from './module.js';
import type { Network, NetworkOutput } from './network.js';
import { UNet2D, type UNet2DOptions } from './unet2d.js';

export class CmlUNet2D implements Network {
  readonly net: UNet2D;

  constructor(name: string, seed: number, options: UNet2DOptions = {}) {
    this.net = new UNet2D(name, seed, options);
  }

  get store(): ParameterStore {
    return this.net.store;
  }

  parameterCount(): number {
    return this.net.parameterCount();
  }

  forward(x: Tensor, ctx: ForwardContext): NetworkOutput {
    const a = this.net.forward(x, ctx);
    if (!ctx.training) {
      return { logits: a.logits, heads: [tf.clone(a.logits)], features: { emb1: a.features.x4, emb2: tf.clone(a.features.x4) } };
    }
    const b = this.net.forward(x, ctx);
    return { logits: a.logits, heads: [b.logits], features: { emb1: a.features.x4, emb2: b.features.x4 } };
  }

  dispose(): void {
    this.net.dispose();
  }
}
