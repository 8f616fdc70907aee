import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { runCli } from '../helpers/cli.js';
import { fakeRecord, tempResults, writeFake } from '../results/helpers.js';

function fixture(): string {
  const dir = tempResults('sslb-table-');
  writeFake(dir, fakeRecord({ method: 'supervised', dice: [0.6, 0.8] }));
  writeFake(dir, fakeRecord({ method: 'mt', seed: 1, dice: [0.8, 0.8] }));
  writeFake(dir, fakeRecord({ method: 'mt', seed: 2, dice: [0.9, 0.9] }));
  writeFake(dir, fakeRecord({ method: 'mt', seed: 3, dice: [0.1, 0.1], version: '0.0.1' }));
  return dir;
}

test('table --format md: every method with the four metrics, mean ± std over seeds and n', () => {
  const dir = fixture();
  const r = runCli(['table', '--dataset', 'synthetic', '--format', 'md', '--results-dir', dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^### synthetic 8\+32/m);
  assert.match(r.stdout, /\| method \| profile \| n \| Dice \(%\) \| published \(Δ\) \| Jaccard \(%\) \| published \(Δ\) \| 95HD \(voxel\) \| published \(Δ\) \| ASD \(voxel\) \| published \(Δ\) \| notes \|/);
  assert.match(r.stdout, /\| supervised \| smoke \| 1 \| 70\.00 \| — \|/);
  assert.match(r.stdout, /\| mt \| smoke \| 2 \| 85\.00 ± 7\.07 \| — \|/);
  assert.match(r.stdout, /S = profile other than 'paper'/);
  // The record of another harness version is left out, and said so.
  assert.doesNotMatch(r.stdout, /0\.0\.1/);
  assert.match(r.stderr, /1 record\(s\) of other ssl-bench versions left out/);

  const all = runCli(['table', '--dataset', 'synthetic', '--format', 'md', '--all-versions'], { env: { SSL_BENCH_RESULTS: dir } });
  assert.equal(all.status, 0, all.stderr);
  assert.match(all.stdout, /\| mt \| 0\.0\.1 \| smoke \| 1 \| 10\.00 \|/);
});

test('table in terminal, CSV and JSON carry the same numbers; piped output has no colour codes', () => {
  const dir = fixture();
  const term = runCli(['table', '--dataset', 'synthetic', '--protocol', '20%', '--results-dir', dir]);
  assert.equal(term.status, 0, term.stderr);
  assert.match(term.stdout, /85\.00 ± 7\.07/);
  assert.doesNotMatch(term.stdout, /\u001b\[/);

  const csv = runCli(['table', '--dataset', 'synthetic', '--format', 'csv', '--results-dir', dir]);
  assert.equal(csv.status, 0, csv.stderr);
  const [header, ...lines] = csv.stdout.trim().split('\n');
  assert.match(header, /^dataset,protocol,suite,method,version,profile,/);
  assert.equal(lines.length, 2);

  const json = JSON.parse(runCli(['table', '--dataset', 'synthetic', '--format', 'json', '--results-dir', dir]).stdout);
  const mt = json.sections[0].rows.find((r: { method: string }) => r.method === 'mt');
  assert.equal(mt.n, 2);
  assert.deepEqual(mt.seeds, [1, 2]);
  assert.ok(Math.abs(mt.metrics.dice.mean - 85) < 1e-9);
  assert.equal(mt.records.length, 2);
  assert.match(mt.records[0], /^records\/synthetic\/8\+32\/.*\.json$/);
});

test('table usage errors exit 2; a broken record exits 1 naming file and field', () => {
  const dir = fixture();
  const noDataset = runCli(['table', '--results-dir', dir]);
  assert.equal(noDataset.status, 2);
  assert.match(noDataset.stderr, /give --dataset/);
  const badFormat = runCli(['table', '--dataset', 'synthetic', '--format', 'xml', '--results-dir', dir]);
  assert.equal(badFormat.status, 2);
  assert.match(badFormat.stderr, /unknown format 'xml'; known: terminal, md, csv, json/);
  assert.equal(runCli(['table', '--dataset', 'nope', '--results-dir', dir]).status, 2);
  assert.equal(runCli(['table', '--dataset', 'LA', '--suite', 'synthetic-smoke', '--results-dir', dir]).status, 2);

  const rec = fakeRecord({ method: 'dtc' }) as unknown as { cases: Array<Record<string, unknown>> };
  delete rec.cases[0].asd;
  const file = writeFake(dir, rec as never);
  const broken = runCli(['table', '--dataset', 'synthetic', '--results-dir', dir]);
  assert.equal(broken.status, 1);
  assert.ok(broken.stderr.includes(`${file}: field 'cases[0].asd' must be a finite number`), broken.stderr);

  writeFileSync(file, '{"schema": "ssl-bench/result", "id": "half');
  const partial = runCli(['table', '--dataset', 'synthetic', '--results-dir', dir]);
  assert.equal(partial.status, 0, partial.stderr);
  assert.match(partial.stderr, /skipped .*incomplete JSON/);
});
