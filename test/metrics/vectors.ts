/**
 * @file Loads the metric test vectors (METRICS.md §11). The project copy under test/fixtures is preferred;
 * the shared reference folder next to the checkout is the fallback for a checkout without fixtures.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export interface MaskEncoding {
  encoding: 'indices' | 'rle';
  data: number[] | Array<[number, number]>;
}

export type Maybe = number | string | null;

export interface MetricVector {
  file: string;
  name: string;
  shape: number[];
  spacing: number[];
  pred: MaskEncoding;
  ref: MaskEncoding;
  expected: { dice: number | null; jaccard: number | null; hd95: number | null; asd: number | null };
  ssl_convention?: { dice: number; jaccard: number; hd95: number; asd: number };
  diagnostics: Record<string, unknown> & {
    n_surface_pred: number;
    n_surface_ref: number;
    asd_ref_to_pred: Maybe;
    monai_hd95: Maybe;
    monai_asd: Maybe;
    monai_dice_ignore_empty: Maybe;
  };
}

/** Repository root, found from dist/test/metrics/ or test/metrics/. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error('repoRoot: package.json not found above ' + fileURLToPath(import.meta.url));
}

export function vectorDir(): string {
  const root = repoRoot();
  const candidates = [
    path.join(root, 'test', 'fixtures', 'metric-vectors'),
    path.join(root, '..', 'shared', 'reference', 'metric-vectors'),
  ];
  for (const c of candidates) if (existsSync(c) && readdirSync(c).some((f) => f.endsWith('.json'))) return c;
  throw new Error(`metric vectors not found; looked in ${candidates.join(' and ')}`);
}

export function loadVectors(): MetricVector[] {
  const dir = vectorDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: f, ...(JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Omit<MetricVector, 'file'>) }));
}

export function decodeMask(m: MaskEncoding, size: number): Uint8Array {
  const out = new Uint8Array(size);
  if (m.encoding === 'indices') {
    for (const i of m.data as number[]) out[i] = 1;
  } else if (m.encoding === 'rle') {
    for (const [start, len] of m.data as Array<[number, number]>) out.fill(1, start, start + len);
  } else {
    throw new Error(`unknown mask encoding ${(m as { encoding: string }).encoding}`);
  }
  return out;
}

/** Diagnostics write non-finite values as strings. */
export function num(v: Maybe): number | null {
  if (v === null) return null;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  if (v === 'nan') return NaN;
  return v as number;
}
