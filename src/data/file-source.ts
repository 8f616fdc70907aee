/**
 * @file Cases of a file-backed dataset, read from `<dataDir>/<layout.dir>/` with the readers its catalog
 * entry lists (LA and ACDC/BraTS/Pancreas h5, ISLES and raw BraTS NIfTI). Each case id is looked up
 * through the readers' path templates in order; the first reader whose files all exist reads it.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { SslBenchError } from '../errors.js';
import type { DatasetEntry, Hdf5ReaderSpec, NiftiReaderSpec, ReaderSpec } from './catalog.js';
import type { CaseSource, Volume } from './types.js';
import { applySteps, type RawCase } from './preprocess.js';

/** The files one reader would read for a case. */
export interface CaseFiles {
  reader: ReaderSpec;
  /** hdf5: one file; nifti: image then label. */
  files: string[];
}

export class FileSource implements CaseSource {
  readonly datasetId: string;
  readonly root: string;

  constructor(readonly entry: DatasetEntry, dataDir: string) {
    if (!entry.layout) throw new SslBenchError('SSLB_CATALOG', `dataset ${entry.id}: no layout in the catalog, so its files cannot be read`);
    this.datasetId = entry.id;
    this.root = path.join(dataDir, entry.layout.dir);
  }

  /** Where case `id` is on disk, or null when no reader finds all its files. */
  async locate(id: string): Promise<CaseFiles | null> {
    for (const reader of this.entry.layout!.readers) {
      if (reader.format === 'hdf5') {
        const file = await firstExisting(this.root, reader.paths, id);
        if (file) return { reader, files: [file] };
      } else {
        const image = await firstExisting(this.root, reader.image, id);
        const label = image ? await firstExisting(this.root, reader.label, id) : null;
        if (image && label) return { reader, files: [image, label] };
      }
    }
    return null;
  }

  async missing(ids: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    // stat() calls are cheap but thousands of ACDC slices add up; 16 at a time.
    for (let i = 0; i < ids.length; i += 16) {
      const chunk = ids.slice(i, i + 16);
      const found = await Promise.all(chunk.map((id) => this.locate(id)));
      chunk.forEach((id, j) => {
        if (!found[j]) out.push(id);
      });
    }
    return out;
  }

  async load(id: string): Promise<Volume> {
    const where = await this.locate(id);
    if (!where) {
      const r = this.entry.layout!.readers[0];
      const expected = path.join(this.root, (r.format === 'hdf5' ? r.paths[0] : r.image[0]).replaceAll('{id}', id));
      throw new SslBenchError('SSLB_CASE_MISSING', `case ${id} of ${this.entry.id} is missing: expected ${expected}; ${fetchHint(this.entry)}`);
    }
    const raw = where.reader.format === 'hdf5' ? await readHdf5Case(where.reader, where.files[0]) : await readNiftiCase(where.reader, where.files[0], where.files[1]);
    const reader = where.reader;
    const named = where.files.join(' + ');
    let c: RawCase = { shape: raw.shape, image: raw.image, label: raw.label };
    if (reader.labelMap === 'binary') {
      for (let i = 0; i < c.label.length; i++) if (c.label[i] !== 0) c.label[i] = 1;
    }
    checkLabels(c.label, this.entry.classes.length, where.files[where.files.length - 1]);
    if (reader.preprocess?.length) c = applySteps(reader.preprocess, c, named);
    const spacing = raw.spacing ?? (this.entry.spacing.length === c.shape.length ? [...this.entry.spacing] : undefined);
    const vol: Volume = { id, shape: c.shape, image: c.image, label: c.label };
    if (spacing) vol.spacing = spacing;
    return vol;
  }
}

export async function openFileSource(entry: DatasetEntry, dataDir: string): Promise<CaseSource> {
  return new FileSource(entry, dataDir);
}

/** How to get a dataset's files: download for direct sources, the manual steps + import otherwise. */
export function fetchHint(entry: DatasetEntry): string {
  if (entry.source?.access === 'direct') return `fetch them with \`ssl-bench datasets download ${entry.id}\``;
  return `it needs a manual download; see \`ssl-bench datasets info ${entry.id}\`, then \`ssl-bench datasets import ${entry.id} --from DIR\``;
}

