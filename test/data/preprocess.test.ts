import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applySteps, clipUpperCdf, cropNonzero, zscore } from '../../src/data/preprocess.js';
import { describeTransfer, formatBytes, formatDuration } from '../../src/data/progress.js';

test('cropNonzero keeps the bounding box of non-zero voxels in image and label', () => {
  // shape [3, 4]: non-zero at (1,1) and (2,2)
  const image = Float32Array.from([0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 7, 0]);
  const label = Uint8Array.from([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0]);
  const c = cropNonzero({ shape: [3, 4], image, label });
  assert.deepEqual(c.shape, [2, 2]);
  assert.deepEqual([...c.image], [5, 0, 0, 7]);
  assert.deepEqual([...c.label], [1, 0, 0, 2]);
  const empty = { shape: [2, 2], image: new Float32Array(4), label: new Uint8Array(4) };
  assert.equal(cropNonzero(empty), empty, 'an all-zero image is left as is');
});

test('clipUpperCdf cuts at the smallest value whose cumulative share reaches p', () => {
  const image = Float32Array.from({ length: 1000 }, (_, i) => i);
  assert.equal(Math.max(...clipUpperCdf(image, 0.999)), 998);
  assert.equal(Math.max(...clipUpperCdf(image, 0.5)), 499);
  assert.equal(Math.min(...clipUpperCdf(image, 0.5)), 0);
});

test('zscore over positive voxels leaves the background at (0 - mean) / std (SSL4MIS)', () => {
  const out = zscore(Float32Array.from([0, 2, 4, 0]), true);
  // mean 3, population std 1 over {2, 4}
  assert.deepEqual([...out], [-3, -1, 1, -3]);
  const all = zscore(Float32Array.from([1, 2, 3, 4]), false);
  assert.ok(Math.abs(all.reduce((a, b) => a + b, 0)) < 1e-6);
});

test('applySteps rejects malformed steps with the file named', () => {
  const c = { shape: [2], image: Float32Array.from([1, 2]), label: new Uint8Array(2) };
  assert.deepEqual([...applySteps(['clip:0:1.5'], c, 'f.nii').image], [1, 1.5]);
  assert.throws(() => applySteps(['clip:0'], c, 'f.nii'), /f\.nii: step 'clip:0' needs two numbers/);
  assert.throws(() => applySteps(['blur'], c, 'f.nii'), /f\.nii: unknown preprocessing step 'blur'/);
});

test('progress formatting: bytes, durations, rate and ETA', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.50 KiB');
  assert.equal(formatBytes(250 * 1024 * 1024), '250.0 MiB');
  assert.equal(formatDuration(59.4), '59s');
  assert.equal(formatDuration(61), '1m01s');
  assert.equal(formatDuration(3720), '1h02m');
  assert.equal(
    describeTransfer({ filesDone: 3, filesTotal: 10, bytesDone: 10 * 1024 * 1024, bytesTotal: 40 * 1024 * 1024, bytesReceived: 10 * 1024 * 1024 }, 5),
    '3/10 files  10.0 MiB/40.0 MiB  2.00 MiB/s  ETA 15s',
  );
});
