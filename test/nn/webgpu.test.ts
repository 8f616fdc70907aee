/**
 * Cross-backend tests of the webgpu backend against cpu (same seed, same batch). Where no WebGPU adapter
 * can be created they skip with the reason, unless SSL_BENCH_REQUIRE_WEBGPU=1 (set by .ci/run, which
 * installs Mesa 25's lavapipe first): then they fail. A software adapter is fine here: these tests force
 * `--backend webgpu`, as a user on lavapipe would.
 *
 * Tolerances: the two backends sum in different orders (tiled WGSL kernels vs the cpu backend's loops), so
 * float32 results agree to a few ulps per operation, which grows with the reduction length and the depth of
 * the network. Measured on lavapipe: single kernels ~1e-6 relative, the V-Net forward/backward and one
 * training step ~1e-5 to 1e-4 relative. The bounds below (1e-4 for kernels, 2e-3 relative-to-norm for the
 * network and the steps) leave room for another driver while still catching any real error, which moves
 * results by O(1).
 *
 * The reference is the stock tfjs cpu backend (SSL_BENCH_FAST_KERNELS=0 below): the project's native cpu
 * kernels (fused batch norm, direct convolutions) round differently, and through the cancellations of
 * batch norm's backward pass their V-Net gradients differ from stock tfjs by up to ~1e-2 relative at this
 * size, while webgpu agrees with stock tfjs to ~4e-4.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tf, type Tensor } from '../../src/nn/tf.js';
import { selectBackend } from '../../src/nn/backend.js';
import { restoreStockKernels } from '../../src/nn/kernels/index.js';
import { probeWebgpu, syncReadUnavailable } from '../../src/nn/webgpu.js';
import { VNet } from '../../src/nn/vnet.js';
import { Rng } from '../../src/util/rng.js';
import { METHOD_IDS, getMethod } from '../../src/methods/index.js';
import { resolveConfig, type ResolvedConfig } from '../../src/train/config.js';
import { buildNetworks, train } from '../../src/train/trainer.js';
import { getDataset, resolveSplit } from '../../src/data/catalog.js';
import { SyntheticSource } from '../../src/data/synthetic.js';
import type { Network } from '../../src/nn/network.js';

process.env.SSL_BENCH_FAST_KERNELS = '0';
const REQUIRED = process.env.SSL_BENCH_REQUIRE_WEBGPU === '1';
const probe = await probeWebgpu();
const unavailable = !probe.ok ? probe.reason : syncReadUnavailable();
const skip = unavailable && !REQUIRED ? `no usable WebGPU adapter here: ${unavailable} (CI installs Mesa 25 lavapipe with .ci/install-vulkan and sets SSL_BENCH_REQUIRE_WEBGPU=1)` : false;

test('webgpu backend is available (required in CI: SSL_BENCH_REQUIRE_WEBGPU=1)', { skip }, async () => {
  assert.equal(unavailable, undefined, `webgpu unavailable: ${unavailable}`);
  const sel = await selectBackend('webgpu');
  assert.equal(sel.name, 'webgpu');
  assert.equal(tf.getBackend(), 'webgpu');
  // A synchronous read goes through the event-loop pump and returns the right values.
  const t = tf.tensor([1.5, -2, 3], [3]);
  assert.deepEqual(Array.from(tf.mul(t, 2).dataSync()), [3, -4, 6]);
});

/** Makes `name` current, with the stock kernels on cpu (see the file comment). */
async function useBackend(name: string): Promise<void> {
  await selectBackend(name);
  if (name === 'cpu') restoreStockKernels('cpu');
  assert.equal(tf.getBackend(), name);
}

/** Runs `f` on cpu and on webgpu and returns both results as plain arrays. */
async function onBoth<T>(f: () => Tensor[] | Promise<Tensor[]>): Promise<{ cpu: Float32Array[]; gpu: Float32Array[] }> {
  const out: Float32Array[][] = [];
  for (const backend of ['cpu', 'webgpu']) {
    await useBackend(backend);
    const ts = await f();
    out.push(await Promise.all(ts.map(async (t) => (await t.data()) as Float32Array)));
    tf.dispose(ts);
  }
  return { cpu: out[0], gpu: out[1] };
}

