/**
 * @file Sum and Mean over a contiguous block of axes. Batch-norm statistics and the gradients of
 * channel-broadcast ops (bias, BN scale/shift) reduce NDHWC tensors over every axis but the channels; the
 * stock wasm and cpu kernels first transpose the whole tensor so the reduced axes come last, which costs more
 * than all the convolutions of a training step. Here the reduction reads the tensor in place.
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeKernels } from './native.js';
import { tensorStoreFor } from './tensor-store.js';

/** The largest output (floats) reduced natively; each thread keeps a float64 copy of it. */
export const MAX_REDUCE_OUTPUT = 1 << 22;

export interface ReducePlan {
  outer: number;
  rows: number;
  inner: number;
  outShape: number[];
}

/**
 * [outer, rows, inner] view of a reduction over `axis`, or null when the reduced axes are not one
 * contiguous block (or there is nothing to reduce).
 */
export function planReduction(shape: readonly number[], axis: number | number[] | undefined, keepDims: boolean): ReducePlan | null {
  const rank = shape.length;
  const axes = tf.util.parseAxisParam(axis ?? (null as unknown as number), shape as number[]).slice().sort((a, b) => a - b);
  if (axes.length === 0 || rank === 0) return null;
  for (let i = 1; i < axes.length; i++) if (axes[i] !== axes[i - 1] + 1) return null;
  const first = axes[0];
  const last = axes[axes.length - 1];
  const prod = (from: number, to: number): number => {
    let p = 1;
    for (let i = from; i < to; i++) p *= shape[i];
    return p;
  };
  const outer = prod(0, first);
  const rows = prod(first, last + 1);
  const inner = prod(last + 1, rank);
  if (outer * rows * inner === 0) return null;
  const outShape = keepDims ? shape.map((d, i) => (i >= first && i <= last ? 1 : d)) : shape.filter((_, i) => i < first || i > last);
  return { outer, rows, inner, outShape };
}

export const REDUCE_KERNELS = [tf.Sum, tf.Mean] as const;

export function makeReduceKernel(kernelName: string, backendName: string, native: NativeKernels, stock: tf.KernelFunc): tf.KernelFunc {
  const run = (args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo | null => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype !== 'float32') return null;
    const attrs = (args.attrs ?? {}) as { axis?: number | number[]; keepDims?: boolean };
    const plan = planReduction(x.shape, attrs.axis, Boolean(attrs.keepDims));
    if (!plan || plan.rows === 1 || plan.outer * plan.inner > MAX_REDUCE_OUTPUT) return null;
    const store = tensorStoreFor(backendName, args.backend);
    if (!store) return null;
    return store.compute([x], [plan.outShape], ([xv], [out]) => {
      native.reduceSum(xv, plan.outer, plan.rows, plan.inner, out);
      if (kernelName === tf.Mean) {
        const scale = 1 / plan.rows;
        for (let i = 0; i < out.length; i++) out[i] *= scale;
      }
    })[0];
  };
  return (args) => run(args as Parameters<typeof run>[0]) ?? stock(args);
}
