import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, type Tensor } from '../../src/nn/tf.js';
import { createNetwork } from '../../src/nn/networks.js';
import { selectBackend } from '../../src/nn/backend.js';
import type { Network, NetworkArch } from '../../src/nn/network.js';
import { Rng } from '../../src/util/rng.js';

async function values(t: Tensor): Promise<Float32Array> {
  return (await t.data()) as Float32Array;
}

function countWhere(net: Network, pred: (key: string) => boolean): number {
  let n = 0;
  for (const [k, v] of net.store.params) if (pred(k)) n += v.size;
  return n;
}

async function stats(t: Tensor): Promise<{ mean: number; std: number; maxAbs: number }> {
  const v = await values(t);
  let s = 0;
  let s2 = 0;
  let m = 0;
  for (const x of v) {
    s += x;
    s2 += x * x;
    m = Math.max(m, Math.abs(x));
  }
  const mean = s / v.length;
  return { mean, std: Math.sqrt(s2 / v.length - mean * mean), maxAbs: m };
}

const param = (net: Network, key: string) => {
  const v = net.store.params.get(key);
  assert.ok(v, `parameter ${key} exists`);
  return v;
};

const near = (actual: number, expected: number, rel: number, what: string) => assert.ok(Math.abs(actual / expected - 1) < rel, `${what}: ${actual} vs ${expected}`);

test('MCF 3D-ResVNet: 17,930,354 parameters (encoder 15,858,384); kaiming convs, every BN γ = 1 (zero-γ overridden)', async () => {
  await tf.setBackend('cpu');
  const net = createNetwork('resvnet', 'resvnet-count', 1, {});
  assert.equal(net.parameterCount(), 17_930_354);
  assert.equal(countWhere(net, (k) => k.startsWith('encoder.')), 15_858_384);
  for (const [k, v] of net.store.params) {
    if (/\.(bn\d?|downsample\.bn)\.weight$/.test(k)) assert.ok((await values(v)).every((g) => g === 1), `${k} γ = 1`);
    if (/\.(bn\d?|downsample\.bn)\.bias$/.test(k)) assert.ok((await values(v)).every((b) => b === 0), `${k} β = 0`);
  }
  assert.ok(!net.store.params.has('encoder.layer4.0.conv1.bias'), 'ResNet convs have no bias');
  near((await stats(param(net, 'encoder.layer4.1.conv1.weight'))).std, Math.sqrt(2 / (27 * 256)), 0.01, 'kaiming std, 3³ conv');
  near((await stats(param(net, 'encoder.conv1.weight'))).std, Math.sqrt(2 / 343), 0.05, 'kaiming std, 7³ stem');
  // PyTorch takes a transposed conv's fan_in from weight dim 1 (Cout·k³).
  near((await stats(param(net, 'decoder.block_5_up.conv.weight'))).std, Math.sqrt(2 / (128 * 8)), 0.01, 'kaiming std, transposed conv');
  assert.ok((await stats(param(net, 'decoder.block_6.conv.0.bias'))).maxAbs <= 1 / Math.sqrt(27 * 128), 'conv bias keeps the default init');
  net.dispose();
});

test('CML dual V-Net: 19,724,612 parameters = 2 × 7,376,896 encoders + 2,071,970 + 2,898,850 decoders; default init', async () => {
  await tf.setBackend('cpu');
  const net = createNetwork('dual-vnet', 'dual-count', 1, {});
  assert.equal(net.parameterCount(), 19_724_612);
  assert.equal(countWhere(net, (k) => k.startsWith('encoder1.')), 7_376_896);
  assert.equal(countWhere(net, (k) => k.startsWith('encoder2.')), 7_376_896);
  assert.equal(countWhere(net, (k) => k.startsWith('decoder1.')), 2_071_970);
  assert.equal(countWhere(net, (k) => k.startsWith('decoder2.')), 2_898_850);
  const w = await stats(param(net, 'decoder2.block_5_up.conv.weight'));
  assert.ok(w.maxAbs <= 1 / Math.sqrt(27 * 256) && w.maxAbs > 0.99 / Math.sqrt(27 * 256), 'U(±1/√fan_in)');
  net.dispose();
});

