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
  | { kind: 'poly'; power: number; maxIterations: number }
  /**
   * MCF (MCF:code/train_MCF.py L255-260): the running lr is multiplied by γ after the update whose
   * 0-based index is a non-zero multiple of `step`, one update later than `step` (updates 0..2500 use base).
   */
  | { kind: 'step-cumulative'; step: number; gamma: number };

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
    case 'step-cumulative': {
      // Repeated multiplication, as the script does: 0.01·0.1·0.1 is the double nearest 1e-4, unlike
      // 0.01·0.1**2 (METHOD-VECTORS §2), and the vectors compare lrs at 1e-12.
      let lr = base;
      const changes = k > 0 ? Math.floor((k - 1) / schedule.step) : 0;
      for (let i = 0; i < changes; i++) lr *= schedule.gamma;
      return lr;
    }
  }
}

/** Mean-teacher EMA decay for the update after 0-based step k: min(1 − 1/(k+1), α) (UA-MT L68-72). */
export function emaDecay(k: number, alpha: number, warmup = true): number {
  return warmup ? Math.min(1 - 1 / (k + 1), alpha) : alpha;
}

/** Cosine ramp-down 0.5·(cos(π·t/L) + 1) for 0 ≤ t ≤ L (UAMT:code/utils/ramps.py L38-41). */
export function cosineRampdown(current: number, length: number): number {
  if (!(current >= 0 && current <= length)) throw new RangeError(`cosineRampdown: needs 0 <= current <= length, got ${current}, ${length}`);
  return 0.5 * (Math.cos((Math.PI * current) / length) + 1);
}

/** Linear ramp-up t/L, 1 once t ≥ L (so 1 when L = 0) (UAMT:code/utils/ramps.py L29-35). */
export function linearRampup(current: number, length: number): number {
  if (!(current >= 0 && length >= 0)) throw new RangeError(`linearRampup: needs current >= 0 and length >= 0, got ${current}, ${length}`);
  return current >= length ? 1 : current / length;
}
