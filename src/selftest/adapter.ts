/**
 * @file What an adapter is, and what adapters share: the project's recipes as the source of the
 * hyper-parameters a vector does not carry. An adapter computes every output from the vector's inputs
 * and params with the project's own functions and hands the results to the checker.
 */
import { resolveConfig, type ResolvedConfig } from '../train/config.js';
import type { Checker, Path } from './compare.js';
import type { VectorInput } from './vector.js';

/** Synchronous, so the runner can release every intermediate tensor with one tf.tidy. */
export type Adapter = (vector: VectorInput, check: Checker) => void;

/** The project's paper recipe of a method on LA (the dataset every implemented LA method has). */
export function laRecipe(method: string): ResolvedConfig {
  return resolveConfig({ method, dataset: 'LA', protocol: '16+64', profile: 'paper', seed: 1337 });
}

/** The project's paper recipe of a method on ACDC (BCP/CML's 2-D scripts, SSL4MIS's 2-D ones). */
export function acdcRecipe(method: string): ResolvedConfig {
  return resolveConfig({ method, dataset: 'ACDC', protocol: '7+63', profile: 'paper', seed: 1337 });
}

/** Runs one part of an adapter; an exception fails that part (with its path) instead of the whole case. */
export function part(check: Checker, path: Path, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    check.error(path, err);
  }
}

/**
 * Scripts the project has no counterpart for yet; their vectors, sub-cases and script entries are
 * reported not-implemented. Every method with a vector family now has its LA recipe, and BCP/CML also
 * their ACDC (2-D) one, so the list is empty; a script entry a vector adds later lands here by name.
 */
export const NOT_IMPLEMENTED_SCRIPTS: ReadonlyArray<{ label: string; pattern: RegExp }> = [];

/** The reason for a script entry the selftest does not evaluate. */
export function notImplementedReason(script: string): string {
  const m = NOT_IMPLEMENTED_SCRIPTS.find((x) => x.pattern.test(script));
  if (m) return `${m.label} is not implemented in the project yet`;
  return 'script not known to the selftest (no project implementation is mapped to it)';
}