/**
 * The one-line refusal the run command prints when cases are absent:
 * "missing 48 cases of LA (5FKQL4K14KCB72Y8YMC2, ... and 45 more); fetch them with `ssl-bench datasets download LA`".
 */
export function describeMissing(entry: DatasetEntry, missingIds: readonly string[], shown = 3): string {
  const head = missingIds.slice(0, shown).join(', ');
  const more = missingIds.length > shown ? ` and ${missingIds.length - shown} more` : '';
  return `missing ${missingIds.length} case${missingIds.length === 1 ? '' : 's'} of ${entry.id} (${head}${more}); ${fetchHint(entry)}`;
}

async function firstExisting(root: string, templates: readonly string[], id: string): Promise<string | null> {
  for (const t of templates) {
    const file = path.join(root, t.replaceAll('{id}', id));
    const st = await stat(file).catch(() => null);
    if (st?.isFile()) return file;
  }
  return null;
}

interface ReadCase extends RawCase {
  spacing?: number[];
}

async function readHdf5Case(reader: Hdf5ReaderSpec, file: string): Promise<ReadCase> {
  const { readHdf5 } = await import('./formats/hdf5.js');
  const img = await readHdf5(file, reader.image);
  const lab = await readHdf5(file, reader.label);
  if (!sameShape(img.shape, lab.shape)) {
    throw new SslBenchError('SSLB_CASE_SHAPE', `${file}: '${reader.image}' has shape [${img.shape.join(', ')}] but '${reader.label}' has [${lab.shape.join(', ')}]; expected the same shape`);
  }
  if (img.shape.length < 2) throw new SslBenchError('SSLB_CASE_SHAPE', `${file}: '${reader.image}' has shape [${img.shape.join(', ')}]; expected a 2-D slice or a 3-D volume`);
  return { shape: img.shape, image: toFloat32(img.data), label: toLabel(lab.data, `${file}:${reader.label}`) };
}

async function readNiftiCase(reader: NiftiReaderSpec, imageFile: string, labelFile: string): Promise<ReadCase> {
  const { readNifti, toHeaderAxisOrder } = await import('./formats/nifti.js');
  // The header's axis order (x, y, z) is the order nibabel and the h5 files use; patch sizes refer to it.
  const img = toHeaderAxisOrder(await readNifti(imageFile));
  const lab = toHeaderAxisOrder(await readNifti(labelFile));
  if (!sameShape(img.shape, lab.shape)) {
    throw new SslBenchError('SSLB_CASE_SHAPE', `${labelFile}: shape [${lab.shape.join(', ')}] differs from the image ${imageFile} [${img.shape.join(', ')}]`);
  }
  return { shape: img.shape, image: toFloat32(img.data), label: toLabel(lab.data, labelFile), spacing: img.spacing };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function toFloat32(data: ArrayLike<number>): Float32Array {
  if (data instanceof Float32Array) return data;
  return Float32Array.from(data);
}

/** Labels as uint8; float label maps (MC-Net+ writes float32) must hold whole numbers. */
function toLabel(data: ArrayLike<number>, where: string): Uint8Array {
  if (data instanceof Uint8Array) return data;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    const r = Math.round(v);
    if (Math.abs(v - r) > 1e-3 || r < 0 || r > 255) {
      throw new SslBenchError('SSLB_CASE_LABEL', `${where}: label value ${v} at index ${i}; expected whole numbers 0..255`);
    }
    out[i] = r;
  }
  return out;
}

function checkLabels(label: Uint8Array, classes: number, where: string): void {
  let max = 0;
  for (let i = 0; i < label.length; i++) if (label[i] > max) max = label[i];
  if (max >= classes) {
    throw new SslBenchError('SSLB_CASE_LABEL', `${where}: label value ${max} found; expected 0..${classes - 1} (${classes} classes)`);
  }
}
