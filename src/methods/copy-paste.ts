/**
 * @file Pieces shared by the copy-paste methods BCP and CML (METHODS §3, §4.7–4.8): the box mask,
 * mixing, the per-sample linear Dice (`mask_DiceLoss`), region-masked CE, BCP's `mix_loss`, LCC
 * pseudo-labels and CML's feature-conflict loss, plus the ACDC (2-D) versions the ACDC scripts use:
 * BCP's region-masked `DiceLoss(4)`, its ACDC `mix_loss` and `get_ACDC_masks` (argmax + per-slice,
 * per-class 2-D LCC). Tensors are channels-last; masks are [D, H, W] (or [H, W]) with 1 outside the box
 * and 0 inside, as the official generators make them.
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

/**
 * BCP-ACDC's `DiceLoss(C)` with a region (BCP:code/utils/losses.py L79-134, METHODS §3 Dice-MCM): on
 * softmax(logits), per class c pooled over the batch, 1 − (2Σ m·p_c·g_c + 1e-10) / (Σ m·p_c² + Σ m·g_c² +
 * 1e-10), averaged over the C classes, background included. `region` [N, ...spatial] or absent (m ≡ 1, the
 * unmasked `_dice_loss`). Unlike Dice-PS the terms are squared and pooled over the batch, and the smooth
 * term is 1e-10 instead of 1e-5.
 */
export function diceLossMasked(logits: Tensor, labels: Tensor, region?: Tensor): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[logits.shape.length - 1];
    const p = tf.softmax(logits);
    const g = tf.oneHot(tf.cast(labels, 'int32'), classes).toFloat();
    const m = region ? tf.expandDims(tf.cast(region, 'float32'), -1) : tf.onesLike(g);
    const axes = logits.shape.slice(0, -1).map((_, i) => i);
    const smooth = 1e-10;
    const intersect = tf.sum(tf.mul(tf.mul(p, g), m), axes);
    const ySum = tf.sum(tf.mul(tf.mul(g, g), m), axes);
    const zSum = tf.sum(tf.mul(tf.mul(p, p), m), axes);
    const dice = tf.div(tf.add(tf.mul(intersect, 2), smooth), tf.add(tf.add(zSum, ySum), smooth));
    return tf.mean(tf.sub(1, dice)) as tf.Scalar;
  });
}

/**
 * BCP-ACDC's own `mix_loss` (ACDC_BCP_train.py L167-179), returned as its two sums:
 * dice = w_img·DiceMCM(out, A; M) + w_patch·DiceMCM(out, B; 1−M), ce = w_img·CE_M(out, A) + w_patch·CE_{1−M}(out, B).
 * The script's (l_weight, u_weight, unlab) arguments map to (w_img, w_patch) = (l, u), or (u, l) when
 * `unlab` is set; callers pass the resulting pair. `mask` [...spatial] is tiled over the samples.
 */
export function acdcMixLoss(out: Tensor, a: Tensor, b: Tensor, mask: Tensor, wImage: number, wPatch: number): { dice: tf.Scalar; ce: tf.Scalar } {
  return tf.tidy(() => {
    const n = out.shape[0];
    const m = tf.tile(tf.expandDims(mask, 0), [n, ...mask.shape.map(() => 1)]);
    const inv = tf.sub(1, m);
    const dice = tf.add(tf.mul(diceLossMasked(out, a, m), wImage), tf.mul(diceLossMasked(out, b, inv), wPatch)) as tf.Scalar;
    const ce = tf.add(tf.mul(crossEntropyMasked(out, a, m), wImage), tf.mul(crossEntropyMasked(out, b, inv), wPatch)) as tf.Scalar;
    return { dice, ce };
  });
}

/** argmax over the class axis of [N, H, W, C] logits (`torch.max(softmax(out), dim=1)[1]`), int32 [N, H, W]. */
export function argmaxLabels(logits: Tensor): Tensor {
  return tf.tidy(() => tf.cast(tf.argMax(logits, -1), 'int32'));
}

/**
 * get_ACDC_2DLargestCC: per slice and per foreground class c ∈ {1, …, C−1}, keep only the largest
 * 8-connected component of class c (skimage `label`, ties to the first met in raster order); the other
 * pixels of c become background, not another class. A class absent from the slice stays absent.
 */
export function largestComponentPerClass2d(labels: Int32Array | Uint8Array, n: number, h: number, w: number, classes: number): Int32Array {
  const out = new Int32Array(n * h * w);
  const plane = h * w;
  const mask = new Uint8Array(plane);
  for (let i = 0; i < n; i++) {
    const slice = labels.subarray(i * plane, (i + 1) * plane);
    for (let c = 1; c < classes; c++) {
      let any = false;
      for (let v = 0; v < plane; v++) {
        mask[v] = slice[v] === c ? 1 : 0;
        any ||= mask[v] === 1;
      }
      if (!any) continue;
      const lcc = largestConnectedComponent(mask, [h, w]);
      for (let v = 0; v < plane; v++) if (lcc[v]) out[i * plane + v] = c;
    }
  }
  return out;
}

/** ACDC pseudo-labels (get_ACDC_masks(out, nms=1)): argmax, then the per-slice, per-class 2-D LCC. Logits [N, H, W, C]. */
export function acdcPseudoLabels(logits: Tensor): Tensor {
  const [n, h, w, classes] = logits.shape;
  const arg = argmaxLabels(logits);
  const data = arg.dataSync() as Int32Array;
  arg.dispose();
  return tf.tensor(largestComponentPerClass2d(data, n, h, w, classes), [n, h, w], 'int32');
}

/** The pseudo-label rule of the copy-paste scripts by input rank: LA's get_cut_mask (3-D) or ACDC's get_ACDC_masks (2-D). */
export function copyPastePseudoLabels(logits: Tensor): Tensor {
  return logits.rank === 4 ? acdcPseudoLabels(logits) : lccPseudoLabels(logits);
}