/** max |a − b| / max |a| over a list of tensors, and the index of the worst. */
function relError(a: Float32Array[], b: Float32Array[]): { err: number; worst: number } {
  let worst = 0;
  let err = 0;
  a.forEach((x, i) => {
    let scale = 0;
    let diff = 0;
    for (let j = 0; j < x.length; j++) {
      scale = Math.max(scale, Math.abs(x[j]));
      diff = Math.max(diff, Math.abs(x[j] - b[i][j]));
    }
    assert.ok(Number.isFinite(diff), `tensor ${i}: non-finite values`);
    const e = diff / Math.max(scale, 1e-12);
    if (e > err) [err, worst] = [e, i];
  });
  return { err, worst };
}

test('3-D kernels on webgpu match cpu: conv3d (stride 1 same, stride 2 valid) and both backprops, conv3dTranspose, max/avg pool 3-D with gradients', { skip }, async () => {
  const { cpu, gpu } = await onBoth(() => {
    const x = tf.randomNormal([2, 8, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor5D;
    const w = tf.randomNormal([3, 3, 3, 3, 4], 0, 1, 'float32', 2) as tf.Tensor5D;
    const w2 = tf.randomNormal([2, 2, 2, 3, 4], 0, 1, 'float32', 3) as tf.Tensor5D;
    const up = tf.randomNormal([2, 2, 2, 3, 4], 0, 1, 'float32', 4) as tf.Tensor5D;
    const loss = (...args: Tensor[]) =>
      tf.tidy(() => {
        const [a, b, c, d] = args as tf.Tensor5D[];
        const y1 = tf.conv3d(a, b, 1, 'same');
        const y2 = tf.conv3d(a, c, 2, 'valid');
        const y3 = tf.conv3dTranspose(y2, d, [2, 8, 8, 8, 3], 2, 'valid');
        const p = tf.add(tf.sum(tf.square(tf.maxPool3d(a, 2, 2, 'valid'))), tf.sum(tf.square(tf.avgPool3d(a, 2, 2, 'valid'))));
        return tf.addN([tf.sum(tf.square(y1)), tf.sum(tf.mul(y3, a)), p]) as tf.Scalar;
      });
    const { value, grads } = tf.valueAndGrads(loss)([x, w, w2, up]);
    const outs = [tf.conv3d(x, w, 1, 'same'), tf.conv3d(x, w2, 2, 'valid'), tf.maxPool3d(x, 2, 2, 'valid'), tf.avgPool3d(x, 2, 2, 'valid'), value, ...grads];
    tf.dispose([x, w, w2, up]);
    return outs;
  });
  const { err, worst } = relError(cpu, gpu);
  assert.ok(err < 1e-4, `relative error ${err} in output ${worst}`);
});

test('V-Net forward and backward on webgpu match cpu (4 filters, 2×16×16×16, train mode with BN and dropout)', { skip }, async () => {
  let names: string[] = [];
  const { cpu, gpu } = await onBoth(() => {
    const net = new VNet('xb', 3, { filters: 4, dropout: 0.5 });
    const params = [...net.store.params.values()];
    names = [...net.store.params.keys()];
    const x = tf.randomNormal([2, 16, 16, 16, 1], 0, 1, 'float32', 9);
    const labels = tf.cast(tf.greater(tf.randomUniform([2, 16, 16, 16], 0, 1, 'float32', 10), 0.6), 'int32');
    let logits: Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const out = net.forward(x, { training: true, rng: new Rng(5) });
      logits = tf.keep(out.logits);
      const logp = tf.logSoftmax(out.logits);
      return tf.neg(tf.mean(tf.sum(tf.mul(logp, tf.oneHot(labels, 2)), -1))) as tf.Scalar;
    }, params);
    const outs = [logits!, value, ...params.map((p) => grads[p.name])];
    const running = [...net.store.buffers.values()].map((b) => tf.clone(b));
    tf.dispose([x, labels]);
    net.dispose();
    return [...outs, ...running];
  });
  // Logits, loss and BN running statistics tensor by tensor; the gradients as one vector (a conv bias
  // followed by batch norm has an exactly-zero gradient in exact arithmetic, so on its own it is pure
  // rounding noise on both backends).
  const n = names.length;
  const plain = relError([...cpu.slice(0, 2), ...cpu.slice(2 + n)], [...gpu.slice(0, 2), ...gpu.slice(2 + n)]);
  assert.ok(plain.err < 2e-3, `relative error ${plain.err} in ${plain.worst === 0 ? 'logits' : plain.worst === 1 ? 'loss' : 'a BN running statistic'}`);
  const flat = (xs: Float32Array[]) => Float32Array.from(xs.flatMap((x) => Array.from(x)));
  const ga = flat(cpu.slice(2, 2 + n));
  const gb = flat(gpu.slice(2, 2 + n));
  let num = 0;
  let den = 0;
  for (let i = 0; i < ga.length; i++) {
    num += (ga[i] - gb[i]) ** 2;
    den += ga[i] ** 2;
  }
  const perTensor = names.map((name, i) => {
    let a = 0;
    let b = 0;
    cpu[2 + i].forEach((v, j) => {
      a += (v - gpu[2 + i][j]) ** 2;
      b += v * v;
    });
    return `${name} ${Math.sqrt(a / Math.max(b, 1e-30)).toExponential(1)}`;
  });
  assert.ok(Math.sqrt(num / den) < 2e-3, `gradients differ by ${Math.sqrt(num / den)} relative (L2); per tensor: ${perTensor.join(', ')}`);
  // Not vacuous: the gradients are non-zero.
  assert.ok(cpu.slice(2).some((g) => g.some((v) => v !== 0)));
});

