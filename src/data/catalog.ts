/**
 * @file `datasets.json` is the catalog of every dataset the harness knows: ids, splits, protocols,
 * sources, file layouts and preprocessing notes. It is validated against CATALOG_SCHEMA when loaded
 * so that a broken entry fails with one message naming the entry and the field, before any
 * download or training starts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../version.js';
import { SslBenchError, unknownChoice, UsageError } from '../errors.js';
import type { Split } from './types.js';

export interface ProtocolSpec {
  /** Number of labeled cases (3-D) or slices (2-D, counted as the code counts them). */
  labeled: number;
  unlabeled: number;
  /** Which split list the labeled/unlabeled cases are drawn from. */
  split: string;
  /** Split list evaluated as "test" (default `test`). */
  test?: string;
  /** Split list used for model selection, when the papers have one (default `val` if present). */
  val?: string;
  /** For slice-counted datasets: the patient counts the protocol key names. */
  patients?: { labeled: number; unlabeled: number };
  percent?: string;
  papers?: string[];
  note?: string;
}

/** One upstream file, relative to the dataset folder locally and to `source.baseUrl` upstream. */
export interface FileSpec {
  path: string;
  size?: number;
  sha256?: string;
}

export interface SourceSpec {
  /** `direct`: download fetches the files; `manual`: a person downloads them and runs import. */
  access: 'direct' | 'manual';
  /** Upstream root for `direct` files: a file is fetched from `baseUrl/<path>`. */
  baseUrl?: string;
  urls: Array<{ label: string; url: string }>;
  /** Exact steps for data behind a registration wall or a browser-only download. */
  steps?: string[];
  filesNote?: string;
  files: FileSpec[];
}

export interface Hdf5ReaderSpec {
  format: 'hdf5';
  /** Candidate file paths relative to the dataset folder; `{id}` is the case id. First existing wins. */
  paths: string[];
  image: string;
  label: string;
  /** `binary`: every non-zero label becomes 1. */
  labelMap?: 'binary';
  preprocess?: string[];
}

export interface NiftiReaderSpec {
  format: 'nifti';
  image: string[];
  label: string[];
  labelMap?: 'binary';
  preprocess?: string[];
}

export type ReaderSpec = Hdf5ReaderSpec | NiftiReaderSpec;

export interface LayoutSpec {
  /** Folder of this dataset under the data directory. */
  dir: string;
  format: string;
  description?: string;
  /** Tried in order for each case; the first whose files exist reads it. */
  readers: ReaderSpec[];
  /**
   * Where `import --from DIR` looks for each catalog file, relative to DIR: `{path}` is the file's
   * catalog path, `{name}` its base name, `{dir}` its folder.
   */
  importPaths?: string[];
}

export interface PreprocessingNote {
  family: string;
  usedHere: boolean;
  steps: string[];
  note?: string;
}

export interface DatasetEntry {
  id: string;
  kind: 'synthetic' | 'files';
  title: string;
  modality: string;
  task: string;
  dimensionality: '3d' | '2d';
  classes: string[];
  /** mm per axis; empty when it varies per case (then read from the files where they store it). */
  spacing: number[];
  spacingNote?: string;
  /** What the reference says about the files, shown by `datasets info` when they are not on disk. */
  facts?: { cases?: string; shape?: string; labelValues?: number[]; intensity?: string };
  /** What `labeled`/`unlabeled` count: whole cases, or 2-D slices (ACDC). Default `case`. */
  labeledUnit?: 'case' | 'slice';
  citation?: string;
  generator?: { name: string; shape: number[]; seed: number };
  source?: SourceSpec;
  layout?: LayoutSpec;
  preprocessing?: PreprocessingNote[];
  splits: Record<string, string[]>;
  splitSources?: Record<string, string>;
  protocols: Record<string, ProtocolSpec>;
  aliases?: Record<string, string>;
  defaultProtocol: string;
  labeledSelection?: string;
  /** Facts the reference marks as disputed or unknown, and which choice this entry makes. */
  disputed?: string[];
  notes?: string;
  [extra: string]: unknown;
}

