/**
 * @file Golden method vectors (`ssl-method-vector/1`, METHOD-VECTORS.md §1): loading and validation.
 * A vector is data produced by the official PyTorch code; validation is strict so that a truncated or
 * hand-edited file is reported with its name and the offending field instead of surfacing later as a
 * confusing numeric failure.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SslBenchError, UsageError } from '../errors.js';

export const VECTOR_FORMAT = 'ssl-method-vector/1';

export const TENSOR_DTYPES = ['float32', 'float64', 'int64', 'int32', 'uint8', 'bool'] as const;
export type TensorDtype = (typeof TENSOR_DTYPES)[number];

/** A tensor as stored: C-order data, non-finite floats already decoded to numbers. */
export interface TensorValue {
  shape: number[];
  dtype: TensorDtype;
  data: number[];
}

export type VectorValue = number | string | boolean | null | TensorValue | VectorValue[] | { [key: string]: VectorValue };

export interface Tolerance {
  rel: number;
  abs: number;
}

export interface MethodVector {
  /** File the vector was read from (for messages). */
  file: string;
  name: string;
  method: string;
  function: string;
  inputs: Record<string, VectorValue>;
  params: Record<string, VectorValue>;
  expected: Record<string, VectorValue>;
  tolerance: Tolerance;
  notes?: string;
}

/** What an adapter sees: everything but `expected` (which only the checker reads). */
export type VectorInput = Omit<MethodVector, 'expected'>;

export function isTensor(v: unknown): v is TensorValue {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'shape' in v && 'dtype' in v && 'data' in v;
}

export function isFloatDtype(dtype: TensorDtype): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

function malformed(file: string, field: string, problem: string): SslBenchError {
  return new SslBenchError('SSLB_VECTOR_MALFORMED', `${file}: ${field}: ${problem}`);
}

/** Decodes one tensor object in place of its JSON form; `field` names it in errors. */
function decodeTensor(raw: Record<string, unknown>, file: string, field: string): TensorValue {
  const { shape, dtype, data } = raw;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
    throw malformed(file, `${field}.shape`, `expected a list of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (typeof dtype !== 'string' || !(TENSOR_DTYPES as readonly string[]).includes(dtype)) {
    throw malformed(file, `${field}.dtype`, `expected one of ${TENSOR_DTYPES.join(', ')}, got ${JSON.stringify(dtype)}`);
  }
  if (!Array.isArray(data)) throw malformed(file, `${field}.data`, 'expected a flat list of numbers');
  const size = (shape as number[]).reduce((a, b) => a * b, 1);
  if (data.length !== size) {
    throw malformed(file, `${field}.data`, `has ${data.length} values but shape ${JSON.stringify(shape)} needs ${size}`);
  }
  const float = isFloatDtype(dtype as TensorDtype);
  const values = new Array<number>(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v === 'number' && Number.isFinite(v)) {
      if (!float && !Number.isInteger(v)) throw malformed(file, `${field}.data[${i}]`, `${v} is not an integer (dtype ${dtype})`);
      if (dtype === 'bool' && v !== 0 && v !== 1) throw malformed(file, `${field}.data[${i}]`, `${v} is not 0/1 (dtype bool)`);
      values[i] = v;
    } else if (float && typeof v === 'string' && v in NON_FINITE) {
      values[i] = NON_FINITE[v];
    } else {
      throw malformed(file, `${field}.data[${i}]`, `${JSON.stringify(v)} is not a ${float ? 'number or "NaN"/"Infinity"/"-Infinity"' : 'number'}`);
    }
  }
  return { shape: shape as number[], dtype: dtype as TensorDtype, data: values };
}

/** Recursively decodes tensor objects and the non-finite strings of scalar positions. */
function decodeValue(raw: unknown, file: string, field: string): VectorValue {
  if (raw === null || typeof raw === 'number' || typeof raw === 'boolean') return raw;
  if (typeof raw === 'string') return raw in NON_FINITE ? NON_FINITE[raw] : raw;
  if (Array.isArray(raw)) return raw.map((v, i) => decodeValue(v, file, `${field}[${i}]`));
  if (typeof raw === 'object') {
    const obj = raw as Record<string, unknown>;
    if ('shape' in obj || 'dtype' in obj || 'data' in obj) {
      for (const key of ['shape', 'dtype', 'data']) if (!(key in obj)) throw malformed(file, field, `tensor object without "${key}"`);
      return decodeTensor(obj, file, field);
    }
    const out: Record<string, VectorValue> = {};
    for (const [k, v] of Object.entries(obj)) out[k] = decodeValue(v, file, field ? `${field}.${k}` : k);
    return out;
  }
  throw malformed(file, field, `unsupported JSON value ${JSON.stringify(raw)}`);
}

function requireObject(json: Record<string, unknown>, key: string, file: string, optional = false): Record<string, unknown> {
  const v = json[key];
  if (v === undefined && optional) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed(file, key, v === undefined ? 'missing' : 'expected an object');
  return v as Record<string, unknown>;
}

/** Parses and validates one vector; `file` is used in messages and to check `name`. */
export function parseVector(text: string, file: string): MethodVector {
  const base = path.basename(file);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SslBenchError('SSLB_VECTOR_MALFORMED', `${base}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw malformed(base, '(top level)', 'expected a JSON object');
  const obj = json as Record<string, unknown>;
  if (obj.format !== VECTOR_FORMAT) throw malformed(base, 'format', `expected "${VECTOR_FORMAT}", got ${JSON.stringify(obj.format)}`);
  if (typeof obj.name !== 'string' || obj.name === '') throw malformed(base, 'name', 'missing or not a string');
  const stem = base.replace(/\.json$/, '');
  if (obj.name !== stem) throw malformed(base, 'name', `"${obj.name}" does not match the file name "${stem}"`);
  const tol = requireObject(obj, 'tolerance', base);
  for (const k of ['rel', 'abs'] as const) {
    if (typeof tol[k] !== 'number' || !((tol[k] as number) >= 0)) throw malformed(base, `tolerance.${k}`, `expected a non-negative number, got ${JSON.stringify(tol[k])}`);
  }
  const inputs = decodeValue(requireObject(obj, 'inputs', base), base, 'inputs') as Record<string, VectorValue>;
  const params = decodeValue(requireObject(obj, 'params', base, true), base, 'params') as Record<string, VectorValue>;
  const expected = decodeValue(requireObject(obj, 'expected', base), base, 'expected') as Record<string, VectorValue>;
  return {
    file: base,
    name: obj.name,
    method: typeof obj.method === 'string' ? obj.method : '',
    function: typeof obj.function === 'string' ? obj.function : '',
    inputs,
    params,
    expected,
    tolerance: { rel: tol.rel as number, abs: tol.abs as number },
    notes: typeof obj.notes === 'string' ? obj.notes : undefined,
  };
}

export function loadVectorFile(file: string): MethodVector {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SslBenchError('SSLB_VECTOR_READ', `cannot read ${file}: ${(err as Error).message}`);
  }
  return parseVector(text, file);
}

