/**
 * @file A minimal module system over tfjs variables, built for what the SSL methods need and tfjs-layers
 * does not give: PyTorch's default initialisation, BatchNorm running statistics updated by every
 * train-mode forward (also gradient-free teacher passes), Dropout3d masks drawn from the run's seeded
 * stream (so runs are deterministic and resumable), and named parameters for EMA teachers and
 * checkpoints. Tensors are channels-last (NDHWC), the only layout tfjs 3-D convolutions accept.
 */
import { tf, type Tensor, type Variable } from './tf.js';
import { Rng } from '../util/rng.js';
import { batchNormTrain } from './kernels/batchnorm.js';

/** How a forward pass behaves. */
export interface ForwardContext {
  /** Train mode: BN uses batch statistics (and updates running stats), dropout is active. */
  training: boolean;
  /** Stream for dropout masks; required when training with dropout. */
  rng?: Rng;
}

export type InitKind = 'pytorch-default' | 'kaiming-normal';

let storeCounter = 0;

export class ParameterStore {
  readonly params = new Map<string, Variable>();
  /** Non-trainable state (BN running mean/var). */
  readonly buffers = new Map<string, Variable>();
  /** tfjs variable names are global to the engine; the suffix keeps several networks apart. */
  private readonly prefix: string;

  constructor(readonly name: string, readonly rng: Rng) {
    this.prefix = `${name}#${++storeCounter}`;
  }

  param(key: string, shape: number[], values: Float32Array): Variable {
    const v = tf.tidy(() => tf.variable(tf.tensor(values, shape), true, `${this.prefix}/${key}`));
    this.params.set(key, v);
    return v;
  }

  buffer(key: string, shape: number[], fill: number, dtype: 'float32' | 'int32' = 'float32'): Variable {
    const v = tf.tidy(() => tf.variable(tf.fill(shape, fill, dtype), false, `${this.prefix}/${key}#buffer`));
    this.buffers.set(key, v);
    return v;
  }

  uniform(n: number, bound: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.rng.uniform(-bound, bound);
    return out;
  }

  normal(n: number, std: number, mean = 0): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = mean + std * this.rng.normal();
    return out;
  }

  count(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    for (const v of this.buffers.values()) v.dispose();
    this.params.clear();
    this.buffers.clear();
  }
}

const product = (s: number[]) => s.reduce((a, b) => a * b, 1);

/**
 * Whether the current backend runs `kernelName` with the project's fast kernels (src/nn/kernels mark
 * theirs with this global symbol). Those handle stride = kernel convolutions directly and correctly;
 * the stock tfjs ones do not (no gradient for Conv3DBackpropInputV2, wrong values on wasm), so then the
 * layers below fall back to a matrix-multiply formulation.
 */
export function hasFastKernel(kernelName: string): boolean {
  const config = tf.getKernel(kernelName, tf.getBackend());
  return Boolean(config && (config.kernelFunc as unknown as Record<symbol, unknown>)[Symbol.for('ssl-bench.fast-kernel')]);
}

/**
 * Whether 3-D convolutions with stride = kernel (and their transposes) may run as tfjs's direct conv3d /
 * conv3dTranspose kernels: with the project's fast kernels, or on webgpu, whose stock kernels are correct
 * (test/nn/webgpu.test.ts checks them against cpu) and which cannot run the matrix-multiply formulation's
 * rank-8 transposes ("GPU for rank 8 is not yet supported").
 */
export function hasDirectConv(kernelName: string): boolean {
  return hasFastKernel(kernelName) || tf.getBackend() === 'webgpu';
}

