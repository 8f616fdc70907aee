/**
 * @file Dice, Jaccard, 95HD and ASD as the SSL papers compute them (medpy.metric.binary, METRICS.md), and
 * a MONAI-flavoured variant.
 *
 * medpy semantics (the default): nonzero is foreground; surfaces by erosion with face neighbours, outside
 * the array counted as background; exact Euclidean distances between surface voxel centres with per-axis
 * spacing; hd95 = numpy's linear 95th percentile of both directions pooled; asd = mean over the
 * prediction's surface of the distance to the reference surface (reversible via `asdDirection` for
 * AC-MT's final test). Everything in float64.
 *
 * Empty masks: medpy raises, so the papers' test loops decide (METRICS.md §7, §9). Here an empty
 * prediction, an empty reference, or both score (0, 0, 0, 0) — what UA-MT/DTC/MCF/BCP/CML record for an
 * empty prediction and what SSL4MIS/AC-MT `cal_metric` record when either side is empty — and the result
 * says so in `emptyPrediction` / `emptyReference` / `note`. In 'monai' mode the MONAI values (NaN, +∞) are
 * returned instead, again flagged.
 */
import { SslBenchError } from '../errors.js';
import { distancesToFeatures } from './edt.js';
import { NONZERO, cropPair, equalTo, scanPair, surfaceOf, type Selector } from './masks.js';
import { numpyMean, percentileLinear } from './stats.js';

export { percentileLinear, numpyMean, pairwiseSum } from './stats.js';

export type Semantics = 'medpy' | 'monai';

export const SEMANTICS: readonly Semantics[] = ['medpy', 'monai'];

export interface MetricOptions {
  /** Per array axis, same order as `shape`; default 1 for every axis (the papers' voxel units). */
  spacing?: readonly number[];
  /** 'medpy' (default) as the papers; 'monai' as MONAI's compute_* functions (METRICS.md §8). */
  semantics?: Semantics;
  /** 'pred-to-ref' (default, every paper but AC-MT's final test) or 'ref-to-pred'. */
  asdDirection?: 'pred-to-ref' | 'ref-to-pred';
}

export interface BinaryMetrics {
  dice: number;
  jaccard: number;
  hd95: number;
  asd: number;
  emptyPrediction: boolean;
  emptyReference: boolean;
  /** how an empty mask was scored, e.g. 'empty-prediction-scored-zero' */
  note?: string;
}

export interface LabelMetrics {
  labels: Record<string, BinaryMetrics>;
  mean: { dice: number; jaccard: number; hd95: number; asd: number };
}

/** Notes attached to results with an empty mask. Stable strings: reports and tests match on them. */
export const EMPTY_NOTES = {
  emptyPrediction: 'empty-prediction-scored-zero',
  emptyReference: 'empty-reference-scored-zero',
  bothEmpty: 'both-empty-scored-zero',
  monaiEmptyPrediction: 'monai-empty-prediction: hd95 NaN, asd +Infinity',
  monaiEmptyReference: 'monai-empty-reference: dice/jaccard NaN (ignore_empty), hd95 NaN, asd +Infinity',
  monaiBothEmpty: 'monai-both-empty: dice/jaccard/hd95/asd NaN',
} as const;

/**
 * Binary metrics of `pred` against `ref` (C-order arrays of `shape`). medpy: nonzero = foreground;
 * monai: value 1 = foreground (MONAI's `get_mask_edges` compares with label 1).
 */
export function binaryMetrics(
  pred: ArrayLike<number>,
  ref: ArrayLike<number>,
  shape: readonly number[],
  options: MetricOptions = {},
): BinaryMetrics {
  const resolved = resolve(pred, ref, shape, options);
  return compute(pred, ref, resolved, resolved.semantics === 'monai' ? equalTo(1) : NONZERO);
}

/** Metrics of `pred == c` against `ref == c` for every label c, and their mean over labels. */
export function labelMetrics(
  pred: ArrayLike<number>,
  ref: ArrayLike<number>,
  shape: readonly number[],
  labels: readonly number[],
  options: MetricOptions = {},
): LabelMetrics {
  const resolved = resolve(pred, ref, shape, options);
  if (labels.length === 0) throw new SslBenchError('SSLB_METRICS_INPUT', 'labelMetrics: no labels given; expected at least one label value');
  const seen = new Set<string>();
  const out: Record<string, BinaryMetrics> = {};
  for (const label of labels) {
    if (!Number.isFinite(label)) throw new SslBenchError('SSLB_METRICS_INPUT', `labelMetrics: label ${label} is not a finite number`);
    const key = String(label);
    if (seen.has(key)) throw new SslBenchError('SSLB_METRICS_INPUT', `labelMetrics: label ${key} is listed twice`);
    seen.add(key);
    out[key] = compute(pred, ref, resolved, equalTo(label));
  }
  const values = Object.values(out);
  // medpy: the papers average every class, zero-scored empties included. MONAI's do_metric_reduction
  // skips NaN entries.
  const reduce = resolved.semantics === 'monai' ? nanMean : plainMean;
  return {
    labels: out,
    mean: {
      dice: reduce(values.map((m) => m.dice)),
      jaccard: reduce(values.map((m) => m.jaccard)),
      hd95: reduce(values.map((m) => m.hd95)),
      asd: reduce(values.map((m) => m.asd)),
    },
  };
}

function plainMean(xs: number[]): number {
  return numpyMean(Float64Array.from(xs));
}

function nanMean(xs: number[]): number {
  return numpyMean(Float64Array.from(xs.filter((x) => !Number.isNaN(x))));
}

interface Resolved {
  shape: number[];
  spacing: number[];
  semantics: Semantics;
  asdFromRef: boolean;
}

