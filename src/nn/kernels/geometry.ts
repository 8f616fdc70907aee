/**
 * @file Convolution geometry in the layout the native kernels read (native/src/kernels.h, struct ConvGeom).
 */
import * as tf from '@tensorflow/tfjs';

export type Shape5 = [number, number, number, number, number];

/**
 * Packs tfjs's Conv3DInfo. `inShape`/`outShape` are those of the forward convolution whichever direction
 * is being computed; tfjs validates the shapes and resolves 'same'/'valid' padding.
 */
export function convGeometry(info: tf.backend_util.Conv3DInfo): Int32Array {
  const [n, id, ih, iw, ci] = info.inShape;
  const [, od, oh, ow, co] = info.outShape;
  return Int32Array.from([
    n, id, ih, iw, ci,
    info.filterDepth, info.filterHeight, info.filterWidth,
    co, od, oh, ow,
    info.strideDepth, info.strideHeight, info.strideWidth,
    info.dilationDepth, info.dilationHeight, info.dilationWidth,
    info.padInfo.front, info.padInfo.top, info.padInfo.left,
  ]);
}

export function conv3dInfo(
  inShape: readonly number[],
  filterShape: readonly number[],
  strides: number | [number, number, number],
  dilations: number | [number, number, number],
  pad: 'same' | 'valid' | number,
): tf.backend_util.Conv3DInfo {
  return tf.backend_util.computeConv3DInfo(inShape as Shape5, filterShape as Shape5, strides, dilations, pad);
}
