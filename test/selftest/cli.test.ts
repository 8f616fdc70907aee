import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/cli.js';
import { readFixture, writeVectors } from './helpers.js';
import { runSelftest } from '../../src/selftest/run.js';
import { UsageError } from '../../src/errors.js';

/**
 * Runs `ssl-bench selftest ...` through the command's own register(): a bare commander program, so the
 * test does not depend on the command being listed in src/cli/index.ts.
 */
function selftest(args: string[]) {
  const entry = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'selftest.js');
  const script = `
    import { Command } from 'commander';
    const { register } = await import(${JSON.stringify(entry)});
    const program = new Command('ssl-bench').exitOverride();
    register(program);
    try { await program.parseAsync(process.argv); }
    catch (err) { if (err.exitCode !== undefined) { process.stderr.write('ssl-bench: ' + err.message + '\\n'); process.exitCode = err.exitCode; } else throw err; }`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, 'node', 'selftest', ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('selftest --json: one entry per case with status and errors; not-implemented alone exits 0, --strict exits 1', () => {
  const dir = writeVectors([readFixture('upc__pseudo_label_consistency'), readFixture('upc__kl_rectified_consistency'), { ...readFixture('mt__softmax_mse'), name: 'future__case' }]);
  const r = selftest(['--vectors', dir, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(report.summary, { pass: 2, fail: 0, notImplemented: 1 });
  assert.deepEqual(
    report.cases.map((c: { name: string; status: string }) => [c.name, c.status]),
    [['future__case', 'not-implemented'], ['upc__kl_rectified_consistency', 'pass'], ['upc__pseudo_label_consistency', 'pass']],
  );
  for (const c of report.cases) {
    for (const k of ['name', 'status', 'maxRelError', 'maxAbsError', 'failures']) assert.ok(k in c, k);
    if (c.status === 'pass') assert.ok(c.maxRelError > 0 && c.maxRelError < 1e-5 && c.maxAbsError < 1e-5);
  }
  const strict = selftest(['--vectors', dir, '--filter', 'future__,upc__pseudo', '--strict']);
  assert.equal(strict.status, 1);
  assert.match(strict.stdout, /^NOT-IMPLEMENTED +future__case +max_rel_err=- +\(no adapter is registered for this vector/m);
  assert.match(strict.stdout, /^PASS +upc__pseudo_label_consistency +max_rel_err=\d\.\d\de-\d+ +\(\d+ values\)$/m);
  assert.match(strict.stdout, /^selftest: 1 pass, 0 fail, 1 not implemented/m);
});

test('selftest --vectors DIR: a failing vector prints FAIL with the reason and exits 1', () => {
  const v = readFixture('ssl4mis__mt2d_step_loss');
  v.expected.per_iteration[2].loss *= 1 + 1e-3;
  const dir = writeVectors([v, readFixture('common__cosine_rampdown')]);
  const r = selftest(['--vectors', dir]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^FAIL +ssl4mis__mt2d_step_loss +max_rel_err=9\.99e-4 +\(23 values; 1 failing\)$/m);
  assert.match(r.stdout, /^ {4}fail: per_iteration\[2\]\.loss: got 0\.1835\d+, expected 0\.1837\d+/m);
  assert.match(r.stdout, /^PASS +common__cosine_rampdown/m);
  assert.match(r.stdout, /^selftest: 1 pass, 1 fail, 0 not implemented/m);
});

test('a missing vector folder, or a filter matching nothing, is a usage error (exit 2)', async () => {
  const dir = writeVectors([readFixture('common__cosine_rampdown')]);
  await assert.rejects(runSelftest({ dir: path.join(dir, 'nope') }), (err: unknown) => {
    assert.ok(err instanceof UsageError && err.exitCode === 2);
    assert.match(err.message, /cannot read the vector folder .*nope/);
    return true;
  });
  await assert.rejects(runSelftest({ dir, filter: 'zzz__' }), /no vector in .* matches --filter zzz__ \(1 vectors there\)/);
});
