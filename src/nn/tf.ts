/**
 * The single tfjs import of the project. tfjs-node(-gpu), when installed, registers its backend on this
 * same engine (it depends on the same `@tensorflow/tfjs`), so every module shares one engine.
 */
import * as tf from '@tensorflow/tfjs';

export { tf };
export type Tensor = tf.Tensor;
export type Variable = tf.Variable;
