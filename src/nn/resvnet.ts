/**
 * @file MCF's 3D-ResVNet (`MCF:code/networks/ResNet34.py`, `resnet.py`; METHODS §2.2): a 3-D ResNet-34
 * encoder of base width 16 without max-pool (stem 7×7×7 conv at full resolution, BasicBlock layers
 * 3/4/6/3 at 32/64/128/256 channels, each layer starting with a stride-2 block) under the V-Net decoder
 * with additive skips onto [stem, layer1, layer2, layer3], Dropout3d only on x9. 17,930,354 parameters
 * (encoder 15,858,384) at 16 filters, 1 input channel, 2 classes.
 *
 * Init QUIRK reproduced: ResNet zero-initialises each block's last BN γ, but the wrapper's
 * `__init_weight` then re-initialises every conv / transposed conv with kaiming_normal_ and every BN to
 * γ = 1, β = 0, so no γ stays zero. Conv biases (decoder only) keep PyTorch's default U(±1/√fan_in).
 */
import { tf, type Tensor } from './tf.js';
import { BatchNorm, Conv3d, ParameterStore, type ForwardContext } from './module.js';
import { PaddedConv3d, convBnRelu, stripUndefined } from './layers-extra.js';
import { VNetDecoder } from './dual-vnet.js';
import { Rng } from '../util/rng.js';
import type { Network, NetworkOutput } from './network.js';

export interface ResVNetOptions {
  inChannels?: number;
  classes?: number;
  /** Base width (stem channels); the layers have 2×, 4×, 8×, 16× this. */
  filters?: number;
  /** Dropout3d rate on x9 while training; 0 disables. */
  dropout?: number;
}

const INIT = 'kaiming-normal' as const;

/** ResNet BasicBlock: conv3³(s)+BN+ReLU, conv3³+BN, + shortcut (1³ conv s + BN when the shape changes), ReLU. */
class BasicBlock {
  private readonly conv1: PaddedConv3d;
  private readonly bn1: BatchNorm;
  private readonly conv2: PaddedConv3d;
  private readonly bn2: BatchNorm;
  private readonly shortcut?: { conv: Conv3d; bn: BatchNorm };

  constructor(store: ParameterStore, key: string, cin: number, cout: number, readonly stride: number) {
    this.conv1 = new PaddedConv3d(store, `${key}.conv1`, cin, cout, 3, stride, 1, { bias: false, init: INIT });
    this.bn1 = new BatchNorm(store, `${key}.bn1`, cout);
    this.conv2 = new PaddedConv3d(store, `${key}.conv2`, cout, cout, 3, 1, 1, { bias: false, init: INIT });
    this.bn2 = new BatchNorm(store, `${key}.bn2`, cout);
    if (stride !== 1 || cin !== cout) {
      this.shortcut = {
        conv: new Conv3d(store, `${key}.downsample.conv`, cin, cout, 1, stride, 'valid', { bias: false, init: INIT }),
        bn: new BatchNorm(store, `${key}.downsample.bn`, cout),
      };
    }
  }

  forward(x: Tensor, ctx: ForwardContext): Tensor {
    const h = this.bn2.forward(this.conv2.forward(convBnRelu(this.conv1, this.bn1, x, ctx)), ctx);
    const identity = this.shortcut ? this.shortcut.bn.forward(this.shortcut.conv.forward(x), ctx) : x;
    return tf.relu(tf.add(h, identity));
  }
}

export class ResVNet implements Network {
  readonly store: ParameterStore;
  readonly options: Required<ResVNetOptions>;
  private readonly stem: { conv: Conv3d; bn: BatchNorm };
  private readonly layers: BasicBlock[][];
  private readonly decoder: VNetDecoder;

  constructor(name: string, seed: number, options: ResVNetOptions = {}) {
    this.options = { inChannels: 1, classes: 2, filters: 16, dropout: 0.5, ...stripUndefined(options) };
    const { inChannels, classes, filters: f } = this.options;
    this.store = new ParameterStore(name, Rng.derive(seed, `init-${name}`));
    const s = this.store;
    this.stem = {
      conv: new Conv3d(s, 'encoder.conv1', inChannels, f, 7, 1, 'same', { bias: false, init: INIT }),
      bn: new BatchNorm(s, 'encoder.bn1', f),
    };
    const blocks = [3, 4, 6, 3];
    this.layers = blocks.map((n, l) => {
      const cin = f << l;
      const cout = f << (l + 1);
      return Array.from({ length: n }, (_, b) => new BasicBlock(s, `encoder.layer${l + 1}.${b}`, b === 0 ? cin : cout, cout, b === 0 ? 2 : 1));
    });
    this.decoder = new VNetDecoder(s, 'decoder', f, classes, 'transpose', INIT);
  }

  parameterCount(): number {
    return this.store.count();
  }

  /** logits [N, D, H, W, classes]; features x5 (layer4 output, 16f ch at 1/16), x8 (block_eight), x9 (post-dropout). */
  forward(x: Tensor, ctx: ForwardContext): NetworkOutput {
    const skips = [convBnRelu(this.stem.conv, this.stem.bn, x, ctx)];
    let h = skips[0];
    for (const layer of this.layers) {
      for (const block of layer) h = block.forward(h, ctx);
      skips.push(h);
    }
    // The encoder has no dropout: the bottleneck reaches the decoder as is; Dropout3d acts on x9 only.
    const { logits, x8, x9 } = this.decoder.forward(skips, ctx, this.options.dropout);
    return { logits, heads: [], features: { x5: skips[4], x8, x9 } };
  }

  dispose(): void {
    this.store.dispose();
  }
}
