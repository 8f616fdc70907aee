/**
 * @file NIfTI-1/-2 reader (`.nii`, `.nii.gz`) for masks and volumes.
 *
 * Axis order: NIfTI stores x fastest, so the voxel data read as-is is a C-order array of shape
 * `[…, z, y, x]` — the reverse of the header's `dim[1..n]`. `readNifti` returns exactly that: `shape` and
 * `spacing` are the header's dims and pixdims **reversed**, and `data` is the file's data unchanged, so
 * `data[(i*s1 + j)*s2 + k]` is the voxel x=k, y=j, z=i. nibabel would present the same voxels as an
 * `(x, y, z)` array; `toHeaderAxisOrder` converts when a caller needs that order (e.g. to compare with an
 * array that came from nibabel or h5py).
 *
 * Trailing singleton dims (a 2-D slice stored as X×Y×1, or a time axis of length 1) are dropped, so such
 * a file reads as 2-D `[y, x]`. Keeping the singleton would make every foreground voxel a surface voxel
 * for the distance metrics (METRICS.md §3), which is never what a 2-D evaluation means.
 *
 * Spacing is in millimetres when the header's spatial unit says metres or micrometres; otherwise as stored.
 * Values are scaled by scl_slope/scl_inter when the header asks for it.
 */
import { readFile } from 'node:fs/promises';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import * as nifti from 'nifti-reader-js';
import { SslBenchError } from '../../errors.js';

const gunzipAsync = promisify(gunzip);

export type NiftiData = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

export interface NiftiVolume {
  data: NiftiData;
  /** C order: the header's dims reversed, trailing singletons dropped. */
  shape: number[];
  /** Per axis of `shape` (same order). */
  spacing: number[];
}

// NIfTI datatype codes.
const DT = {
  UINT8: 2,
  INT16: 4,
  INT32: 8,
  FLOAT32: 16,
  FLOAT64: 64,
  INT8: 256,
  UINT16: 512,
  UINT32: 768,
  INT64: 1024,
  UINT64: 1280,
} as const;

