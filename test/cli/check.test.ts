import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { fakeRecord, tempResults, writeFake } from '../results/helpers.js';

/** A reference file in the shared published.json format with one MT row on synthetic 8+32. */
function reference(dir: string, dice: number, extra: Record<string, unknown> = {}): string {
  const file = path.join(dir, `ref-${dice}.json`);
  const row = {
    method: 'MT',
    dataset: 'synthetic',
    protocol: { labeled: 8, unlabeled: 32, percent: 20, split: 'synthetic' },
    metrics: { dice, jaccard: null, hd95: 4, asd: null },
    source: { paper: 'test', table: null, year: null },
    reported_by: 'test',
    report_kind: 'own_method',
    verification: { status: 'corroborated_secondary', confidence: 'high', evidence: [] },
    ...extra,
  };
  writeFileSync(file, JSON.stringify([row]));
  return file;
}

function fixture(): string {
  const dir = tempResults('sslb-check-');
  // mt: Dice 80 %, 95HD 5 voxels (mean of the cases).
  writeFake(dir, fakeRecord({ method: 'mt', dice: [0.8, 0.8], hd95: [5, 5] }));
  writeFake(dir, fakeRecord({ method: 'supervised', dice: [0.7, 0.7] }));
  return dir;
}

test('check exits 1 when the reference Dice is above the measured mean beyond the tolerance, 0 when below', () => {
  const dir = fixture();
  const above = runCli(['check', '--against', reference(dir, 81.5), '--results-dir', dir]);
  assert.equal(above.status, 1, above.stdout + above.stderr);
  assert.match(above.stdout, /80\.00 vs 81\.50 \(-1\.50\) ✗ worse/);
  assert.match(above.stdout, /\bregress\b/);
  assert.match(above.stderr, /synthetic 8\+32 mt \(smoke\): dice worse than the reference beyond the tolerance/);

  const below = runCli(['check', '--against', reference(dir, 70), '--results-dir', dir]);
  assert.equal(below.status, 0, below.stdout + below.stderr);
  assert.match(below.stdout, /1 compared: 1 pass, 0 regress/);

  // Within a wider tolerance; and 95HD 5 vs 4 passes the default 2 voxels but not 0.5.
  assert.equal(runCli(['check', '--against', reference(dir, 81.5), '--tolerance', 'dice=2', '--results-dir', dir]).status, 0);
  const hd = runCli(['check', '--against', reference(dir, 70), '--tolerance', 'hd95=0.5', '--results-dir', dir, '--json']);
  assert.equal(hd.status, 1);
  const cells = JSON.parse(hd.stdout).cells as Array<{ method: string; status: string; metrics: Record<string, { status: string }> }>;
  const mt = cells.find((c) => c.method === 'mt')!;
  assert.equal(mt.metrics.hd95.status, 'regress');
  assert.equal(mt.metrics.dice.status, 'pass');
  // supervised has no reference row: shown, not compared.
  assert.equal(cells.find((c) => c.method === 'supervised')!.status, 'unreferenced');
});

test('check usage errors exit 2, naming the file and field of a bad reference', () => {
  const dir = fixture();
  assert.equal(runCli(['check', '--results-dir', dir]).status, 2);
  const tol = runCli(['check', '--against', 'published', '--tolerance', 'dice=abc', '--results-dir', dir]);
  assert.equal(tol.status, 2);
  assert.match(tol.stderr, /--tolerance: dice must be a non-negative number/);
  const missing = runCli(['check', '--against', path.join(dir, 'nope.json'), '--results-dir', dir]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /nope\.json: no such reference file/);
  const badFile = reference(dir, 80, { metrics: { dice: 80, jaccard: null, hd95: 4 } });
  const bad = runCli(['check', '--against', badFile, '--results-dir', dir]);
  assert.equal(bad.status, 2);
  assert.ok(bad.stderr.includes(`${badFile}: field '[0].metrics.asd' must be a finite number or null, got nothing`), bad.stderr);
});

test('check --against published compares paper-profile records with the published table', () => {
  const dir = tempResults('sslb-check-');
  writeFake(dir, fakeRecord({ method: 'ua-mt', dataset: 'LA', protocol: '16+64', profile: 'paper', dice: [0.885, 0.89], hd95: [7, 7], asd: [2, 2] }));
  const r = runCli(['check', '--against', 'published', '--dataset', 'LA', '--protocol', '16+64', '--results-dir', dir]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /LA\/16\+64\/ua-mt#1/);
  // The other published cells of the table are listed as missing, which does not fail the check.
  assert.match(r.stdout, /1 compared: 1 pass, 0 regress; \d+ missing/);
});

test('a baseline written from the records guards them: passes as is, fails when a number moves', () => {
  const dir = fixture();
  const base = path.join(dir, 'baselines', 'synthetic-smoke.json');
  const w = runCli(['check', '--write-baseline', base, '--suite', 'synthetic-smoke', '--results-dir', dir]);
  assert.equal(w.status, 0, w.stderr);
  assert.match(w.stderr, /left out of the baseline: ua-mt, dtc, upc/);
  const rows = JSON.parse(readFileSync(base, 'utf8'));
  assert.deepEqual(rows.map((r: { method: string }) => r.method), ['supervised', 'mt']);
  assert.equal(rows[1].metrics.dice, 80);
  assert.equal(rows[1].verification.status, 'baseline');
  assert.deepEqual(rows[1].check, { twoSided: true, tolerance: { dice: 0.01, jaccard: 0.01, hd95: 0.01, asd: 0.01 } });

  assert.equal(runCli(['check', '--against', base, '--results-dir', dir]).status, 0);
  rows[0].metrics.hd95 += 0.5; // better than measured, but a deterministic run must not move at all
  writeFileSync(base, JSON.stringify(rows));
  const moved = runCli(['check', '--against', base, '--results-dir', dir]);
  assert.equal(moved.status, 1);
  assert.match(moved.stdout, /✗ moved/);
  // A baseline row with no record fails too: the guard must not pass by measuring nothing.
  const empty = runCli(['check', '--against', base, '--results-dir', tempResults()]);
  assert.equal(empty.status, 1);
  assert.match(empty.stderr, /no record was measured/);
});
