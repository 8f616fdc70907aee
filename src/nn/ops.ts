/**
 * Small differentiable-graph helpers tfjs does not export.
 */
import { tf, type Tensor } from './tf.js';

const detach = tf.customGrad(((input: Tensor) => ({
  value: tf.clone(input),
  gradFunc: (dy: Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]);

/** Identity in the forward pass, zero gradient backward (torch's `.detach()` inside a loss). */
export function stopGradient<T extends Tensor>(x: T): T {
  return detach(x) as T;
}

/**
 * A copy with no history at all. tfjs backpropagates through every recorded op on a path to the loss,
 * and comparison ops (Equal, NotEqual, Greater…) have no gradient function, so a mask derived from a
 * trainable output must be cut off the tape entirely; `stopGradient` alone does not do that.
 */
export function constantOf<T extends Tensor>(x: T): T {
  return tf.tensor(x.dataSync(), x.shape, x.dtype) as T;
}