export async function readNifti(file: string): Promise<NiftiVolume> {
  let raw: Buffer;
  try {
    raw = await readFile(file);
  } catch (err) {
    throw new SslBenchError('SSLB_NIFTI_READ', `cannot read NIfTI file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let bytes: Buffer = raw;
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      bytes = await gunzipAsync(raw, { chunkSize: outputChunkSize(raw) });
    } catch (err) {
      throw new SslBenchError('SSLB_NIFTI_READ', `${file} is not valid gzip (${(err as Error).message}); expected a .nii or .nii.gz NIfTI file`);
    }
  }
  return decodeNifti(bytes, file);
}

/**
 * One output chunk sized from the gzip trailer (ISIZE, the length mod 2^32) avoids Node's 16 KiB chunks
 * and the final concatenation, which made inflating a 29 MB LA-sized mask ~3× slower. The trailer is only
 * a hint (wrong for multi-member or >4 GiB files, which then take several chunks), so it is capped.
 */
function outputChunkSize(gz: Buffer): number {
  const isize = gz.length >= 4 ? gz.readUInt32LE(gz.length - 4) : 0;
  return Math.min(Math.max(isize + 1, 1 << 16), 256 << 20);
}

/** Decodes an uncompressed NIfTI-1/-2 image held in memory; `file` only names it in errors. */
export function decodeNifti(bytes: Uint8Array, file: string): NiftiVolume {
  // nifti-reader-js wants a standalone ArrayBuffer; a Buffer may be a view into a shared pool.
  const ab = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer;
  if (!nifti.isNIFTI(ab)) {
    throw new SslBenchError('SSLB_NIFTI_READ', `${file} is not a NIfTI-1/-2 image (no n+1/ni1/n+2 magic); expected a .nii or .nii.gz file`);
  }
  let header: ReturnType<typeof nifti.readHeader>;
  try {
    header = nifti.readHeader(ab);
  } catch (err) {
    throw new SslBenchError('SSLB_NIFTI_READ', `${file}: unreadable NIfTI header (${(err as Error).message})`);
  }
  const ndimRaw = header.dims[0];
  if (!Number.isInteger(ndimRaw) || ndimRaw < 1 || ndimRaw > 7) {
    throw new SslBenchError('SSLB_NIFTI_READ', `${file}: NIfTI dim[0] is ${ndimRaw}; expected 1..7`);
  }
  const dims: number[] = [];
  const pix: number[] = [];
  for (let a = 1; a <= ndimRaw; a++) {
    const d = header.dims[a];
    if (!Number.isInteger(d) || d < 1) throw new SslBenchError('SSLB_NIFTI_READ', `${file}: NIfTI dim[${a}] is ${d}; expected a positive size`);
    dims.push(d);
    pix.push(Math.abs(header.pixDims[a]));
  }
  while (dims.length > 1 && dims[dims.length - 1] === 1) {
    dims.pop();
    pix.pop();
  }
  const count = dims.reduce((p, d) => p * d, 1);
  const code = header.datatypeCode;
  const width = bytesPerVoxel(code);
  if (width === 0) {
    throw new SslBenchError(
      'SSLB_NIFTI_READ',
      `${file}: NIfTI datatype ${code} is not supported; expected uint8, int8, int16, uint16, int32, uint32, int64, uint64, float32 or float64`,
    );
  }
  const offset = Math.round(header.vox_offset);
  const end = offset + count * width;
  if (offset < 0 || end > bytes.byteLength) {
    throw new SslBenchError('SSLB_NIFTI_READ', `${file} is truncated: the header needs ${end} bytes, the file has ${bytes.byteLength}`);
  }
  let data: NiftiData;
  if ((header.littleEndian || width === 1) && (bytes.byteOffset + offset) % width === 0) {
    // Zero-copy: the voxel data is already aligned and in host (little-endian) order.
    data = typedView(code, bytes.buffer, bytes.byteOffset + offset, count);
  } else {
    const body = new Uint8Array(count * width);
    body.set(bytes.subarray(offset, end));
    if (!header.littleEndian && width > 1) swapBytes(body, width);
    data = typedView(code, body.buffer, 0, count);
  }

  const slope = header.scl_slope;
  const inter = header.scl_inter;
  if (Number.isFinite(slope) && slope !== 0 && (slope !== 1 || (Number.isFinite(inter) && inter !== 0))) {
    const scaled = data instanceof Float64Array ? new Float64Array(count) : new Float32Array(count);
    const b = Number.isFinite(inter) ? inter : 0;
    for (let i = 0; i < count; i++) scaled[i] = data[i] * slope + b;
    data = scaled;
  }

  const unitScale = spatialUnitToMm(header.xyzt_units);
  const spacing = pix.map((p, a) => (a < 3 ? p * unitScale : p));
  return { data, shape: dims.reverse(), spacing: spacing.reverse() };
}

function bytesPerVoxel(code: number): number {
  switch (code) {
    case DT.UINT8:
    case DT.INT8:
      return 1;
    case DT.INT16:
    case DT.UINT16:
      return 2;
    case DT.INT32:
    case DT.UINT32:
    case DT.FLOAT32:
      return 4;
    case DT.FLOAT64:
    case DT.INT64:
    case DT.UINT64:
      return 8;
    default:
      return 0;
  }
}

function typedView(code: number, buffer: ArrayBufferLike, byteOffset: number, count: number): NiftiData {
  switch (code) {
    case DT.UINT8:
      return new Uint8Array(buffer, byteOffset, count);
    case DT.INT8:
      return new Int8Array(buffer, byteOffset, count);
    case DT.INT16:
      return new Int16Array(buffer, byteOffset, count);
    case DT.UINT16:
      return new Uint16Array(buffer, byteOffset, count);
    case DT.INT32:
      return new Int32Array(buffer, byteOffset, count);
    case DT.UINT32:
      return new Uint32Array(buffer, byteOffset, count);
    case DT.FLOAT32:
      return new Float32Array(buffer, byteOffset, count);
    case DT.FLOAT64:
      return new Float64Array(buffer, byteOffset, count);
    case DT.INT64: {
      // Label maps never need 64-bit range; doubles hold every integer below 2^53 exactly.
      const src = new BigInt64Array(buffer, byteOffset, count);
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(src[i]);
      return out;
    }
    case DT.UINT64: {
      const src = new BigUint64Array(buffer, byteOffset, count);
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(src[i]);
      return out;
    }
    default:
      throw new Error(`unreachable datatype ${code}`);
  }
}

function swapBytes(body: Uint8Array, width: number): void {
  for (let p = 0; p < body.length; p += width) {
    for (let i = 0, j = width - 1; i < j; i++, j--) {
      const t = body[p + i];
      body[p + i] = body[p + j];
      body[p + j] = t;
    }
  }
}

/** NIFTI_UNITS_METER = 1, MM = 2, MICRON = 3 (low three bits of xyzt_units); unknown units stay as stored. */
function spatialUnitToMm(xyztUnits: number): number {
  switch (xyztUnits & 0x07) {
    case 1:
      return 1000;
    case 3:
      return 0.001;
    default:
      return 1;
  }
}

/**
 * The same voxels as an array in the header's axis order (x slowest: nibabel's and the LA h5 files'
 * convention), with shape and spacing reordered to match. Costs one copy.
 */
export function toHeaderAxisOrder<T extends NiftiVolume>(vol: T): NiftiVolume {
  const n = vol.shape.length;
  if (n <= 1) return { data: vol.data, shape: [...vol.shape], spacing: [...vol.spacing] };
  const src = vol.data;
  const out = new (src.constructor as { new (len: number): NiftiData })(src.length);
  const inShape = vol.shape;
  const outShape = [...inShape].reverse();
  // Output stride of input axis a: input axis a is output axis n-1-a.
  const outStrides = new Array<number>(n);
  let st = 1;
  for (let b = n - 1; b >= 0; b--) {
    outStrides[n - 1 - b] = st;
    st *= outShape[b];
  }
  const idx = new Int32Array(n);
  const rowLen = inShape[n - 1];
  const rows = src.length / rowLen;
  const lastStride = outStrides[n - 1];
  for (let r = 0; r < rows; r++) {
    let dst = 0;
    for (let a = 0; a < n - 1; a++) dst += idx[a] * outStrides[a];
    const base = r * rowLen;
    for (let k = 0; k < rowLen; k++) out[dst + k * lastStride] = src[base + k];
    for (let a = n - 2; a >= 0; a--) {
      if (++idx[a] < inShape[a]) break;
      idx[a] = 0;
    }
  }
  return { data: out, shape: outShape, spacing: [...vol.spacing].reverse() };
}
