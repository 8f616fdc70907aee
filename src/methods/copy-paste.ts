/**
 * @file Pieces shared by the copy-paste methods BCP and CML (METHODS §3, §4.7–4.8): the box mask,
 * mixing, the per-sample linear Dice (`mask_DiceLoss`), region-masked CE, BCP's `mix_loss`, LCC
 * pseudo-labels and CML's feature-conflict loss. Tensors are channels-last; masks are [D, H, W] with
 * 1 outside the box and 0 inside, as the official generators make them.
 */
import { tf, type Tensor } from '../nn/tf.js';
import { stopGradient } from '../nn/ops.js';
import { largestConnectedComponent } from '../util/components.js';
import type { Rng } from '../util/rng.js';

/**
 * Box of int(dim·ratio) voxels per axis at `corner`, clipped to the patch; 0 inside, 1 outside.
 */
export function boxMask(shape: readonly number[], ratio: number, corner: readonly number[]): Float32Array {
  const size = shape.map((d) => Math.floor(d * ratio));
  const mask = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1);
  const [a, b, c] = shape.length === 3 ? shape : [1, shape[0], shape[1]];
  const lo = shape.length === 3 ? corner : [0, ...corner];
  const hi = shape.length === 3 ? corner.map((x, i) => Math.min(x + size[i], shape[i])) : [1, ...corner.map((x, i) => Math.min(x + size[i], shape[i]))];
  for (let i = lo[0]; i < hi[0]; i++) for (let j = lo[1]; j < hi[1]; j++) for (let k = lo[2]; k < hi[2]; k++) mask[(i * b + j) * c + k] = 0;
  void a;
  return mask;
}

/**
 * Corner drawn as numpy's randint(0, dim − size) per axis (the upper bound excluded). BCP hard-codes the
 * bounds for a 112×112×80 patch; deriving them from the patch gives the same draws there and keeps the
 * box inside smaller patches (profiles, synthetic), where the hard-coded bounds would mostly miss it.
 */
export function randomBoxCorner(shape: readonly number[], ratio: number, rng: Rng): number[] {
  return shape.map((d) => {
    const range = d - Math.floor(d * ratio);
    return range > 0 ? rng.int(range) : 0;
  });
}

/** a ⊙ M + b ⊙ (1 − M) with M broadcast over samples (and channels for images). */
export function mix(a: Tensor, b: Tensor, mask: Tensor): Tensor {
  return tf.tidy(() => {
    const m = a.rank > mask.rank + 1 ? tf.expandDims(mask, -1) : mask;
    return tf.add(tf.mul(a, m), tf.mul(b, tf.sub(1, m)));
  });
}

/**
 * mask_DiceLoss(nclass): softmax over classes; per sample n and class c, (2Σ m·p·g + 1e-5) /
 * (Σ m·(p + g) + 1e-5) — linear denominator; loss 1 − mean over (n, c). `region` [N, ...spatial] or absent.
 */
export function diceLossPerSample(logits: Tensor, labels: Tensor, region?: Tensor): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[logits.shape.length - 1];
    const p = tf.softmax(logits);
    const g = tf.oneHot(tf.cast(labels, 'int32'), classes);
    const m = region ? tf.expandDims(region, -1) : tf.onesLike(g);
    const axes = logits.shape.slice(1, -1).map((_, i) => i + 1);
    const inter = tf.sum(tf.mul(tf.mul(m, p), g), axes);
    const denom = tf.sum(tf.mul(m, tf.add(p, g)), axes);
    const dice = tf.div(tf.add(tf.mul(inter, 2), 1e-5), tf.add(denom, 1e-5));
    return tf.sub(1, tf.mean(dice)) as tf.Scalar;
  });
}

/** Σ_v m_v·CE_v / (Σ_v m_v + 1e-16) over all samples; plain mean CE without a region. */
export function crossEntropyMasked(logits: Tensor, labels: Tensor, region?: Tensor): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[logits.shape.length - 1];
    const ce = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.cast(labels, 'int32'), classes)), -1));
    if (!region) return tf.mean(ce) as tf.Scalar;
    return tf.div(tf.sum(tf.mul(ce, region)), tf.add(tf.sum(region), 1e-16)) as tf.Scalar;
  });
}

/**
 * BCP's mix_loss (BCP_utils.py L58-69): ½·[w_img·Dice(out, A; M) + w_patch·Dice(out, B; 1−M)
 * + w_img·CE_M(out, A) + w_patch·CE_{1−M}(out, B)]. Returns the four weighted parts and the total.
 */
export function mixLoss(out: Tensor, a: Tensor, b: Tensor, mask: Tensor, wImage: number, wPatch: number): { parts: tf.Scalar[]; loss: tf.Scalar } {
  return tf.tidy(() => {
    const n = out.shape[0];
    const m = tf.tile(tf.expandDims(mask, 0), [n, ...mask.shape.map(() => 1)]);
    const inv = tf.sub(1, m);
    const parts = [
      tf.mul(diceLossPerSample(out, a, m), wImage),
      tf.mul(diceLossPerSample(out, b, inv), wPatch),
      tf.mul(crossEntropyMasked(out, a, m), wImage),
      tf.mul(crossEntropyMasked(out, b, inv), wPatch),
    ] as tf.Scalar[];
    return { parts, loss: tf.mul(tf.addN(parts), 0.5) as tf.Scalar };
  });
}

/** LA pseudo-labels (get_cut_mask): P(fg) ≥ 0.5, then the largest 26-connected component per volume. */
export function lccPseudoLabels(logits: Tensor): Tensor {
  const fg = tf.tidy(() => tf.greaterEqual(tf.gather(tf.softmax(logits), 1, -1), 0.5));
  const data = fg.dataSync() as Uint8Array;
  const [n, ...spatial] = fg.shape;
  fg.dispose();
  const voxels = spatial.reduce((a, b) => a * b, 1);
  const out = new Int32Array(n * voxels);
  for (let i = 0; i < n; i++) {
    const lcc = largestConnectedComponent(data.subarray(i * voxels, (i + 1) * voxels), spatial);
    for (let v = 0; v < voxels; v++) out[i * voxels + v] = lcc[v];
  }
  return tf.tensor(out, [n, ...spatial], 'int32');
}

/**
 * CML's features_discrepancy_loss: 1 + mean over (batch, spatial) of the cosine (channel axis) between
 * L2-normalised features, the second argument detached. Minimised, it pushes the two views apart.
 */
export function featureConflict(fa: Tensor, fb: Tensor): tf.Scalar {
  return tf.tidy(() => {
    // √(Σx² + 1e-24) instead of tf.norm: same value at the 1e-12 floor, but a zero feature vector (common
    // after ReLU) gets a zero gradient instead of NaN.
    const norm = (f: Tensor, keep: boolean) => tf.sqrt(tf.add(tf.sum(tf.square(f), -1, keep), 1e-24));
    const normalise = (f: Tensor) => tf.div(f, tf.maximum(norm(f, true), 1e-12));
    const a = normalise(fa);
    const b = stopGradient(normalise(fb));
    const dot = tf.sum(tf.mul(a, b), -1);
    const norms = tf.mul(norm(a, false), norm(b, false));
    return tf.add(1, tf.mean(tf.div(dot, tf.maximum(norms, 1e-6)))) as tf.Scalar;
  });
}
