/**
 * @file CML's dual V-Net (`CML:code/networks/VNet.py`, METHODS §2.2): two independent V-Net encoders
 * (Dropout3d on their bottlenecks x5) and two decoders — decoder 1 upsamples with 2×2×2 transposed convs
 * (the UA-MT decoder), decoder 2 with trilinear ×2 (align_corners=True) followed by a 3×3×3 conv + BN +
 * ReLU — both with Dropout3d on x9. Default PyTorch init. 19,724,612 parameters at 16 filters.
 *
 * The V-Net encoder and decoder are exported on their own: MCF's ResVNet reuses the decoder.
 */
import { tf, type Tensor } from './tf.js';
import { BatchNorm, Conv3d, ConvTranspose3d, dropout3d, ParameterStore, type ForwardContext, type InitKind } from './module.js';
import { convBnRelu, kaimingTranspose, stripUndefined } from './layers-extra.js';
import { upsample2x } from './upsample.js';
import { Rng } from '../util/rng.js';
import type { Network, NetworkOutput } from './network.js';

interface Unit {
  conv: Conv3d;
  bn: BatchNorm;
}

function convBlock(store: ParameterStore, key: string, stages: number, cin: number, cout: number, init: InitKind): Unit[] {
  return Array.from({ length: stages }, (_, i) => ({
    conv: new Conv3d(store, `${key}.conv.${i}`, i === 0 ? cin : cout, cout, 3, 1, 'same', { init }),
    bn: new BatchNorm(store, `${key}.bn.${i}`, cout),
  }));
}

function runBlock(units: Unit[], x: Tensor, ctx: ForwardContext): Tensor {
  let h = x;
  for (const u of units) h = convBnRelu(u.conv, u.bn, h, ctx);
  return h;
}

const widthsOf = (f: number) => [f, 2 * f, 4 * f, 8 * f, 16 * f];

/** The V-Net encoder (block_one … block_five with the 2×2×2 stride-2 down convs); 7,376,896 params at f = 16. */
export class VNetEncoder {
  private readonly blocks: Unit[][];
  private readonly down: Unit[];

  constructor(store: ParameterStore, prefix: string, inChannels: number, filters: number, init: InitKind = 'pytorch-default') {
    const widths = widthsOf(filters);
    const stages = [1, 2, 3, 3, 3];
    this.blocks = widths.map((w, i) => convBlock(store, `${prefix}.block_${i + 1}`, stages[i], i === 0 ? inChannels : w, w, init));
    this.down = widths.slice(0, 4).map((w, i) => ({
      conv: new Conv3d(store, `${prefix}.block_${i + 1}_dw.conv`, w, 2 * w, 2, 2, 'valid', { init }),
      bn: new BatchNorm(store, `${prefix}.block_${i + 1}_dw.bn`, 2 * w),
    }));
  }

  /** [x1, x2, x3, x4, x5]; x5 after Dropout3d(p). */
  forward(x: Tensor, ctx: ForwardContext, dropout: number): Tensor[] {
    const out: Tensor[] = [];
    let h = x;
    for (let i = 0; i < 4; i++) {
      h = runBlock(this.blocks[i], h, ctx);
      out.push(h);
      h = convBnRelu(this.down[i].conv, this.down[i].bn, h, ctx);
    }
    out.push(dropout3d(runBlock(this.blocks[4], h, ctx), dropout, ctx));
    return out;
  }
}

/**
 * How a decoder step doubles the resolution: `transpose` = ConvTranspose 2×2×2 s2 + BN + ReLU (CML
 * up_type 0, UA-MT); `trilinear` = Upsample ×2 trilinear align_corners=True + Conv 3×3×3 pad 1 + BN +
 * ReLU (CML up_type 1).
 */
export type VNetUpType = 'transpose' | 'trilinear';

export interface VNetDecoderOutput {
  logits: Tensor;
  /** block_eight output (32 ch at f = 16, half resolution). */
  x8: Tensor;
  /** block_nine output after Dropout3d: the features the 1×1×1 head sees. */
  x9: Tensor;
}

