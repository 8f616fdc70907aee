/**
 * @file Comparison of what the project computes with a vector's `expected` (METHOD-VECTORS.md §2).
 * The checker owns `expected`: adapters hand it the values they computed and a path, and may ask only
 * for the structure of `expected` (keys, lengths), never for its numbers — so an adapter cannot pass by
 * echoing. It also records every expected leaf that no adapter compared, so a vector that grows a new
 * output is reported instead of silently passing.
 */
import { isFloatDtype, isTensor, type Tolerance, type VectorValue } from './vector.js';

export type Path = ReadonlyArray<string | number>;

/** How a float is compared: `f32` with the file's tolerance, `f64` (ramps, weights, thresholds, lr) at 1e-12. */
export type FloatKind = 'f32' | 'f64';

/** METHOD-VECTORS.md §2: the float64 quantities are compared at 1e-12 relative whatever the file's tolerance. */
export const FLOAT64_TOLERANCE: Tolerance = { rel: 1e-12, abs: 1e-15 };

/** Failure messages kept per case; the count is always reported. */
const MAX_MESSAGES = 20;

export function formatPath(path: Path): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else {
      // Script names ("UA-MT (LA)", "Supervised V-Net (UAMT train_LA.py)") are quoted whole.
      const key = /^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? p : JSON.stringify(p);
      out += out ? `.${key}` : key;
    }
  }
  return out;
}

function isPrefix(prefix: Path, path: Path): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => p === path[i]);
}

function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined) return String(x);
  // The shortest round-trip form: a float64 difference of 1e-10 must stay visible.
  return String(x);
}

export interface NotImplementedPart {
  path: string;
  reason: string;
}

export interface CheckSummary {
  /** Number of values compared (tensor elements count one each). */
  compared: number;
  failures: string[];
  failureCount: number;
  /** Largest |got − exp|/|exp| over compared floats with exp ≠ 0; null when none. */
  maxRelError: number | null;
  maxAbsError: number | null;
  notImplemented: NotImplementedPart[];
  /** Expected leaves that were neither compared nor declared not implemented. */
  unchecked: string[];
  notes: string[];
}

export class Checker {
  private compared = 0;
  private readonly failures: string[] = [];
  private failureCount = 0;
  private maxRel: number | null = null;
  private maxAbs: number | null = null;
  private readonly covered: Path[] = [];
  private readonly parts: NotImplementedPart[] = [];
  /** Notes in order; a group stands for the paths taken as inputs for one reason (one line in the report). */
  private readonly notes: Array<string | { why: string; paths: string[] }> = [];

  constructor(
    private readonly expected: Record<string, VectorValue>,
    private readonly tolerance: Tolerance,
  ) {}

  // ---- structure only ----

  has(path: Path): boolean {
    return this.lookup(path).found;
  }

  /** Keys of the expected object at `path` (in file order). */
  keys(path: Path = []): string[] {
    const { found, value } = this.lookup(path);
    if (!found || typeof value !== 'object' || value === null || Array.isArray(value) || isTensor(value)) return [];
    return Object.keys(value);
  }

  /** Length of the expected list at `path`, or −1 when there is none. */
  length(path: Path): number {
    const { found, value } = this.lookup(path);
    return found && Array.isArray(value) ? value.length : -1;
  }

  /**
   * A configuration value that the official script reports but the project has no counterpart for,
   * used as an input (e.g. a script's hyper-parameters when the project has no recipe for the script).
   * Recorded in the notes so the report says which expected values were inputs, not checks.
   */
  takeAsInput(path: Path, why: string): VectorValue {
    const { found, value } = this.lookup(path);
    this.covered.push(path);
    const group = this.notes.find((n): n is { why: string; paths: string[] } => typeof n !== 'string' && n.why === why);
    if (group) group.paths.push(formatPath(path));
    else this.notes.push({ why, paths: [formatPath(path)] });
    if (!found) throw new Error(`expected ${formatPath(path)} is missing`);
    return value;
  }