function resolve(pred: ArrayLike<number>, ref: ArrayLike<number>, shape: readonly number[], options: MetricOptions): Resolved {
  // medpy promotes 0-d input to 1-d.
  const dims = shape.length === 0 ? [1] : [...shape];
  let size = 1;
  for (const s of dims) {
    if (!Number.isInteger(s) || s < 1) {
      throw new SslBenchError('SSLB_METRICS_INPUT', `metrics: shape [${shape.join(', ')}] is invalid; expected positive integer sizes`);
    }
    size *= s;
  }
  if (pred.length !== size || ref.length !== size) {
    throw new SslBenchError(
      'SSLB_METRICS_INPUT',
      `metrics: shape [${shape.join(', ')}] holds ${size} voxels but prediction has ${pred.length} and reference ${ref.length}`,
    );
  }
  let spacing: number[];
  if (options.spacing === undefined) {
    spacing = dims.map(() => 1);
  } else {
    spacing = [...options.spacing];
    if (shape.length === 0 && spacing.length === 1) {
      // 0-d promoted to 1-d takes one spacing value.
    } else if (spacing.length !== dims.length) {
      throw new SslBenchError(
        'SSLB_METRICS_INPUT',
        `metrics: spacing has ${spacing.length} values for ${dims.length} axes; expected one positive value per array axis`,
      );
    }
    for (const s of spacing) {
      if (!Number.isFinite(s) || s <= 0) {
        throw new SslBenchError('SSLB_METRICS_INPUT', `metrics: spacing [${spacing.join(', ')}] is invalid; expected finite positive values`);
      }
    }
  }
  const semantics = options.semantics ?? 'medpy';
  if (semantics !== 'medpy' && semantics !== 'monai') {
    throw new SslBenchError('SSLB_METRICS_INPUT', `metrics: unknown semantics '${String(semantics)}'; known: ${SEMANTICS.join(', ')}`);
  }
  const dir = options.asdDirection ?? 'pred-to-ref';
  if (dir !== 'pred-to-ref' && dir !== 'ref-to-pred') {
    throw new SslBenchError('SSLB_METRICS_INPUT', `metrics: unknown asdDirection '${String(dir)}'; known: pred-to-ref, ref-to-pred`);
  }
  return { shape: dims, spacing, semantics, asdFromRef: dir === 'ref-to-pred' };
}

function compute(pred: ArrayLike<number>, ref: ArrayLike<number>, r: Resolved, sel: Selector): BinaryMetrics {
  const scan = scanPair(pred, ref, r.shape, sel);
  const emptyPrediction = scan.nPred === 0;
  const emptyReference = scan.nRef === 0;
  if (emptyPrediction || emptyReference) return scoreEmpty(r.semantics, scan.nPred, scan.nRef, scan.intersection);

  const union = scan.nPred + scan.nRef - scan.intersection;
  const dice = (2 * scan.intersection) / (scan.nPred + scan.nRef);
  const jaccard = scan.intersection / union;

  const crop = cropPair(pred, ref, r.shape, sel, scan.lo!, scan.hi!);
  const sp = surfaceOf(crop.pred, crop.shape);
  const sr = surfaceOf(crop.ref, crop.shape);
  const work = new Float64Array(crop.pred.length);
  const predToRef = distancesToFeatures(sr.mask, crop.shape, r.spacing, sp.indices, work);
  const refToPred = distancesToFeatures(sp.mask, crop.shape, r.spacing, sr.indices, work);

  // Means first: the percentile sorts its input in place.
  const asd = numpyMean(r.asdFromRef ? refToPred : predToRef);
  let hd95: number;
  if (r.semantics === 'monai') {
    hd95 = Math.max(percentileLinear(predToRef.slice(), 95), percentileLinear(refToPred.slice(), 95));
  } else {
    const pooled = new Float64Array(predToRef.length + refToPred.length);
    pooled.set(predToRef, 0);
    pooled.set(refToPred, predToRef.length);
    hd95 = percentileLinear(pooled, 95);
  }
  return { dice, jaccard, hd95, asd, emptyPrediction: false, emptyReference: false };
}

function scoreEmpty(semantics: Semantics, nPred: number, nRef: number, intersection: number): BinaryMetrics {
  const emptyPrediction = nPred === 0;
  const emptyReference = nRef === 0;
  const flags = { emptyPrediction, emptyReference };
  if (semantics === 'medpy') {
    const note = emptyPrediction && emptyReference ? EMPTY_NOTES.bothEmpty : emptyPrediction ? EMPTY_NOTES.emptyPrediction : EMPTY_NOTES.emptyReference;
    return { dice: 0, jaccard: 0, hd95: 0, asd: 0, ...flags, note };
  }
  // MONAI (METRICS.md §7, §8): every distance to an empty surface is +∞; a percentile of +∞ values is NaN;
  // nothing to average over gives NaN; Dice/IoU with an empty reference are NaN under ignore_empty=True.
  if (emptyPrediction && emptyReference) {
    return { dice: NaN, jaccard: NaN, hd95: NaN, asd: NaN, ...flags, note: EMPTY_NOTES.monaiBothEmpty };
  }
  if (emptyReference) {
    return { dice: NaN, jaccard: NaN, hd95: NaN, asd: Infinity, ...flags, note: EMPTY_NOTES.monaiEmptyReference };
  }
  const dice = (2 * intersection) / (nPred + nRef);
  const jaccard = intersection / (nPred + nRef - intersection);
  return { dice, jaccard, hd95: NaN, asd: Infinity, ...flags, note: EMPTY_NOTES.monaiEmptyPrediction };
}
