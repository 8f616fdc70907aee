/**
 * @file 2-D inference over a volume as the ACDC test scripts do it (SSL4MIS test_2D_fully.py L40-76,
 * BCP/CML test_ACDC.py): every slice zoomed to the training size (nearest), one forward pass, softmax,
 * argmax, and the label map zoomed back (nearest) to the slice's own size.
 */
import { tf } from '../nn/tf.js';
import type { Network } from '../nn/network.js';
import type { EvaluationPolicy } from '../methods/method.js';
import { zoomNearest } from '../data/augment.js';
import { decide } from './sliding-window.js';
import { evaluatedProbabilities } from './ensemble.js';

export async function predictSlices(
  nets: Network[],
  policy: Pick<EvaluationPolicy, 'decision' | 'probabilities'>,
  image: Float32Array,
  shape: number[],
  options: { size: [number, number]; classes: number; slicesPerCall?: number; onSlice?: (done: number, total: number) => void },
): Promise<{ label: Uint8Array }> {
  const [slices, h, w] = shape;
  const [sh, sw] = options.size;
  const label = new Uint8Array(slices * h * w);
  const per = Math.max(1, options.slicesPerCall ?? 4);
  for (let s0 = 0; s0 < slices; s0 += per) {
    const count = Math.min(per, slices - s0);
    const input = new Float32Array(count * sh * sw);
    for (let i = 0; i < count; i++) {
      const s = s0 + i;
      input.set(zoomNearest(image.subarray(s * h * w, (s + 1) * h * w), [h, w], [sh, sw]), i * sh * sw);
    }
    const probs = tf.tidy(() => evaluatedProbabilities(nets, policy, tf.tensor4d(input, [count, sh, sw, 1])));
    const data = (await probs.data()) as Float32Array;
    probs.dispose();
    const C = options.classes;
    for (let i = 0; i < count; i++) {
      // channels-last → class-major for the shared decision rule
      const classMajor = new Float32Array(C * sh * sw);
      for (let v = 0; v < sh * sw; v++) for (let c = 0; c < C; c++) classMajor[c * sh * sw + v] = data[(i * sh * sw + v) * C + c];
      const small = decide(classMajor, C, policy.decision);
      label.set(zoomNearest(small, [sh, sw], [h, w]), (s0 + i) * h * w);
    }
    options.onSlice?.(s0 + count, slices);
  }
  return { label };
}