test('DyCON UNet3D + projection head: 6,148,532 parameters; kaiming convs, projection BN γ ~ N(1, 0.02), β = 0', async () => {
  await tf.setBackend('cpu');
  const net = createNetwork('unet3d', 'unet3d-count', 1, {});
  assert.equal(net.parameterCount(), 6_148_532);
  assert.equal(countWhere(net, (k) => k.startsWith('projection_head.')), 264_448);
  const g = await stats(param(net, 'projection_head.1.weight'));
  assert.ok(Math.abs(g.mean - 1) < 0.006 && g.std > 0.015 && g.std < 0.025, `γ mean ${g.mean} std ${g.std}`);
  assert.ok((await values(param(net, 'projection_head.4.bias'))).every((b) => b === 0));
  near((await stats(param(net, 'center.conv2.weight'))).std, Math.sqrt(2 / (27 * 256)), 0.01, 'kaiming std');
  net.dispose();
});

test('SSL4MIS 2-D U-Net: 1,813,764 parameters (1 channel in, 4 classes); default init', async () => {
  await tf.setBackend('cpu');
  const net = createNetwork('unet2d', 'unet2d-count', 1, {});
  assert.equal(net.parameterCount(), 1_813_764);
  assert.equal(countWhere(net, (k) => k.startsWith('encoder.')), 1_180_464);
  const w = await stats(param(net, 'decoder.out_conv.weight'));
  assert.ok(w.maxAbs <= 1 / Math.sqrt(16 * 9) && w.maxAbs > 0.9 / Math.sqrt(16 * 9));
  net.dispose();
});

/** Dropout off in every architecture (the 2-D U-Net's encoder rates are separate from the V-Net option). */
const NO_DROPOUT = { dropout: 0, encoderDropout: [0, 0, 0, 0, 0] };

interface Case {
  arch: NetworkArch;
  input: number[];
  logits: number[];
  heads: number[][];
  features: Record<string, number[]>;
  /**
   * Biases of convolutions whose output goes straight into a BatchNorm (train mode) or an InstanceNorm:
   * the normalisation subtracts them again, so their gradient is zero — in PyTorch too. Only these may
   * get a (numerically) zero gradient.
   */
  cancelled: RegExp;
}

const CASES: Case[] = [
  {
    arch: 'resvnet',
    input: [2, 16, 16, 16, 1],
    logits: [2, 16, 16, 16, 2],
    heads: [],
    features: { x5: [2, 1, 1, 1, 32], x8: [2, 8, 8, 8, 4], x9: [2, 16, 16, 16, 2] },
    cancelled: /^decoder\.block_\d+(_up)?\.conv(\.\d+)?\.bias$/,
  },
  {
    arch: 'dual-vnet',
    input: [2, 16, 16, 16, 1],
    logits: [2, 16, 16, 16, 2],
    heads: [[2, 16, 16, 16, 2]],
    features: { emb1: [2, 1, 1, 1, 32], emb2: [2, 1, 1, 1, 32] },
    cancelled: /^(encoder|decoder)\d\.block_\d+(_dw|_up)?\.conv(\.\d+)?\.bias$/,
  },
  {
    arch: 'unet3d',
    input: [1, 32, 32, 16, 1],
    logits: [1, 32, 32, 16, 2],
    heads: [[1, 32, 32, 16, 2]],
    features: { embedding: [1, 4, 4, 2, 32] },
    cancelled: /^((conv\d|center|up_concat\d\.conv)\.conv\d|projection_head\.[03])\.bias$/,
  },
  {
    arch: 'unet2d',
    input: [2, 32, 32, 1],
    logits: [2, 32, 32, 4],
    heads: [],
    features: { x4: [2, 2, 2, 32], up4: [2, 32, 32, 2] },
    cancelled: /conv_conv\.[04]\.bias$/,
  },
];

