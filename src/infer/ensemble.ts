import { tf, type Tensor } from '../nn/tf.js';
import type { Network } from '../nn/network.js';
import type { EvaluationPolicy } from '../methods/method.js';

/**
 * Class probabilities of the evaluated networks on a batch, eval mode: the method's own rule when it has
 * one (DTC's sigmoid head, CML's averaged logits), else the mean of the networks' softmax (MCF's ensemble).
 */
export function evaluatedProbabilities(nets: Network[], policy: Pick<EvaluationPolicy, 'probabilities'>, x: Tensor): Tensor {
  return tf.tidy(() => {
    if (policy.probabilities) return policy.probabilities(nets, x);
    const probs = nets.map((net) => tf.softmax(net.forward(x, { training: false }).logits));
    return probs.length > 1 ? tf.div(tf.addN(probs), probs.length) : probs[0];
  });
}
