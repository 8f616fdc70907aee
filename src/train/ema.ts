import { tf, type Variable } from '../nn/tf.js';

/**
 * θ' ← α·θ' + (1 − α)·θ over parameters only: BN running statistics of the teacher are never copied
 * (UAMT:code/train_LA_meanteacher_certainty_unlabel.py L68-72; METHODS §1.6).
 */
export function emaUpdate(teacher: Map<string, Variable>, student: Map<string, Variable>, alpha: number): void {
  tf.tidy(() => {
    for (const [key, t] of teacher) {
      const s = student.get(key);
      if (!s) throw new Error(`EMA: the student has no parameter '${key}'`);
      t.assign(tf.add(tf.mul(t, alpha), tf.mul(s, 1 - alpha)));
    }
  });
}