/** Conv3D with bias; weight [k, k, k, Cin, Cout]. PyTorch default init: U(±1/√fan_in), fan_in = Cin·k³. */
export class Conv3d {
  readonly weight: Variable;
  readonly bias?: Variable;
  constructor(
    store: ParameterStore,
    key: string,
    readonly cin: number,
    readonly cout: number,
    readonly kernel: number,
    readonly stride = 1,
    readonly padding: 'same' | 'valid' = 'same',
    options: { bias?: boolean; init?: InitKind } = {},
  ) {
    const shape = [kernel, kernel, kernel, cin, cout];
    const fanIn = cin * kernel ** 3;
    const w = options.init === 'kaiming-normal' ? store.normal(product(shape), Math.sqrt(2 / fanIn)) : store.uniform(product(shape), 1 / Math.sqrt(fanIn));
    this.weight = store.param(`${key}.weight`, shape, w);
    if (options.bias !== false) this.bias = store.param(`${key}.bias`, [cout], store.uniform(cout, 1 / Math.sqrt(fanIn)));
  }

  forward(x: Tensor): Tensor {
    return tf.tidy(() => {
      const patchwise = this.kernel === this.stride && this.padding === 'valid' && !(this.kernel > 1 && hasDirectConv('Conv3DBackpropFilterV2'));
      const y = patchwise ? this.patchwise(x) : tf.conv3d(x as tf.Tensor5D, this.weight as unknown as tf.Tensor5D, this.stride, this.padding);
      return this.bias ? tf.add(y, this.bias) : y;
    });
  }

  /**
   * Non-overlapping convolution (kernel = stride: the 2×2×2 down convs and 1×1×1 heads) as
   * space-to-depth + one matrix multiply — the same sums, on the backends' fastest kernel.
   */
  private patchwise(x: Tensor): Tensor {
    const [n, d, h, w, c] = x.shape;
    const k = this.kernel;
    const [od, oh, ow] = [Math.floor(d / k), Math.floor(h / k), Math.floor(w / k)];
    let cols = x;
    if (k > 1) {
      const cropped = od * k === d && oh * k === h && ow * k === w ? x : tf.slice(x, [0, 0, 0, 0, 0], [n, od * k, oh * k, ow * k, c]);
      cols = tf.transpose(tf.reshape(cropped, [n, od, k, oh, k, ow, k, c]), [0, 1, 3, 5, 2, 4, 6, 7]);
    }
    const y = tf.matMul(tf.reshape(cols, [-1, k * k * k * c]), tf.reshape(this.weight, [k * k * k * c, this.cout]));
    return tf.reshape(y, [n, od, oh, ow, this.cout]);
  }
}

/**
 * ConvTranspose3d with stride = kernel (2×2×2, stride 2 in the V-Net) and bias; tfjs filter [k, k, k, Cout, Cin]. PyTorch computes fan_in of a
 * transposed conv from weight dim 1, i.e. Cout·k³ (METHODS §0.2).
 */
export class ConvTranspose3d {
  readonly weight: Variable;
  readonly bias: Variable;
  constructor(store: ParameterStore, key: string, readonly cin: number, readonly cout: number, readonly kernel = 2, init: InitKind = 'pytorch-default') {
    const shape = [kernel, kernel, kernel, cout, cin];
    const fanIn = cout * kernel ** 3;
    // kaiming_normal_ (mode fan_in) reads fan_in from weight dim 1 as well: Cout·k³.
    const w = init === 'kaiming-normal' ? store.normal(product(shape), Math.sqrt(2 / fanIn)) : store.uniform(product(shape), 1 / Math.sqrt(fanIn));
    this.weight = store.param(`${key}.weight`, shape, w);
    this.bias = store.param(`${key}.bias`, [cout], store.uniform(cout, 1 / Math.sqrt(fanIn)));
  }

