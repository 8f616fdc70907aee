/** Registration: idempotence, the SSL_BENCH_FAST_KERNELS=0 escape hatch, backends without fast kernels. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { fastKernelInfo, registerFastKernels, restoreStockKernels } from '../../../src/nn/kernels/index.js';
import { nativeSkip } from './helpers.js';

const indexModule = fileURLToPath(new URL('../../../src/nn/kernels/index.js', import.meta.url));

/** Registers in a fresh process with `env` and returns the report and whether Conv3D on cpu was replaced. */
function registerInChild(env: Record<string, string>): { registered: string[]; skipped: string[]; replaced: boolean } {
  const script = `
    const tf = await import('@tensorflow/tfjs');
    const k = await import(${JSON.stringify(indexModule)});
    await tf.setBackend('cpu');
    const stock = tf.getKernel('Conv3D', 'cpu').kernelFunc;
    const report = k.registerFastKernels('cpu');
    console.log(JSON.stringify({ ...report, replaced: tf.getKernel('Conv3D', 'cpu').kernelFunc !== stock }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

test('SSL_BENCH_FAST_KERNELS=0 keeps every stock kernel but still adds the conv3dTranspose gradient', () => {
  const r = registerInChild({ SSL_BENCH_FAST_KERNELS: '0' });
  assert.equal(r.replaced, false);
  assert.deepEqual(r.registered, ['gradient:Conv3DBackpropInputV2']);
  assert.ok(r.skipped.includes('Conv3D (SSL_BENCH_FAST_KERNELS=0)'));
});

test('an addon that cannot load leaves the stock kernels and says why', () => {
  const r = registerInChild({ SSL_BENCH_NATIVE_ADDON: '/nonexistent/ssl_bench_native.node' });
  assert.equal(r.replaced, false);
  assert.ok(r.skipped.every((s) => /failed to load/.test(s)), r.skipped[0]);
});

test('backends without fast kernels are reported as skipped', () => {
  const r = registerFastKernels('webgl');
  assert.deepEqual(r.registered, ['gradient:Conv3DBackpropInputV2']);
  assert.ok(r.skipped.some((s) => s.startsWith('Conv3D (') && s.includes("'webgl'")));
});

test('registering twice changes nothing; restoring brings the stock kernels back', { skip: nativeSkip }, async () => {
  await tf.setBackend('wasm');
  const stock = tf.getKernel(tf.Conv3D, 'wasm')!.kernelFunc;
  const first = registerFastKernels('wasm');
  const fast = tf.getKernel(tf.Conv3D, 'wasm')!.kernelFunc;
  assert.notEqual(fast, stock);
  const second = registerFastKernels('wasm');
  assert.deepEqual(second, first);
  assert.equal(tf.getKernel(tf.Conv3D, 'wasm')!.kernelFunc, fast);
  assert.ok(first.registered.includes('Conv3D') && first.registered.includes('Sum') && first.registered.includes('Identity'));
  assert.deepEqual(first.skipped, []);
  const restored = restoreStockKernels('wasm');
  assert.ok(restored.includes('Conv3D'));
  assert.equal(tf.getKernel(tf.Conv3D, 'wasm')!.kernelFunc, stock);
});

test('the addon reports its instruction set and threads', { skip: nativeSkip }, () => {
  const info = fastKernelInfo()!;
  assert.ok(['avx2', 'generic'].includes(info.isa));
  assert.ok(info.threads >= 1 && info.threads <= info.cpus);
});
