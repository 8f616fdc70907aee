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