for (const c of CASES) {
  test(`${c.arch}: output shapes at 2 filters, and a train-mode backward reaches every parameter`, async () => {
    await tf.setBackend('cpu');
    const net = createNetwork(c.arch, `${c.arch}-grad`, 2, { filters: 2, ...NO_DROPOUT });
    const x = tf.randomNormal(c.input, 0, 1, 'float32', 3);
    const out = net.forward(x, { training: false });
    assert.deepEqual(out.logits.shape, c.logits);
    assert.deepEqual(
      out.heads.map((h) => h.shape),
      c.heads,
    );
    assert.deepEqual(Object.fromEntries(Object.entries(out.features).map(([k, v]) => [k, v.shape])), c.features);

    // A random projection of every output: a plain mean would be blind to parameters upstream of a
    // normalisation whose outputs sum to a constant.
    const keyOf = new Map([...net.store.params].map(([k, v]) => [v.name, k]));
    const { grads } = tf.variableGrads(() => {
      const o = net.forward(x, { training: true, rng: new Rng(1) });
      const outs = [o.logits, ...o.heads, ...Object.values(o.features)];
      return tf.addN(outs.map((t, i) => tf.mean(tf.mul(t, tf.randomNormal(t.shape, 0, 1, 'float32', 100 + i))))) as tf.Scalar;
    }, [...net.store.params.values()]);
    const size = new Map<string, number>();
    for (const [name, g] of Object.entries(grads)) size.set(keyOf.get(name)!, (await stats(g)).maxAbs);
    assert.equal(size.size, net.store.params.size, 'a gradient for every parameter');
    let cancelled = 0;
    for (const [k, m] of size) {
      assert.ok(Number.isFinite(m), `${k}: finite gradient`);
      if (c.cancelled.test(k)) {
        cancelled++;
        const weight = size.get(k.replace(/\.bias$/, '.weight'))!;
        assert.ok(m < 1e-4 * weight, `${k}: cancelled by the normalisation (${m} vs weight ${weight})`);
      } else assert.ok(m > 0, `${k}: non-zero gradient`);
    }
    assert.ok(cancelled > 0);
    net.dispose();
  });
}

test('BatchNorm running stats move only in train mode (ResVNet), with PyTorch momentum 0.1 and unbiased variance', async () => {
  await tf.setBackend('cpu');
  const net = createNetwork('resvnet', 'resvnet-bn', 4, { filters: 2, dropout: 0 });
  const x = tf.randomNormal([1, 16, 16, 16, 1], 0, 1, 'float32', 5);
  const rm = net.store.buffers.get('encoder.bn1.running_mean')!;
  const rv = net.store.buffers.get('encoder.bn1.running_var')!;
  net.forward(x, { training: false });
  assert.deepEqual(Array.from(await values(rm)), [0, 0]);
  net.forward(x, { training: true, rng: new Rng(1) });
  // Stem BN input = the 7³ conv output, recomputed here from the weights.
  const stem = tf.conv3d(x as tf.Tensor5D, net.store.params.get('encoder.conv1.weight') as unknown as tf.Tensor5D, 1, 'same');
  const { mean, variance } = tf.moments(stem, [0, 1, 2, 3]);
  const n = stem.size / 2;
  const m = await values(mean);
  const v = await values(variance);
  const rmv = await values(rm);
  const rvv = await values(rv);
  for (let ch = 0; ch < 2; ch++) {
    assert.ok(Math.abs(rmv[ch] - 0.1 * m[ch]) < 1e-5);
    assert.ok(Math.abs(rvv[ch] - (0.9 + 0.1 * v[ch] * (n / (n - 1)))) < 1e-4);
  }
  net.dispose();
});

test('ResVNet: Dropout3d only on x9 — the bottleneck is untouched, x9 loses whole channels', async () => {
  await tf.setBackend('cpu');
  const x = tf.randomNormal([2, 16, 16, 16, 1], 0, 1, 'float32', 6);
  const withDrop = createNetwork('resvnet', 'resvnet-drop', 7, { filters: 4, dropout: 0.5 });
  const noDrop = createNetwork('resvnet', 'resvnet-drop', 7, { filters: 4, dropout: 0 });
  const a = withDrop.forward(x, { training: true, rng: new Rng(9) });
  const b = noDrop.forward(x, { training: true, rng: new Rng(9) });
  assert.deepEqual(Array.from(await values(a.features.x5)), Array.from(await values(b.features.x5)));
  const x9 = await values(a.features.x9);
  const ref = await values(b.features.x9);
  let dropped = 0;
  for (let s = 0; s < 2; s++)
    for (let ch = 0; ch < 4; ch++) {
      let zero = true;
      let scaled = true;
      for (let i = 0; i < 4096; i++) {
        const j = (s * 4096 + i) * 4 + ch;
        if (x9[j] !== 0) zero = false;
        if (Math.abs(x9[j] - 2 * ref[j]) > 1e-5) scaled = false;
      }
      assert.ok(zero || scaled, 'each channel is either dropped or scaled by 1/(1−p)');
      if (zero) dropped++;
    }
  assert.ok(dropped > 0 && dropped < 8);
  withDrop.dispose();
  noDrop.dispose();
});

