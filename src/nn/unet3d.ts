/**
 * @file DyCON's 3-D U-Net with its projection head (`DyCON:code/networks/UNet3D_contrastive.py`,
 * `utils.py` UnetConv3 / UnetUp3_CT; METHODS §2.2). Filters [16, 32, 64, 128, 256] (feature_scale 4);
 * UnetConv3 = 2 × [conv 3³ pad 1 + InstanceNorm (no affine) + ReLU]; 2×2×2 max-pools; element-wise
 * Dropout(0.3) on the centre and on up1; decoder steps upsample the deeper map trilinearly (×2,
 * align_corners=False — nn.Upsample's default) and concatenate [skip, upsampled]. Two 1³ heads on up1:
 * `final` + tanh (unused by DyCON's loss) and `out_conv2` (the segmentation logits). The projection head
 * upsamples the post-dropout centre by `scaleFactor` (align_corners=True), then conv 1³ 256→512, BN, ReLU,
 * conv 1³ 512→256, BN. Init `weights_init_kaiming`: kaiming_normal_ conv weights (biases keep PyTorch's
 * default), BN γ ~ N(1, 0.02), β = 0. 6,148,532 parameters at 16 filters, 2 classes.
 * Input [N, D, H, W, C], each spatial size a multiple of 16.
 */
import { tf, type Tensor } from './tf.js';
import { BatchNorm, Conv3d, ParameterStore, type ForwardContext } from './module.js';
import { concatChannels, dropout, instanceNorm, maxPool2x, normalGamma, stripUndefined } from './layers-extra.js';
import { interpolate, upsample2x } from './upsample.js';
import { Rng } from '../util/rng.js';
import type { Network, NetworkOutput } from './network.js';

export interface UNet3DOptions {
  inChannels?: number;
  classes?: number;
  /** First level width; the levels have 1, 2, 4, 8, 16 × this (DyCON: 64 / feature_scale 4 = 16). */
  filters?: number;
  /** Element-wise Dropout rate on the centre and on up1 while training; 0 disables. */
  dropout?: number;
  /** Projection head upsampling factor (DyCON `--feature_scaler`, default 2). */
  scaleFactor?: number;
}

const INIT = 'kaiming-normal' as const;

/** UnetConv3: two [conv 3³ pad 1 (bias) → InstanceNorm3d → ReLU]. */
class UnetConv3 {
  private readonly convs: Conv3d[];
  constructor(store: ParameterStore, key: string, cin: number, cout: number) {
    this.convs = [
      new Conv3d(store, `${key}.conv1`, cin, cout, 3, 1, 'same', { init: INIT }),
      new Conv3d(store, `${key}.conv2`, cout, cout, 3, 1, 'same', { init: INIT }),
    ];
  }

  forward(x: Tensor): Tensor {
    let h = x;
    for (const c of this.convs) h = tf.relu(instanceNorm(c.forward(h)));
    return h;
  }
}

export class UNet3D implements Network {
  readonly store: ParameterStore;
  readonly options: Required<UNet3DOptions>;
  private readonly encoder: UnetConv3[];
  private readonly up: UnetConv3[];
  private readonly final: Conv3d;
  private readonly outConv2: Conv3d;
  private readonly proj: { conv1: Conv3d; bn1: BatchNorm; conv2: Conv3d; bn2: BatchNorm };

  constructor(name: string, seed: number, options: UNet3DOptions = {}) {
    this.options = { inChannels: 1, classes: 2, filters: 16, dropout: 0.3, scaleFactor: 2, ...stripUndefined(options) };
    const { inChannels, classes, filters: f } = this.options;
    this.store = new ParameterStore(name, Rng.derive(seed, `init-${name}`));
    const s = this.store;
    const widths = [f, 2 * f, 4 * f, 8 * f, 16 * f];
    const names = ['conv1', 'conv2', 'conv3', 'conv4', 'center'];
    this.encoder = widths.map((w, i) => new UnetConv3(s, names[i], i === 0 ? inChannels : widths[i - 1], w));
    // up_concat4 … up_concat1: UnetConv3(Cin + Cout → Cout) on [skip (Cout), upsampled deeper map (Cin)].
    this.up = [3, 2, 1, 0].map((i) => new UnetConv3(s, `up_concat${i + 1}.conv`, widths[i + 1] + widths[i], widths[i]));
    this.final = new Conv3d(s, 'final', f, classes, 1, 1, 'valid', { init: INIT });
    this.outConv2 = new Conv3d(s, 'out_conv2', f, classes, 1, 1, 'valid', { init: INIT });
    const c = widths[4];
    this.proj = {
      conv1: new Conv3d(s, 'projection_head.0', c, 2 * c, 1, 1, 'valid', { init: INIT }),
      bn1: new BatchNorm(s, 'projection_head.1', 2 * c),
      conv2: new Conv3d(s, 'projection_head.3', 2 * c, c, 1, 1, 'valid', { init: INIT }),
      bn2: new BatchNorm(s, 'projection_head.4', c),
    };
    normalGamma(s, this.proj.bn1);
    normalGamma(s, this.proj.bn2);
  }

  parameterCount(): number {
    return this.store.count();
  }

  /**
   * logits = `out_conv2` (segmentation), heads = [tanh(`final`)], features.embedding = projection head
   * output [N, D/16·scaleFactor, H/16·scaleFactor, W/16·scaleFactor, 256] (1/8 resolution by default).
   */
  forward(x: Tensor, ctx: ForwardContext): NetworkOutput {
    const p = this.options.dropout;
    const skips: Tensor[] = [];
    let h = x;
    for (let i = 0; i < 4; i++) {
      h = this.encoder[i].forward(h);
      skips.push(h);
      h = maxPool2x(h);
    }
    const center = dropout(this.encoder[4].forward(h), p, ctx);
    h = center;
    for (let i = 0; i < 4; i++) h = this.up[i].forward(concatChannels([skips[3 - i], upsample2x(h, false)]));
    const up1 = dropout(h, p, ctx);
    const { conv1, bn1, conv2, bn2 } = this.proj;
    const scaled = interpolate(center, { scale: this.options.scaleFactor, alignCorners: true });
    const embedding = bn2.forward(conv2.forward(tf.relu(bn1.forward(conv1.forward(scaled), ctx))), ctx);
    return { logits: this.outConv2.forward(up1), heads: [tf.tanh(this.final.forward(up1))], features: { embedding } };
  }

  dispose(): void {
    this.store.dispose();
  }
}