export interface Catalog {
  file: string;
  schemaVersion: number;
  datasets: DatasetEntry[];
}

export const CATALOG_FILE = path.join(PACKAGE_ROOT, 'datasets.json');

/** Preprocessing steps a reader may apply to raw files (see preprocess.ts). `name` or `name:arg`. */
export const PREPROCESS_STEPS = ['crop-nonzero', 'clip-upper-cdf', 'zscore', 'zscore-nonzero', 'minmax', 'clip'] as const;

// ---------------------------------------------------------------------------------------------
// Schema: a small JSON-schema-like description, checked field by field so the error names the path.

type Rule =
  | { type: 'string'; nonEmpty?: boolean; enum?: readonly string[]; pattern?: RegExp; expect?: string }
  | { type: 'integer'; min?: number }
  | { type: 'number'; positive?: boolean }
  | { type: 'boolean' }
  | { type: 'array'; items: Rule; minItems?: number }
  | { type: 'object'; props: Record<string, Rule>; optional?: readonly string[]; open?: boolean }
  | { type: 'record'; values: Rule; nonEmpty?: boolean };

const str: Rule = { type: 'string', nonEmpty: true };
const strList: Rule = { type: 'array', items: str };
const uint: Rule = { type: 'integer', min: 0 };

const FILE_RULE: Rule = {
  type: 'object',
  props: {
    path: { type: 'string', nonEmpty: true, pattern: /^(?!\/)(?!.*(^|\/)\.\.(\/|$)).+$/, expect: 'a relative path without ..' },
    size: uint,
    sha256: { type: 'string', pattern: /^[0-9a-f]{64}$/, expect: '64 lower-case hex digits' },
  },
  optional: ['size', 'sha256'],
};

const READER_RULE: Rule = {
  type: 'object',
  props: {
    format: { type: 'string', enum: ['hdf5', 'nifti'] },
    paths: { type: 'array', items: str, minItems: 1 },
    labelMap: { type: 'string', enum: ['binary'] },
    preprocess: strList,
  },
  optional: ['paths', 'labelMap', 'preprocess'],
  // image/label are a dataset name (hdf5) or path templates (nifti): checked in checkEntry.
  open: true,
};

const PROTOCOL_RULE: Rule = {
  type: 'object',
  props: {
    labeled: uint,
    unlabeled: uint,
    split: str,
    test: str,
    val: str,
    patients: { type: 'object', props: { labeled: uint, unlabeled: uint } },
    percent: str,
    papers: strList,
    note: str,
  },
  optional: ['test', 'val', 'patients', 'percent', 'papers', 'note'],
};

/** The shape of one `datasets[]` entry. Cross-field rules (split names, aliases...) are in checkEntry. */
export const CATALOG_SCHEMA: Rule = {
  type: 'object',
  props: {
    id: { type: 'string', nonEmpty: true, pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/, expect: 'letters, digits, . _ -' },
    kind: { type: 'string', enum: ['synthetic', 'files'] },
    title: str,
    modality: str,
    task: str,
    dimensionality: { type: 'string', enum: ['3d', '2d'] },
    labeledUnit: { type: 'string', enum: ['case', 'slice'] },
    classes: { type: 'array', items: str, minItems: 2 },
    spacing: { type: 'array', items: { type: 'number', positive: true } },
    spacingNote: str,
    facts: {
      type: 'object',
      props: { cases: str, shape: str, labelValues: { type: 'array', items: uint }, intensity: str },
      optional: ['cases', 'shape', 'labelValues', 'intensity'],
    },
    citation: str,
    generator: { type: 'object', props: { name: str, shape: { type: 'array', items: { type: 'integer', min: 1 } }, seed: { type: 'number' } } },
    source: {
      type: 'object',
      props: {
        access: { type: 'string', enum: ['direct', 'manual'] },
        baseUrl: { type: 'string', pattern: /^https?:\/\/\S+$/, expect: 'an http(s) URL' },
        urls: { type: 'array', items: { type: 'object', props: { label: str, url: { type: 'string', pattern: /^https?:\/\/\S+$/, expect: 'an http(s) URL' } } } },
        steps: strList,
        filesNote: str,
        files: { type: 'array', items: FILE_RULE },
      },
      optional: ['baseUrl', 'steps', 'filesNote'],
    },
    layout: {
      type: 'object',
      props: {
        dir: { type: 'string', nonEmpty: true, pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/, expect: 'a single folder name' },
        format: str,
        description: str,
        readers: { type: 'array', items: READER_RULE, minItems: 1 },
        importPaths: strList,
      },
      optional: ['description', 'importPaths'],
    },
    preprocessing: { type: 'array', items: { type: 'object', props: { family: str, usedHere: { type: 'boolean' }, steps: strList, note: str }, optional: ['note'] } },
    splits: { type: 'record', values: strList },
    splitSources: { type: 'record', values: str },
    protocols: { type: 'record', values: PROTOCOL_RULE, nonEmpty: true },
    aliases: { type: 'record', values: str },
    defaultProtocol: str,
    labeledSelection: str,
    disputed: strList,
    notes: str,
  },
  optional: ['labeledUnit', 'spacingNote', 'facts', 'citation', 'generator', 'source', 'layout', 'preprocessing', 'splitSources', 'aliases', 'labeledSelection', 'disputed', 'notes'],
  open: true,
};