test('dual V-Net: independent views; Dropout3d on both embeddings; eval mode deterministic', async () => {
  await tf.setBackend('cpu');
  const net = createNetwork('dual-vnet', 'dual-views', 3, { filters: 2 });
  assert.deepEqual(net.store.params.get('decoder1.block_5_up.conv.weight')!.shape, [2, 2, 2, 16, 32]);
  assert.deepEqual(net.store.params.get('decoder2.block_5_up.conv.weight')!.shape, [3, 3, 3, 32, 16]);
  const x = tf.randomNormal([2, 16, 16, 16, 1], 0, 1, 'float32', 8);
  const e1 = net.forward(x, { training: false });
  const e2 = net.forward(x, { training: false });
  assert.deepEqual(Array.from(await values(e1.logits)), Array.from(await values(e2.logits)));
  assert.notDeepEqual(Array.from(await values(e1.logits)), Array.from(await values(e1.heads[0])));
  const t = net.forward(x, { training: true, rng: new Rng(2) });
  const emb = [await values(t.features.emb1), await values(t.features.emb2)];
  // 2 samples × 32 channels per embedding at p = 0.5: some whole channels must be zero.
  const zeroChannels = emb.map((v) => {
    let z = 0;
    for (let i = 0; i < v.length; i++) if (v[i] === 0) z++;
    return z;
  });
  assert.ok(zeroChannels.every((z) => z > 0));
  net.dispose();
});

test('UNet3D: InstanceNorm path is mode-independent (train = eval without dropout), projection BN is not; tanh head; scaleFactor', async () => {
  await tf.setBackend('cpu');
  const x = tf.randomNormal([1, 32, 32, 16, 1], 0, 1, 'float32', 9);
  const net = createNetwork('unet3d', 'unet3d-modes', 5, { filters: 2, dropout: 0 });
  const train = net.forward(x, { training: true, rng: new Rng(1) });
  const evalOut = net.forward(x, { training: false });
  const diff = tf.max(tf.abs(tf.sub(train.logits, evalOut.logits))).dataSync()[0];
  assert.ok(diff < 1e-5, `logits differ by ${diff}`);
  assert.ok(tf.max(tf.abs(tf.sub(train.features.embedding, evalOut.features.embedding))).dataSync()[0] > 1e-3);
  const tanh = await stats(evalOut.heads[0]);
  assert.ok(tanh.maxAbs <= 1);
  net.dispose();

  const unscaled = createNetwork('unet3d', 'unet3d-scale', 5, { filters: 2, scaleFactor: 1 });
  assert.deepEqual(unscaled.forward(x, { training: false }).features.embedding.shape, [1, 2, 2, 1, 32]);
  unscaled.dispose();
});

test('element-wise dropout in UNet3D and UNet2D draws its masks from ctx.rng', async () => {
  await tf.setBackend('cpu');
  for (const [arch, shape] of [
    ['unet3d', [1, 32, 32, 16, 1]],
    ['unet2d', [2, 32, 32, 1]],
  ] as const) {
    const net = createNetwork(arch, `${arch}-rng`, 6, { filters: 2 });
    const x = tf.randomNormal([...shape], 0, 1, 'float32', 10);
    const a = await values(net.forward(x, { training: true, rng: new Rng(3) }).logits);
    const b = await values(net.forward(x, { training: true, rng: new Rng(3) }).logits);
    const c = await values(net.forward(x, { training: true, rng: new Rng(4) }).logits);
    assert.deepEqual(Array.from(a), Array.from(b), `${arch}: same stream, same output`);
    assert.notDeepEqual(Array.from(a), Array.from(c), `${arch}: another stream, other masks`);
    assert.throws(() => net.forward(x, { training: true }), /ctx\.rng/);
    net.dispose();
  }
});

