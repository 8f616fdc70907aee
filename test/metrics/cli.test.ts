import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import h5wasm from 'h5wasm/node';
import { binaryMetrics, labelMetrics } from '../../src/metrics/index.js';
import { encodeNifti1 } from '../helpers/nifti-writer.js';
import { repoRoot } from './vectors.js';

const BIN = path.join(repoRoot(), 'bin', 'ssl-bench.js');
let dir = '';

// File order (x fastest) for dims [X, Y, Z]; as a C-order array that is shape [Z, Y, X].
const X = 10;
const Y = 8;
const Z = 6;
const dims = [X, Y, Z];
const cshape = [Z, Y, X];
const size = X * Y * Z;
const at = (x: number, y: number, z: number): number => (z * Y + y) * X + x;
const pred = new Uint8Array(size);
const ref = new Uint8Array(size);
const multi = new Uint8Array(size);
for (let z = 1; z < 5; z++)
  for (let y = 2; y < 6; y++)
    for (let x = 2; x < 8; x++) {
      pred[at(x, y, z)] = 1;
      ref[at(x - 1, y, z + (x > 5 ? 1 : 0))] = 1;
      multi[at(x, y, z)] = x < 5 ? 1 : 2;
    }

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'metrics', ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string): string {
  return path.join(dir, name);
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sslb-cli-metrics-'));
  const pixdims = [0.5, 1, 2];
  writeFileSync(file('a.nii.gz'), encodeNifti1(pred, { dims, pixdims, gzip: true }));
  writeFileSync(file('b.nii.gz'), encodeNifti1(ref, { dims, pixdims, gzip: true }));
  writeFileSync(file('multi.nii'), encodeNifti1(multi, { dims, pixdims }));
  writeFileSync(file('small.nii.gz'), encodeNifti1(new Uint8Array(X * Y * (Z - 1)), { dims: [X, Y, Z - 1], gzip: true }));
  // The same reference as an HDF5 dataset in x, y, z axis order (the LA files' convention).
  await h5wasm.ready;
  const xyz = new Uint8Array(size);
  for (let x = 0; x < X; x++) for (let y = 0; y < Y; y++) for (let z = 0; z < Z; z++) xyz[(x * Y + y) * Z + z] = ref[at(x, y, z)];
  const f = new h5wasm.File(file('ref.h5'), 'w');
  f.create_dataset({ name: 'label', data: xyz, shape: [X, Y, Z], dtype: '<B' });
  f.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('ssl-bench metrics', () => {
  test('--spacing 1,1,1 --json prints the four metrics and flags, exit 0', () => {
    const r = run(file('a.nii.gz'), file('b.nii.gz'), '--spacing', '1,1,1', '--json');
    assert.equal(r.code, 0, r.stderr);
    const expected = binaryMetrics(pred, ref, cshape, { spacing: [1, 1, 1] });
    assert.deepEqual(JSON.parse(r.stdout), { ...expected });
    assert.ok(expected.hd95 > 0 && expected.dice < 1);
  });

  test('without --spacing the NIfTI header spacing is used (x,y,z = 0.5,1,2); --spacing is given in x,y,z order', () => {
    const header = JSON.parse(run(file('a.nii.gz'), file('b.nii.gz'), '--json').stdout);
    const expected = binaryMetrics(pred, ref, cshape, { spacing: [2, 1, 0.5] });
    assert.equal(header.hd95, expected.hd95);
    assert.equal(header.asd, expected.asd);
    const explicit = JSON.parse(run(file('a.nii.gz'), file('b.nii.gz'), '--spacing', '0.5,1,2', '--json').stdout);
    assert.deepEqual(explicit, header);
  });

  test('NIfTI against file.h5:dataset lines the axes up; ref-to-pred ASD on request', () => {
    const r = run(file('a.nii.gz'), `${file('ref.h5')}:label`, '--spacing', '1,1,1', '--json', '--asd-direction', 'ref-to-pred');
    assert.equal(r.code, 0, r.stderr);
    const expected = binaryMetrics(pred, ref, cshape, { asdDirection: 'ref-to-pred' });
    const got = JSON.parse(r.stdout);
    assert.equal(got.dice, expected.dice);
    assert.equal(got.hd95, expected.hd95);
    assert.ok(Math.abs(got.asd - expected.asd) < 1e-12);
  });

  test('--labels gives per-label results and the mean; a readable table without --json', () => {
    const r = run(file('multi.nii'), file('multi.nii'), '--labels', '1,2,3', '--json', '--spacing', '1,1,1');
    assert.equal(r.code, 0, r.stderr);
    const got = JSON.parse(r.stdout);
    const expected = labelMetrics(multi, multi, cshape, [1, 2, 3]);
    assert.deepEqual(Object.keys(got.labels), ['1', '2', '3']);
    assert.equal(got.labels['3'].note, 'both-empty-scored-zero');
    assert.deepEqual(got.mean, expected.mean);
    const table = run(file('multi.nii'), file('a.nii.gz'), '--labels', '1,2');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /95HD \(mm\)/);
    assert.match(table.stdout, /mean/);
    assert.doesNotMatch(table.stdout, /\u001b\[/, 'no colour codes when piped');
  });

  test('a shape mismatch exits 1 with one line naming both files', () => {
    const r = run(file('a.nii.gz'), file('small.nii.gz'), '--json');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^ssl-bench: shapes differ: .*a\.nii\.gz is 10×8×6 \(x×y×z\) but .*small\.nii\.gz is 10×8×5/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  test('a non-binary mask without --labels and a missing dataset exit 1', () => {
    const nonBinary = run(file('multi.nii'), file('a.nii.gz'));
    assert.equal(nonBinary.code, 1);
    assert.match(nonBinary.stderr, /multi\.nii is not a binary mask \(value 2 found\); pass --labels/);
    const missing = run(file('a.nii.gz'), `${file('ref.h5')}:mask`);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /ref\.h5 has no dataset 'mask'/);
  });

  test('bad flag values exit 2', () => {
    for (const args of [
      ['--spacing', '1,0,1'],
      ['--spacing', '1,1'],
      ['--labels', '1,x'],
      ['--semantics', 'scipy'],
      ['--asd-direction', 'both'],
    ]) {
      const r = run(file('a.nii.gz'), file('b.nii.gz'), ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^ssl-bench: /);
    }
    assert.equal(run(file('a.txt'), file('b.nii.gz')).code, 2);
  });

  test('--help documents voxel units for the LA papers', () => {
    const r = run('--help');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--spacing 1,1,1/);
    assert.match(r.stdout, /Examples:/);
  });
});
