/**
 * @file `ssl-bench metrics <pred> <ref>`: Dice, Jaccard, 95HD and ASD of two mask files, computed as the
 * SSL papers' medpy calls do. Loads readers and metrics lazily so `--help` stays instant.
 */
import type { Command } from 'commander';
import { UsageError, SslBenchError, unknownChoice } from '../errors.js';

interface MetricsFlags {
  spacing?: string;
  labels?: string;
  semantics?: string;
  asdDirection?: string;
  json?: boolean;
}

interface LoadedMask {
  source: string;
  format: 'nifti' | 'hdf5';
  data: ArrayLike<number>;
  shape: number[];
  /** Header spacing in `shape` order (NIfTI only). */
  spacing?: number[];
  /** true when the array axes are the file's axes reversed (NIfTI read as [z, y, x]). */
  reversed: boolean;
}

const HDF5_SPEC = /^(.*\.(?:h5|hdf5|hdf))(?::(.*))?$/i;
const NIFTI_SPEC = /\.nii(?:\.gz)?$/i;

export function register(program: Command): void {
  program
    .command('metrics')
    .description('Dice, Jaccard, 95HD and ASD of a prediction mask against a reference mask (medpy semantics, as the papers)')
    .argument('<pred>', 'prediction: file.nii, file.nii.gz or file.h5:dataset')
    .argument('<ref>', 'reference (ground truth), same formats; same shape as <pred>')
    .option('--spacing <list>', 'voxel spacing per axis, comma-separated (x,y[,z]); default: NIfTI header, 1 for HDF5')
    .option('--labels <list>', 'score each label value separately and their mean, e.g. 1,2,3')
    .option('--semantics <name>', 'medpy (default, as the papers) or monai', 'medpy')
    .option('--asd-direction <dir>', 'pred-to-ref (default) or ref-to-pred (AC-MT final test)', 'pred-to-ref')
    .option('--json', 'print JSON instead of a table')
    .addHelpText(
      'after',
      `
Axes and spacing:
  --spacing lists one value per axis in the file's own axis order: NIfTI x,y,z (the pixdim order);
  HDF5 the dataset's axis order (LA mri_norm2.h5: x,y,z). The LA/Pancreas/BraTS/ACDC papers call medpy
  without spacing, so their 95HD and ASD are in voxels: use --spacing 1,1,1 to reproduce them.
  Trailing singleton NIfTI dims are dropped (an X×Y×1 slice is scored as 2-D).

Semantics:
  medpy  nonzero = foreground; 95HD = 95th percentile of both directions pooled; ASD = mean distance
         from the prediction's surface to the reference's. An empty prediction and/or reference scores
         0 for all four metrics (the papers' guard) and is flagged (emptyPrediction/emptyReference, note).
  monai  value 1 = foreground; 95HD = max of the per-direction 95th percentiles; empty masks give
         MONAI's NaN/inf, printed as "nan"/"inf" in JSON.

Examples:
  $ ssl-bench metrics pred.nii.gz gt.nii.gz --spacing 1,1,1 --json
  $ ssl-bench metrics pred.nii.gz /data/LA/ID/mri_norm2.h5:label --spacing 1,1,1
  $ ssl-bench metrics seg.nii.gz gt.nii.gz --labels 1,2,3          ACDC-style per-class table and mean
  $ ssl-bench metrics pred.nii.gz gt.nii.gz --semantics monai      MONAI's definitions (mm from the header)`,
    )
    .action(async (pred: string, ref: string, flags: MetricsFlags) => {
      await runMetrics(pred, ref, flags);
    });
}

