/**
 * @file The V-Net of the LA papers (UA-MT's `vnet.py`, METHODS §2.1): ConvBlocks of 3×3×3 conv + BN +
 * ReLU without residuals, stride-2 2×2×2 down convs, 2×2×2 transposed-conv ups, additive skips,
 * Dropout3d on the bottleneck (x5) and on the last decoder features (x9). 9,448,866 parameters at
 * 16 filters with 1 input channel and 2 classes. Input [N, D, H, W, 1], each spatial size a multiple of 16.
 */
import { tf, type Tensor } from './tf.js';
import { BatchNorm, Conv3d, ConvTranspose3d, dropout3d, ParameterStore, type ForwardContext, type InitKind } from './module.js';
import { Rng } from '../util/rng.js';
import type { Network, NetworkOutput } from './network.js';

export interface VNetOptions {
  inChannels?: number;
  classes?: number;
  filters?: number;
  /** Dropout3d rate at x5 and x9 while training; 0 disables (the test-time network). */
  dropout?: number;
  init?: InitKind;
  /** Extra 1×1×1 heads on x9 (DTC's second head); the main head is `out_conv`. */
  extraHeads?: number;
}

interface Stage {
  convs: Conv3d[];
  norms: BatchNorm[];
}

function convBlock(store: ParameterStore, key: string, stages: number, cin: number, cout: number, init: InitKind): Stage {
  const convs: Conv3d[] = [];
  const norms: BatchNorm[] = [];
  for (let i = 0; i < stages; i++) {
    convs.push(new Conv3d(store, `${key}.conv.${i}`, i === 0 ? cin : cout, cout, 3, 1, 'same', { init }));
    norms.push(new BatchNorm(store, `${key}.bn.${i}`, cout));
  }
  return { convs, norms };
}

function runStage(stage: Stage, x: Tensor, ctx: ForwardContext): Tensor {
  let h = x;
  for (let i = 0; i < stage.convs.length; i++) h = stage.norms[i].forward(stage.convs[i].forward(h), ctx, true);
  return h;
}

export type VNetOutput = NetworkOutput;

export class VNet implements Network {
  readonly store: ParameterStore;
  readonly options: Required<VNetOptions>;
  private readonly enc: Stage[];
  private readonly down: { conv: Conv3d; bn: BatchNorm }[];
  private readonly up: { conv: ConvTranspose3d; bn: BatchNorm }[];
  private readonly dec: Stage[];
  private readonly head: Conv3d;
  private readonly extra: Conv3d[];

  constructor(name: string, seed: number, options: VNetOptions = {}) {
    this.options = { inChannels: 1, classes: 2, filters: 16, dropout: 0.5, init: 'pytorch-default', extraHeads: 0, ...options };
    const { inChannels, classes, filters: f, init } = this.options;
    this.store = new ParameterStore(name, Rng.derive(seed, `init-${name}`));
    const s = this.store;
    const widths = [f, 2 * f, 4 * f, 8 * f, 16 * f];
    const encStages = [1, 2, 3, 3, 3];
    this.enc = widths.map((w, i) => convBlock(s, `block_${i + 1}`, encStages[i], i === 0 ? inChannels : w, w, init));
    this.down = widths.slice(0, 4).map((w, i) => ({
      conv: new Conv3d(s, `block_${i + 1}_dw.conv`, w, 2 * w, 2, 2, 'valid', { init }),
      bn: new BatchNorm(s, `block_${i + 1}_dw.bn`, 2 * w),
    }));
    const decStages = [3, 3, 2, 1];
    this.up = [];
    this.dec = [];
    for (let i = 0; i < 4; i++) {
      const cin = widths[4 - i];
      const cout = widths[3 - i];
      this.up.push({ conv: new ConvTranspose3d(s, `block_${5 + i}_up.conv`, cin, cout, 2, init), bn: new BatchNorm(s, `block_${5 + i}_up.bn`, cout) });
      this.dec.push(convBlock(s, `block_${6 + i}`, decStages[i], cout, cout, init));
    }
    this.head = new Conv3d(s, 'out_conv', f, classes, 1, 1, 'valid', { init });
    this.extra = Array.from({ length: this.options.extraHeads }, (_, i) => new Conv3d(s, `out_conv${i + 2}`, f, classes, 1, 1, 'valid', { init }));
  }

  parameterCount(): number {
    return this.store.count();
  }

  forward(x: Tensor, ctx: ForwardContext): VNetOutput {
    const p = this.options.dropout;
    const skips: Tensor[] = [];
    let h = x;
    for (let i = 0; i < 4; i++) {
      h = runStage(this.enc[i], h, ctx);
      skips.push(h);
      h = this.down[i].bn.forward(this.down[i].conv.forward(h), ctx, true);
    }
    h = runStage(this.enc[4], h, ctx);
    const x5 = dropout3d(h, p, ctx);
    h = x5;
    let x8 = h;
    for (let i = 0; i < 4; i++) {
      h = this.up[i].bn.forward(this.up[i].conv.forward(h), ctx, true);
      h = tf.add(h, skips[3 - i]);
      h = runStage(this.dec[i], h, ctx);
      if (i === 2) x8 = h;
    }
    h = dropout3d(h, p, ctx);
    // x5: bottleneck after dropout (AC-MT featuremap_center, CML embedding); x8: block_eight output (AC-MT vnet_MTPD).
    return { logits: this.head.forward(h), heads: this.extra.map((c) => c.forward(h)), features: { x5, x8 } };
  }

  dispose(): void {
    this.store.dispose();
  }
}

/**
 * Forward FLOPs of one sample through the V-Net, counted as the PyTorch reference timing does
 * (shared/bench/torch_vnet_step.py): 2·out·Cin·k³ per conv, 2·in·Cout·k³ per transposed conv.
 */
export function vnetForwardFlops(size: readonly number[], filters: number, classes = 2, inChannels = 1): number {
  const widths = [1, 2, 4, 8, 16].map((m) => m * filters);
  const voxels = (level: number) => size.reduce((p, d) => p * Math.floor(d / 2 ** level), 1);
  let flops = 0;
  const enc = [1, 2, 3, 3, 3];
  for (let i = 0; i < 5; i++) {
    const cin = i === 0 ? inChannels : widths[i];
    flops += 2 * voxels(i) * widths[i] * cin * 27 + (enc[i] - 1) * 2 * voxels(i) * widths[i] * widths[i] * 27;
    if (i < 4) flops += 2 * voxels(i + 1) * widths[i + 1] * widths[i] * 8;
  }
  const dec = [3, 3, 2, 1];
  for (let i = 0; i < 4; i++) {
    const lo = 4 - i;
    const hi = 3 - i;
    flops += 2 * voxels(lo) * widths[lo] * widths[hi] * 8;
    flops += dec[i] * 2 * voxels(hi) * widths[hi] * widths[hi] * 27;
  }
  return flops + 2 * voxels(0) * classes * widths[0];
}
