/**
 * @file Reads one dataset of an HDF5 file (e.g. LA `mri_norm2.h5`: `image` float32, `label` uint8) with
 * h5wasm's Node build, which opens paths on the real file system directly.
 *
 * `shape` is the dataset's shape as h5py reports it (C order, so `data[(i*s1 + j)*s2 + k]`); `dtype` is a
 * numpy-style name ('float32', 'uint8', …). 64-bit integer datasets come back as Float64Array.
 */
import { access, constants } from 'node:fs/promises';
import { SslBenchError } from '../../errors.js';

export interface Hdf5Dataset {
  data: ArrayLike<number> & { length: number };
  shape: number[];
  dtype: string;
}

type H5 = typeof import('h5wasm/node').default;

let h5Ready: Promise<H5> | null = null;

async function loadH5wasm(): Promise<H5> {
  if (h5Ready === null) {
    h5Ready = (async () => {
      const mod = await import('h5wasm/node');
      const h5 = mod.default;
      const module = await h5.ready;
      // Without this HDF5 prints its error stack to stderr and File() returns a dead handle instead of
      // throwing; with it every failure becomes an exception we can name the file in.
      module.activate_throwing_error_handler();
      return h5;
    })();
  }
  return h5Ready;
}

/** Reads `dataset` (a path inside the file, with or without leading '/') of the HDF5 file `file`. */
export async function readHdf5(file: string, dataset: string): Promise<Hdf5Dataset> {
  try {
    await access(file, constants.R_OK);
  } catch (err) {
    throw new SslBenchError('SSLB_HDF5_READ', `cannot read HDF5 file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const h5 = await loadH5wasm();
  let f: InstanceType<H5['File']>;
  try {
    f = new h5.File(file, 'r');
  } catch (err) {
    throw new SslBenchError('SSLB_HDF5_READ', `cannot open ${file} as HDF5: ${hdf5Reason(err)}`);
  }
  try {
    let entity: ReturnType<typeof f.get>;
    try {
      entity = f.get(dataset);
    } catch {
      // With the throwing handler a malformed path throws where a missing one returns null.
      entity = null;
    }
    if (!(entity instanceof h5.Dataset)) {
      let keys: string[] = [];
      try {
        keys = f.keys();
      } catch {
        // Listing is only for the message.
      }
      const what = entity === null ? 'has no dataset' : 'has a group, not a dataset, at';
      throw new SslBenchError('SSLB_HDF5_DATASET', `${file} ${what} '${dataset}'; top-level keys: ${keys.join(', ') || '(none)'}`);
    }
    const meta = entity.metadata;
    const shape = entity.shape ?? [];
    const dtype = dtypeName(meta);
    if (dtype === null) {
      throw new SslBenchError('SSLB_HDF5_DATASET', `${file}:${dataset} has a non-numeric HDF5 type (class ${meta.type}); expected integers or floats`);
    }
    let value: unknown;
    try {
      value = entity.value;
    } catch (err) {
      throw new SslBenchError('SSLB_HDF5_READ', `cannot read ${file}:${dataset}: ${hdf5Reason(err)}`);
    }
    const data = toNumeric(value);
    const expected = shape.reduce((p, d) => p * d, 1);
    if (data === null || data.length !== expected) {
      throw new SslBenchError('SSLB_HDF5_READ', `${file}:${dataset} returned ${data === null ? 'no numeric data' : data.length + ' values'}; expected ${expected}`);
    }
    return { data, shape: [...shape], dtype };
  } finally {
    try {
      f.close();
    } catch {
      // A file that failed half-way may refuse to close; nothing more to release.
    }
  }
}

interface MetaLike {
  type: number;
  size: number;
  signed: boolean;
}

/** HDF5 class 0 = integer, 1 = float. */
function dtypeName(meta: MetaLike): string | null {
  if (meta.type === 0) return `${meta.signed ? 'int' : 'uint'}${meta.size * 8}`;
  if (meta.type === 1) return `float${meta.size * 8}`;
  return null;
}

function toNumeric(value: unknown): (ArrayLike<number> & { length: number }) | null {
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) {
    const out = new Float64Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = Number(value[i]);
    return out;
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return value as unknown as ArrayLike<number> & { length: number };
  if (typeof value === 'number') return Float64Array.of(value);
  if (typeof value === 'bigint') return Float64Array.of(Number(value));
  return null;
}

/** The most specific line of an HDF5 error stack ("truncated file: …", "file signature not found"). */
function hdf5Reason(err: unknown): string {
  const text = err instanceof Error ? err.message : typeof err === 'string' ? err : String((err as { message?: unknown })?.message ?? err);
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('#'));
  const last = lines.length > 0 ? lines[lines.length - 1] : text.split('\n')[0];
  const m = /\):\s*(.*)$/.exec(last);
  return (m ? m[1] : last).trim() || 'unknown HDF5 error';
}