async function runMetrics(predArg: string, refArg: string, flags: MetricsFlags): Promise<void> {
  const semantics = flags.semantics ?? 'medpy';
  if (semantics !== 'medpy' && semantics !== 'monai') throw unknownChoice('semantics', semantics, ['medpy', 'monai']);
  const asdDirection = flags.asdDirection ?? 'pred-to-ref';
  if (asdDirection !== 'pred-to-ref' && asdDirection !== 'ref-to-pred') {
    throw new UsageError(`--asd-direction '${asdDirection}' is invalid; expected pred-to-ref or ref-to-pred`);
  }
  const labels = flags.labels === undefined ? undefined : parseLabels(flags.labels);
  const cliSpacing = flags.spacing === undefined ? undefined : parseSpacing(flags.spacing);
  parseSpec(predArg);
  parseSpec(refArg);

  const [p, r] = await Promise.all([loadMask(predArg), loadMask(refArg)]);
  const [pred, ref] = await alignAxes(p, r);

  if (pred.shape.length !== ref.shape.length || pred.shape.some((s, i) => s !== ref.shape[i])) {
    throw new SslBenchError(
      'SSLB_METRICS_SHAPE',
      `shapes differ: ${pred.source} is ${describeShape(pred)} but ${ref.source} is ${describeShape(ref)}; expected the same shape`,
    );
  }
  const spacing = chooseSpacing(pred, ref, cliSpacing);
  if (labels === undefined) {
    await requireBinary(pred);
    await requireBinary(ref);
  }

  const { binaryMetrics, labelMetrics } = await import('../metrics/index.js');
  const options = { spacing, semantics, asdDirection } as const;
  const units = spacing.every((s) => s === 1) ? 'voxel' : 'mm';
  if (labels === undefined) {
    const m = binaryMetrics(pred.data, ref.data, pred.shape, options);
    if (flags.json) {
      process.stdout.write(JSON.stringify(jsonMetrics(m)) + '\n');
      return;
    }
    await printTable([['foreground', m]], undefined, units, pred, spacing, semantics);
    return;
  }
  const lm = labelMetrics(pred.data, ref.data, pred.shape, labels, options);
  if (flags.json) {
    const out: { labels: Record<string, unknown>; mean: unknown } = { labels: {}, mean: jsonMetrics(lm.mean) };
    for (const [k, v] of Object.entries(lm.labels)) out.labels[k] = jsonMetrics(v);
    process.stdout.write(JSON.stringify(out) + '\n');
    return;
  }
  await printTable(Object.entries(lm.labels), lm.mean, units, pred, spacing, semantics);
}

function parseSpec(arg: string): { format: 'nifti' | 'hdf5'; file: string; dataset?: string } {
  const h5 = HDF5_SPEC.exec(arg);
  if (h5) {
    if (!h5[2]) throw new UsageError(`'${arg}' names an HDF5 file without a dataset; expected file.h5:dataset (e.g. mri_norm2.h5:label)`);
    return { format: 'hdf5', file: h5[1], dataset: h5[2] };
  }
  if (NIFTI_SPEC.test(arg)) return { format: 'nifti', file: arg };
  throw new UsageError(`'${arg}' is not a supported mask; expected file.nii, file.nii.gz or file.h5:dataset`);
}

async function loadMask(arg: string): Promise<LoadedMask> {
  const spec = parseSpec(arg);
  if (spec.format === 'hdf5') {
    const { readHdf5 } = await import('../data/formats/hdf5.js');
    const ds = await readHdf5(spec.file, spec.dataset!);
    return { source: arg, format: 'hdf5', data: ds.data, shape: ds.shape, reversed: false };
  }
  const { readNifti } = await import('../data/formats/nifti.js');
  const vol = await readNifti(spec.file);
  return { source: arg, format: 'nifti', data: vol.data, shape: vol.shape, spacing: vol.spacing, reversed: true };
}

/**
 * NIfTI volumes come back in C order ([z, y, x]); HDF5 datasets in their stored order, which for the
 * papers' files is x, y, z. When the two formats meet, the NIfTI one is transposed to x, y, z so that
 * voxels line up; the metrics do not depend on which consistent axis order is used.
 */
async function alignAxes(p: LoadedMask, r: LoadedMask): Promise<[LoadedMask, LoadedMask]> {
  if (p.format === r.format) return [p, r];
  const { toHeaderAxisOrder } = await import('../data/formats/nifti.js');
  const fix = (m: LoadedMask): LoadedMask => {
    if (!m.reversed) return m;
    const t = toHeaderAxisOrder({ data: m.data as Float32Array, shape: m.shape, spacing: m.spacing ?? m.shape.map(() => 1) });
    return { ...m, data: t.data, shape: t.shape, spacing: t.spacing, reversed: false };
  };
  return [fix(p), fix(r)];
}

/** Values per array axis, listed in the file's own axis order (NIfTI: x, y, z). */
function fileAxisOrder<T>(m: LoadedMask, values: readonly T[]): T[] {
  return m.reversed ? [...values].reverse() : [...values];
}

function describeShape(m: LoadedMask): string {
  return fileAxisOrder(m, m.shape).join('×') + (m.format === 'nifti' && m.shape.length > 1 ? ' (x×y×z)' : '');
}

