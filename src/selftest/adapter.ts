/**
 * @file What an adapter is, and what adapters share: the project's recipes as the source of the
 * hyper-parameters a vector does not carry. An adapter computes every output from the vector's inputs
 * and params with the project's own functions and hands the results to the checker.
 */
import { METHODS } from '../methods/index.js';
import { resolveConfig, type ResolvedConfig } from '../train/config.js';
import type { Checker, Path } from './compare.js';
import type { VectorInput } from './vector.js';

/** Synchronous, so the runner can release every intermediate tensor with one tf.tidy. */
export type Adapter = (vector: VectorInput, check: Checker) => void;

/** The project's paper recipe of a method on LA (the dataset every implemented LA method has). */
export function laRecipe(method: string): ResolvedConfig {
  return resolveConfig({ method, dataset: 'LA', protocol: '16+64', profile: 'paper', seed: 1337 });
}

/** Whether the project has the method (registered in src/methods/index.ts). */
export function isRegistered(method: string): boolean {
  return Object.prototype.hasOwnProperty.call(METHODS, method);
}

/** Runs one part of an adapter; an exception fails that part (with its path) instead of the whole case. */
export function part(check: Checker, path: Path, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    check.error(path, err);
  }
}

/** Methods the project does not implement yet; their vectors and sub-cases are reported not-implemented. */
export const NOT_IMPLEMENTED_METHODS: ReadonlyArray<{ label: string; pattern: RegExp }> = [
  { label: 'MCF', pattern: /^MCF\b/i },
  { label: 'AC-MT', pattern: /^AC-?MT\b/i },
  { label: 'BCP', pattern: /^BCP\b/i },
  { label: 'CML', pattern: /^CML\b/i },
  { label: 'DyCON', pattern: /^DyCON\b/i },
];

/** The reason for a script entry of an unimplemented method, or of a script the selftest does not know. */
export function notImplementedReason(script: string): string {
  const m = NOT_IMPLEMENTED_METHODS.find((x) => x.pattern.test(script));
  if (m) return `${m.label} is not implemented in the project yet`;
  return 'script not known to the selftest (no project implementation is mapped to it)';
}
