/** verify and import on real LA files, and the format check for files without a published checksum. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getDataset } from '../../src/data/catalog.js';
import { checkDataset, fileMatchesCase, importCandidates, importDataset, selectFiles } from '../../src/data/files.js';
import { LA_DIR, presentLaCases, runCli, tempDir } from './helpers.js';

const la = getDataset('LA');
const [A, B, C] = presentLaCases();
const tmp = tempDir();
after(() => tmp.cleanup());

test('case filters pick the files of a case in every layout', () => {
  assert.ok(fileMatchesCase('06SR5RBREL16DQ6M8LWS/mri_norm2.h5', '06SR5RBREL16DQ6M8LWS'));
  assert.ok(fileMatchesCase('data/patient020_frame01_slice_1.h5', 'patient020_frame01_slice_1'));
  assert.ok(fileMatchesCase('data/patient020_frame01_slice_1.h5', 'patient020_frame01'), 'a volume id selects its slices too');
  assert.ok(!fileMatchesCase('data/patient020_frame01_slice_1.h5', 'patient020_frame01_slice_10'));
  assert.ok(fileMatchesCase('derivatives/sub-strokecase0001/ses-0001/sub-strokecase0001_ses-0001_msk.nii.gz', 'sub-strokecase0001'));
  assert.deepEqual(selectFiles(la, [A]).map((f) => f.path), [`${A}/mri_norm2.h5`]);
  assert.throws(() => selectFiles(la, ['NOPE']), (err: Error & { exitCode?: number }) => err.exitCode === 2 && /^--cases: dataset LA has no file for case\(s\) NOPE$/.test(err.message));
});

test('import adopts files from the UA-MT and the flat AC-MT layouts, checking each checksum first', async () => {
  const from = path.join(tmp.dir, 'user-copy');
  mkdirSync(path.join(from, '2018LA_Seg_Training Set', A), { recursive: true });
  copyFileSync(path.join(LA_DIR, A, 'mri_norm2.h5'), path.join(from, '2018LA_Seg_Training Set', A, 'mri_norm2.h5'));
  copyFileSync(path.join(LA_DIR, B, 'mri_norm2.h5'), path.join(from, `${B}.h5`));
  const broken = readFileSync(path.join(LA_DIR, C, 'mri_norm2.h5'));
  broken[100_000] ^= 0x10;
  writeFileSync(path.join(from, `${C}.h5`), broken);
  assert.deepEqual(importCandidates(la, { path: `${A}/mri_norm2.h5` }, '/u').slice(0, 2), [`/u/${A}/mri_norm2.h5`, `/u/2018LA_Seg_Training Set/${A}/mri_norm2.h5`]);

  const dataDir = path.join(tmp.dir, 'imported');
  const out = await importDataset(la, dataDir, from, { cases: [A, B, C], link: true });
  assert.deepEqual(out.map((o) => o.state), ['imported', 'imported', 'corrupt']);
  assert.equal(out[0].how, 'link');
  assert.equal(statSync(path.join(dataDir, 'LA', A, 'mri_norm2.h5')).ino, statSync(path.join(from, '2018LA_Seg_Training Set', A, 'mri_norm2.h5')).ino, 'hard link');
  assert.match(out[2].message!, new RegExp(`${C}\\.h5: sha256 [0-9a-f]{64}, expected `));
  assert.equal(existsSync(path.join(dataDir, 'LA', C)), false, 'a corrupt copy is not imported');

  const checks = await checkDataset(la, dataDir, { cases: [A, B, C] });
  assert.deepEqual(checks.map((c) => c.state), ['verified', 'verified', 'missing']);

  // CLI: copies (no --link), already-present files are skipped, corrupt ones fail the command.
  const r = await runCli(['datasets', 'import', 'LA', '--from', from, '--data-dir', dataDir, '--cases', `${A},${B},${C}`]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /LA: 0 imported \(copied\), 2 already present, 0 not found under .*, 1 corrupt/);
  assert.match(r.stderr, /ssl-bench: LA: 1 file\(s\) under .* failed the checksum and were not imported/);
  const none = await runCli(['datasets', 'import', 'LA', '--from', path.join(tmp.dir), '--data-dir', path.join(tmp.dir, 'x'), '--cases', A]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /none of its 1 files found under .*; expected e\.g\. 06SR5RBREL16DQ6M8LWS\/mri_norm2\.h5/);
});

test('verify: a partial download is reported as missing with a resume note; a size mismatch as corrupt', async () => {
  const dataDir = path.join(tmp.dir, 'verify');
  const dir = path.join(dataDir, 'LA');
  mkdirSync(path.join(dir, A), { recursive: true });
  mkdirSync(path.join(dir, B), { recursive: true });
  writeFileSync(path.join(dir, A, 'mri_norm2.h5.part'), Buffer.alloc(10));
  writeFileSync(path.join(dir, B, 'mri_norm2.h5'), readFileSync(path.join(LA_DIR, B, 'mri_norm2.h5')).subarray(0, 5000));
  const checks = await checkDataset(la, dataDir, { cases: [A, B] });
  assert.equal(checks[0].state, 'missing');
  assert.match(checks[0].message!, /partial download .*mri_norm2\.h5\.part \(10 bytes\) can be resumed/);
  assert.equal(checks[1].state, 'corrupt');
  assert.match(checks[1].message!, /mri_norm2\.h5: size 5000 bytes, expected \d+/);
});

test('files without a checksum: presence plus the HDF5 / gzip signature', async () => {
  const pancreas = getDataset('Pancreas-NIH');
  const dataDir = path.join(tmp.dir, 'pancreas');
  const dir = path.join(dataDir, 'Pancreas-NIH', 'Pancreas_data');
  mkdirSync(dir, { recursive: true });
  copyFileSync(path.join(LA_DIR, A, 'mri_norm2.h5'), path.join(dir, 'PANCREAS_0001.h5'));
  writeFileSync(path.join(dir, 'PANCREAS_0002.h5'), '<html>Google Drive virus scan warning</html>');
  const checks = await checkDataset(pancreas, dataDir, { cases: ['PANCREAS_0001', 'PANCREAS_0002', 'PANCREAS_0003'] });
  assert.deepEqual(checks.map((c) => c.state), ['present', 'corrupt', 'missing']);
  assert.match(checks[1].message!, /PANCREAS_0002\.h5: not an HDF5 file \(no superblock signature\)/);

  const isles = getDataset('ISLES2022');
  const idir = path.join(tmp.dir, 'isles', 'ISLES2022', 'derivatives', 'sub-strokecase0001', 'ses-0001');
  mkdirSync(idir, { recursive: true });
  writeFileSync(path.join(idir, 'sub-strokecase0001_ses-0001_msk.nii.gz'), 'plain text');
  const ic = await checkDataset(isles, path.join(tmp.dir, 'isles'), { cases: ['sub-strokecase0001'] });
  assert.deepEqual(ic.map((c) => c.state), ['missing', 'corrupt']);
  assert.match(ic[1].message!, /not gzip-compressed/);
});
