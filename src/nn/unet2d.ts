/**
 * @file The 2-D U-Net of the ACDC experiments (`SSL4MIS:code/networks/unet.py` class `UNet`, the same core
 * as BCP's; METHODS §2.3). Channels [16, 32, 64, 128, 256]; ConvBlock = conv 3×3 + BN + LeakyReLU(0.01) +
 * element-wise Dropout(p) + conv 3×3 + BN + LeakyReLU, encoder rates [0.05, 0.1, 0.2, 0.3, 0.5], decoder
 * rate 0; down = MaxPool2d(2) + ConvBlock; UpBlock = conv 1×1 (C1→C2) + bilinear ×2 (align_corners=True)
 * + concat [skip, upsampled] + ConvBlock(2·C2 → Cout). QUIRK reproduced: SSL4MIS's params say
 * `bilinear: False` but the Decoder never passes it on, so the 1×1-conv + bilinear branch is what runs.
 * Output conv 3×3 pad 1. Default PyTorch init. 1,813,764 parameters (1 input channel, 4 classes).
 * Input [N, H, W, C], H and W multiples of 16.
 */
import { tf, type Tensor } from './tf.js';
import { BatchNorm, ParameterStore, type ForwardContext } from './module.js';
import { Conv2d, concatChannels, dropout, maxPool2x, stripUndefined } from './layers-extra.js';
import { upsample2x } from './upsample.js';
import { Rng } from '../util/rng.js';
import type { Network, NetworkOutput } from './network.js';

export const SSL4MIS_ENCODER_DROPOUT = [0.05, 0.1, 0.2, 0.3, 0.5] as const;

export interface UNet2DOptions {
  inChannels?: number;
  classes?: number;
  /** First level width; the levels have 1, 2, 4, 8, 16 × this. */
  filters?: number;
  /**
   * Per-level encoder Dropout rates; default SSL4MIS's [0.05, 0.1, 0.2, 0.3, 0.5]. The V-Net's `dropout`
   * option is deliberately not read: these rates are part of the architecture (the recipes pass
   * `dropout: 0` meaning "no Dropout3d"), and eval mode switches them off as PyTorch does.
   */
  encoderDropout?: readonly number[];
}

const LEAK = 0.01;

class ConvBlock {
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm;
  private readonly conv2: Conv2d;
  private readonly bn2: BatchNorm;
  constructor(store: ParameterStore, key: string, cin: number, cout: number, readonly p: number) {
    this.conv1 = new Conv2d(store, `${key}.conv_conv.0`, cin, cout, 3, 1);
    this.bn1 = new BatchNorm(store, `${key}.conv_conv.1`, cout);
    this.conv2 = new Conv2d(store, `${key}.conv_conv.4`, cout, cout, 3, 1);
    this.bn2 = new BatchNorm(store, `${key}.conv_conv.5`, cout);
  }

  forward(x: Tensor, ctx: ForwardContext): Tensor {
    const h = dropout(tf.leakyRelu(this.bn1.forward(this.conv1.forward(x), ctx), LEAK), this.p, ctx);
    return tf.leakyRelu(this.bn2.forward(this.conv2.forward(h), ctx), LEAK);
  }
}

export class UNet2D implements Network {
  readonly store: ParameterStore;
  readonly options: Required<UNet2DOptions>;
  private readonly encoder: ConvBlock[];
  private readonly up: { conv1x1: Conv2d; block: ConvBlock }[];
  private readonly outConv: Conv2d;

  constructor(name: string, seed: number, options: UNet2DOptions = {}) {
    const given = stripUndefined(options);
    const rates = given.encoderDropout ?? SSL4MIS_ENCODER_DROPOUT;
    if (rates.length !== 5) throw new Error(`UNet2D: encoderDropout needs 5 rates, got ${rates.length}`);
    this.options = { inChannels: given.inChannels ?? 1, classes: given.classes ?? 4, filters: given.filters ?? 16, encoderDropout: [...rates] };
    const { inChannels, classes, filters: f } = this.options;
    this.store = new ParameterStore(name, Rng.derive(seed, `init-${name}`));
    const s = this.store;
    const ft = [f, 2 * f, 4 * f, 8 * f, 16 * f];
    this.encoder = ft.map((w, i) => new ConvBlock(s, i === 0 ? 'encoder.in_conv.conv' : `encoder.down${i}.maxpool_conv.1`, i === 0 ? inChannels : ft[i - 1], w, rates[i]));
    this.up = [3, 2, 1, 0].map((i, k) => ({
      conv1x1: new Conv2d(s, `decoder.up${k + 1}.conv1x1`, ft[i + 1], ft[i], 1, 0),
      block: new ConvBlock(s, `decoder.up${k + 1}.conv`, 2 * ft[i], ft[i], 0),
    }));
    this.outConv = new Conv2d(s, 'decoder.out_conv', f, classes, 3, 1);
  }

  parameterCount(): number {
    return this.store.count();
  }

  /** logits [N, H, W, classes]; features x4 (encoder bottleneck, 16f ch at 1/16 — CML's embedding) and up4 (last decoder features, f ch). */
  forward(x: Tensor, ctx: ForwardContext): NetworkOutput {
    const skips: Tensor[] = [];
    let h = x;
    for (let i = 0; i < 5; i++) {
      h = this.encoder[i].forward(i === 0 ? h : maxPool2x(h), ctx);
      skips.push(h);
    }
    const x4 = h;
    for (let k = 0; k < 4; k++) {
      const up = upsample2x(this.up[k].conv1x1.forward(h), true);
      h = this.up[k].block.forward(concatChannels([skips[3 - k], up]), ctx);
    }
    return { logits: this.outConv.forward(h), heads: [], features: { x4, up4: h } };
  }

  dispose(): void {
    this.store.dispose();
  }
}
