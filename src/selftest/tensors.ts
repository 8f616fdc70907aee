/**
 * @file Between the vectors' PyTorch layouts (NCDHW / NCHW, labels NDHW / NHW) and the project's
 * channels-last tensors. Float inputs become float32 tensors: the vectors print every float32 input in
 * its shortest round-trip form, so Float32Array.from gives the official tensor bit for bit.
 */
import { tf, type Tensor } from '../nn/tf.js';
import { isFloatDtype, type TensorValue } from './vector.js';

/** A tfjs tensor with the stored values: float32 for float dtypes, int32 for integers and bools. */
export function toTensor(t: TensorValue): Tensor {
  if (isFloatDtype(t.dtype)) return tf.tensor(Float32Array.from(t.data), t.shape, 'float32');
  return tf.tensor(Int32Array.from(t.data), t.shape, 'int32');
}

/** [N, C, ...spatial] → [N, ...spatial, C]. */
export function channelsLast(x: Tensor): Tensor {
  const r = x.rank;
  if (r < 3) throw new Error(`channelsLast: rank ${r} tensor has no spatial axes`);
  return tf.transpose(x, [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1]);
}

/** [N, ...spatial, C] → [N, C, ...spatial]. */
export function channelsFirst(x: Tensor): Tensor {
  const r = x.rank;
  if (r < 3) throw new Error(`channelsFirst: rank ${r} tensor has no spatial axes`);
  return tf.transpose(x, [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)]);
}

/** A channels-first input of the vector as a channels-last tensor. */
export function inputChannelsLast(t: TensorValue): Tensor {
  return tf.tidy(() => channelsLast(toTensor(t)));
}

/** A per-voxel map [N, ...spatial] in the vectors' single-channel layout [N, 1, ...spatial]. */
export function withChannelAxis(x: Tensor): Tensor {
  return tf.expandDims(x, 1);
}

/** Values and shape of a tensor, for comparison (float32 or int32 values as JS numbers). */
export function readTensor(x: Tensor): { shape: number[]; data: number[] } {
  return { shape: [...x.shape], data: Array.from(x.dataSync()) };
}

export function readScalar(x: Tensor | number): number {
  return typeof x === 'number' ? x : x.dataSync()[0];
}
