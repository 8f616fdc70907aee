import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readNifti, toHeaderAxisOrder } from '../../../src/data/formats/nifti.js';
import { SslBenchError } from '../../../src/errors.js';
import { encodeNifti1 } from '../../helpers/nifti-writer.js';

let dir = '';
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sslb-nifti-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

const iota = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('readNifti', () => {
  test('gzipped 3-D uint8: shape and spacing are the header dims reversed, data as stored', async () => {
    const file = write('a.nii.gz', encodeNifti1(iota(24), { dims: [4, 3, 2], pixdims: [0.5, 0.75, 2.5], gzip: true }));
    const vol = await readNifti(file);
    assert.deepEqual(vol.shape, [2, 3, 4]);
    assert.deepEqual(vol.spacing, [2.5, 0.75, 0.5]);
    assert.ok(vol.data instanceof Uint8Array);
    assert.deepEqual(Array.from(vol.data), iota(24));
    // Voxel x=3, y=1, z=1 sits at C index (z*3 + y)*4 + x.
    assert.equal(vol.data[(1 * 3 + 1) * 4 + 3], 3 + 4 * 1 + 12 * 1);
  });

  test('uncompressed big-endian float32 2-D (dim[0] = 2)', async () => {
    const values = iota(15).map((i) => i * 0.5 - 3);
    const file = write('b.nii', encodeNifti1(values, { dims: [5, 3], pixdims: [0.8, 1.2], dtype: 'float32', littleEndian: false }));
    const vol = await readNifti(file);
    assert.deepEqual(vol.shape, [3, 5]);
    assert.ok(vol.data instanceof Float32Array);
    assert.deepEqual(Array.from(vol.data), values);
    assert.deepEqual(vol.spacing.map((s) => Math.fround(s)), [Math.fround(1.2), Math.fround(0.8)]);
  });

  test('trailing singleton dims are dropped: an X×Y×1×1 file reads as 2-D', async () => {
    const file = write('c.nii', encodeNifti1(iota(6), { dims: [3, 2, 1, 1], pixdims: [1, 2, 5, 1] }));
    const vol = await readNifti(file);
    assert.deepEqual(vol.shape, [2, 3]);
    assert.deepEqual(vol.spacing, [2, 1]);
  });

  test('int16 with scl_slope/scl_inter is scaled; spatial units in metres become millimetres', async () => {
    const file = write('d.nii.gz', encodeNifti1([0, 1, 2, -1], { dims: [2, 2], dtype: 'int16', sclSlope: 2, sclInter: 1, pixdims: [0.001, 0.002], xyztUnits: 1, gzip: true }));
    const vol = await readNifti(file);
    assert.deepEqual(Array.from(vol.data), [1, 3, 5, -1]);
    assert.ok(Math.abs(vol.spacing[0] - 2) < 1e-6 && Math.abs(vol.spacing[1] - 1) < 1e-6, `spacing ${vol.spacing}`);
  });

  test('toHeaderAxisOrder transposes to x-slowest order', async () => {
    const file = write('e.nii', encodeNifti1(iota(24), { dims: [4, 3, 2], pixdims: [0.5, 0.75, 2.5] }));
    const xyz = toHeaderAxisOrder(await readNifti(file));
    assert.deepEqual(xyz.shape, [4, 3, 2]);
    assert.deepEqual(xyz.spacing, [0.5, 0.75, 2.5]);
    for (let x = 0; x < 4; x++) for (let y = 0; y < 3; y++) for (let z = 0; z < 2; z++) assert.equal(xyz.data[(x * 3 + y) * 2 + z], x + 4 * y + 12 * z);
  });

  test('missing, truncated, non-NIfTI and corrupt-gzip files throw SslBenchError naming the file', async () => {
    const full = encodeNifti1(iota(64), { dims: [4, 4, 4] });
    const truncated = write('t.nii', full.subarray(0, full.length - 10));
    const junk = write('j.nii', Buffer.alloc(400, 7));
    const badGz = write('g.nii.gz', Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7]));
    const missing = path.join(dir, 'nope.nii.gz');
    const cases: Array<[string, RegExp]> = [
      [truncated, /truncated/],
      [junk, /not a NIfTI/],
      [badGz, /not valid gzip/],
      [missing, /ENOENT/],
    ];
    for (const [file, why] of cases) {
      await assert.rejects(readNifti(file), (e: unknown) => e instanceof SslBenchError && e.message.includes(file) && why.test(e.message));
    }
  });
});
