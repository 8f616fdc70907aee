import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tf } from '../../src/nn/tf.js';
import { train } from '../../src/train/trainer.js';
import { resolveConfig } from '../../src/train/config.js';
import { supervised } from '../../src/methods/supervised.js';
import { getDataset, resolveSplit } from '../../src/data/catalog.js';
import { SyntheticSource } from '../../src/data/synthetic.js';
import type { Network } from '../../src/nn/network.js';

async function weights(net: Network): Promise<Float32Array[]> {
  return Promise.all([...net.store.params.values(), ...net.store.buffers.values()].map(async (v) => (await v.data()) as Float32Array));
}

function tinyConfig() {
  const config = resolveConfig({ method: 'supervised', dataset: 'synthetic', protocol: '8+32', profile: 'smoke', seed: 5, });
  return { ...config, iterations: 4, patch: [16, 16, 16] as [number, number, number], checkpointEvery: 2 };
}

test('a run interrupted after 2 updates and resumed ends with the same weights as an uninterrupted run', async () => {
  await tf.setBackend('cpu');
  const entry = getDataset('synthetic');
  const split = resolveSplit(entry, '8+32');
  const source = new SyntheticSource(entry);
  const config = tinyConfig();
  const root = mkdtempSync(path.join(os.tmpdir(), 'sslb-resume-'));
  const common = { method: supervised, config, split, source, fingerprint: 'test-fp' };

  const straight = await train({ ...common, runDir: path.join(root, 'a') });
  assert.equal(straight.iterations, 4);
  assert.equal(straight.complete, true);

  const first = await train({ ...common, runDir: path.join(root, 'b'), stopAfter: 2 });
  assert.equal(first.complete, false);
  Object.values(first.nets).forEach((n) => n.dispose());
  const resumed = await train({ ...common, runDir: path.join(root, 'b') });
  assert.equal(resumed.resumedFrom, 2);
  assert.equal(resumed.complete, true);

  const a = await weights(straight.nets.student);
  const b = await weights(resumed.nets.student);
  for (let t = 0; t < a.length; t++) {
    for (let i = 0; i < a[t].length; i++) assert.ok(Math.abs(a[t][i] - b[t][i]) <= 1e-6 * (1 + Math.abs(a[t][i])), `tensor ${t} element ${i}`);
  }
  const log = readFileSync(path.join(root, 'b', 'train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(log.map((l) => l.iteration), [1, 2, 3, 4]);
  assert.deepEqual(Object.keys(log[0]).sort(), ['iteration', 'loss', 'loss_ce', 'loss_dice', 'lr']);
  [straight, resumed].forEach((r) => Object.values(r.nets).forEach((n) => n.dispose()));
});

test('a checkpoint of another configuration is refused, not silently resumed', async () => {
  await tf.setBackend('cpu');
  const entry = getDataset('synthetic');
  const split = resolveSplit(entry, '8+32');
  const config = { ...tinyConfig(), iterations: 1 };
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'sslb-fp-'));
  const r = await train({ method: supervised, config, split, source: new SyntheticSource(entry), runDir, fingerprint: 'one' });
  Object.values(r.nets).forEach((n) => n.dispose());
  await assert.rejects(
    train({ method: supervised, config, split, source: new SyntheticSource(entry), runDir, fingerprint: 'two' }),
    /belongs to a different configuration/,
  );
});

test('a stage picked on its best model hands that model\'s SGD momentum to the next stage, as load_net_opt does', async () => {
  await tf.setBackend('cpu');
  const { bcp } = await import('../../src/methods/bcp.js');
  const { loadCheckpoint } = await import('../../src/train/checkpoint.js');
  const entry = getDataset('synthetic-2d');
  const split = resolveSplit(entry, '3+17');
  const base = resolveConfig({ method: 'bcp', dataset: 'synthetic-2d', protocol: '3+17', profile: 'smoke', seed: 5 });
  const stages = base.stages!.map((s, i) => (i === 0 ? { ...s, iterations: 3, selectEvery: 1, selectAfter: 0 } : { ...s, iterations: 1 }));
  const config = { ...base, stages, checkpointEvery: 1 };
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'sslb-best-momentum-'));
  let calls = 0;
  // The first scored model is the best one, so best (update 1) and last (update 3) differ.
  const r = await train({ method: bcp, config, split, source: new SyntheticSource(entry), runDir, fingerprint: 'best-momentum', selection: { score: async () => 10 - ++calls } });
  Object.values(r.nets).forEach((n) => n.dispose());
  const pre = stages[0].name;
  const best = await loadCheckpoint(path.join(runDir, `${pre}.best.ckpt`));
  const last = await loadCheckpoint(path.join(runDir, `${pre}.checkpoint.ckpt`));
  assert.equal(best.meta.iteration, 1);
  const momentum = [...best.tensors.keys()].filter((k) => k.endsWith('#momentum'));
  assert.ok(momentum.length > 0, 'best.ckpt carries the optimiser state');
  const differs = momentum.some((k) => best.tensors.get(k)!.data.some((x, i) => x !== last.tensors.get(k)!.data[i]));
  assert.ok(differs, 'the best model\'s momentum is not the last one');
});
