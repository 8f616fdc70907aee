import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { numpyMean, pairwiseSum, percentileLinear } from '../../src/metrics/stats.js';
import { firstNonBinary } from '../../src/metrics/masks.js';

// Expected values printed by numpy 1.24 (Debian bookworm's python3-numpy); a running sum gives the
// second number, so these pin the pairwise algorithm rather than just "a sum".
describe('numpy reductions', () => {
  test('pairwiseSum reproduces numpy float64 sums bit for bit', () => {
    const tenths = new Float64Array(1000).fill(0.1);
    assert.equal(pairwiseSum(tenths), 100.00000000000001);
    assert.notEqual(Array.from(tenths).reduce((a, b) => a + b, 0), 100.00000000000001);
    const roots = Float64Array.from({ length: 1237 }, (_, i) => Math.sqrt(i));
    assert.equal(pairwiseSum(roots), 28986.56802466815);
    const sevenths = Float64Array.from({ length: 300 }, (_, i) => (i + 1) / 7);
    assert.equal(numpyMean(sevenths), 21.5);
    assert.ok(Number.isNaN(numpyMean(new Float64Array(0))));
  });

  test('percentileLinear is numpy.percentile(method="linear"), including the g ≥ 0.5 branch', () => {
    assert.equal(percentileLinear(Float64Array.from([3.5, 0, 2, 1, 0]), 95), 3.1999999999999997);
    assert.equal(percentileLinear(Float64Array.from({ length: 23 }, (_, i) => (22 - i) / 3), 95), 6.966666666666666);
    assert.equal(percentileLinear(Float64Array.of(4), 95), 4);
    assert.ok(Number.isNaN(percentileLinear(new Float64Array(0), 95)));
  });
});

describe('firstNonBinary', () => {
  test('finds a non-binary value in aligned and unaligned byte masks and in float masks', () => {
    const big = new Uint8Array(4099);
    big[17] = 1;
    assert.equal(firstNonBinary(big), undefined);
    big[4098] = 3; // in the tail after the last whole word
    assert.equal(firstNonBinary(big), 3);
    big[4098] = 0;
    big[2001] = 255;
    assert.equal(firstNonBinary(big), 255);
    assert.equal(firstNonBinary(big.subarray(1)), 255);
    assert.equal(firstNonBinary(Float32Array.of(0, 1, 0.5)), 0.5);
    assert.equal(firstNonBinary([0, 1, -0]), undefined);
  });
});
