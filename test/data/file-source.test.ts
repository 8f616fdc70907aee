/**
 * Readers: the real LA and ACDC files in shared/, and small HDF5/NIfTI fixtures generated here for the
 * BraTS, Pancreas and ISLES layouts.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import h5wasm from 'h5wasm/node';
import { getDataset } from '../../src/data/catalog.js';
import { describeMissing, FileSource, openFileSource } from '../../src/data/file-source.js';
import { SslBenchError } from '../../src/errors.js';
import { encodeNifti1 } from '../helpers/nifti-writer.js';
import { LA_DIR, SHARED_DATA, tempDir } from './helpers.js';

const tmp = tempDir();
after(() => tmp.cleanup());
before(async () => {
  await h5wasm.ready;
});

function writeH5(file: string, datasets: Array<{ name: string; data: Float32Array | Uint8Array | Float64Array; shape: number[] }>): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const f = new h5wasm.File(file, 'w');
  for (const d of datasets) {
    const dtype = d.data instanceof Uint8Array ? '<B' : d.data instanceof Float64Array ? '<d' : '<f4';
    f.create_dataset({ name: d.name, data: d.data, shape: d.shape, dtype, chunks: d.shape, compression: 'gzip' });
  }
  f.close();
}

function count(label: Uint8Array, value: number): number {
  let n = 0;
  for (const v of label) if (v === value) n++;
  return n;
}

test('LA: real h5 cases read as float32 image + uint8 {0,1} label with the shapes of DATASETS.md Appendix A', async () => {
  const la = getDataset('LA');
  const src = await openFileSource(la, SHARED_DATA);
  assert.equal(src.datasetId, 'LA');
  // Appendix A: shape and label voxel count of a train and a test case.
  for (const [id, shape, fg] of [
    ['06SR5RBREL16DQ6M8LWS', [183, 140, 88], 154296],
    ['UPT6DX9IQY9JAZ7HJKA7', [175, 132, 88], 206418],
  ] as const) {
    const v = await src.load(id);
    assert.equal(v.id, id);
    assert.deepEqual(v.shape, shape);
    assert.ok(v.image instanceof Float32Array);
    assert.ok(v.label instanceof Uint8Array);
    assert.equal(v.image.length, shape[0] * shape[1] * shape[2]);
    assert.equal(count(v.label!, 1), fg);
    assert.equal(count(v.label!, 0) + fg, v.label!.length, 'labels are only 0 and 1');
    assert.deepEqual(v.spacing, [0.625, 0.625, 0.625]);
    assert.ok(v.image.every(Number.isFinite));
  }
});

test('LA: missing() lists exactly the 48 cases not in shared/, in the order asked', async () => {
  const la = getDataset('LA');
  const src = await openFileSource(la, SHARED_DATA);
  assert.deepEqual(await src.missing(la.splits.train), la.splits.train.slice(32));
  assert.deepEqual(await src.missing(la.splits.test), []);
  const msg = describeMissing(la, la.splits.train.slice(32));
  assert.equal(msg, `missing 48 cases of LA (${la.splits.train.slice(32, 35).join(', ')} and 45 more); fetch them with \`ssl-bench datasets download LA\``);
  assert.match(describeMissing(getDataset('BraTS2019'), ['BraTS19_2013_8_1']), /^missing 1 case of BraTS2019 \(BraTS19_2013_8_1\); it needs a manual download; see `ssl-bench datasets info BraTS2019`, then `ssl-bench datasets import BraTS2019 --from DIR`$/);
  await assert.rejects(src.load(la.splits.train[40]), (err: Error) => err instanceof SslBenchError && err.message.startsWith(`case ${la.splits.train[40]} of LA is missing: expected ${path.join(LA_DIR, la.splits.train[40], 'mri_norm2.h5')}`));
});

test('LA: truncated and corrupted files fail with an error naming the file', async () => {
  const la = getDataset('LA');
  const id = 'UPT6DX9IQY9JAZ7HJKA7';
  const bytes = readFileSync(path.join(LA_DIR, id, 'mri_norm2.h5'));
  const dataDir = path.join(tmp.dir, 'broken');
  const file = path.join(dataDir, 'LA', id, 'mri_norm2.h5');
  mkdirSync(path.dirname(file), { recursive: true });
  const src = await openFileSource(la, dataDir);

  writeFileSync(file, bytes.subarray(0, 800_000));
  await assert.rejects(src.load(id), (err: Error) => err instanceof SslBenchError && err.message.includes(file) && /truncated/.test(err.message));

  const flipped = Buffer.from(bytes);
  for (let i = 600_000; i < 600_100; i++) flipped[i] ^= 0xff;
  writeFileSync(file, flipped);
  await assert.rejects(src.load(id), (err: Error) => err instanceof SslBenchError && err.message.includes(file));

  writeFileSync(file, 'not hdf5 at all');
  await assert.rejects(src.load(id), (err: Error) => err instanceof SslBenchError && err.message.includes(file));
});

test('ACDC: real 2-D slices and 3-D volumes, in the flat layout and in SSL4MIS data/slices/', async () => {
  const acdc = getDataset('ACDC');
  const src = await openFileSource(acdc, SHARED_DATA);
  const slice = acdc.splits.train_slices[0];
  const s = await src.load(slice);
  assert.equal(s.shape.length, 2);
  assert.equal(s.image.length, s.shape[0] * s.shape[1]);
  assert.ok(s.label!.every((v) => v <= 3));
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of s.image) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  assert.ok(lo >= 0 && hi <= 1, 'per-volume min-max to [0,1]');
  assert.equal(s.spacing, undefined, 'ACDC spacing is unknown per case');
  const v = await src.load(acdc.splits.test[0]);
  assert.equal(v.shape.length, 3);
  assert.deepEqual([...new Set(v.label)].sort(), [0, 1, 2, 3]);
  assert.deepEqual(await src.missing(acdc.splits.train_slices.slice(0, 200)), []);
  assert.equal((await src.missing(acdc.splits.train_slices)).length, 1312 - 200);

  const dataDir = path.join(tmp.dir, 'acdc-ssl4mis');
  mkdirSync(path.join(dataDir, 'ACDC', 'data', 'slices'), { recursive: true });
  copyFileSync(path.join(SHARED_DATA, 'ACDC', 'data', `${slice}.h5`), path.join(dataDir, 'ACDC', 'data', 'slices', `${slice}.h5`));
  const other = new FileSource(acdc, dataDir);
  assert.deepEqual((await other.load(slice)).shape, s.shape);
});

test('BraTS2019: SSL4MIS h5 fixture, and raw NIfTI with whole-tumour labels and the SSL4MIS preprocessing', async () => {
  const brats = getDataset('BraTS2019');
  const dataDir = path.join(tmp.dir, 'brats');
  const [h5Id, niiId] = brats.splits.train;
  const shape = [6, 5, 4];
  const n = 6 * 5 * 4;
  writeH5(path.join(dataDir, 'BraTS2019', 'data', `${h5Id}.h5`), [
    { name: 'image', data: Float32Array.from({ length: n }, (_, i) => i / 10), shape },
    { name: 'label', data: Uint8Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 1 : 0)), shape },
  ]);
  // Raw case, header dims x=6, y=5, z=4; brain (non-zero FLAIR) in x 1..4, y 1..3, z 1..2.
  const [X, Y, Z] = [6, 5, 4];
  const flair = new Int16Array(X * Y * Z);
  const seg = new Uint8Array(X * Y * Z);
  for (let z = 1; z <= 2; z++) for (let y = 1; y <= 3; y++) for (let x = 1; x <= 4; x++) flair[(z * Y + y) * X + x] = 100 + x + 10 * y + 20 * z;
  seg[(1 * Y + 2) * X + 2] = 4;
  seg[(2 * Y + 2) * X + 3] = 2;
  seg[(2 * Y + 3) * X + 4] = 1;
  const caseDir = path.join(dataDir, 'BraTS2019', 'MICCAI_BraTS_2019_Data_Training', 'LGG', niiId);
  mkdirSync(caseDir, { recursive: true });
  writeFileSync(path.join(caseDir, `${niiId}_flair.nii.gz`), encodeNifti1(flair, { dims: [X, Y, Z], dtype: 'int16', gzip: true }));
  writeFileSync(path.join(caseDir, `${niiId}_seg.nii.gz`), encodeNifti1(seg, { dims: [X, Y, Z], dtype: 'uint8', gzip: true }));

  const src = await openFileSource(brats, dataDir);
  assert.deepEqual(await src.missing(brats.splits.train.slice(0, 3)), [brats.splits.train[2]]);
  const a = await src.load(h5Id);
  assert.deepEqual(a.shape, shape);
  assert.equal(a.image[13], Math.fround(1.3));
  assert.equal(count(a.label!, 1), Math.ceil(n / 7));

  const b = await src.load(niiId);
  assert.deepEqual(b.shape, [4, 3, 2], 'cropped to the brain bounding box, in (x, y, z) order');
  assert.deepEqual(b.spacing, [1, 1, 1]);
  assert.deepEqual([...new Set(b.label)].sort(), [0, 1], 'labels 1, 2, 4 become whole tumour');
  assert.equal(count(b.label!, 1), 3);
  let mean = 0;
  for (const v of b.image) mean += v;
  assert.ok(Math.abs(mean / b.image.length) < 1e-5, 'z-scored over non-zero voxels (all of the crop here)');
  // (x=2, y=2, z=1) of the raw volume is (1, 1, 0) in the crop: C order over (x, y, z) = (1*3 + 1)*2 + 0.
  assert.equal(b.label![(1 * 3 + 1) * 2 + 0], 1);
});

test('ISLES2022: BIDS NIfTI (DWI + mask) in header axis order with header spacing; DyCON h5 with a mask dataset', async () => {
  const isles = getDataset('ISLES2022');
  const dataDir = path.join(tmp.dir, 'isles');
  const id = isles.splits.test[0];
  const [X, Y, Z] = [5, 4, 3];
  const dwi = Float32Array.from({ length: X * Y * Z }, (_, i) => (i % 5 === 0 ? 0 : i));
  const msk = new Uint8Array(X * Y * Z);
  msk[(2 * Y + 1) * X + 3] = 1; // x=3, y=1, z=2
  const root = path.join(dataDir, 'ISLES2022');
  mkdirSync(path.join(root, id, 'ses-0001', 'dwi'), { recursive: true });
  mkdirSync(path.join(root, 'derivatives', id, 'ses-0001'), { recursive: true });
  writeFileSync(path.join(root, id, 'ses-0001', 'dwi', `${id}_ses-0001_dwi.nii.gz`), encodeNifti1(dwi, { dims: [X, Y, Z], pixdims: [2, 2, 3], dtype: 'float32', gzip: true }));
  writeFileSync(path.join(root, 'derivatives', id, 'ses-0001', `${id}_ses-0001_msk.nii.gz`), encodeNifti1(msk, { dims: [X, Y, Z], pixdims: [2, 2, 3], gzip: true }));
  const src = await openFileSource(isles, dataDir);
  const v = await src.load(id);
  assert.deepEqual(v.shape, [X, Y, Z]);
  assert.deepEqual(v.spacing, [2, 2, 3]);
  assert.equal(v.label![(3 * Y + 1) * Z + 2], 1, 'voxel (x=3, y=1, z=2) at C index (x*Y + y)*Z + z');
  assert.equal(count(v.label!, 1), 1);

  const h5Id = isles.splits.test[1];
  writeH5(path.join(root, 'h5', `${h5Id}.h5`), [
    { name: 'image', data: new Float64Array(8).fill(0.5), shape: [2, 2, 2] },
    { name: 'mask', data: Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 1), shape: [2, 2, 2] },
  ]);
  const h = await src.load(h5Id);
  assert.ok(h.image instanceof Float32Array, 'float64 images become float32');
  assert.deepEqual([...h.label!], [0, 0, 0, 1, 0, 0, 0, 1]);
});

test('Pancreas-NIH: DyCON layout and MC-Net+ float labels; a label outside the classes names the file', async () => {
  const pancreas = getDataset('Pancreas-NIH');
  const dataDir = path.join(tmp.dir, 'pancreas');
  const root = path.join(dataDir, 'Pancreas-NIH');
  writeH5(path.join(root, 'Pancreas_data', 'PANCREAS_0001.h5'), [
    { name: 'image', data: new Float32Array(27).fill(0.25), shape: [3, 3, 3] },
    { name: 'label', data: Uint8Array.from({ length: 27 }, (_, i) => (i === 13 ? 1 : 0)), shape: [3, 3, 3] },
  ]);
  writeH5(path.join(root, 'image0057_norm.h5'), [
    { name: 'image', data: new Float32Array(8), shape: [2, 2, 2] },
    { name: 'label', data: Float32Array.of(0, 1, 0, 1, 0, 0, 0, 1), shape: [2, 2, 2] },
  ]);
  writeH5(path.join(root, 'Pancreas_data', 'PANCREAS_0002.h5'), [
    { name: 'image', data: new Float32Array(8), shape: [2, 2, 2] },
    { name: 'label', data: Uint8Array.of(0, 3, 0, 0, 0, 0, 0, 0), shape: [2, 2, 2] },
  ]);
  writeH5(path.join(root, 'Pancreas_data', 'PANCREAS_0003.h5'), [
    { name: 'image', data: new Float32Array(8), shape: [2, 2, 2] },
    { name: 'label', data: new Uint8Array(4), shape: [2, 2] },
  ]);
  const src = await openFileSource(pancreas, dataDir);
  assert.equal(count((await src.load('PANCREAS_0001')).label!, 1), 1);
  assert.deepEqual([...(await src.load('image0057')).label!], [0, 1, 0, 1, 0, 0, 0, 1]);
  const f2 = path.join(root, 'Pancreas_data', 'PANCREAS_0002.h5');
  await assert.rejects(src.load('PANCREAS_0002'), { message: `${f2}: label value 3 found; expected 0..1 (2 classes)` });
  await assert.rejects(src.load('PANCREAS_0003'), /PANCREAS_0003\.h5: 'image' has shape \[2, 2, 2\] but 'label' has \[2, 2\]; expected the same shape/);
  assert.deepEqual(await src.missing(['PANCREAS_0001', 'PANCREAS_0004', 'image0057']), ['PANCREAS_0004']);
});
