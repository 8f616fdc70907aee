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

test('the paper-size step needs ~8.4 GiB with the fused batch norm (9.2 after a separate bias add), ~23 as tf ops', () => {
  const gibOf = (batchNorm: 'fused-bias' | 'fused' | 'ops'): number => estimateTrainStepMemory({ ...PAPER, batchNorm }).tensorBytes / GiB;
  assert.ok(gibOf('fused-bias') > 8 && gibOf('fused-bias') < 9, `${gibOf('fused-bias')} GiB`);
  assert.ok(gibOf('fused') > 8.8 && gibOf('fused') < 9.5, `${gibOf('fused')} GiB`);
  assert.ok(gibOf('ops') > 22 && gibOf('ops') < 24, `${gibOf('ops')} GiB`);
  const est = estimateTrainStepMemory(PAPER);
  assert.equal(est.tensorBytes, estimateTrainStepMemory({ ...PAPER, batchNorm: 'ops' }).tensorBytes, 'tf ops by default');
  assert.equal(est.peakBytes, est.tensorBytes + est.nativeScratchBytes);
  assert.equal(est.parameters, 9_448_866);
});

test('activations scale with batch, voxels and filters', () => {
  const base = estimateTrainStepMemory({ size: [64, 64, 48], batch: 2, filters: 8, batchNorm: 'fused' });
  const twice = estimateTrainStepMemory({ size: [64, 64, 48], batch: 4, filters: 8, batchNorm: 'fused' });
  const wide = estimateTrainStepMemory({ size: [64, 64, 48], batch: 2, filters: 16, batchNorm: 'fused' });
  assert.ok(Math.abs(base.tensorBytes / GiB - 0.47) < 0.05, `${base.tensorBytes / GiB} GiB`);
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
  // batch 1 fits with the fused batch norm, not as tf ops
  const est = assertTrainStepFits({ ...PAPER, batch: 1, batchNorm: 'fused' }, 'wasm');
  assert.ok(est.tensorBytes < WASM_HEAP_LIMIT_BYTES);
  assert.throws(() => assertTrainStepFits({ ...PAPER, batch: 1, batchNorm: 'ops' }, 'wasm'), SslBenchError);
  assert.throws(() => assertTrainStepFits({ ...PAPER, batch: 2, batchNorm: 'fused-bias' }, 'wasm'), SslBenchError);
});

test('other backends are checked against the memory available', () => {
  assert.ok(assertTrainStepFits({ ...PAPER, batchNorm: 'fused' }, 'cpu', 64 * GiB).peakBytes < 64 * GiB);
  assert.throws(() => assertTrainStepFits({ ...PAPER, batchNorm: 'fused' }, 'cpu', 8 * GiB), /more than the 8.00 GiB available/);
  // without the fused kernel registered, the default is batch norm as tf ops, and the message says so
  assert.throws(() => assertTrainStepFits(PAPER, 'cpu', 16 * GiB), /\(ops batch norm\).*fused batch norm it would need/);
});

test('nonsense configurations are rejected', () => {
  assert.throws(() => estimateTrainStepMemory({ size: [64, 0, 48], batch: 2, filters: 8 }), (e: unknown) => e instanceof SslBenchError && e.code === 'SSLB_MEMORY_CONFIG');
  assert.throws(() => estimateTrainStepMemory({ size: [64, 64, 48], batch: 1.5, filters: 8 }), SslBenchError);
});