/** One update of `method` at a tiny size: 16×16×16 patches (2-D methods: 32×32), 2 filters, batch as the smoke profile. */
function tinyConfig(methodId: string): ResolvedConfig {
  const config = resolveConfig({ method: methodId, dataset: 'synthetic', protocol: '8+32', profile: 'smoke', seed: 3 });
  // Multi-stage methods: one update per stage, each stage starting from the last weights of the one before
  // (the best-model selection between stages needs evaluation, which is not what is compared here).
  const stages = config.stages?.map((s) => ({ ...s, iterations: 1, selectOn: undefined, init: { ...s.init, from: 'last' as const } }));
  return { ...config, iterations: 1, patch: [16, 16, 16], filters: 2, checkpointEvery: 1000, ...(stages ? { stages } : {}) } as ResolvedConfig;
}

async function weightsOf(nets: Record<string, Network>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [role, net] of Object.entries(nets)) {
    for (const [k, v] of [...net.store.params, ...net.store.buffers]) out.set(`${role}/${k}`, (await v.data()) as Float32Array);
  }
  return out;
}

async function oneStep(methodId: string, backend: string): Promise<{ before: Map<string, Float32Array>; after: Map<string, Float32Array>; loss: number }> {
  await useBackend(backend);
  const method = getMethod(methodId);
  const config = tinyConfig(methodId);
  const initial = buildNetworks(method, config).nets;
  const before = await weightsOf(initial);
  Object.values(initial).forEach((n) => n.dispose());
  const entry = getDataset('synthetic');
  const runDir = mkdtempSync(path.join(os.tmpdir(), `sslb-webgpu-${methodId}-`));
  const r = await train({ method, config, split: resolveSplit(entry, '8+32'), source: new SyntheticSource(entry), runDir, fingerprint: 'webgpu-test' });
  const after = await weightsOf(r.nets);
  Object.values(r.nets).forEach((n) => n.dispose());
  return { before, after, loss: r.finalLoss };
}

