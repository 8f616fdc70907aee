/**
 * @file Field-by-field reading of JSON files written by people or by other versions (records, reference
 * tables, suites), so that a bad file fails with one message naming the file, the field path and what
 * was found instead of a TypeError far from the cause.
 */

export type ErrorFactory = (message: string) => Error;

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing (the field is missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

export function fieldPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

/** Typed accessors that throw `makeError("<file>: field '<path>' must be …, got …")`. */
export class FieldReader {
  constructor(
    readonly file: string,
    private readonly makeError: ErrorFactory,
  ) {}

  fail(field: string, expected: string, value: unknown): never {
    throw this.makeError(`${this.file}: field '${field}' must be ${expected}, got ${describeValue(value)}`);
  }

  object(v: unknown, field: string): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, 'an object', v);
    return v as Record<string, unknown>;
  }

  array(v: unknown, field: string, nonEmpty = false): unknown[] {
    if (!Array.isArray(v)) this.fail(field, nonEmpty ? 'a non-empty array' : 'an array', v);
    if (nonEmpty && v.length === 0) this.fail(field, 'a non-empty array', v);
    return v;
  }

  string(v: unknown, field: string): string {
    if (typeof v !== 'string' || v.length === 0) this.fail(field, 'a non-empty string', v);
    return v;
  }

  optString(v: unknown, field: string): string | null {
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') this.fail(field, 'a string or null', v);
    return v;
  }

  number(v: unknown, field: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, 'a finite number', v);
    return v;
  }

  /** `null` stands for "not reported"; a missing key is an error, so a typo in a key is not read as "not reported". */
  numberOrNull(v: unknown, field: string): number | null {
    if (v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, 'a finite number or null', v);
    return v;
  }

  integer(v: unknown, field: string, min = Number.MIN_SAFE_INTEGER): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) this.fail(field, min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : 'an integer', v);
    return v;
  }

  integerOrNull(v: unknown, field: string): number | null {
    if (v === null || v === undefined) return null;
    return this.integer(v, field, 0);
  }

  boolean(v: unknown, field: string): boolean {
    if (typeof v !== 'boolean') this.fail(field, 'true or false', v);
    return v;
  }

  oneOf<T extends string>(v: unknown, field: string, choices: readonly T[]): T {
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) this.fail(field, `one of ${choices.join(', ')}`, v);
    return v as T;
  }
}
