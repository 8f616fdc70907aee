/**
 * @file Layers the networks beyond the V-Net need (METHODS §2.2–§2.3), with PyTorch's semantics:
 * 2-D convolutions, a 3-D convolution with PyTorch's explicit symmetric padding, InstanceNorm without
 * affine parameters, 2×2(×2) max-pooling, channel concatenation, element-wise Dropout with masks from the
 * run's seeded stream, and the init overrides MCF and DyCON apply after construction.
 *
 * Zero-padding, channel concatenation and max-pooling are typed-array loops under tf.customGrad rather
 * than tfjs ops: on the cpu and wasm backends the rank-5 Slice behind the gradients of tf.pad and
 * tf.concat, and the cpu MaxPool3DGrad, index element by element — measured 10 s (pad backward), 24 s
 * (concat backward) and 6 s (max-pool backward) of CPU on 8M-element tensors, against well under a
 * second for the loops here.
 */
import { tf, type Tensor, type Variable } from './tf.js';
import { BatchNorm, Conv3d, ConvTranspose3d, type ForwardContext, type InitKind, type ParameterStore } from './module.js';

/** Conv2d, weight [k, k, Cin, Cout]; `padding` as PyTorch's (symmetric, zeros). Default init U(±1/√(Cin·k²)). */
export class Conv2d {
  readonly weight: Variable;
  readonly bias?: Variable;
  constructor(
    store: ParameterStore,
    key: string,
    readonly cin: number,
    readonly cout: number,
    readonly kernel: number,
    readonly padding = 0,
    options: { bias?: boolean; init?: InitKind } = {},
  ) {
    const shape = [kernel, kernel, cin, cout];
    const fanIn = cin * kernel * kernel;
    const n = fanIn * cout;
    const w = options.init === 'kaiming-normal' ? store.normal(n, Math.sqrt(2 / fanIn)) : store.uniform(n, 1 / Math.sqrt(fanIn));
    this.weight = store.param(`${key}.weight`, shape, w);
    if (options.bias !== false) this.bias = store.param(`${key}.bias`, [cout], store.uniform(cout, 1 / Math.sqrt(fanIn)));
  }

  forward(x: Tensor): Tensor {
    return tf.tidy(() => {
      const w = this.weight as unknown as tf.Tensor4D;
      let y: Tensor;
      if (this.kernel === 1 && this.padding === 0) {
        // A 1×1 conv is a matrix multiply over channels.
        const [n, h, wd] = x.shape;
        y = tf.reshape(tf.matMul(tf.reshape(x, [-1, this.cin]), tf.reshape(w, [this.cin, this.cout])), [n, h, wd, this.cout]);
      } else if (2 * this.padding === this.kernel - 1) {
        // Stride 1, odd kernel: TF 'same' pads (k−1)/2 on both sides, exactly PyTorch's padding.
        if (tf.getKernel('Conv2DBackpropFilter', tf.getBackend())) y = tf.conv2d(x as tf.Tensor4D, w, 1, 'same');
        else {
          // tfjs-wasm 4.22 has no Conv2DBackpropFilter: run the same sums as a depth-1 3-D convolution.
          const [n, h, wd, c] = x.shape;
          const y5 = tf.conv3d(tf.reshape(x, [n, 1, h, wd, c]) as tf.Tensor5D, tf.reshape(w, [1, this.kernel, this.kernel, this.cin, this.cout]) as tf.Tensor5D, 1, 'same');
          y = tf.reshape(y5, [n, h, wd, this.cout]);
        }
      } else throw new Error(`Conv2d: padding ${this.padding} with kernel ${this.kernel} is not supported (only 'same'-equivalent or 1×1)`);
      return this.bias ? tf.add(y, this.bias) : y;
    });
  }
}

/**
 * Conv3d with PyTorch's symmetric zero padding for any stride. Needed for the stride-2 3×3×3 ResNet
 * convs: TF 'same' pads 0 before / 1 after on even sizes where PyTorch pads 1 / 1, which would shift
 * every output voxel by one input voxel.
 */
export class PaddedConv3d {
  readonly conv: Conv3d;
  constructor(
    store: ParameterStore,
    key: string,
    cin: number,
    cout: number,
    kernel: number,
    readonly stride: number,
    readonly padding: number,
    options: { bias?: boolean; init?: InitKind } = {},
  ) {
    const same = stride === 1 && 2 * padding === kernel - 1;
    this.conv = new Conv3d(store, key, cin, cout, kernel, stride, same ? 'same' : 'valid', options);
  }