for (const methodId of METHOD_IDS) {
  test(`one training step of ${methodId} on webgpu matches cpu (same seed, same batch)`, { skip }, async () => {
    const cpu = await oneStep(methodId, 'cpu');
    const gpu = await oneStep(methodId, 'webgpu');
    assert.deepEqual([...gpu.after.keys()], [...cpu.after.keys()]);
    assert.ok(Math.abs(gpu.loss - cpu.loss) <= 1e-4 * Math.max(1, Math.abs(cpu.loss)), `loss ${gpu.loss} vs ${cpu.loss}`);
    // Compare the updates (after − before), not the weights, so the bound is relative to what the step changed.
    let num = 0;
    let den = 0;
    let worst = { key: '', rel: 0 };
    for (const [key, a] of cpu.after) {
      const b = gpu.after.get(key)!;
      const w0 = cpu.before.get(key)!;
      assert.deepEqual(Array.from(gpu.before.get(key)!), Array.from(w0), `${key}: same initial weights`);
      let n = 0;
      let d = 0;
      for (let i = 0; i < a.length; i++) {
        n += (b[i] - a[i]) ** 2;
        d += (a[i] - w0[i]) ** 2;
      }
      num += n;
      den += d;
      const rel = Math.sqrt(n / Math.max(d, 1e-30));
      if (d > 1e-20 && rel > worst.rel) worst = { key, rel };
    }
    assert.ok(den > 0, 'the step changed the weights');
    const rel = Math.sqrt(num / den);
    assert.ok(rel < 2e-3, `update differs by ${rel.toExponential(2)} relative (worst tensor ${worst.key}: ${worst.rel.toExponential(2)})`);
  });
}

test('webgpu training keeps the tensor count flat across steps (every step disposes what it makes)', { skip }, async () => {
  await selectBackend('webgpu');
  const entry = getDataset('synthetic');
  const config = { ...tinyConfig('mt'), iterations: 5 };
  const counts: number[] = [];
  const bytes: number[] = [];
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'sslb-webgpu-mem-'));
  const r = await train({
    method: getMethod('mt'),
    config,
    split: resolveSplit(entry, '8+32'),
    source: new SyntheticSource(entry),
    runDir,
    fingerprint: 'webgpu-mem',
    onProgress: () => {
      counts.push(tf.memory().numTensors);
      bytes.push(tf.memory().numBytes);
    },
  });
  assert.equal(counts.length, 5);
  // The first step creates the optimiser's momentum buffers; from then on nothing may accumulate.
  assert.deepEqual(counts.slice(1), Array(4).fill(counts[1]), `tensors after each step: ${counts.join(', ')}`);
  assert.deepEqual(bytes.slice(1), Array(4).fill(bytes[1]), `bytes after each step: ${bytes.join(', ')}`);
  Object.values(r.nets).forEach((n) => n.dispose());
});

test('a training step that cannot fit the webgpu adapter fails up front with a clear error (no adapter needed)', async () => {
  const { assertTrainStepFits } = await import('../../src/nn/kernels/index.js');
  // lavapipe binds at most 128 MiB per buffer; the paper size (112×112×80, batch 4, 16 filters) has 257 MB activations.
  assert.throws(
    () => assertTrainStepFits({ size: [112, 112, 80], batch: 4, filters: 16 }, 'webgpu', undefined, 128 * 2 ** 20),
    (err: Error & { code?: string }) => err.code === 'SSLB_OUT_OF_MEMORY' && /maxStorageBufferBindingSize/.test(err.message) && /at most 2 at this patch/.test(err.message),
  );
  assert.throws(
    () => assertTrainStepFits({ size: [112, 112, 80], batch: 4, filters: 16 }, 'webgpu', 2 * 2 ** 30, 4 * 2 ** 30),
    (err: Error & { code?: string }) => err.code === 'SSLB_OUT_OF_MEMORY' && /GiB of GPU memory, more than the 2\.00 GiB available/.test(err.message),
  );
  const est = assertTrainStepFits({ size: [16, 16, 16], batch: 2, filters: 4 }, 'webgpu', 2 * 2 ** 30, 128 * 2 ** 20);
  assert.ok(est.tensorBytes > 0 && est.tensorBytes < 2 * 2 ** 30);
});
