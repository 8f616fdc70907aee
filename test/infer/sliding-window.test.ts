import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, slidingWindow, windowStarts } from '../../src/infer/sliding-window.js';
import { largestConnectedComponent } from '../../src/util/components.js';

test('window starts: ⌈(dim − patch)/s⌉ + 1 windows, the last snapped to the border', () => {
  assert.deepEqual(windowStarts(175, 112, 18), [0, 18, 36, 54, 63]);
  assert.deepEqual(windowStarts(132, 112, 18), [0, 18, 20]);
  assert.deepEqual(windowStarts(88, 80, 4), [0, 4, 8]);
  assert.deepEqual(windowStarts(112, 112, 18), [0]);
});

test('LA case 175×132×88 at stride 18/4 takes 5×3×3 = 45 windows; probabilities are window averages', async () => {
  const shape = [40, 30, 20];
  const image = Float32Array.from({ length: 40 * 30 * 20 }, (_, i) => (i % 13) / 13);
  let calls = 0;
  // A "network" whose foreground probability is the voxel intensity itself: averaging must give it back.
  const predict = async (w: Float32Array, count: number) => {
    calls += count;
    const out = new Float32Array(w.length * 2);
    for (let v = 0; v < w.length; v++) { out[2 * v] = 1 - w[v]; out[2 * v + 1] = w[v]; }
    return out;
  };
  const { probabilities, windows } = await slidingWindow(image, shape, { patch: [16, 16, 16], strides: [7, 3], classes: 2, windowsPerCall: 3 }, predict);
  assert.equal(windows, windowStarts(40, 16, 7).length * windowStarts(30, 16, 7).length * windowStarts(20, 16, 3).length);
  assert.equal(calls, windows);
  const n = image.length;
  for (let v = 0; v < n; v += 97) assert.ok(Math.abs(probabilities[n + v] - image[v]) < 1e-6);
  const big = await slidingWindow(new Float32Array(175 * 132 * 88), [175, 132, 88], { patch: [112, 112, 80], strides: [18, 4], classes: 2, windowsPerCall: 45 }, async (w) => new Float32Array(w.length * 2));
  assert.equal(big.windows, 45);
});

test('volumes smaller than the patch are zero-padded symmetrically and cropped back', async () => {
  const image = Float32Array.from({ length: 5 * 6 * 7 }, (_, i) => i + 1);
  const seen: number[] = [];
  const { probabilities } = await slidingWindow(image, [5, 6, 7], { patch: [8, 8, 8], strides: [4, 4], classes: 2 }, async (w) => {
    seen.push(w[0]);
    const out = new Float32Array(w.length * 2);
    for (let v = 0; v < w.length; v++) out[2 * v + 1] = w[v] > 0 ? 1 : 0;
    return out;
  });
  assert.deepEqual(seen, [0], 'the padded corner is zero');
  assert.ok(probabilities.subarray(image.length).every((p) => p === 1), 'every real voxel maps back');
});

test('decision rules: argmax takes the first maximum; threshold needs P(fg) > 0.5', () => {
  const probs = Float32Array.from([0.5, 0.7, 0.2, 0.5, 0.3, 0.8]); // class-major, 3 voxels
  assert.deepEqual(Array.from(decide(probs, 2, 'argmax')), [0, 0, 1]);
  assert.deepEqual(Array.from(decide(probs, 2, 'foreground-threshold')), [0, 0, 1]);
});

test('largest connected component uses 26-connectivity and keeps the first of equal-size components', () => {
  const shape = [4, 4, 4];
  const m = new Uint8Array(64);
  const at = (i: number, j: number, k: number) => (i * 4 + j) * 4 + k;
  m[at(0, 0, 0)] = 1; m[at(1, 1, 1)] = 1; // diagonal neighbours: one component of 2
  m[at(3, 3, 3)] = 1; m[at(3, 3, 2)] = 1; // another component of 2, met later
  m[at(0, 3, 0)] = 1; // a singleton
  const out = largestConnectedComponent(m, shape);
  assert.deepEqual([out[at(0, 0, 0)], out[at(1, 1, 1)], out[at(3, 3, 3)], out[at(3, 3, 2)], out[at(0, 3, 0)]], [1, 1, 0, 0, 0]);
  assert.equal(largestConnectedComponent(new Uint8Array(64), shape).some((v) => v), false);
});
