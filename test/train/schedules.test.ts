import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consistencyWeight, emaDecay, learningRate, sigmoidRampup } from '../../src/train/schedules.js';

test('sigmoid ramp-up: exp(−5(1−t/L)²), clipped, 1 for L = 0', () => {
  assert.equal(sigmoidRampup(0, 40), Math.exp(-5));
  assert.equal(sigmoidRampup(20, 40), Math.exp(-5 * 0.25));
  assert.equal(sigmoidRampup(40, 40), 1);
  assert.equal(sigmoidRampup(90, 40), 1);
  assert.equal(sigmoidRampup(-3, 40), Math.exp(-5));
  assert.equal(sigmoidRampup(5, 0), 1);
});

test('consistency weight is a 150-iteration staircase reaching w_max at 150·L', () => {
  assert.equal(consistencyWeight(0, 0.1, 40), 0.1 * Math.exp(-5));
  assert.equal(consistencyWeight(149, 0.1, 40), consistencyWeight(0, 0.1, 40));
  assert.notEqual(consistencyWeight(150, 0.1, 40), consistencyWeight(149, 0.1, 40));
  assert.equal(consistencyWeight(150, 0.1, 40), 0.1 * sigmoidRampup(1, 40));
  assert.equal(consistencyWeight(5999, 0.1, 40), 0.1 * sigmoidRampup(39, 40));
  assert.equal(consistencyWeight(6000, 0.1, 40), 0.1);
});

test('step schedule: updates 1–2500 use 0.01, 2501–5000 use 1e-3 (0-based k)', () => {
  const s = { kind: 'step', step: 2500, gamma: 0.1 } as const;
  assert.equal(learningRate(0.01, s, 0), 0.01);
  assert.equal(learningRate(0.01, s, 2499), 0.01);
  assert.ok(Math.abs(learningRate(0.01, s, 2500) - 1e-3) < 1e-15);
  assert.ok(Math.abs(learningRate(0.01, s, 4999) - 1e-3) < 1e-15);
  assert.ok(Math.abs(learningRate(0.01, s, 5000) - 1e-4) < 1e-16);
});

test('poly schedule: update 0 uses base, update k uses base·(1 − (k−1)/max)^0.9', () => {
  const s = { kind: 'poly', power: 0.9, maxIterations: 30000 } as const;
  assert.equal(learningRate(0.01, s, 0), 0.01);
  assert.equal(learningRate(0.01, s, 1), 0.01);
  assert.equal(learningRate(0.01, s, 2), 0.01 * (1 - 1 / 30000) ** 0.9);
});

test('EMA decay warms up as k/(k+1) until α', () => {
  assert.equal(emaDecay(0, 0.99), 0);
  assert.equal(emaDecay(1, 0.99), 0.5);
  assert.equal(emaDecay(9, 0.99), 0.9);
  assert.equal(emaDecay(99, 0.99), 0.99);
  assert.equal(emaDecay(5000, 0.99), 0.99);
  assert.equal(emaDecay(5000, 0.9999), 1 - 1 / 5001);
  assert.equal(emaDecay(0, 0.99, false), 0.99);
});