// ---------------------------------------------------------------------------------------------

let cached: Catalog | undefined;

export function loadCatalog(file = CATALOG_FILE): Catalog {
  if (cached && cached.file === file) return cached;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new SslBenchError('SSLB_CATALOG', `${file}: cannot read the dataset catalog (${(err as Error).message})`);
  }
  cached = validateCatalog(raw, file);
  return cached;
}

function fail(file: string, where: string, expected: string, ...got: unknown[]): never {
  const shown = got[0] === undefined ? 'nothing' : JSON.stringify(got[0]);
  const gotText = got.length > 0 ? ` (got ${shown.length > 60 ? shown.slice(0, 57) + '...' : shown})` : '';
  throw new SslBenchError('SSLB_CATALOG', `${file}: ${where}: expected ${expected}${gotText}`);
}

function fieldPath(base: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

function checkRule(file: string, where: string, value: unknown, rule: Rule): void {
  switch (rule.type) {
    case 'string': {
      if (typeof value !== 'string') fail(file, where, rule.enum ? `one of ${rule.enum.join(', ')}` : 'a string', value);
      if (rule.nonEmpty && value === '') fail(file, where, 'a non-empty string', value);
      if (rule.enum && !rule.enum.includes(value)) fail(file, where, `one of ${rule.enum.join(', ')}`, value);
      if (rule.pattern && !rule.pattern.test(value)) fail(file, where, rule.expect ?? `a string matching ${rule.pattern}`, value);
      return;
    }
    case 'integer':
      if (!Number.isInteger(value) || (rule.min !== undefined && (value as number) < rule.min)) {
        fail(file, where, rule.min === 0 ? 'a non-negative integer' : rule.min !== undefined ? `an integer >= ${rule.min}` : 'an integer', value);
      }
      return;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value) || (rule.positive && value <= 0)) fail(file, where, rule.positive ? 'a positive number' : 'a number', value);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail(file, where, 'true or false', value);
      return;
    case 'array':
      if (!Array.isArray(value)) fail(file, where, 'an array', value);
      if (rule.minItems !== undefined && value.length < rule.minItems) fail(file, where, `at least ${rule.minItems} item(s)`, value);
      value.forEach((item, i) => checkRule(file, `${where}[${i}]`, item, rule.items));
      return;
    case 'record':
      if (!isObject(value)) fail(file, where, 'an object', value);
      if (rule.nonEmpty && Object.keys(value).length === 0) fail(file, where, 'a non-empty object', value);
      for (const [k, v] of Object.entries(value)) checkRule(file, fieldPath(where, k), v, rule.values);
      return;
    case 'object': {
      if (!isObject(value)) fail(file, where, 'an object', value);
      for (const [k, sub] of Object.entries(rule.props)) {
        if (!(k in value)) {
          if (rule.optional?.includes(k)) continue;
          fail(file, fieldPath(where, k), describe(sub));
        }
        checkRule(file, fieldPath(where, k), value[k], sub);
      }
      if (!rule.open) {
        for (const k of Object.keys(value)) if (!(k in rule.props)) fail(file, fieldPath(where, k), `no such field (known: ${Object.keys(rule.props).join(', ')})`);
      }
      return;
    }
  }
}

