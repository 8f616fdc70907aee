/**
 * @file Minimal NIfTI-1 single-file writer for test fixtures (not a product feature): 348-byte header,
 * 4 zero extension bytes, voxel data at offset 352.
 */
import { gzipSync } from 'node:zlib';

export type NiftiDtype = 'uint8' | 'int16' | 'int32' | 'float32' | 'float64' | 'uint16';

const CODES: Record<NiftiDtype, { code: number; bytes: number }> = {
  uint8: { code: 2, bytes: 1 },
  int16: { code: 4, bytes: 2 },
  int32: { code: 8, bytes: 4 },
  float32: { code: 16, bytes: 4 },
  float64: { code: 64, bytes: 8 },
  uint16: { code: 512, bytes: 2 },
};

export interface NiftiWriteOptions {
  /** Header dims in NIfTI order (x fastest), 1 to 7 entries. */
  dims: number[];
  /** pixdim[1..] in the same order; default all 1. */
  pixdims?: number[];
  dtype?: NiftiDtype;
  littleEndian?: boolean;
  sclSlope?: number;
  sclInter?: number;
  /** xyzt_units byte; default 2 (millimetres). */
  xyztUnits?: number;
  gzip?: boolean;
}

/**
 * Encodes `values` (in file order: x fastest, which is C order of the reversed dims) as a NIfTI-1 file.
 */
export function encodeNifti1(values: ArrayLike<number>, opts: NiftiWriteOptions): Buffer {
  const dtype = opts.dtype ?? 'uint8';
  const { code, bytes } = CODES[dtype];
  const le = opts.littleEndian ?? true;
  const count = opts.dims.reduce((p, d) => p * d, 1);
  if (values.length !== count) throw new Error(`encodeNifti1: ${values.length} values for dims ${opts.dims.join('x')}`);
  const voxOffset = 352;
  const buf = Buffer.alloc(voxOffset + count * bytes);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  view.setInt32(0, 348, le);
  view.setInt16(40, opts.dims.length, le);
  for (let i = 0; i < 7; i++) view.setInt16(42 + 2 * i, i < opts.dims.length ? opts.dims[i] : 1, le);
  view.setInt16(70, code, le);
  view.setInt16(72, bytes * 8, le);
  view.setFloat32(76, 1, le); // qfac
  for (let i = 0; i < 7; i++) view.setFloat32(80 + 4 * i, opts.pixdims?.[i] ?? 1, le);
  view.setFloat32(108, voxOffset, le);
  view.setFloat32(112, opts.sclSlope ?? 1, le);
  view.setFloat32(116, opts.sclInter ?? 0, le);
  buf[123] = opts.xyztUnits ?? 2;
  buf.write('n+1\0', 344, 'latin1');
  let p = voxOffset;
  for (let i = 0; i < count; i++, p += bytes) {
    const v = values[i];
    switch (dtype) {
      case 'uint8':
        view.setUint8(p, v);
        break;
      case 'int16':
        view.setInt16(p, v, le);
        break;
      case 'uint16':
        view.setUint16(p, v, le);
        break;
      case 'int32':
        view.setInt32(p, v, le);
        break;
      case 'float32':
        view.setFloat32(p, v, le);
        break;
      case 'float64':
        view.setFloat64(p, v, le);
        break;
    }
  }
  return opts.gzip ? gzipSync(buf) : buf;
}