  /**
   * With kernel = stride every input voxel writes its own k×k×k block, so the transposed conv is one
   * matrix multiply + depth-to-space. This also sidesteps tfjs's Conv3DBackpropInputV2, which has no
   * gradient in tfjs and gives wrong values on the wasm backend (4.22).
   */
  forward(x: Tensor): Tensor {
    return tf.tidy(() => {
      const [n, d, h, w, cin] = x.shape;
      const k = this.kernel;
      if (hasDirectConv('Conv3DBackpropInputV2')) {
        const shape = [n, d * k, h * k, w * k, this.cout] as [number, number, number, number, number];
        return tf.add(tf.conv3dTranspose(x as tf.Tensor5D, this.weight as unknown as tf.Tensor5D, shape, k, 'valid'), this.bias);
      }
      const wm = tf.reshape(tf.transpose(this.weight, [4, 0, 1, 2, 3]), [cin, k * k * k * this.cout]);
      const y = tf.reshape(tf.matMul(tf.reshape(x, [-1, cin]), wm), [n, d, h, w, k, k, k, this.cout]);
      const out = tf.reshape(tf.transpose(y, [0, 1, 4, 2, 5, 3, 6, 7]), [n, d * k, h * k, w * k, this.cout]);
      return tf.add(out, this.bias);
    });
  }
}

/** BatchNorm over all axes but the last; eps 1e-5, momentum 0.1, running var stored unbiased (PyTorch). */
export class BatchNorm {
  readonly gamma: Variable;
  readonly beta: Variable;
  readonly runningMean: Variable;
  readonly runningVar: Variable;
  constructor(store: ParameterStore, key: string, readonly channels: number, readonly eps = 1e-5, readonly momentum = 0.1) {
    this.gamma = store.param(`${key}.weight`, [channels], new Float32Array(channels).fill(1));
    this.beta = store.param(`${key}.bias`, [channels], new Float32Array(channels));
    this.runningMean = store.buffer(`${key}.running_mean`, [channels], 0);
    this.runningVar = store.buffer(`${key}.running_var`, [channels], 1);
  }

  /** With `relu`, ReLU is fused into the normalisation (one pass instead of two on the fast kernels). */
  forward(x: Tensor, ctx: ForwardContext, relu = false): Tensor {
    if (!ctx.training) {
      const y = this.normalize(x, this.runningMean, this.runningVar);
      return relu ? tf.relu(y) : y;
    }
    // One fused kernel on the fast backends (tf ops elsewhere); the batch statistics it returns feed the
    // running statistics only and carry no gradient.
    const { y, mean, variance } = batchNormTrain(x, this.gamma, this.beta, { eps: this.eps, relu });
    const n = x.size / this.channels;
    tf.tidy(() => {
      const v = variance.mul(n / Math.max(n - 1, 1));
      this.runningMean.assign(this.runningMean.mul(1 - this.momentum).add(mean.mul(this.momentum)));
      this.runningVar.assign(this.runningVar.mul(1 - this.momentum).add(v.mul(this.momentum)));
    });
    tf.dispose([mean, variance]);
    return y;
  }

  // tf.batchNorm only takes rank ≤ 4 inputs; this is the same arithmetic for any rank, channels last.
  private normalize(x: Tensor, mean: Tensor, variance: Tensor): Tensor {
    return tf.tidy(() => {
      const scale = tf.mul(tf.rsqrt(tf.add(variance, this.eps)), this.gamma);
      return tf.add(tf.mul(tf.sub(x, mean), scale), this.beta);
    });
  }
}

/** Dropout3d: zeroes whole channels per sample with probability p, survivors scaled by 1/(1−p). */
export function dropout3d(x: Tensor, p: number, ctx: ForwardContext): Tensor {
  if (!ctx.training || p <= 0) return x;
  if (!ctx.rng) throw new Error('dropout3d: a training forward with dropout needs ctx.rng');
  const [n] = x.shape;
  const c = x.shape[x.shape.length - 1];
  const mask = new Float32Array(n * c);
  const scale = 1 / (1 - p);
  for (let i = 0; i < mask.length; i++) mask[i] = ctx.rng.next() < p ? 0 : scale;
  const shape = [n, ...x.shape.slice(1, -1).map(() => 1), c];
  return tf.tidy(() => tf.mul(x, tf.tensor(mask, shape)));
}
