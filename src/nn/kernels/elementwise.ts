/**
 * @file Float32 Add, Sub, Multiply, RealDiv and SquaredDifference with broadcasting, multi-threaded in the
 * native addon. The stock wasm kernels broadcast (a per-channel BN scale or bias, a Dropout3d mask) through a
 * generic index loop that is several times slower than the arithmetic it does, and a training step does
 * hundreds of these ops on full-resolution activations. Also, on wasm, Identity and same-dtype Cast share the
 * input's memory (as Reshape does) instead of copying it.
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeKernels } from './native.js';
import { tensorStoreFor } from './tensor-store.js';

export const BINARY_OPS: Readonly<Record<string, number>> = {
  [tf.Add]: 0,
  [tf.Sub]: 1,
  [tf.Multiply]: 2,
  [tf.RealDiv]: 3,
  [tf.SquaredDifference]: 4,
};
export const BINARY_KERNELS = Object.keys(BINARY_OPS);

export interface BroadcastPlan {
  outShape: number[];
  /** Output viewed as [d0, d1, d2]; the operands' element strides along those axes (0 = broadcast). */
  dims: Int32Array;
  aStrides: Int32Array;
  bStrides: Int32Array;
}

/**
 * Collapses a broadcast into at most three axes: neighbouring axes merge when each operand either spans
 * both or repeats along both. Null when more than three axes remain.
 */
export function planBroadcast(aShape: readonly number[], bShape: readonly number[]): BroadcastPlan | null {
  const outShape = tf.backend_util.assertAndGetBroadcastShape(aShape as number[], bShape as number[]);
  const rank = outShape.length;
  const dimOf = (shape: readonly number[], i: number): number => shape[i - (rank - shape.length)] ?? 1;
  const axes: { size: number; a: boolean; b: boolean }[] = [];
  for (let i = 0; i < rank; i++) {
    const size = outShape[i];
    if (size === 1) continue;
    const a = i >= rank - aShape.length && dimOf(aShape, i) === size;
    const b = i >= rank - bShape.length && dimOf(bShape, i) === size;
    const prev = axes[axes.length - 1];
    if (prev && prev.a === a && prev.b === b) prev.size *= size;
    else axes.push({ size, a, b });
  }
  if (axes.length > 3) return null;
  while (axes.length < 3) axes.unshift({ size: 1, a: false, b: false });
  const strides = (full: (ax: (typeof axes)[number]) => boolean): Int32Array => {
    const out = new Int32Array(3);
    let run = 1;
    for (let i = 2; i >= 0; i--) {
      out[i] = full(axes[i]) ? run : 0;
      if (full(axes[i])) run *= axes[i].size;
    }
    return out;
  };
  return {
    outShape,
    dims: Int32Array.from(axes.map((x) => x.size)),
    aStrides: strides((x) => x.a),
    bStrides: strides((x) => x.b),
  };
}

export function makeBinaryKernel(kernelName: string, backendName: string, native: NativeKernels, stock: tf.KernelFunc): tf.KernelFunc {
  const op = BINARY_OPS[kernelName];
  const run = (args: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo | null => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
    const plan = planBroadcast(a.shape, b.shape);
    if (!plan || plan.outShape.some((d) => d === 0) || plan.outShape.reduce((p, d) => p * d, 1) > 2 ** 31 - 1) return null;
    const store = tensorStoreFor(backendName, args.backend);
    if (!store) return null;
    return store.compute([a, b], [plan.outShape], ([av, bv], [out]) => native.binary(op, av, bv, out, plan.dims, plan.aStrides, plan.bStrides))[0];
  };
  return (args) => run(args as Parameters<typeof run>[0]) ?? stock(args);
}

/** Identity and same-dtype Cast for wasm: another reference to the same heap memory, like Reshape. */
export const ALIAS_KERNELS = [tf.Identity, tf.Cast] as const;

export function makeAliasKernel(kernelName: string, backendName: string, _native: NativeKernels, stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const backend = args.backend as { incRef?: (id: tf.DataId) => void };
    const dtype = kernelName === tf.Cast ? (args.attrs as { dtype?: string } | undefined)?.dtype : x.dtype;
    if (backendName !== 'wasm' || x.dtype === 'string' || dtype !== x.dtype || typeof backend.incRef !== 'function') return stock(args);
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
  };
}

export const UNARY_OPS: Readonly<Record<string, number>> = {
  [tf.Relu]: 0,
  [tf.Step]: 1,
  [tf.Neg]: 2,
  [tf.Square]: 3,
  [tf.Exp]: 4,
  [tf.Log]: 5,
  [tf.Sqrt]: 6,
  [tf.Rsqrt]: 7,
};
export const UNARY_KERNELS = Object.keys(UNARY_OPS);

/** Float32 unary ops; the cpu backend's run one JS callback per element, the wasm Exp is scalar. */
export function makeUnaryKernel(kernelName: string, backendName: string, native: NativeKernels, stock: tf.KernelFunc): tf.KernelFunc {
  const op = UNARY_OPS[kernelName];
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const store = x.dtype === 'float32' && x.shape.every((d) => d > 0) ? tensorStoreFor(backendName, args.backend) : null;
    if (!store) return stock(args);
    const alpha = kernelName === tf.Step ? Number((args.attrs as { alpha?: number } | undefined)?.alpha ?? 0) : 0;
    return store.compute([x], [x.shape.slice()], ([xv], [out]) => native.unary(op, xv, out, alpha))[0];
  };
}
