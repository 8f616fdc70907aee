import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { runCli, TEST_BACKEND } from '../helpers/cli.js';
import { tempResults } from '../results/helpers.js';

interface PlanCell {
  method: string;
  seed: number;
  status: string;
  detail: string;
}

function plan(args: string[]): { seeds: number[]; cells: PlanCell[] } {
  const r = runCli(['run', ...args, '--dry-run', '--json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('a suite plan lists every method × seed; unregistered methods are skipped, not failed', () => {
  const registered = (JSON.parse(runCli(['methods', '--json']).stdout) as Array<{ id: string }>).map((m) => m.id);
  const dir = tempResults('sslb-suite-');
  const la = plan(['--suite', 'la-16+64', '--results-dir', dir]);
  assert.deepEqual(la.seeds, [1337]);
  assert.deepEqual(la.cells.map((c) => c.method), ['supervised', 'mt', 'ua-mt', 'dtc', 'upc', 'mcf', 'cml', 'ac-mt']);
  for (const c of la.cells) {
    if (registered.includes(c.method)) assert.equal(c.status, 'pending', `${c.method}: ${c.detail}`);
    else assert.deepEqual([c.status, c.detail], ['skipped', `method ${c.method} is not registered yet`]);
  }
  const three = plan(['--suite', 'synthetic-smoke', '--seeds', '3', '--results-dir', dir]);
  assert.deepEqual(three.seeds, [1337, 1338, 1339]);
  assert.equal(three.cells.length, 30, 'ten methods × three seeds');
});

test('run --suite usage errors exit 2', () => {
  const cases: Array<[string[], RegExp]> = [
    [['run'], /give --method <id> \(or --suite <name>\)/],
    [['run', '--method', 'supervised', '--seeds', '2'], /--seeds goes with --suite/],
    [['run', '--suite', 'synthetic-smoke', '--dataset', 'LA'], /--suite sets .*; drop --dataset/],
    [['run', '--suite', 'synthetic-smoke', '--seed', '3'], /drop --seed \(use --seeds N\)/],
    [['run', '--suite', 'la-16+64', '--method', 'bcp'], /bcp not in suite la-16\+64/],
    [['run', '--suite', 'nope'], /unknown suite 'nope'; known: /],
    [['run', '--suite', 'synthetic-smoke', '--seeds', '0'], /--seeds must be an integer >= 1/],
  ];
  for (const [args, pattern] of cases) {
    const r = runCli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
});

test('run --suite trains the missing cells through the run pipeline and skips them once recorded', () => {
  const dir = tempResults('sslb-suite-');
  // --iterations also checks that the plan fingerprints the config the run will record.
  const args = ['run', '--suite', 'synthetic-smoke', '--method', 'supervised', '--iterations', '1', '--backend', TEST_BACKEND, '--results-dir', dir];
  const first = runCli(args);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /1 cell\(s\), 0 done, 0 skipped, 1 to run/);
  assert.match(first.stdout, /suite synthetic-smoke: Synthetic 8\+32/);
  const records = () => readdirSync(path.join(dir, 'records', 'synthetic', '8+32')).filter((f) => f.endsWith('.json'));
  assert.equal(records().length, 1);

  const again = runCli(args);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /1 cell\(s\), 1 done, 0 skipped, 0 to run/);
  assert.equal(records().length, 1, 'a finished cell is not run again');
  const p = plan(['--suite', 'synthetic-smoke', '--iterations', '1', '--results-dir', dir]);
  const sup = p.cells.find((c) => c.method === 'supervised')!;
  assert.equal(sup.status, 'done');
  assert.equal(sup.detail, `records/synthetic/8+32/${records()[0]}`);
  assert.ok(p.cells.filter((c) => c.method !== 'supervised').every((c) => c.status === 'pending'));
  // Other settings are another experiment: the cell is to run again.
  assert.equal(plan(['--suite', 'synthetic-smoke', '--results-dir', dir]).cells.find((c) => c.method === 'supervised')!.status, 'pending');
});
