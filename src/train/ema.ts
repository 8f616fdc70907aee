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

/** What a full-state EMA averages: a network's parameters and its buffers (ParameterStore). */
export interface ModelState {
  params: Map<string, Variable>;
  buffers: Map<string, Variable>;
}

/**
 * BCP-ACDC's `update_model_ema` (BCP:code/ACDC_BCP_train.py L123-129, METHODS §1.6): every state_dict
 * entry, parameters and BN buffers alike, becomes α·teacher + (1 − α)·student and is loaded back. An
 * integer buffer (PyTorch's int64 `num_batches_tracked`; int32 here) receives the float average truncated
 * toward zero, as `load_state_dict` copying a float into an int64 tensor does — so a counter of 10 stays
 * at 10 against a student's 13 (0.99·10 + 0.01·13 = 10.03). The project's BatchNorm keeps no such counter
 * (momentum 0.1 never reads it); the rule is kept for any integer buffer a state may hold.
 */
export function emaUpdateState(teacher: ModelState, student: ModelState, alpha: number): void {
  emaUpdate(teacher.params, student.params, alpha);
  tf.tidy(() => {
    for (const [key, t] of teacher.buffers) {
      const s = student.buffers.get(key);
      if (!s) throw new Error(`EMA: the student has no buffer '${key}'`);
      if (t.dtype === 'int32') {
        const avg = tf.add(tf.mul(tf.cast(t, 'float32'), alpha), tf.mul(tf.cast(s, 'float32'), 1 - alpha));
        t.assign(tf.cast(tf.mul(tf.sign(avg), tf.floor(tf.abs(avg))), 'int32'));
      } else {
        t.assign(tf.add(tf.mul(t, alpha), tf.mul(s, 1 - alpha)));
      }
    }
  });
}
