/** The training-step memory estimate and the out-of-memory error. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SslBenchError } from '../../../src/errors.js';
import { assertTrainStepFits, estimateTrainStepMemory, vnetParameterCount, WASM_HEAP_LIMIT_BYTES } from '../../../src/nn/kernels/memory.js';

const GiB = 2 ** 30;
const PAPER = { size: [112, 112, 80] as const, batch: 4, filters: 16 };

test('parameter count of the LA V-Net', () => {
  assert.equal(vnetParameterCount(16), 9_448_866);
  assert.equal(vnetParameterCount(8), 2_364_434);
});

test('the paper-size step needs ~10.5 GiB of tensors with the fused batch norm and ~37 GiB without', () => {
  const fused = estimateTrainStepMemory({ ...PAPER, batchNorm: 'fused' });
  const ops = estimateTrainStepMemory({ ...PAPER, batchNorm: 'ops' });
  assert.ok(fused.tensorBytes > 10 * GiB && fused.tensorBytes < 11 * GiB, `${fused.tensorBytes / GiB} GiB`);
  assert.ok(ops.tensorBytes > 35 * GiB && ops.tensorBytes < 39 * GiB, `${ops.tensorBytes / GiB} GiB`);
  assert.equal(fused.peakBytes, fused.tensorBytes + fused.nativeScratchBytes);
  assert.equal(fused.parameters, 9_448_866);
});

test('activations scale with batch, voxels and filters', () => {
  const base = estimateTrainStepMemory({ size: [64, 64, 48], batch: 2, filters: 8, batchNorm: 'fused' });
  const twice = estimateTrainStepMemory({ size: [64, 64, 48], batch: 4, filters: 8, batchNorm: 'fused' });
  const wide = estimateTrainStepMemory({ size: [64, 64, 48], batch: 2, filters: 16, batchNorm: 'fused' });
  assert.equal(twice.activationBytes, 2 * base.activationBytes);
  assert.equal(wide.activationBytes, 2 * base.activationBytes);
  assert.ok(wide.parameterBytes > 3.9 * base.parameterBytes);
  const cotrain = estimateTrainStepMemory({ size: [64, 64, 48], batch: 2, filters: 8, batchNorm: 'fused', networks: 2 });
  assert.equal(cotrain.activationBytes, 2 * base.activationBytes);
});

test('a step beyond the wasm heap is a clear SslBenchError', () => {
  assert.throws(
    () => assertTrainStepFits(PAPER, 'wasm'),
    (err: unknown) => err instanceof SslBenchError && err.code === 'SSLB_OUT_OF_MEMORY' && /4 GiB heap/.test(err.message) && /--backend cpu/.test(err.message),
  );
  // batch 1 with the fused batch norm fits in the heap
  const est = assertTrainStepFits({ ...PAPER, batch: 1, batchNorm: 'fused' }, 'wasm');
  assert.ok(est.tensorBytes < WASM_HEAP_LIMIT_BYTES);
});

test('other backends are checked against the memory available', () => {
  assert.ok(assertTrainStepFits({ ...PAPER, batchNorm: 'fused' }, 'cpu', 64 * GiB).peakBytes < 64 * GiB);
  assert.throws(() => assertTrainStepFits({ ...PAPER, batchNorm: 'fused' }, 'cpu', 8 * GiB), /more than the 8.00 GiB available/);
});

test('nonsense configurations are rejected', () => {
  assert.throws(() => estimateTrainStepMemory({ size: [64, 0, 48], batch: 2, filters: 8 }), (e: unknown) => e instanceof SslBenchError && e.code === 'SSLB_MEMORY_CONFIG');
  assert.throws(() => estimateTrainStepMemory({ size: [64, 64, 48], batch: 1.5, filters: 8 }), SslBenchError);
});
