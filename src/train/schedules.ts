/**
 * @file Ramps, learning-rate schedules and EMA decay with the exact step semantics of the official
 * scripts (METHODS §1.5–1.7). `k` is always the 0-based index of the SGD update being made.
 */

/** exp(−5·(1 − clip(t, 0, L)/L)²); 1 when L = 0 (UAMT:code/utils/ramps.py). */
export function sigmoidRampup(t: number, length: number): number {
  if (length === 0) return 1;
  const phase = 1 - Math.min(Math.max(t, 0), length) / length;
  return Math.exp(-5 * phase * phase);
}

/** Consistency weight: a staircase with 150-iteration steps, w_max·sigmoid_rampup(⌊k/150⌋, L). */
export function consistencyWeight(k: number, wMax: number, rampupEpochs: number, epochLength = 150): number {
  return wMax * sigmoidRampup(Math.floor(k / epochLength), rampupEpochs);
}

export type LrSchedule =
  | { kind: 'constant' }
  /** lr ← base·γ^(n/step) after the update whose 1-based count n is a multiple of `step` (UA-MT L239-242). */
  | { kind: 'step'; step: number; gamma: number }
  /** after 0-based update k, lr ← base·(1 − k/max)^power, used by update k+1 (SSL4MIS, AC-MT). */
  | { kind: 'poly'; power: number; maxIterations: number };

/** Learning rate used by the 0-based update `k`. */
export function learningRate(base: number, schedule: LrSchedule, k: number): number {
  switch (schedule.kind) {
    case 'constant':
      return base;
    case 'step':
      return base * schedule.gamma ** Math.floor(k / schedule.step);
    case 'poly':
      if (k === 0) return base;
      return base * Math.max(0, 1 - (k - 1) / schedule.maxIterations) ** schedule.power;
  }
}

/** Mean-teacher EMA decay for the update after 0-based step k: min(1 − 1/(k+1), α) (UA-MT L68-72). */
export function emaDecay(k: number, alpha: number, warmup = true): number {
  return warmup ? Math.min(1 - 1 / (k + 1), alpha) : alpha;
}