/**
 * The V-Net decoder (block_five_up … out_conv) with additive skips onto [x1, x2, x3, x4]. 2,071,970
 * params at f = 16 with 2 classes (`transpose`), 2,898,850 (`trilinear`).
 */
export class VNetDecoder {
  private readonly up: { conv: ConvTranspose3d | Conv3d; bn: BatchNorm }[] = [];
  private readonly blocks: Unit[][] = [];
  readonly head: Conv3d;

  constructor(store: ParameterStore, prefix: string, filters: number, classes: number, readonly upType: VNetUpType, init: InitKind = 'pytorch-default') {
    const widths = widthsOf(filters);
    const stages = [3, 3, 2, 1];
    for (let i = 0; i < 4; i++) {
      const cin = widths[4 - i];
      const cout = widths[3 - i];
      const key = `${prefix}.block_${5 + i}_up`;
      let conv: ConvTranspose3d | Conv3d;
      if (upType === 'transpose') {
        const t = new ConvTranspose3d(store, `${key}.conv`, cin, cout, 2, 'pytorch-default');
        // module.ts's kaiming branch for transposed convs takes fan_in from Cin; PyTorch takes it from Cout.
        if (init === 'kaiming-normal') kaimingTranspose(store, t);
        conv = t;
      } else conv = new Conv3d(store, `${key}.conv`, cin, cout, 3, 1, 'same', { init });
      this.up.push({ conv, bn: new BatchNorm(store, `${key}.bn`, cout) });
      this.blocks.push(convBlock(store, `${prefix}.block_${6 + i}`, stages[i], cout, cout, init));
    }
    this.head = new Conv3d(store, `${prefix}.out_conv`, filters, classes, 1, 1, 'valid', { init });
  }

  forward(features: Tensor[], ctx: ForwardContext, dropout: number): VNetDecoderOutput {
    let h = features[4];
    let x8 = h;
    for (let i = 0; i < 4; i++) {
      const input = this.upType === 'trilinear' ? upsample2x(h, true) : h;
      h = tf.add(convBnRelu(this.up[i].conv, this.up[i].bn, input, ctx), features[3 - i]);
      h = runBlock(this.blocks[i], h, ctx);
      if (i === 2) x8 = h;
    }
    const x9 = dropout3d(h, dropout, ctx);
    return { logits: this.head.forward(x9), x8, x9 };
  }
}

export interface DualVNetOptions {
  inChannels?: number;
  classes?: number;
  filters?: number;
  /** Dropout3d rate on x5 of each encoder and x9 of each decoder while training; 0 disables. */
  dropout?: number;
}

export class DualVNet implements Network {
  readonly store: ParameterStore;
  readonly options: Required<DualVNetOptions>;
  private readonly encoders: VNetEncoder[];
  private readonly decoders: VNetDecoder[];

  constructor(name: string, seed: number, options: DualVNetOptions = {}) {
    this.options = { inChannels: 1, classes: 2, filters: 16, dropout: 0.5, ...stripUndefined(options) };
    const { inChannels, classes, filters } = this.options;
    this.store = new ParameterStore(name, Rng.derive(seed, `init-${name}`));
    this.encoders = [1, 2].map((i) => new VNetEncoder(this.store, `encoder${i}`, inChannels, filters));
    this.decoders = [
      new VNetDecoder(this.store, 'decoder1', filters, classes, 'transpose'),
      new VNetDecoder(this.store, 'decoder2', filters, classes, 'trilinear'),
    ];
  }

  parameterCount(): number {
    return this.store.count();
  }

  /** logits = view 1 (transposed-conv decoder), heads = [view 2 logits], features {emb1, emb2} = x5 of each encoder. */
  forward(x: Tensor, ctx: ForwardContext): NetworkOutput {
    const p = this.options.dropout;
    const f1 = this.encoders[0].forward(x, ctx, p);
    const f2 = this.encoders[1].forward(x, ctx, p);
    const view1 = this.decoders[0].forward(f1, ctx, p);
    const view2 = this.decoders[1].forward(f2, ctx, p);
    return { logits: view1.logits, heads: [view2.logits], features: { emb1: f1[4], emb2: f2[4] } };
  }

  dispose(): void {
    this.store.dispose();
  }
}
