/**
 * @file Training-mode batch norm (+ optional ReLU) over all axes but the last, as one kernel with its own
 * gradient. Written with tf ops, batch norm costs ~12 full-size passes forward and backward and, because
 * every op keeps its inputs for the gradient, ~10 full-size tensors alive per layer until the backward pass;
 * the fused kernel makes two passes each way and keeps only its input. `batchNormTrain` uses the kernel where
 * it is registered (wasm/cpu with the native addon) and the same arithmetic in tf ops elsewhere.
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeKernels } from './native.js';
import { tensorStoreFor } from './tensor-store.js';

export const BN_KERNEL = 'SslBenchBatchNormTrain';
export const BN_GRAD_KERNEL = 'SslBenchBatchNormTrainGrad';

export interface BatchNormTrainOptions {
  /** Per-channel shift added before normalising (a conv bias). It cancels in `y` but is part of `mean`. */
  bias?: tf.Tensor;
  eps?: number;
  relu?: boolean;
}

export interface BatchNormTrainResult {
  y: tf.Tensor;
  /** Batch mean per channel (including `bias`), for the running statistics: the kernel gives it no gradient. */
  mean: tf.Tensor;
  /** Biased batch variance per channel, for the running statistics: the kernel gives it no gradient. */
  variance: tf.Tensor;
}

interface BnAttrs {
  eps: number;
  relu: boolean;
}

/**
 * y = (x + bias − mean) / sqrt(variance + eps) · gamma + beta with the batch statistics of x + bias over every
 * axis but the last, then ReLU if asked. Gradients flow to x, gamma and beta (bias gets zero, as it cancels).
 */
export function batchNormTrain(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, options: BatchNormTrainOptions = {}): BatchNormTrainResult {
  const eps = options.eps ?? 1e-5;
  const relu = options.relu ?? false;
  const channels = x.shape[x.rank - 1];
  if (gamma.size !== channels || beta.size !== channels || (options.bias && options.bias.size !== channels)) {
    throw new Error(`batchNormTrain: gamma, beta and bias need ${channels} values (the last axis of x)`);
  }
  if (x.dtype === 'float32' && tf.getKernel(BN_KERNEL, tf.getBackend()) != null) {
    return tf.tidy(() => {
      const bias = options.bias ?? tf.zeros([channels]);
      const attrs: BnAttrs = { eps, relu };
      const [y, mean, variance] = tf.engine().runKernel(BN_KERNEL, { x, gamma, beta, bias }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      return { y, mean, variance };
    });
  }
  return tf.tidy(() => {
    const xb = options.bias ? tf.add(x, options.bias) : x;
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const { mean, variance } = tf.moments(xb, axes);
    const scale = tf.mul(tf.rsqrt(tf.add(variance, eps)), gamma);
    const z = tf.add(tf.mul(tf.sub(xb, mean), scale), beta);
    return { y: relu ? tf.relu(z) : z, mean, variance };
  });
}

/** Registers the gradient of the fused kernel (backend-agnostic; once per process). */
export function registerBatchNormGradient(): void {
  if (tf.getGradient(BN_KERNEL) != null) return;
  tf.registerGradient({
    kernelName: BN_KERNEL,
    inputsToSave: ['x', 'gamma', 'beta', 'bias'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      const [x, gamma, beta, bias, mean, variance] = saved;
      const dy = Array.isArray(dys) ? dys[0] : dys;
      const [dx, dgamma, dbeta] = tf.engine().runKernel(BN_GRAD_KERNEL, { dy, x, gamma, beta, bias, mean, variance }, attrs) as tf.Tensor[];
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta, bias: () => tf.zerosLike(bias) };
    },
  });
}

export function makeBatchNormKernels(backendName: string, native: NativeKernels): tf.KernelConfig[] {
  const forward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, gamma, beta, bias } = inputs as Record<string, tf.TensorInfo>;
    const { eps, relu } = attrs as unknown as BnAttrs;
    const c = x.shape[x.shape.length - 1];
    const rows = x.shape.reduce((p, d) => p * d, 1) / c;
    const store = tensorStoreFor(backendName, backend);
    if (!store) throw new Error(`${BN_KERNEL}: unsupported backend ${backendName}`);
    return store.compute([x, gamma, beta, bias], [x.shape.slice(), [c], [c]], ([xv, gv, bv, biv], [y, mean, variance]) =>
      native.bnForward(xv, rows, c, biv, gv, bv, eps, relu, y, mean, variance),
    );
  };
  const backward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
    const { dy, x, gamma, beta, bias, mean, variance } = inputs as Record<string, tf.TensorInfo>;
    const { eps, relu } = attrs as unknown as BnAttrs;
    const c = x.shape[x.shape.length - 1];
    const rows = x.shape.reduce((p, d) => p * d, 1) / c;
    const store = tensorStoreFor(backendName, backend);
    if (!store) throw new Error(`${BN_GRAD_KERNEL}: unsupported backend ${backendName}`);
    return store.compute([dy, x, gamma, beta, bias, mean, variance], [x.shape.slice(), [c], [c]], ([dyv, xv, gv, bv, biv, mv, vv], [dx, dg, db]) =>
      native.bnBackward(dyv, xv, rows, c, biv, gv, bv, mv, vv, eps, relu, dx, dg, db),
    );
  };
  return [
    { kernelName: BN_KERNEL, backendName, kernelFunc: forward },
    { kernelName: BN_GRAD_KERNEL, backendName, kernelFunc: backward },
  ];
}