test('UNet2D: encoder dropout is part of the architecture — SSL4MIS rates by default, `dropout` (the V-Net option) ignored', async () => {
  await tf.setBackend('cpu');
  const x = tf.randomNormal([1, 32, 32, 1], 0, 1, 'float32', 11);
  const recipe = createNetwork('unet2d', 'unet2d-p', 6, { filters: 2, dropout: 0 });
  assert.throws(() => recipe.forward(x, { training: true }), /ctx\.rng/, 'dropout: 0 leaves the encoder dropout on');
  recipe.dispose();
  const none = createNetwork('unet2d', 'unet2d-p', 6, { filters: 2, encoderDropout: [0, 0, 0, 0, 0] });
  const a = await values(none.forward(x, { training: true }).logits);
  const b = await values(none.forward(x, { training: true }).logits);
  assert.deepEqual(Array.from(a), Array.from(b), 'no dropout, no rng needed');
  none.dispose();
  const { UNet2D } = await import('../../src/nn/unet2d.js');
  const byDefault = new UNet2D('p1', 1, { filters: 1 });
  assert.deepEqual(byDefault.options.encoderDropout, [0.05, 0.1, 0.2, 0.3, 0.5]);
  byDefault.dispose();
  assert.throws(() => new UNet2D('p3', 1, { encoderDropout: [0.1] }), /5 rates/);
});

/**
 * Forward and parameter gradients of one train-mode step on `backend`, selected the way the harness does
 * (with the project's kernel fixes). Cancelled biases are left out: their gradients are rounding noise.
 */
async function stepOn(backend: string, c: Case, shape: number[]) {
  const selected = await selectBackend(backend);
  const net = createNetwork(c.arch, `${c.arch}-backend`, 12, { filters: 2, ...NO_DROPOUT });
  const x = tf.randomNormal(shape, 0, 1, 'float32', 13);
  const keyOf = new Map([...net.store.params].map(([k, v]) => [v.name, k]));
  const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(net.forward(x, { training: true }).logits)) as tf.Scalar, [...net.store.params.values()]);
  const g = new Map<string, Float32Array>();
  for (const [name, t] of Object.entries(grads)) if (!c.cancelled.test(keyOf.get(name)!)) g.set(keyOf.get(name)!, await values(t));
  const loss = (await value.data())[0];
  net.dispose();
  return { loss, g, kernels: selected.fastKernels };
}

async function compareWithCpu(arch: NetworkArch, shape: number[], t: { skip(reason: string): void }) {
  const c = CASES.find((k) => k.arch === arch)!;
  try {
    const cpu = await stepOn('cpu', c, shape);
    const wasm = await stepOn('wasm', c, shape);
    // Stock tfjs-wasm 4.22 computes Conv3DBackpropInputV2 wrongly; src/nn/kernels replaces it.
    if (!wasm.kernels.some((k) => /^(reference:)?Conv3DBackpropInputV2$/.test(k))) return t.skip('no Conv3DBackpropInputV2 fix registered for wasm');
    near(wasm.loss, cpu.loss, 1e-4, `${arch} loss`);
    for (const [k, a] of cpu.g) {
      const b = wasm.g.get(k)!;
      let m = 0;
      let d = 0;
      for (let i = 0; i < a.length; i++) {
        m = Math.max(m, Math.abs(a[i]));
        d = Math.max(d, Math.abs(a[i] - b[i]));
      }
      assert.ok(d <= 1e-2 * m, `${arch} ${k}: wasm gradient off by ${d} (max ${m})`);
    }
  } finally {
    await tf.setBackend('cpu');
  }
}

test('UNet3D and UNet2D train on the wasm backend: same loss and gradients as cpu', async (t) => {
  await compareWithCpu('unet3d', [1, 32, 32, 16, 1], t);
  await compareWithCpu('unet2d', [2, 32, 32, 1], t);
});

test("ResVNet on wasm: same gradients as cpu (the native kernels replace tfjs-wasm's wrong stride-2 Conv3DBackpropFilterV2)", async (t) => {
  await compareWithCpu('resvnet', [2, 32, 32, 16, 1], t);
});