  /**
   * An expected value the project cannot reproduce but that the rest of the vector depends on (an
   * official random draw): reported as a not-implemented part, and returned so that what follows from it
   * can be checked.
   */
  takeNotImplemented(path: Path, reason: string): VectorValue {
    const { found, value } = this.lookup(path);
    this.notImplemented(path, reason);
    if (!found) throw new Error(`expected ${formatPath(path)} is missing`);
    return value;
  }

  // ---- comparisons ----

  /** One float (NaN matches NaN) or null (must be null). */
  number(path: Path, got: number | null, kind: FloatKind = 'f32'): void {
    const exp = this.take(path);
    if (exp === undefined) return;
    if (got === null || exp === null) {
      this.count(1);
      if (got !== exp) this.fail(path, `got ${fmt(got)}, expected ${fmt(exp as number | null)}`);
      return;
    }
    if (typeof exp !== 'number') return this.fail(path, `expected is ${JSON.stringify(exp)}, not a number`);
    this.count(1);
    const why = this.floatMismatch(got, exp, kind);
    if (why) this.fail(path, why);
  }

  /** A list of floats/nulls, element-wise. */
  numbers(path: Path, got: ReadonlyArray<number | null>, kind: FloatKind = 'f32'): void {
    const exp = this.take(path);
    if (exp === undefined) return;
    if (!Array.isArray(exp)) return this.fail(path, 'expected is not a list');
    if (exp.length !== got.length) return this.fail(path, `got ${got.length} values, expected ${exp.length}`);
    got.forEach((g, i) => {
      const e = exp[i];
      this.count(1);
      if (g === null || e === null) {
        if (g !== e) this.fail([...path, i], `got ${fmt(g)}, expected ${fmt(e as number | null)}`);
        return;
      }
      if (typeof e !== 'number') return this.fail([...path, i], `expected is ${JSON.stringify(e)}, not a number`);
      const why = this.floatMismatch(g, e, kind);
      if (why) this.fail([...path, i], why);
    });
  }

  /** Integers, booleans, strings, null and lists of them: must be identical. */
  exact(path: Path, got: VectorValue): void {
    const exp = this.take(path);
    if (exp === undefined) return;
    this.count(Array.isArray(got) ? got.length : 1);
    if (JSON.stringify(got) !== JSON.stringify(exp)) this.fail(path, `got ${JSON.stringify(got)}, expected ${JSON.stringify(exp)}`);
  }

  /** A tensor: same shape; floats within tolerance (float64 at 1e-12), integers and bools exactly. */
  tensor(path: Path, got: { shape: number[]; data: ArrayLike<number> }): void {
    const exp = this.take(path);
    if (exp === undefined) return;
    if (!isTensor(exp)) return this.fail(path, 'expected is not a tensor');
    if (JSON.stringify(got.shape) !== JSON.stringify(exp.shape)) {
      return this.fail(path, `shape ${JSON.stringify(got.shape)}, expected ${JSON.stringify(exp.shape)}`);
    }
    const float = isFloatDtype(exp.dtype);
    const kind: FloatKind = exp.dtype === 'float64' ? 'f64' : 'f32';
    let bad = 0;
    let first = '';
    for (let i = 0; i < exp.data.length; i++) {
      const g = got.data[i];
      const e = exp.data[i];
      const why = float ? this.floatMismatch(g, e, kind) : g === e ? '' : `got ${fmt(g)}, expected ${fmt(e)}`;
      if (why) {
        if (bad === 0) first = `first at ${JSON.stringify(unravel(i, exp.shape))}: ${why}`;
        bad++;
      }
    }
    this.count(exp.data.length);
    if (bad) this.fail(path, `${bad} of ${exp.data.length} ${float ? '' : `${exp.dtype} `}elements differ; ${first}`);
  }

  /** A part of the vector the project has no implementation for (counts neither as pass nor fail). */
  notImplemented(path: Path, reason: string): void {
    this.covered.push(path);
    this.parts.push({ path: formatPath(path), reason });
  }