  get weight(): Variable {
    return this.conv.weight;
  }

  forward(x: Tensor): Tensor {
    const p = this.padding;
    if (this.conv.padding === 'same' || p === 0) return this.conv.forward(x);
    return tf.tidy(() => this.conv.forward(padSpatial(x, p)));
  }

  /** PyTorch's output length along an axis. */
  static outputSize(size: number, kernel: number, stride: number, padding: number): number {
    return Math.floor((size + 2 * padding - kernel) / stride) + 1;
  }
}

/**
 * InstanceNorm (PyTorch InstanceNorm2d/3d defaults: affine=False, no running stats, eps 1e-5): each
 * sample and channel normalised over its spatial axes with the biased variance — the same in train and
 * eval mode, and without parameters.
 */
export function instanceNorm(x: Tensor, eps = 1e-5): Tensor {
  return tf.tidy(() => {
    const axes = x.shape.slice(1, -1).map((_, i) => i + 1);
    const { mean, variance } = tf.moments(x, axes, true);
    return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  });
}

/** [N, ...spatial, C] as [N, D, H, W, C] (a 2-D map is a volume of depth 1). */
function dims5(shape: number[], what: string): [number, number, number, number, number] {
  if (shape.length === 5) return shape as [number, number, number, number, number];
  if (shape.length === 4) return [shape[0], 1, shape[1], shape[2], shape[3]];
  throw new Error(`${what}: expected a rank-4 or rank-5 tensor, got shape ${JSON.stringify(shape)}`);
}

/** Zero padding of p voxels on both sides of every spatial axis of [N, D, H, W, C] (PyTorch conv padding). */
export function padSpatial(x: Tensor, p: number): Tensor {
  if (x.rank !== 5) throw new Error(`padSpatial: expected a rank-5 tensor, got shape ${JSON.stringify(x.shape)}`);
  if (p === 0) return x;
  const [n, d, h, w, c] = x.shape;
  const [pd, ph, pw] = [d + 2 * p, h + 2 * p, w + 2 * p];
  const row = w * c;
  // Row (n, z, y) of the input starts at `src` and lands at `dst` in the padded volume.
  const eachRow = (visit: (src: number, dst: number) => void) => {
    for (let b = 0; b < n; b++)
      for (let z = 0; z < d; z++)
        for (let y = 0; y < h; y++) visit(((b * d + z) * h + y) * row, (((b * pd + z + p) * ph + y + p) * pw + p) * c);
  };
  const op = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as Tensor;
    const xv = input.dataSync() as Float32Array;
    const out = new Float32Array(n * pd * ph * pw * c);
    eachRow((src, dst) => out.set(xv.subarray(src, src + row), dst));
    return {
      value: tf.tensor(out, [n, pd, ph, pw, c], 'float32'),
      gradFunc: (dy: Tensor) => {
        const g = dy.dataSync() as Float32Array;
        const dx = new Float32Array(input.size);
        eachRow((src, dst) => dx.set(g.subarray(dst, dst + row), src));
        return tf.tensor(dx, input.shape, 'float32');
      },
    };
  });
  return op(x);
}

/** Concatenation along the channel (last) axis — `torch.cat(…, dim=1)` in NCDHW. */
export function concatChannels(xs: Tensor[]): Tensor {
  const widths = xs.map((t) => t.shape[t.rank - 1]);
  const total = widths.reduce((a, b) => a + b, 0);
  const op = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const inputs = args.slice(0, xs.length) as Tensor[];
    return {
      value: tf.concat(inputs, -1),
      gradFunc: (dy: Tensor) => {
        const g = dy.dataSync() as Float32Array;
        const positions = g.length / total;
        let offset = 0;
        return inputs.map((t, k) => {
          const cw = widths[k];
          const out = new Float32Array(positions * cw);
          for (let i = 0; i < positions; i++) out.set(g.subarray(i * total + offset, i * total + offset + cw), i * cw);
          offset += cw;
          return tf.tensor(out, t.shape, 'float32');
        });
      },
    };
  });
  return op(...xs);
}

