/**
 * @file tfjs 4.22 ships no gradient for Conv3DBackpropInputV2, so `tf.conv3dTranspose` (the V-Net's up
 * convolution) cannot be trained with stock tfjs. This registers the missing one; it is backend-agnostic.
 */
import * as tf from '@tensorflow/tfjs';

interface BackpropInputAttrs {
  strides: [number, number, number] | number;
  pad: 'valid' | 'same';
}

/** Registers the gradient unless one already exists (a later tfjs may ship its own). Returns whether it did. */
export function registerConv3dTransposeGradient(): boolean {
  if (tf.getGradient(tf.Conv3DBackpropInputV2) != null) return false;
  tf.registerGradient({
    kernelName: tf.Conv3DBackpropInputV2,
    inputsToSave: ['dy', 'filter'],
    gradFunc: (ddx, saved, attrs) => {
      const [dy, filter] = saved as [tf.Tensor5D, tf.Tensor5D];
      const { strides, pad } = attrs as unknown as BackpropInputAttrs;
      const g = (Array.isArray(ddx) ? ddx[0] : ddx) as tf.Tensor5D;
      // The transposed convolution is the adjoint of conv3d(·, filter), so its input gradient is the forward
      // convolution of the incoming gradient, and its filter gradient is conv3d's filter gradient with the
      // roles of input and output swapped.
      return {
        dy: () => tf.conv3d(g, filter, strides, pad),
        filter: () =>
          tf.engine().runKernel(tf.Conv3DBackpropFilterV2, { x: g, dy }, { strides, pad, filterShape: filter.shape }) as tf.Tensor,
      };
    },
  });
  return true;
}
