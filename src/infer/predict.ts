/**
 * @file Turns trained networks into a label map for one test volume the way the method's paper tests:
 * eval mode (no dropout, BN running statistics), sliding window with the recipe's strides, softmax
 * averaged over the evaluated networks, the method's decision rule, and optional LCC.
 */
import { tf } from '../nn/tf.js';
import type { Network } from '../nn/network.js';
import type { EvaluationPolicy } from '../methods/method.js';
import { decide, slidingWindow } from './sliding-window.js';
import { evaluatedProbabilities } from './ensemble.js';
import { largestConnectedComponent } from '../util/components.js';

export interface PredictOptions {
  patch: [number, number, number] | [number, number];
  strides: [number, number];
  classes: number;
  windowsPerCall?: number;
  onWindow?: (done: number, total: number) => void;
}

export async function predictVolume(
  nets: Network[],
  policy: Pick<EvaluationPolicy, 'decision' | 'largestComponent' | 'probabilities'>,
  image: Float32Array,
  shape: number[],
  options: PredictOptions,
): Promise<{ label: Uint8Array; windows: number }> {
  if (options.patch.length === 2) {
    const { predictSlices } = await import('./slices.js');
    const { label } = await predictSlices(nets, policy, image, shape, { size: options.patch, classes: options.classes, onSlice: options.onWindow });
    return { label, windows: shape[0] };
  }
  const [px, py, pz] = options.patch;
  const patch3d: [number, number, number] = options.patch;
  const predictor = async (windows: Float32Array, count: number): Promise<Float32Array> => {
    const probs = tf.tidy(() => evaluatedProbabilities(nets, policy, tf.tensor5d(windows, [count, px, py, pz, 1])));
    const data = (await probs.data()) as Float32Array;
    probs.dispose();
    return data;
  };
  const { probabilities, windows } = await slidingWindow(
    image,
    shape,
    { patch: patch3d, strides: options.strides, classes: options.classes, windowsPerCall: options.windowsPerCall },
    predictor,
    options.onWindow,
  );
  let label = decide(probabilities, options.classes, policy.decision);
  if (policy.largestComponent) label = largestConnectedComponent(label, shape);
  return { label, windows };
}