function chooseSpacing(pred: LoadedMask, ref: LoadedMask, cli: number[] | undefined): number[] {
  const n = pred.shape.length;
  if (cli !== undefined) {
    if (cli.length !== n) {
      throw new UsageError(`--spacing has ${cli.length} values but the masks have ${n} axes (${describeShape(pred)}); expected ${n} values`);
    }
    // --spacing is in the file's axis order; NIfTI arrays are held reversed.
    return fileAxisOrder(pred, cli);
  }
  const headers = [pred, ref].filter((m) => m.format === 'nifti' && m.spacing !== undefined);
  if (headers.length === 0) return new Array<number>(n).fill(1);
  const chosen = headers[headers.length - 1].spacing!;
  for (const m of headers) {
    const s = m.spacing!;
    if (s.some((v, i) => Math.abs(v - chosen[i]) > 1e-6 * Math.max(Math.abs(v), Math.abs(chosen[i])))) {
      throw new SslBenchError(
        'SSLB_METRICS_SPACING',
        `header spacings differ: ${pred.source} ${fileAxisOrder(pred, pred.spacing!).join(',')} vs ${ref.source} ${fileAxisOrder(ref, ref.spacing!).join(',')}; pass --spacing to choose`,
      );
    }
  }
  if (chosen.some((v) => !Number.isFinite(v) || v <= 0)) {
    const m = headers[headers.length - 1];
    throw new SslBenchError('SSLB_METRICS_SPACING', `${m.source} has no usable spacing in its header (${fileAxisOrder(m, chosen).join(',')}); pass --spacing`);
  }
  return [...chosen];
}

async function requireBinary(m: LoadedMask): Promise<void> {
  const { firstNonBinary } = await import('../metrics/masks.js');
  const v = firstNonBinary(m.data);
  if (v !== undefined) {
    throw new SslBenchError(
      'SSLB_METRICS_NOT_BINARY',
      `${m.source} is not a binary mask (value ${v} found); pass --labels (e.g. --labels 1,2,3) to score each label`,
    );
  }
}

function parseNumberList(flag: string, text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((s) => s === '')) throw new UsageError(`${flag} '${text}' is invalid; expected comma-separated numbers`);
  return parts.map((s) => {
    const v = Number(s);
    if (!Number.isFinite(v)) throw new UsageError(`${flag} '${text}' is invalid: '${s}' is not a number`);
    return v;
  });
}

function parseSpacing(text: string): number[] {
  const values = parseNumberList('--spacing', text);
  if (values.some((v) => v <= 0)) throw new UsageError(`--spacing '${text}' is invalid; expected positive values such as 1,1,1`);
  return values;
}

function parseLabels(text: string): number[] {
  const values = parseNumberList('--labels', text);
  if (values.some((v) => !Number.isInteger(v))) throw new UsageError(`--labels '${text}' is invalid; expected integer label values such as 1,2,3`);
  if (new Set(values).size !== values.length) throw new UsageError(`--labels '${text}' lists a label twice`);
  return values;
}

type Scalar = number | string;

function finite(v: number): Scalar {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return v;
}

function jsonMetrics(m: {
  dice: number;
  jaccard: number;
  hd95: number;
  asd: number;
  emptyPrediction?: boolean;
  emptyReference?: boolean;
  note?: string;
}): Record<string, Scalar | boolean> {
  const out: Record<string, Scalar | boolean> = {
    dice: finite(m.dice),
    jaccard: finite(m.jaccard),
    hd95: finite(m.hd95),
    asd: finite(m.asd),
  };
  if (m.emptyPrediction !== undefined) out.emptyPrediction = m.emptyPrediction;
  if (m.emptyReference !== undefined) out.emptyReference = m.emptyReference;
  if (m.note !== undefined) out.note = m.note;
  return out;
}

async function printTable(
  rows: Array<[string, { dice: number; jaccard: number; hd95: number; asd: number; note?: string }]>,
  mean: { dice: number; jaccard: number; hd95: number; asd: number } | undefined,
  units: string,
  shapeOf: LoadedMask,
  spacing: number[],
  semantics: string,
): Promise<void> {
  const { default: Table } = await import('cli-table3');
  const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(4) : String(v));
  // Colour codes only on a terminal: piped output is read by scripts and diffs.
  const style = process.stdout.isTTY ? {} : { head: [] as string[], border: [] as string[] };
  const table = new Table({ head: ['label', 'Dice', 'Jaccard', `95HD (${units})`, `ASD (${units})`, 'note'], style });
  for (const [label, m] of rows) table.push([label, fmt(m.dice), fmt(m.jaccard), fmt(m.hd95), fmt(m.asd), m.note ?? '']);
  if (mean !== undefined) table.push(['mean', fmt(mean.dice), fmt(mean.jaccard), fmt(mean.hd95), fmt(mean.asd), '']);
  process.stdout.write(
    `shape ${describeShape(shapeOf)}, spacing ${fileAxisOrder(shapeOf, spacing).join(',')}, semantics ${semantics}\n` + table.toString() + '\n',
  );
}
