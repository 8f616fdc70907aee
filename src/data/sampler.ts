/**
 * @file The TwoStreamBatchSampler of every SSL repo (METHODS §1.3): an epoch is one pass over a fresh
 * permutation of the labeled cases cut into groups of `labeledBatch` (incomplete last group dropped);
 * each batch appends `unlabeledBatch` cases from an endless stream of permutations of the unlabeled
 * pool, restarted every epoch. Batches are a pure function of (seed, iteration), so a resumed run
 * draws exactly the batches the interrupted one would have.
 */
import { Rng } from '../util/rng.js';
import { UsageError } from '../errors.js';

export interface BatchIds {
  labeled: string[];
  unlabeled: string[];
}

export class TwoStreamSampler {
  readonly epochLength: number;

  constructor(
    readonly labeled: readonly string[],
    readonly unlabeled: readonly string[],
    readonly labeledBatch: number,
    readonly unlabeledBatch: number,
    readonly seed: number,
  ) {
    if (labeledBatch < 1) throw new UsageError(`sampler: labeled batch must be at least 1, got ${labeledBatch}`);
    if (labeled.length < labeledBatch) {
      throw new UsageError(`sampler: ${labeled.length} labeled cases cannot fill a labeled batch of ${labeledBatch}`);
    }
    if (unlabeledBatch > 0 && unlabeled.length === 0) throw new UsageError('sampler: the protocol has no unlabeled cases but the method needs some');
    this.epochLength = Math.floor(labeled.length / labeledBatch);
  }

  /** Epoch index of 0-based iteration k (DyCON's schedules count epochs). */
  epochOf(k: number): number {
    return Math.floor(k / this.epochLength);
  }

  batch(k: number): BatchIds {
    const epoch = this.epochOf(k);
    const j = k % this.epochLength;
    const perm = Rng.derive(this.seed, `labeled-epoch-${epoch}`).permutation(this.labeled.length);
    const labeled = perm.slice(j * this.labeledBatch, (j + 1) * this.labeledBatch).map((i) => this.labeled[i]);
    const unlabeled: string[] = [];
    const n = this.unlabeled.length;
    for (let pos = j * this.unlabeledBatch; pos < (j + 1) * this.unlabeledBatch; pos++) {
      const chunk = Math.floor(pos / n);
      const chunkPerm = Rng.derive(this.seed, `unlabeled-epoch-${epoch}-pass-${chunk}`).permutation(n);
      unlabeled.push(this.unlabeled[chunkPerm[pos % n]]);
    }
    return { labeled, unlabeled };
  }
}
