#!/usr/bin/env node
// Re-evaluates the trained checkpoints of a results folder with and without largest-connected-component
// post-processing, to separate DTC's training signal from its test code's LCC (the official test scripts
// differ: DTC keeps the LCC, supervised/MT/UA-MT do not). Same networks, windows and decision rule; only
// the LCC switch changes. Needs the checkpoints (runs/ of a results folder) and `npm run build`.
//   node benchmarks/synthetic-cpu/lcc-ablation.mjs RESULTS_DIR [OUT.json]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const load = (p) => import(path.join(root, 'dist', 'src', p));
const [dir, out] = process.argv.slice(2);
if (!dir) {
  console.error('usage: lcc-ablation.mjs RESULTS_DIR [OUT.json]');
  process.exit(2);
}
const { selectBackend } = await load('nn/backend.js');
const { getMethod } = await load('methods/index.js');
const { evaluationPolicy } = await load('methods/method.js');
const { buildNetworks, stateVariables } = await load('train/trainer.js');
const { loadCheckpoint, restoreVariables } = await load('train/checkpoint.js');
const { predictVolume } = await load('infer/predict.js');
const { binaryMetrics } = await load('metrics/index.js');
const { getDataset, resolveSplit } = await load('data/catalog.js');
const { SyntheticSource } = await load('data/synthetic.js');

const backend = await selectBackend('auto');
const folder = path.join(dir, 'records');
const files = fs.readdirSync(folder, { recursive: true }).filter((f) => String(f).endsWith('.json'));
const rows = [];
for (const f of files.sort()) {
  const record = JSON.parse(fs.readFileSync(path.join(folder, String(f)), 'utf8'));
  const config = record.config;
  const method = getMethod(record.method.id);
  const ckptFile = path.join(dir, record.training.checkpoint);
  if (!fs.existsSync(ckptFile)) {
    console.error(`lcc-ablation: ${ckptFile} missing; skipping ${record.id}`);
    continue;
  }
  const entry = getDataset(config.dataset);
  const split = resolveSplit(entry, config.protocol);
  const source = new SyntheticSource(entry);
  const { nets } = buildNetworks(method, config);
  const ckpt = await loadCheckpoint(ckptFile);
  restoreVariables(ckptFile, ckpt, stateVariables(nets, {}));
  const policy = evaluationPolicy(method, config);
  const evaluated = policy.networks.map((r) => nets[r]);
  const dice = { withLcc: [], withoutLcc: [] };
  for (const id of split.test) {
    const vol = await source.load(id);
    for (const [key, lcc] of [['withLcc', true], ['withoutLcc', false]]) {
      const { label } = await predictVolume(evaluated, { ...policy, largestComponent: lcc }, vol.image, vol.shape, { patch: config.patch, strides: config.evalStrides, classes: config.classes, windowsPerCall: 4 });
      dice[key].push(binaryMetrics(label, vol.label, vol.shape).dice);
    }
  }
  Object.values(nets).forEach((n) => n.dispose());
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const row = { record: path.join('records', String(f)), method: record.method.id, seed: record.seed, recordedDice: record.mean.dice, recordedWithLcc: record.evaluation.largestComponent, diceWithLcc: mean(dice.withLcc), diceWithoutLcc: mean(dice.withoutLcc) };
  rows.push(row);
  console.error(`${row.method} s${row.seed}: recorded ${(100 * row.recordedDice).toFixed(2)} (LCC ${row.recordedWithLcc}); with LCC ${(100 * row.diceWithLcc).toFixed(2)}, without ${(100 * row.diceWithoutLcc).toFixed(2)}`);
}
const result = { schema: 'ssl-bench/lcc-ablation', backend: backend.name, resultsDir: dir, rows };
if (out) fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
else console.log(JSON.stringify(result, null, 2));
