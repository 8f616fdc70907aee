#!/usr/bin/env node
// Paired comparison of each method with `supervised` on the same seeds (same labeled subset, same
// initialisation stream): reads result records, prints a markdown table. The absolute numbers come from
// `ssl-bench table`; this adds what the table cannot: the per-seed difference to supervised.
//   node benchmarks/synthetic-cpu/paired.mjs [RESULTS_DIR] [DATASET] [PROTOCOL] [PROFILE]
import fs from 'node:fs';
import path from 'node:path';

const [dir = 'benchmarks/synthetic-cpu/results', dataset = 'synthetic', protocol = '8+32', profile = 'cpu'] = process.argv.slice(2);
const folder = path.join(dir, 'records', dataset, protocol);
if (!fs.existsSync(folder)) {
  console.error(`paired.mjs: no records in ${folder}; run the suite first (see benchmarks/README.md)`);
  process.exit(2);
}
const records = fs.readdirSync(folder).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(folder, f), 'utf8')))
  .filter((r) => r.profile === profile);
const byMethod = new Map();
for (const r of records) {
  const m = byMethod.get(r.method.id) ?? new Map();
  m.set(r.seed, r);
  byMethod.set(r.method.id, m);
}
const base = byMethod.get('supervised');
if (!base) {
  console.error(`paired.mjs: no supervised records in ${folder}`);
  process.exit(2);
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
// Sample standard deviation (n − 1), as `ssl-bench table` reports it.
const std = (xs) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
const pm = (xs, digits = 1) => `${mean(xs).toFixed(digits)} ± ${std(xs).toFixed(digits)}`;
const signed = (xs, digits = 1) => `${mean(xs) >= 0 ? '+' : ''}${mean(xs).toFixed(digits)} ± ${std(xs).toFixed(digits)}`;

console.log(`| method | seeds | Dice (%) | 95HD (voxel) | Δ Dice vs supervised, paired (pp) | Δ 95HD (voxel) | seeds better than supervised (Dice) | empty predictions (cases) | LCC | train s / run |`);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |');
for (const [id, runs] of byMethod) {
  const seeds = [...runs.keys()].filter((s) => base.has(s)).sort((a, b) => a - b);
  const dice = seeds.map((s) => 100 * runs.get(s).mean.dice);
  const hd = seeds.map((s) => runs.get(s).mean.hd95);
  const dDice = seeds.map((s) => 100 * (runs.get(s).mean.dice - base.get(s).mean.dice));
  const dHd = seeds.map((s) => runs.get(s).mean.hd95 - base.get(s).mean.hd95);
  const better = id === 'supervised' ? '—' : `${dDice.filter((d) => d > 0).length} of ${seeds.length}`;
  const secs = seeds.map((s) => runs.get(s).timing.trainSeconds);
  // An empty prediction scores 0 on every metric (the official test code's rule), 95HD included: count them.
  const empty = seeds.reduce((a, s) => a + runs.get(s).flags.emptyPredictions, 0);
  const lcc = runs.get(seeds[0]).evaluation.largestComponent ? 'yes' : 'no';
  console.log(`| ${id} | ${seeds.join(', ')} | ${pm(dice)} | ${pm(hd)} | ${id === 'supervised' ? '—' : signed(dDice)} | ${id === 'supervised' ? '—' : signed(dHd)} | ${better} | ${empty} | ${lcc} | ${mean(secs).toFixed(0)} |`);
}
const commits = new Set(records.map((r) => r.sslBench.gitCommit));
console.log(`\n${records.length} records from ${folder}; ssl-bench commit(s) ${[...commits].map((c) => c.slice(0, 7)).join(', ')}; backend(s) ${[...new Set(records.map((r) => r.backend.name))].join(', ')}.`);
