/**
 * @file Conv3D, Conv3DBackpropInputV2 and Conv3DBackpropFilterV2 on the native direct-convolution kernels.
 * Anything they do not cover (non-float32, empty tensors) goes to the stock kernel they replace.
 */
import * as tf from '@tensorflow/tfjs';
import { conv3dInfo, convGeometry } from './geometry.js';
import type { NativeKernels } from './native.js';
import { tensorStoreFor } from './tensor-store.js';

type Triple = number | [number, number, number];
type Pad = 'same' | 'valid' | number;

interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

const isFloat = (...ts: tf.TensorInfo[]): boolean => ts.every((t) => t.dtype === 'float32' && t.shape.every((d) => d > 0));

/** Builds the replacement kernel function for `kernelName`; `stock` handles the cases it declines. */
export function makeConvKernel(kernelName: string, backendName: string, native: NativeKernels, stock: tf.KernelFunc): tf.KernelFunc {
  const run = (args: KernelArgs): tf.TensorInfo | null => {
    const store = tensorStoreFor(backendName, args.backend);
    if (!store) return null;
    const attrs = (args.attrs ?? {}) as Record<string, unknown>;
    const strides = attrs.strides as Triple;
    const pad = attrs.pad as Pad;
    if (kernelName === tf.Conv3D) {
      const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
      if (!isFloat(x, filter)) return null;
      const info = conv3dInfo(x.shape, filter.shape, strides, (attrs.dilations as Triple) ?? 1, pad);
      const geom = convGeometry(info);
      return store.compute([x, filter], [info.outShape.slice()], ([xv, wv], [yv]) => native.conv3dForward(xv, wv, yv, geom))[0];
    }
    if (kernelName === tf.Conv3DBackpropInputV2) {
      const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      if (!isFloat(dy, filter)) return null;
      const info = conv3dInfo(attrs.inputShape as number[], filter.shape, strides, 1, pad);
      const geom = convGeometry(info);
      return store.compute([dy, filter], [info.inShape.slice()], ([dyv, wv], [dxv]) => native.conv3dBackpropInput(dyv, wv, dxv, geom))[0];
    }
    if (kernelName === tf.Conv3DBackpropFilterV2) {
      const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      if (!isFloat(x, dy)) return null;
      const filterShape = attrs.filterShape as number[];
      const info = conv3dInfo(x.shape, filterShape, strides, 1, pad);
      const geom = convGeometry(info);
      return store.compute([x, dy], [filterShape.slice()], ([xv, dyv], [dwv]) => native.conv3dBackpropFilter(xv, dyv, dwv, geom))[0];
    }
    return null;
  };
  return (args) => run(args as KernelArgs) ?? stock(args);
}

export const CONV_KERNELS = [tf.Conv3D, tf.Conv3DBackpropInputV2, tf.Conv3DBackpropFilterV2] as const;
