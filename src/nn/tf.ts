/**
 * The single tfjs import of the project. tfjs-node(-gpu), when installed, registers its backend on this
 * same engine (it depends on the same `@tensorflow/tfjs`), so every module shares one engine.
 */
import * as tf from '@tensorflow/tfjs';

// PROD mode silences tfjs's console warnings (the cpu backend prints an advert for tfjs-node) and skips
// its debug-only checks; the harness's own checks and errors are unaffected.
tf.env().set('PROD', true);

export { tf };
export type Tensor = tf.Tensor;
export type Variable = tf.Variable;
