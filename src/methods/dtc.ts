/**
 * DTC, Dual-Task Consistency (Luo et al., AAAI 2021), DTC:code/train_la_dtc.py (METHODS §4.4).
 * One V-Net with two 1-channel heads on x9: tanh → signed distance φ, and a segmentation logit z.
 * L = Dice-FG(σ(z_l), y) + β·MSE(φ_l, SDF(y)) + λ(k)·mean_all (σ(−kφ) − σ(z))², β = 0.3, k = 1500.
 * Code facts kept: the BCE term is computed in the script but not added to the loss, so it is not here
 * either; the dual-task term covers all samples, labeled ones included, with gradients into both heads.
 * Test: σ(z) > 0.5 averaged over windows, then the largest connected component (DTC:code/test_LA.py nms=1).
 * Deviation: the script tests `best_model.pth`, which its training never writes (METHODS §1.9, §6.8);
 * the harness reports the last iteration and the record says so.
 */
import { tf, type Tensor } from '../nn/tf.js';
import { consistencyWeight } from '../train/schedules.js';
import { distancesToFeatures } from '../metrics/edt.js';
import { diceLossForeground, samples } from './losses.js';
import type { Method } from './method.js';

/**
 * compute_sdf (DTC:code/utils/util.py L123-150) of one binary mask: negdis/max(negdis) − posdis/max(posdis),
 * inner boundary (foreground voxels with a face neighbour in background, array borders not counting) set
 * to 0; all zeros when the mask has no foreground. A full mask gives NaN, as the official code does.
 */
export function computeSdf(mask: ArrayLike<number>, shape: readonly number[]): Float64Array {
  const n = mask.length;
  const fg = new Uint8Array(n);
  const bg = new Uint8Array(n);
  const fgIdx: number[] = [];
  const bgIdx: number[] = [];
  for (let i = 0; i < n; i++) {
    if (mask[i]) { fg[i] = 1; fgIdx.push(i); } else { bg[i] = 1; bgIdx.push(i); }
  }
  const out = new Float64Array(n);
  if (fgIdx.length === 0) return out;
  const spacing = shape.map(() => 1);
  const work = new Float64Array(n);
  // posdis: foreground voxel → nearest background; negdis: background voxel → nearest foreground.
  const pos = bgIdx.length ? distancesToFeatures(bg, shape, spacing, Int32Array.from(fgIdx), work) : new Float64Array(fgIdx.length);
  const neg = distancesToFeatures(fg, shape, spacing, Int32Array.from(bgIdx), work);
  let maxPos = 0;
  let maxNeg = 0;
  for (const v of pos) maxPos = Math.max(maxPos, v);
  for (const v of neg) maxNeg = Math.max(maxNeg, v);
  fgIdx.forEach((v, i) => (out[v] = 0 / maxNeg - pos[i] / maxPos));
  bgIdx.forEach((v, i) => (out[v] = neg[i] / maxNeg - 0 / maxPos));
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((p, d) => p * d, 1));
  for (const v of fgIdx) {
    let boundary = false;
    for (let a = 0; a < shape.length && !boundary; a++) {
      const coord = Math.floor(v / strides[a]) % shape[a];
      if (coord > 0 && !mask[v - strides[a]]) boundary = true;
      if (coord < shape[a] - 1 && !mask[v + strides[a]]) boundary = true;
    }
    if (boundary) out[v] = 0;
  }
  return out;
}

/** DTC's transform layer T⁻¹(φ) = sigmoid(−k·φ) (L185), k = 1500 in the script. */
export function dtcTransform(tanhOut: Tensor, k: number): Tensor {
  return tf.tidy(() => tf.sigmoid(tf.mul(tanhOut, -k)));
}

export interface DtcTerms {
  lossSdf: tf.Scalar;
  lossDice: tf.Scalar;
  lossDtc: tf.Scalar;
  loss: tf.Scalar;
}

/**
 * DTC's loss from the two heads of all samples ([N, ...spatial, 1] each; labeled first), the labels and
 * SDF targets of the labeled ones, and the dual-task weight λ(k).
 */
export function dtcLoss(tanhOut: Tensor, segLogit: Tensor, labels: Tensor, sdf: Tensor, labeledCount: number, beta: number, k: number, weight: number): DtcTerms {
  return tf.tidy(() => {
    const phiL = tf.squeeze(samples(tanhOut, 0, labeledCount), [-1]);
    const prob = tf.sigmoid(tf.squeeze(segLogit, [-1]));
    const lossSdf = tf.mean(tf.square(tf.sub(phiL, sdf))) as tf.Scalar;
    const lossDice = diceLossForeground(samples(prob, 0, labeledCount), labels);
    const transformed = tf.squeeze(dtcTransform(tanhOut, k), [-1]);
    const lossDtc = tf.mean(tf.square(tf.sub(transformed, prob))) as tf.Scalar;
    const loss = tf.addN([lossDice, tf.mul(lossSdf, beta), tf.mul(lossDtc, weight)]) as tf.Scalar;
    return { lossSdf, lossDice, lossDtc, loss };
  });
}

export const dtc: Method = {
  id: 'dtc',
  title: 'Dual-Task Consistency',
  paper: 'Luo et al., AAAI 2021',
  source: 'DTC:code/train_la_dtc.py',
  usesUnlabeled: true,
  networks: (config) => [
    // n_classes = 1: out_conv (tanh, level set) and out_conv2 (segmentation logit); 9,448,866 parameters.
    { role: 'student', arch: 'vnet', trainable: true, options: { filters: config.filters, classes: 1, extraHeads: 1, dropout: config.dropout } },
  ],
  loss: ({ nets, batch, iteration, config, rng }) => {
    const out = nets.student.forward(batch.images, { training: true, rng });
    const tanhOut = tf.tanh(out.logits);
    const segLogit = out.heads[0];
    const L = batch.labeledCount;
    const patchShape = batch.images.shape.slice(1, -1);
    const voxels = patchShape.reduce((a, b) => a * b, 1);
    const labels = batch.labels.dataSync();
    const sdf = new Float32Array(L * voxels);
    for (let i = 0; i < L; i++) sdf.set(computeSdf(labels.subarray(i * voxels, (i + 1) * voxels), patchShape), i * voxels);
    const weight = consistencyWeight(iteration, config.consistencyWeight, config.consistencyRampup, config.consistencyEpoch);
    const t = dtcLoss(tanhOut, segLogit, batch.labels, tf.tensor(sdf, [L, ...patchShape]), L, Number(config.params.beta), Number(config.params.transformK), weight);
    return { loss: t.loss, terms: { loss_dice: t.lossDice, loss_sdf: t.lossSdf, loss_dtc: t.lossDtc, consistency_weight: weight } };
  },
  evaluation: {
    networks: ['student'],
    decision: 'foreground-threshold',
    largestComponent: true,
    checkpoint: 'last',
    source: 'DTC:code/test_LA.py (seg head, sigmoid > 0.5, nms=1); checkpoint: last iteration (best_model.pth is never written by the training script)',
    probabilities: (nets, x) =>
      tf.tidy(() => {
        const p = tf.sigmoid(nets[0].forward(x, { training: false }).heads[0]);
        return tf.concat([tf.sub(1, p), p], -1);
      }),
  },
};