/** The `*.json` files of a folder, sorted by name. */
export function listVectorFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new UsageError(`cannot read the vector folder ${dir}: ${(err as Error).message}`, 'SSLB_VECTOR_DIR');
  }
  const files = names.filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new UsageError(`no *.json vectors in ${dir}`, 'SSLB_VECTOR_DIR');
  return files.map((f) => path.join(dir, f));
}

// ---- typed access to inputs/params, with errors that name the file and field ----

export function inputTensor(v: VectorInput, key: string, where: 'inputs' | 'params' = 'inputs'): TensorValue {
  const t = v[where][key];
  if (!isTensor(t)) throw malformed(v.file, `${where}.${key}`, t === undefined ? 'missing' : 'expected a tensor object');
  return t;
}

export function inputNumber(v: VectorInput, key: string, where: 'inputs' | 'params' = 'inputs'): number {
  const n = v[where][key];
  if (typeof n !== 'number') throw malformed(v.file, `${where}.${key}`, n === undefined ? 'missing' : 'expected a number');
  return n;
}

export function inputNumbers(v: VectorInput, key: string, where: 'inputs' | 'params' = 'inputs'): number[] {
  const a = v[where][key];
  if (!Array.isArray(a) || !a.every((x) => typeof x === 'number')) throw malformed(v.file, `${where}.${key}`, a === undefined ? 'missing' : 'expected a list of numbers');
  return a as number[];
}

export function inputPairs(v: VectorInput, key: string): [number, number][] {
  const a = v.inputs[key];
  if (!Array.isArray(a) || !a.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'number'))) {
    throw malformed(v.file, `inputs.${key}`, a === undefined ? 'missing' : 'expected a list of [number, number] pairs');
  }
  return a as [number, number][];
}

export function vectorError(v: VectorInput, field: string, problem: string): SslBenchError {
  return malformed(v.file, field, problem);
}