function describe(rule: Rule): string {
  switch (rule.type) {
    case 'string':
      return rule.enum ? `one of ${rule.enum.join(', ')}` : 'a string';
    case 'integer':
      return 'an integer';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'an array';
    default:
      return 'an object';
  }
}

export function validateCatalog(raw: unknown, file: string): Catalog {
  if (!isObject(raw)) fail(file, 'top level', 'an object');
  if (typeof raw.schemaVersion !== 'number') fail(file, 'schemaVersion', 'a number');
  if (!Array.isArray(raw.datasets)) fail(file, 'datasets', 'an array');
  const seen = new Set<string>();
  raw.datasets.forEach((entry: unknown, index: number) => {
    const label = isObject(entry) && typeof entry.id === 'string' && entry.id !== '' ? `dataset '${entry.id}'` : `datasets[${index}]`;
    checkRule(file, label, entry, CATALOG_SCHEMA);
    const e = entry as DatasetEntry;
    if (seen.has(e.id.toLowerCase())) fail(file, `${label}.id`, 'a unique id (ids are matched case-insensitively)', e.id);
    seen.add(e.id.toLowerCase());
    checkEntry(file, label, e);
  });
  return { file, schemaVersion: raw.schemaVersion, datasets: raw.datasets as DatasetEntry[] };
}

/** Rules that relate fields to each other. */
function checkEntry(file: string, label: string, e: DatasetEntry): void {
  const splitNames = Object.keys(e.splits);
  for (const [name, spec] of Object.entries(e.protocols)) {
    const where = fieldPath(`${label}.protocols`, name);
    for (const key of ['split', 'test', 'val'] as const) {
      const target = spec[key];
      if (target !== undefined && !(target in e.splits)) fail(file, `${where}.${key}`, `one of the split names (${splitNames.join(', ')})`, target);
    }
    const pool = e.splits[spec.split];
    if (spec.labeled + spec.unlabeled > pool.length) {
      fail(file, where, `labeled + unlabeled <= ${pool.length} (the size of split '${spec.split}')`, spec.labeled + spec.unlabeled);
    }
  }
  if (!(e.defaultProtocol in e.protocols)) fail(file, `${label}.defaultProtocol`, 'the key of one of its protocols', e.defaultProtocol);
  for (const [alias, target] of Object.entries(e.aliases ?? {})) {
    if (!(target in e.protocols)) fail(file, fieldPath(`${label}.aliases`, alias), 'the key of one of its protocols', target);
    if (alias in e.protocols) fail(file, fieldPath(`${label}.aliases`, alias), 'a name that is not also a protocol key', alias);
  }
  if (e.kind === 'synthetic') {
    if (!e.generator) fail(file, `${label}.generator`, '{name, shape, seed}');
    return;
  }
  if (!e.source) fail(file, `${label}.source`, 'an object (kind files needs a source)');
  if (!e.layout) fail(file, `${label}.layout`, 'an object (kind files needs a layout)');
  const src = e.source;
  if (src.access === 'direct' && !src.baseUrl) fail(file, `${label}.source.baseUrl`, 'an http(s) URL (access is direct)');
  if (src.access === 'manual' && (!src.steps || src.steps.length === 0)) fail(file, `${label}.source.steps`, 'the manual download steps (access is manual)');
  const paths = new Set<string>();
  src.files.forEach((f, i) => {
    if (paths.has(f.path)) fail(file, `${label}.source.files[${i}].path`, 'a path listed once', f.path);
    paths.add(f.path);
  });
  e.layout.readers.forEach((r, i) => {
    const where = `${label}.layout.readers[${i}]`;
    if (r.format === 'hdf5') {
      if (!Array.isArray(r.paths)) fail(file, `${where}.paths`, 'an array of path templates');
      r.paths.forEach((p, j) => {
        if (!p.includes('{id}')) fail(file, `${where}.paths[${j}]`, 'a template containing {id}', p);
      });
      if (typeof r.image !== 'string') fail(file, `${where}.image`, 'the name of the image dataset');
      if (typeof r.label !== 'string') fail(file, `${where}.label`, 'the name of the label dataset');
    } else {
      for (const key of ['image', 'label'] as const) {
        const list = (r as unknown as Record<string, unknown>)[key];
        if (!isStringArray(list) || list.length === 0) fail(file, `${where}.${key}`, 'an array of path templates', list);
        list.forEach((p, j) => {
          if (!p.includes('{id}')) fail(file, `${where}.${key}[${j}]`, 'a template containing {id}', p);
        });
      }
    }
    (r.preprocess ?? []).forEach((step, j) => {
      const name = step.split(':')[0];
      if (!(PREPROCESS_STEPS as readonly string[]).includes(name)) fail(file, `${where}.preprocess[${j}]`, `one of ${PREPROCESS_STEPS.join(', ')}`, step);
    });
  });
  (e.layout.importPaths ?? []).forEach((p, j) => {
    if (!/\{(path|name|dir)\}/.test(p)) fail(file, `${label}.layout.importPaths[${j}]`, 'a template with {path}, {name} or {dir}', p);
  });
}