/**
 * MaxPool2d(2) / MaxPool3d(2): kernel 2, stride 2, no padding, odd remainders dropped (floor mode). The
 * gradient goes to the first maximum of each window in scan order, as PyTorch's CPU kernel does.
 */
export function maxPool2x(x: Tensor): Tensor {
  const [n, d, h, w, c] = dims5(x.shape, 'maxPool2x');
  const kd = x.rank === 5 ? 2 : 1;
  const [od, oh, ow] = [Math.floor(d / kd), Math.floor(h / 2), Math.floor(w / 2)];
  const outShape = x.rank === 5 ? [n, od, oh, ow, c] : [n, oh, ow, c];
  const op = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as Tensor;
    const xv = input.dataSync() as Float32Array;
    const out = new Float32Array(n * od * oh * ow * c);
    const argmax = new Int32Array(out.length);
    let o = 0;
    for (let b = 0; b < n; b++)
      for (let z = 0; z < od; z++)
        for (let y = 0; y < oh; y++)
          for (let xx = 0; xx < ow; xx++) {
            const base = o;
            for (let ch = 0; ch < c; ch++) {
              out[base + ch] = -Infinity;
              argmax[base + ch] = -1;
            }
            for (let dz = 0; dz < kd; dz++)
              for (let dy = 0; dy < 2; dy++)
                for (let dx = 0; dx < 2; dx++) {
                  const src = (((b * d + z * kd + dz) * h + 2 * y + dy) * w + 2 * xx + dx) * c;
                  for (let ch = 0; ch < c; ch++) {
                    const v = xv[src + ch];
                    if (v > out[base + ch] || argmax[base + ch] < 0) {
                      out[base + ch] = v;
                      argmax[base + ch] = src + ch;
                    }
                  }
                }
            o += c;
          }
    return {
      value: tf.tensor(out, outShape, 'float32'),
      gradFunc: (dy: Tensor) => {
        const g = dy.dataSync() as Float32Array;
        const dxv = new Float32Array(input.size);
        for (let i = 0; i < g.length; i++) dxv[argmax[i]] += g[i];
        return tf.tensor(dxv, input.shape, 'float32');
      },
    };
  });
  return op(x);
}

/**
 * Element-wise Dropout(p): each value zeroed with probability p, survivors scaled by 1/(1−p). The mask
 * comes from `ctx.rng` (not tf.dropout's own generator) so runs stay deterministic and resumable.
 */
export function dropout(x: Tensor, p: number, ctx: ForwardContext): Tensor {
  if (!ctx.training || p <= 0) return x;
  if (!ctx.rng) throw new Error('dropout: a training forward with dropout needs ctx.rng');
  if (p >= 1) return tf.zerosLike(x);
  const mask = new Float32Array(x.size);
  const scale = 1 / (1 - p);
  const rng = ctx.rng;
  for (let i = 0; i < mask.length; i++) mask[i] = rng.next() < p ? 0 : scale;
  return tf.tidy(() => tf.mul(x, tf.tensor(mask, x.shape)));
}

/** Conv → BatchNorm → ReLU, the V-Net's unit. */
export function convBnRelu(conv: { forward(x: Tensor): Tensor }, bn: BatchNorm, x: Tensor, ctx: ForwardContext): Tensor {
  return tf.relu(bn.forward(conv.forward(x), ctx));
}

/**
 * `kaiming_normal_` on a ConvTranspose3d the way PyTorch computes it: fan_in from weight dim 1, i.e.
 * Cout·k³ (METHODS §0.2). Draws a fresh weight from the store's stream.
 */
export function kaimingTranspose(store: ParameterStore, up: ConvTranspose3d): void {
  const fanIn = up.cout * up.kernel ** 3;
  const w = store.normal(up.weight.size, Math.sqrt(2 / fanIn));
  tf.tidy(() => up.weight.assign(tf.tensor(w, up.weight.shape)));
}

/** DyCON's `weights_init_kaiming` for BatchNorm: γ ~ N(1, 0.02), β = 0. */
export function normalGamma(store: ParameterStore, bn: BatchNorm, std = 0.02): void {
  const g = store.normal(bn.channels, std, 1);
  tf.tidy(() => bn.gamma.assign(tf.tensor(g, [bn.channels])));
}

/** Spreading `{dropout: undefined}` over defaults would erase them; the factory passes such keys. */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
