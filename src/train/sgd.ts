/**
 * SGD as torch.optim.SGD runs it in every official script: momentum 0.9, no dampening, no Nesterov,
 * coupled L2 weight decay g ← ∇ + wd·w, v ← μ·v + g with v = g at the first step, w ← w − lr·v.
 * Parameters that receive no gradient are left alone (no decay, no momentum update).
 */
import { tf, type Tensor, type Variable } from '../nn/tf.js';

export interface SgdOptions {
  momentum: number;
  weightDecay: number;
}

export class Sgd {
  readonly velocity = new Map<string, Variable>();

  constructor(readonly params: Map<string, Variable>, readonly options: SgdOptions) {}

  step(grads: Record<string, Tensor>, lr: number): void {
    const { momentum, weightDecay } = this.options;
    for (const [key, w] of this.params) {
      const g = grads[w.name];
      if (!g) continue;
      tf.tidy(() => {
        const d = weightDecay ? tf.add(g, tf.mul(w, weightDecay)) : g;
        let v = this.velocity.get(key);
        if (!v) {
          v = tf.variable(d, false, `${w.name}#momentum`);
          this.velocity.set(key, v);
        } else {
          v.assign(tf.add(tf.mul(v, momentum), d));
        }
        w.assign(tf.sub(w, tf.mul(v, lr)));
      });
    }
  }

  dispose(): void {
    for (const v of this.velocity.values()) v.dispose();
    this.velocity.clear();
  }
}