export function datasetIds(catalog = loadCatalog()): string[] {
  return catalog.datasets.map((d) => d.id);
}

/** The entry for `id` (case-insensitive), or a usage error naming the known datasets. */
export function getDataset(id: string, catalog = loadCatalog()): DatasetEntry {
  const entry = catalog.datasets.find((d) => d.id === id) ?? catalog.datasets.find((d) => d.id.toLowerCase() === id.toLowerCase());
  if (!entry) throw unknownChoice('dataset', id, datasetIds(catalog));
  return entry;
}

/** Canonical protocol key for a name or alias (`20%` → `16+64` on LA). */
export function resolveProtocolName(entry: DatasetEntry, protocol: string | undefined): string {
  const name = protocol ?? entry.defaultProtocol;
  if (name in entry.protocols) return name;
  const aliased = entry.aliases?.[name];
  if (aliased) return aliased;
  const known = [...Object.keys(entry.protocols), ...Object.keys(entry.aliases ?? {})];
  throw new UsageError(`unknown protocol '${name}' for dataset ${entry.id}; known: ${known.join(', ')}`);
}

/**
 * Labeled = first N of the protocol's split list, unlabeled = the next M (the papers'
 * `range(N)` / `range(N, total)`); test and val are the protocol's lists (default `test`, `val`).
 */
export function resolveSplit(entry: DatasetEntry, protocol: string | undefined): Split & { protocol: string } {
  const name = resolveProtocolName(entry, protocol);
  const spec = entry.protocols[name];
  const pool = entry.splits[spec.split];
  const labeled = pool.slice(0, spec.labeled);
  const unlabeled = pool.slice(spec.labeled, spec.labeled + spec.unlabeled);
  const split: Split & { protocol: string } = { protocol: name, labeled, unlabeled, test: [...(entry.splits[spec.test ?? 'test'] ?? [])] };
  const valName = spec.val ?? (entry.splits.val ? 'val' : undefined);
  if (valName) split.val = [...entry.splits[valName]];
  return split;
}

/**
 * Every case id some protocol can ask for (its pool, test and val lists), in first-seen order. Lists no
 * protocol uses (ACDC's 140 training volumes: training reads slices) are left out.
 */
export function allCaseIds(entry: DatasetEntry): string[] {
  const names = new Set<string>();
  for (const p of Object.values(entry.protocols)) {
    names.add(p.split);
    names.add(p.test ?? 'test');
    const val = p.val ?? (entry.splits.val ? 'val' : undefined);
    if (val) names.add(val);
  }
  return [...new Set([...names].flatMap((n) => entry.splits[n] ?? []))];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}
