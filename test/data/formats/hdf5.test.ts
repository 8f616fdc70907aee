import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import h5wasm from 'h5wasm/node';
import { readHdf5 } from '../../../src/data/formats/hdf5.js';
import { SslBenchError } from '../../../src/errors.js';

let dir = '';
let small = '';
const image = Float32Array.from({ length: 4 * 3 * 2 }, (_, i) => i / 7);
const label = Uint8Array.from({ length: 4 * 3 * 2 }, (_, i) => (i % 3 === 0 ? 1 : 0));

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sslb-h5-'));
  small = path.join(dir, 'mri_norm2.h5');
  await h5wasm.ready;
  const f = new h5wasm.File(small, 'w');
  f.create_dataset({ name: 'image', data: image, shape: [4, 3, 2], dtype: '<f4' });
  f.create_dataset({ name: 'label', data: label, shape: [4, 3, 2], dtype: '<B', chunks: [2, 3, 2], compression: 'gzip' });
  f.create_group('group');
  f.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

// The LA data ships with the shared reference when it is mounted; the generated file covers the rest.
function repoRoot(): string {
  let d = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(d, 'package.json')) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}
const LA_DIR = path.resolve(repoRoot(), '..', 'shared', 'data', 'LA');

describe('readHdf5', () => {
  test('reads float32 and gzip-chunked uint8 datasets with shape and dtype', async () => {
    const img = await readHdf5(small, 'image');
    assert.deepEqual(img.shape, [4, 3, 2]);
    assert.equal(img.dtype, 'float32');
    assert.ok(img.data instanceof Float32Array);
    assert.deepEqual(Array.from(img.data), Array.from(image));
    const lab = await readHdf5(small, '/label');
    assert.equal(lab.dtype, 'uint8');
    assert.deepEqual(Array.from(lab.data), Array.from(label));
  });

  test('a missing dataset, a group, a truncated file, junk and a missing file throw SslBenchError naming the file', async () => {
    const bytes = readFileSync(small);
    const truncated = path.join(dir, 'truncated.h5');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const junk = path.join(dir, 'junk.h5');
    writeFileSync(junk, 'not hdf5 at all');
    const cases: Array<[string, string, RegExp]> = [
      [small, 'mask', /has no dataset 'mask'; top-level keys: group, image, label/],
      [small, 'group', /group, not a dataset/],
      [truncated, 'image', /truncated/],
      [junk, 'image', /signature/],
      [path.join(dir, 'absent.h5'), 'image', /ENOENT/],
    ];
    for (const [file, ds, why] of cases) {
      await assert.rejects(readHdf5(file, ds), (e: unknown) => e instanceof SslBenchError && e.message.includes(file) && why.test(e.message));
    }
  });

  test(`real LA mri_norm2.h5 when ${LA_DIR} exists, else the generated file`, async () => {
    const ids = existsSync(LA_DIR) ? readdirSync(LA_DIR).sort() : [];
    const file = ids.length > 0 ? path.join(LA_DIR, ids[0], 'mri_norm2.h5') : small;
    const img = await readHdf5(file, 'image');
    const lab = await readHdf5(file, 'label');
    assert.equal(img.dtype, 'float32');
    assert.equal(lab.dtype, 'uint8');
    assert.deepEqual(img.shape, lab.shape);
    assert.equal(img.shape.length, 3);
    assert.equal(img.data.length, img.shape[0] * img.shape[1] * img.shape[2]);
    let fg = 0;
    for (let i = 0; i < lab.data.length; i++) {
      assert.ok(lab.data[i] === 0 || lab.data[i] === 1);
      fg += lab.data[i];
    }
    assert.ok(fg > 0, 'the label has foreground');
    if (ids.length > 0) {
      // LA volumes keep the full z extent of the scan (88 slices) after the papers' crop.
      assert.equal(img.shape[2], 88);
    }
  });
});
