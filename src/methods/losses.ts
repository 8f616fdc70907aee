/**
 * @file Loss building blocks shared by the methods (METHODS §3), on channels-last tensors:
 * logits/probabilities [N, ...spatial, C], labels [N, ...spatial] int32.
 */
import { tf, type Tensor } from '../nn/tf.js';

/** Mean over all voxels of all given samples of −log softmax(logits)_y (F.cross_entropy). */
export function crossEntropy(logits: Tensor, labels: Tensor): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[logits.shape.length - 1];
    const logp = tf.logSoftmax(logits);
    const onehot = tf.oneHot(tf.cast(labels, 'int32'), classes);
    return tf.neg(tf.mean(tf.sum(tf.mul(logp, onehot), -1))) as tf.Scalar;
  });
}

/**
 * UA-MT `dice_loss` on a foreground probability map pooled over every voxel of every sample:
 * 1 − (2Σsg + 1e-5) / (Σs² + Σg² + 1e-5).
 */
export function diceLossForeground(foreground: Tensor, target: Tensor): tf.Scalar {
  return tf.tidy(() => {
    const g = tf.cast(target, 'float32');
    const smooth = 1e-5;
    const intersect = tf.sum(tf.mul(foreground, g));
    const denom = tf.add(tf.add(tf.sum(tf.mul(foreground, foreground)), tf.sum(tf.mul(g, g))), smooth);
    return tf.sub(1, tf.div(tf.add(tf.mul(intersect, 2), smooth), denom)) as tf.Scalar;
  });
}

/** Channel `c` of a channels-last tensor, keeping the spatial shape. */
export function channel(x: Tensor, c: number): Tensor {
  const rank = x.shape.length;
  const begin = new Array(rank).fill(0);
  begin[rank - 1] = c;
  const size = [...x.shape];
  size[rank - 1] = 1;
  return tf.squeeze(tf.slice(x, begin, size), [rank - 1]);
}

/** Samples [start, start+count) of the batch axis. */
export function samples(x: Tensor, start: number, count: number): Tensor {
  const begin = x.shape.map((_, i) => (i === 0 ? start : 0));
  const size = x.shape.map((d, i) => (i === 0 ? count : d));
  return tf.slice(x, begin, size);
}

/** UA-MT `softmax_mse_loss`: elementwise (softmax(a) − softmax(b))², not reduced. */
export function softmaxMse(studentLogits: Tensor, teacherLogits: Tensor): Tensor {
  return tf.tidy(() => tf.square(tf.sub(tf.softmax(studentLogits), tf.softmax(teacherLogits))));
}

/** clamp(N(0, std²), −clip, clip) of the given shape, seeded from the step's stream (METHODS §5.3 noise). */
export function clampedNoise(shape: number[], std: number, clip: number, seed: number): Tensor {
  return tf.tidy(() => tf.clipByValue(tf.randomNormal(shape, 0, std, 'float32', seed), -clip, clip));
}

/** 0.5·(CE + Dice-FG) on the labeled logits (UA-MT family supervised loss). Returns the three terms. */
export function halfCeDice(labeledLogits: Tensor, labels: Tensor): { loss: tf.Scalar; ce: tf.Scalar; dice: tf.Scalar } {
  const ce = crossEntropy(labeledLogits, labels);
  const dice = tf.tidy(() => diceLossForeground(channel(tf.softmax(labeledLogits), 1), labels));
  const loss = tf.tidy(() => tf.mul(tf.add(ce, dice), 0.5) as tf.Scalar);
  return { loss, ce, dice };
}

/**
 * SSL4MIS `DiceLoss(C)._dice_loss` for every class c, background included, pooled over the batch:
 * 1 − (2Σp_c·g_c + 1e-5)/(Σp_c² + Σg_c² + 1e-5) with g the one-hot target (SSL4MIS:code/utils/losses.py
 * L156-192). `probabilities` [N, ...spatial, C]; returns [C]. A class absent from target and prediction
 * still contributes ≈ 1, as in the official code.
 */
export function diceLossPerClass(probabilities: Tensor, labels: Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const classes = probabilities.shape[probabilities.shape.length - 1];
    const g = tf.oneHot(tf.cast(labels, 'int32'), classes).toFloat();
    const axes = probabilities.shape.slice(0, -1).map((_, i) => i);
    const smooth = 1e-5;
    const intersect = tf.sum(tf.mul(probabilities, g), axes);
    const denom = tf.add(tf.add(tf.sum(tf.mul(probabilities, probabilities), axes), tf.sum(tf.mul(g, g), axes)), smooth);
    return tf.sub(1, tf.div(tf.add(tf.mul(intersect, 2), smooth), denom)) as tf.Tensor1D;
  });
}

/** Dice-MC: SSL4MIS `DiceLoss(C)` on probabilities, the mean of `diceLossPerClass` over the C classes. */
export function diceLossMultiClass(probabilities: Tensor, labels: Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(diceLossPerClass(probabilities, labels)) as tf.Scalar);
}

/**
 * The supervised term of the UA-MT family, by recipe: 0.5·(CE + Dice-FG) on LA (UAMT:code/train_LA.py)
 * or 0.5·(CE + Dice-MC(C)) on ACDC (SSL4MIS 2-D scripts), chosen by `params.supervisedDice`.
 */
export function supervisedTerm(labeledLogits: Tensor, labels: Tensor, diceKind: unknown): { loss: tf.Scalar; ce: tf.Scalar; dice: tf.Scalar } {
  if (diceKind !== 'multiclass') return halfCeDice(labeledLogits, labels);
  const ce = crossEntropy(labeledLogits, labels);
  const dice = tf.tidy(() => diceLossMultiClass(tf.softmax(labeledLogits), labels));
  return { loss: tf.tidy(() => tf.mul(tf.add(ce, dice), 0.5) as tf.Scalar), ce, dice };
}