  /** A remark for the report; a repeated one is kept once. */
  note(text: string): void {
    if (!this.notes.includes(text)) this.notes.push(text);
  }

  /** An error while computing a part: a failure of that part. */
  error(path: Path, err: unknown): void {
    this.covered.push(path);
    this.fail(path, `error: ${err instanceof Error ? err.message : String(err)}`);
  }

  summary(): CheckSummary {
    const unchecked: string[] = [];
    const walk = (value: VectorValue, path: (string | number)[]): void => {
      if (this.covered.some((c) => isPrefix(c, path))) return;
      if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
      else if (typeof value === 'object' && value !== null && !isTensor(value)) for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
      else unchecked.push(formatPath(path));
    };
    walk(this.expected, []);
    return {
      compared: this.compared,
      failures: this.failures,
      failureCount: this.failureCount,
      maxRelError: this.maxRel,
      maxAbsError: this.maxAbs,
      notImplemented: this.parts,
      unchecked,
      notes: this.notes.map((n) => {
        if (typeof n === 'string') return n;
        const paths = n.paths.length > 4 ? `${n.paths.slice(0, 3).join(', ')}, … (${n.paths.length} values)` : n.paths.join(', ');
        return `${paths} used as ${n.paths.length > 1 ? 'inputs' : 'an input'}, not checked: ${n.why}`;
      }),
    };
  }

  // ---- internals ----

  private lookup(path: Path): { found: boolean; value: VectorValue } {
    let v: VectorValue = this.expected;
    for (const p of path) {
      if (typeof p === 'number') {
        if (!Array.isArray(v) || p >= v.length) return { found: false, value: null };
        v = v[p];
      } else {
        if (typeof v !== 'object' || v === null || Array.isArray(v) || isTensor(v) || !(p in v)) return { found: false, value: null };
        v = (v as Record<string, VectorValue>)[p];
      }
    }
    return { found: true, value: v };
  }

  /** Marks `path` as checked and returns its expected value; a missing one is a failure. */
  private take(path: Path): VectorValue | undefined {
    this.covered.push(path);
    const { found, value } = this.lookup(path);
    if (!found) {
      this.fail(path, 'missing from expected (the vector does not have this output)');
      return undefined;
    }
    return value;
  }

  private count(n: number): void {
    this.compared += n;
  }

  private floatMismatch(got: number, exp: number, kind: FloatKind): string {
    if (Number.isNaN(exp) || Number.isNaN(got)) return Number.isNaN(exp) && Number.isNaN(got) ? '' : `got ${fmt(got)}, expected ${fmt(exp)}`;
    if (!Number.isFinite(exp) || !Number.isFinite(got)) return got === exp ? '' : `got ${fmt(got)}, expected ${fmt(exp)}`;
    const tol = kind === 'f64' ? { rel: Math.min(this.tolerance.rel, FLOAT64_TOLERANCE.rel), abs: Math.min(this.tolerance.abs, FLOAT64_TOLERANCE.abs) } : this.tolerance;
    const diff = Math.abs(got - exp);
    this.maxAbs = Math.max(this.maxAbs ?? 0, diff);
    if (exp !== 0) this.maxRel = Math.max(this.maxRel ?? 0, diff / Math.abs(exp));
    const allowed = tol.abs + tol.rel * Math.abs(exp);
    return diff <= allowed ? '' : `got ${fmt(got)}, expected ${fmt(exp)} (|diff| ${diff.toExponential(2)} > ${allowed.toExponential(2)} = abs ${tol.abs} + rel ${tol.rel}·|exp|)`;
  }

  private fail(path: Path, message: string): void {
    this.failureCount++;
    if (this.failures.length < MAX_MESSAGES) this.failures.push(`${formatPath(path) || '(expected)'}: ${message}`);
  }
}

function unravel(index: number, shape: number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    out[a] = index % shape[a];
    index = Math.floor(index / shape[a]);
  }
  return out;
}
