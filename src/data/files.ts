/**
 * @file The files of a dataset on disk: where they live, whether they are present and intact, and
 * adopting copies a user already has (`datasets import`). A file counts as verified only when its
 * sha256 (and size) match the catalog; files without a published checksum are checked for presence,
 * size when known, and their format signature.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { SslBenchError, UsageError } from '../errors.js';
import type { DatasetEntry, FileSpec } from './catalog.js';

/** Folder of one dataset under the data directory. */
export function datasetDir(entry: DatasetEntry, dataDir: string): string {
  if (!entry.layout) throw new SslBenchError('SSLB_NO_FILES', `dataset ${entry.id} has no files (it is ${entry.kind === 'synthetic' ? 'generated on the fly' : 'not file-backed'})`);
  return path.join(dataDir, entry.layout.dir);
}

export function catalogFiles(entry: DatasetEntry): FileSpec[] {
  if (!entry.source) throw new SslBenchError('SSLB_NO_FILES', `dataset ${entry.id} has no files (it is ${entry.kind === 'synthetic' ? 'generated on the fly' : 'not file-backed'})`);
  return entry.source.files;
}

/**
 * Whether a catalog file belongs to case `id`: a folder named after it (`<id>/mri_norm2.h5`), or a base
 * name that is the id or starts with it (`<id>.h5`, `<id>_slice_3.h5`, `<id>_ses-0001_msk.nii.gz`).
 */
export function fileMatchesCase(filePath: string, id: string): boolean {
  const parts = filePath.split('/');
  const name = parts[parts.length - 1];
  if (parts.slice(0, -1).includes(id)) return true;
  return name === id || name.startsWith(`${id}.`) || name.startsWith(`${id}_`);
}

/** The catalog files of the given cases (all files when `cases` is undefined); unknown ids are a usage error. */
export function selectFiles(entry: DatasetEntry, cases?: readonly string[]): FileSpec[] {
  const files = catalogFiles(entry);
  if (!cases) return files;
  const unknown = cases.filter((id) => !files.some((f) => fileMatchesCase(f.path, id)));
  if (unknown.length > 0) {
    throw new UsageError(`--cases: dataset ${entry.id} has no file for case(s) ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}`, 'SSLB_UNKNOWN_CASE');
  }
  return files.filter((f) => cases.some((id) => fileMatchesCase(f.path, id)));
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export type FileState = 'verified' | 'present' | 'missing' | 'corrupt';

export interface FileCheck {
  path: string;
  file: string;
  /** verified: checksum matched; present: no checksum known, size/signature fine; corrupt: a mismatch. */
  state: FileState;
  size?: number;
  sha256?: string;
  /** Why a file is corrupt, or that a partial download is waiting to be resumed. */
  message?: string;
}

/** Checks one file against its catalog spec without modifying anything. */
export async function checkFile(spec: FileSpec, file: string): Promise<FileCheck> {
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) return { path: spec.path, file, state: 'corrupt', message: `${file} is not a regular file` };
    size = st.size;
  } catch {
    const part = await stat(file + '.part').catch(() => null);
    return { path: spec.path, file, state: 'missing', ...(part ? { message: `partial download ${file}.part (${part.size} bytes) can be resumed` } : {}) };
  }
  if (spec.size !== undefined && size !== spec.size) {
    return { path: spec.path, file, state: 'corrupt', size, message: `${file}: size ${size} bytes, expected ${spec.size}` };
  }
  if (spec.sha256) {
    const sha = await sha256File(file);
    if (sha !== spec.sha256) return { path: spec.path, file, state: 'corrupt', size, sha256: sha, message: `${file}: sha256 ${sha}, expected ${spec.sha256}` };
    return { path: spec.path, file, state: 'verified', size, sha256: sha };
  }
  // The catalog name decides the format: `file` may be a `.part` or a user's differently named copy.
  const bad = await signatureProblem(file, spec.path);
  if (bad) return { path: spec.path, file, state: 'corrupt', size, message: `${file}: ${bad}` };
  return { path: spec.path, file, state: 'present', size };
}

const HDF5_MAGIC = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A cheap format check for files without a checksum: HDF5 superblock signature, gzip or NIfTI magic. */
export async function signatureProblem(file: string, formatName = file): Promise<string | null> {
  const lower = formatName.toLowerCase();
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(352);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (lower.endsWith('.h5') || lower.endsWith('.hdf5')) {
      // The superblock may follow a user block of 512 * 2^k bytes.
      for (const offset of [0, 512, 1024, 2048]) {
        const probe = Buffer.alloc(8);
        const r = await fh.read(probe, 0, 8, offset);
        if (r.bytesRead === 8 && probe.equals(HDF5_MAGIC)) return null;
      }
      return 'not an HDF5 file (no superblock signature)';
    }
    if (lower.endsWith('.nii.gz')) {
      return bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b ? null : 'not gzip-compressed (expected a .nii.gz NIfTI file)';
    }
    if (lower.endsWith('.nii')) {
      const ok = bytesRead >= 348 && (head.readInt32LE(0) === 348 || head.readInt32BE(0) === 348 || head.readInt32LE(0) === 540 || head.readInt32BE(0) === 540);
      return ok ? null : 'not a NIfTI file (bad header size field)';
    }
    return null;
  } finally {
    await fh.close();
  }
}

