/**
 * @file `ssl-bench selftest`: every golden vector of a folder against the project's implementations.
 * Runs on the tfjs cpu backend — plain float32 kernels, the deterministic reference the tolerances
 * were set for — whatever backend training would pick.
 */
import path from 'node:path';
import { tf } from '../nn/tf.js';
import { UsageError } from '../errors.js';
import { PACKAGE_ROOT } from '../version.js';
import { Checker } from './compare.js';
import { lookup } from './registry.js';
import { listVectorFiles, loadVectorFile, type VectorInput } from './vector.js';

export const DEFAULT_VECTOR_DIR = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'method-vectors');

export type CaseStatus = 'pass' | 'fail' | 'not-implemented';

export interface CaseReport {
  name: string;
  file: string;
  status: CaseStatus;
  maxRelError: number | null;
  maxAbsError: number | null;
  /** Values compared (a tensor counts each element). */
  compared: number;
  failures: string[];
  /** Total failing values/parts; `failures` keeps the first messages. */
  failureCount: number;
  /** Why the whole case is not implemented. */
  reason?: string;
  /** Parts of an evaluated vector the project does not implement (entries of other methods, unused terms). */
  notImplemented: { path: string; reason: string }[];
  /** Expected outputs no adapter looked at (a vector that grew an output the adapter does not know). */
  unchecked: string[];
  notes: string[];
}

export interface SelftestReport {
  vectors: string;
  backend: string;
  cases: CaseReport[];
  summary: { pass: number; fail: number; notImplemented: number };
}

export interface SelftestOptions {
  /** Folder of `*.json` vectors; default: the project's copy. */
  dir?: string;
  /** Only vectors whose name starts with one of these comma-separated prefixes. */
  filter?: string;
}

function emptyCase(name: string, file: string, status: CaseStatus): CaseReport {
  return { name, file, status, maxRelError: null, maxAbsError: null, compared: 0, failures: [], failureCount: 0, notImplemented: [], unchecked: [], notes: [] };
}

function nameOf(file: string): string {
  return path.basename(file).replace(/\.json$/, '');
}

/** One vector file: validated, dispatched, compared. Never throws for a problem of the vector itself. */
export function runVectorFile(file: string): CaseReport {
  let vector;
  try {
    vector = loadVectorFile(file);
  } catch (err) {
    const c = emptyCase(nameOf(file), path.basename(file), 'fail');
    c.failures.push(`malformed vector: ${(err as Error).message}`);
    c.failureCount = 1;
    return c;
  }
  const registration = lookup(vector.name);
  if ('notImplemented' in registration) {
    const c = emptyCase(vector.name, vector.file, 'not-implemented');
    c.reason = registration.notImplemented;
    return c;
  }
  const { expected, ...input } = vector;
  const check = new Checker(expected, vector.tolerance);
  try {
    tf.tidy(() => registration.adapter(input as VectorInput, check));
  } catch (err) {
    check.error([], err);
  }
  const s = check.summary();
  const status: CaseStatus = s.failureCount > 0 ? 'fail' : s.compared === 0 ? 'not-implemented' : 'pass';
  return {
    name: vector.name,
    file: vector.file,
    status,
    maxRelError: s.maxRelError,
    maxAbsError: s.maxAbsError,
    compared: s.compared,
    failures: s.failures,
    failureCount: s.failureCount,
    reason: status === 'not-implemented' ? 'every part of this vector belongs to something the project does not implement' : undefined,
    notImplemented: s.notImplemented,
    unchecked: s.unchecked,
    notes: s.notes,
  };
}

export async function runSelftest(options: SelftestOptions = {}): Promise<SelftestReport> {
  const dir = path.resolve(options.dir ?? DEFAULT_VECTOR_DIR);
  const prefixes = (options.filter ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  const all = listVectorFiles(dir);
  const files = all.filter((f) => prefixes.length === 0 || prefixes.some((p) => nameOf(f).startsWith(p)));
  if (files.length === 0) throw new UsageError(`no vector in ${dir} matches --filter ${options.filter} (${all.length} vectors there)`);
  if (!(await tf.setBackend('cpu'))) throw new Error('the tfjs cpu backend failed to initialise');
  await tf.ready();
  const cases = files.map(runVectorFile);
  const count = (s: CaseStatus) => cases.filter((c) => c.status === s).length;
  return { vectors: dir, backend: tf.getBackend(), cases, summary: { pass: count('pass'), fail: count('fail'), notImplemented: count('not-implemented') } };
}

/** Whether the run fails: any failure, and with `strict` anything not implemented (whole or in part). */
export function selftestFailed(report: SelftestReport, strict = false): boolean {
  if (report.summary.fail > 0) return true;
  return strict && report.cases.some((c) => c.status === 'not-implemented' || c.notImplemented.length > 0);
}

function fmtErr(x: number | null): string {
  return x === null ? '-' : x === 0 ? '0' : x.toExponential(2);
}

/** Paths listed in the text report per reason before the rest is counted (the JSON report lists all). */
const LISTED_PATHS = 4;

/** Groups not-implemented parts by reason: "a, b, c: reason", long groups shortened to their first paths and a count. */
function groupParts(parts: { path: string; reason: string }[]): string[] {
  const byReason = new Map<string, string[]>();
  for (const p of parts) byReason.set(p.reason, [...(byReason.get(p.reason) ?? []), p.path]);
  return [...byReason].map(([reason, paths]) => {
    const shown = paths.length > LISTED_PATHS ? `${paths.slice(0, LISTED_PATHS - 1).join(', ')}, … (${paths.length} parts)` : paths.join(', ');
    return `${shown}: ${reason}`;
  });
}

export function formatReport(report: SelftestReport): string {
  const lines: string[] = [];
  const width = Math.max(0, ...report.cases.map((c) => c.name.length));
  for (const c of report.cases) {
    const status = c.status === 'not-implemented' ? 'NOT-IMPLEMENTED' : c.status.toUpperCase();
    const details: string[] = [];
    if (c.status === 'not-implemented') details.push(c.reason ?? 'not implemented');
    else details.push(`${c.compared} values`);
    if (c.status === 'fail') details.push(`${c.failureCount} failing`);
    if (c.notImplemented.length) details.push(`${c.notImplemented.length} part(s) not implemented`);
    if (c.unchecked.length) details.push(`${c.unchecked.length} output(s) not checked`);
    lines.push(`${status.padEnd(15)} ${c.name.padEnd(width)}  max_rel_err=${fmtErr(c.maxRelError)}  (${details.join('; ')})`);
    for (const f of c.failures) lines.push(`    fail: ${f}`);
    if (c.failureCount > c.failures.length) lines.push(`    … ${c.failureCount - c.failures.length} more`);
    if (c.status !== 'not-implemented') for (const g of groupParts(c.notImplemented)) lines.push(`    not implemented: ${g}`);
    if (c.unchecked.length) lines.push(`    not checked: ${c.unchecked.join(', ')}`);
    for (const n of c.notes) lines.push(`    note: ${n}`);
  }
  const s = report.summary;
  lines.push(`selftest: ${s.pass} pass, ${s.fail} fail, ${s.notImplemented} not implemented (${report.cases.length} vectors from ${report.vectors}, backend ${report.backend})`);
  return lines.join('\n') + '\n';
}