export interface CheckOptions {
  cases?: readonly string[];
  /** Called after each file, for progress. */
  onFile?: (done: number, total: number, check: FileCheck) => void;
}

/** Checks every catalog file of the dataset (or of `cases`), in catalog order. */
export async function checkDataset(entry: DatasetEntry, dataDir: string, options: CheckOptions = {}): Promise<FileCheck[]> {
  const root = datasetDir(entry, dataDir);
  const files = selectFiles(entry, options.cases);
  const out: FileCheck[] = new Array(files.length);
  let next = 0;
  let done = 0;
  // Hashing is I/O plus CPU; two at a time keeps a disk busy without starving other work.
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      out[i] = await checkFile(files[i], path.join(root, files[i].path));
      done++;
      options.onFile?.(done, files.length, out[i]);
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}

export type ImportState = 'imported' | 'already-present' | 'not-found' | 'corrupt';

export interface ImportOutcome {
  path: string;
  state: ImportState;
  /** The file adopted (imported) or rejected (corrupt). */
  from?: string;
  how?: 'copy' | 'link';
  message?: string;
}

export interface ImportOptions {
  /** Hard-link instead of copying (falls back to a copy across file systems). */
  link?: boolean;
  cases?: readonly string[];
  onFile?: (done: number, total: number, outcome: ImportOutcome) => void;
}

/** Candidate locations of a catalog file under a user's folder, from `layout.importPaths`. */
export function importCandidates(entry: DatasetEntry, spec: FileSpec, from: string): string[] {
  const templates = entry.layout?.importPaths?.length ? entry.layout.importPaths : ['{path}'];
  const name = path.posix.basename(spec.path);
  const dir = path.posix.dirname(spec.path);
  const seen = new Set<string>();
  for (const t of templates) {
    const rel = t.replaceAll('{path}', spec.path).replaceAll('{name}', name).replaceAll('{dir}', dir);
    seen.add(path.join(from, rel));
  }
  return [...seen];
}

/**
 * Adopts files a user already has: each catalog file is looked for under `from` (see importCandidates),
 * checked against its checksum before it is placed, and copied (or hard-linked) into the dataset folder
 * through a temporary name, so an interrupted import never leaves a half file under the real name.
 * Files already present and verified are left alone.
 */
export async function importDataset(entry: DatasetEntry, dataDir: string, from: string, options: ImportOptions = {}): Promise<ImportOutcome[]> {
  const fromStat = await stat(from).catch(() => null);
  if (!fromStat?.isDirectory()) throw new SslBenchError('SSLB_IMPORT', `--from ${from}: not a directory`);
  const root = datasetDir(entry, dataDir);
  const files = selectFiles(entry, options.cases);
  const out: ImportOutcome[] = [];
  for (const spec of files) {
    const outcome = await importOne(entry, spec, root, from, options);
    out.push(outcome);
    options.onFile?.(out.length, files.length, outcome);
  }
  return out;
}

async function importOne(entry: DatasetEntry, spec: FileSpec, root: string, from: string, options: ImportOptions): Promise<ImportOutcome> {
  const dest = path.join(root, spec.path);
  const existing = await checkFile(spec, dest);
  if (existing.state === 'verified' || existing.state === 'present') return { path: spec.path, state: 'already-present' };
  let source: string | undefined;
  for (const candidate of importCandidates(entry, spec, from)) {
    const st = await stat(candidate).catch(() => null);
    if (st?.isFile()) {
      source = candidate;
      break;
    }
  }
  if (!source) return { path: spec.path, state: 'not-found' };
  if (path.resolve(source) === path.resolve(dest)) return { path: spec.path, state: 'corrupt', from: source, message: existing.message };
  const check = await checkFile(spec, source);
  if (check.state === 'corrupt') return { path: spec.path, state: 'corrupt', from: source, message: check.message };
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.import-${process.pid}`;
  await rm(tmp, { force: true });
  let how: 'copy' | 'link' = 'copy';
  if (options.link) {
    try {
      await link(source, tmp);
      how = 'link';
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') throw wrapIo(err, `cannot link ${source} to ${tmp}`);
    }
  }
  try {
    if (how === 'copy') await copyFile(source, tmp);
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw wrapIo(err, `cannot place ${dest}`);
  }
  return { path: spec.path, state: 'imported', from: source, how };
}

function wrapIo(err: unknown, what: string): SslBenchError {
  const e = err as NodeJS.ErrnoException;
  return new SslBenchError('SSLB_IO', `${what}: ${e.code ?? e.message}`);
}
