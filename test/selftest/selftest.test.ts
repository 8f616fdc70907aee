import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { runSelftest, runVectorFile, selftestFailed, formatReport, DEFAULT_VECTOR_DIR } from '../../src/selftest/run.js';
import { loadVectorFile } from '../../src/selftest/vector.js';
import { lookup } from '../../src/selftest/registry.js';
import { isRegistered } from '../../src/selftest/adapter.js';
import { SslBenchError } from '../../src/errors.js';
import { FIXTURES, readFixture, writeVectors } from './helpers.js';

const IMPLEMENTED = /^(common|sup|mt|uamt|dtc|upc|ssl4mis)__/;
const NOT_YET = /^(mcf|bcp|cml|acmt|dycon)__/;

test('the project copy of the vectors is the default and holds all 48', () => {
  assert.equal(path.resolve(DEFAULT_VECTOR_DIR), path.resolve(FIXTURES));
  assert.equal(readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).length, 48);
});

test('every vector of an implemented family passes, with every expected output checked; the other methods are not implemented', async () => {
  const report = await runSelftest();
  assert.equal(report.backend, 'cpu');
  assert.equal(report.cases.length, 48);
  for (const c of report.cases) {
    if (IMPLEMENTED.test(c.name)) {
      assert.equal(c.status, 'pass', `${c.name}: ${c.failures.join('; ')}`);
      assert.ok(c.compared > 0, c.name);
      assert.deepEqual(c.unchecked, [], `${c.name} leaves outputs unchecked`);
      assert.ok(c.maxRelError !== null && c.maxRelError < 2e-5, `${c.name}: max rel err ${c.maxRelError}`);
    } else {
      assert.match(c.name, NOT_YET);
      const registration = lookup(c.name);
      // Until a method's adapters are registered its vectors are not implemented; once they are, they pass.
      if ('notImplemented' in registration) {
        assert.equal(c.status, 'not-implemented', c.name);
        assert.match(c.reason ?? '', /not implemented in the project yet/);
        assert.equal(c.compared, 0);
      } else {
        assert.equal(c.status, 'pass', c.name);
      }
    }
  }
  assert.equal(report.summary.fail, 0);
  assert.equal(report.summary.pass + report.summary.notImplemented, 48);
  assert.ok(report.summary.pass >= 22);
  assert.equal(selftestFailed(report), false);
  assert.equal(selftestFailed(report, true), true, '--strict fails while anything is not implemented');
  const text = formatReport(report);
  assert.match(text, /^PASS +dtc__losses +max_rel_err=\S+/m);
  assert.match(text, new RegExp(`^selftest: ${report.summary.pass} pass, 0 fail, ${report.summary.notImplemented} not implemented`, 'm'));
});

test('mixed vectors evaluate the implemented scripts and list the others as not-implemented parts', () => {
  const staircase = runVectorFile(path.join(FIXTURES, 'common__consistency_weight_staircase.json'));
  assert.equal(staircase.status, 'pass');
  const parts = staircase.notImplemented.map((p) => p.path);
  for (const s of ['DyCON BraTS19', 'DyCON Pancreas', 'BCP LA (computed, logged, unused)', 'BCP ACDC (computed, logged, unused)']) assert.ok(parts.includes(JSON.stringify(s)), s);
  for (const s of ['UA-MT (LA)', 'DTC (LA)', 'UPC (LA)', 'SSL4MIS MT 2D (ACDC)', 'SSL4MIS UA-MT 2D (ACDC)', 'SSL4MIS MT 3D']) assert.ok(!parts.includes(JSON.stringify(s)), `${s} must be evaluated`);
  // MCF and AC-MT rows use the shared staircase with their recipe: evaluated once the method is registered.
  const gated: Array<[string, string[]]> = [
    ['mcf', ['MCF (LA)']],
    ['ac-mt', ['AC-MT Ent (LA)', 'AC-MT MU (LA)', 'AC-MT PErr (LA)', 'AC-MT SErr (LA)']],
  ];
  let evaluated = 6;
  for (const [id, rows] of gated) {
    for (const row of rows) assert.equal(parts.includes(JSON.stringify(row)), !isRegistered(id), row);
    if (isRegistered(id)) evaluated += rows.length;
  }
  // 24 iterations per evaluated script, the recipe values of those with a recipe, the MT-2D loss_active list.
  assert.equal(staircase.compared, 24 * evaluated + 2 * (evaluated - 1) + 24);
  assert.match(staircase.notes.join('\n'), /"SSL4MIS MT 3D"\.consistency used as an input, not checked/);

  const lr = runVectorFile(path.join(FIXTURES, 'common__lr_schedules.json'));
  assert.equal(lr.status, 'pass');
  const lrParts = lr.notImplemented.map((p) => p.path.replace(/"/g, '').split(' ')[0]);
  for (const s of ['BCP', 'CML', 'constant']) assert.ok(lrParts.includes(s), s);
  assert.equal(lrParts.includes('MCF'), !isRegistered('mcf'));
  assert.equal(lrParts.includes('AC-MT'), !isRegistered('ac-mt'));
  assert.match(lr.notes.join('\n'), /Supervised V-Net: the official run is the recipe's iterations \+ 1/);

  const thresholds = runVectorFile(path.join(FIXTURES, 'common__thresholds.json'));
  assert.equal(thresholds.status, 'pass');
  assert.ok(thresholds.notImplemented.length === 4 && thresholds.notImplemented.every((p) => p.path.includes('AC-MT')));
  assert.equal(thresholds.compared, 4 * 15);
});

/** Copy of a fixture with one expected value changed; returns the case report. */
function tampered(name: string, edit: (v: Record<string, any>) => void) {
  const v = readFixture(name);
  edit(v);
  return runVectorFile(path.join(writeVectors([v]), `${name}.json`));
}

test('a tampered copy of a vector fails: scalar, float tensor element, bool mask element, integer count', () => {
  const scalar = tampered('dtc__losses', (v) => (v.expected.loss_sdf *= 1 + 1e-3));
  assert.equal(scalar.status, 'fail');
  assert.equal(scalar.failureCount, 1);
  assert.match(scalar.failures[0], /^loss_sdf: got 0\.30109\d+, expected 0\.3014\d+/);

  const element = tampered('mt__softmax_mse', (v) => (v.expected.map.data[17] += 1e-3));
  assert.equal(element.status, 'fail');
  assert.match(element.failures[0], /^map: 1 of 256 elements differ; first at \[0,0,1,0,1\]/);

  const mask = tampered('uamt__uncertainty_masked_consistency', (v) => {
    const d = v.expected.per_iteration[2].mask.data;
    d[5] = 1 - d[5];
  });
  assert.equal(mask.status, 'fail');
  assert.match(mask.failures[0], /^per_iteration\[2\]\.mask: 1 of 128 bool elements differ/);

  const count = tampered('uamt__uncertainty_masked_consistency', (v) => (v.expected.per_iteration[0].mask_count += 1));
  assert.equal(count.status, 'fail');
  assert.match(count.failures[0], /mask_count: got 59, expected 60/);

  // An input changed instead of an output: the computed values move, so the case fails too.
  const input = tampered('sup__la_supervised_loss', (v) => (v.inputs.logits.data[0] += 0.5));
  assert.equal(input.status, 'fail');
});

test('the float64 quantities of a float32 file are compared at 1e-12, the float32 ones at the file tolerance', () => {
  // consistency_weight is a float64 ramp value: 1e-9 relative is far beyond 1e-12.
  const weight = tampered('dtc__losses', (v) => (v.expected.per_iteration[1].consistency_weight *= 1 + 1e-9));
  assert.equal(weight.status, 'fail');
  assert.match(weight.failures[0], /consistency_weight/);
  // the loss next to it is float32: 1e-6 relative is inside rel 1e-5.
  const loss = tampered('dtc__losses', (v) => (v.expected.per_iteration[1].loss *= 1 + 1e-6));
  assert.equal(loss.status, 'pass');
});

test('a malformed vector file is an error naming the file and the field; the run reports it as a failure', () => {
  const v = readFixture('sup__la_supervised_loss');
  v.inputs.logits.data.pop();
  const dir = writeVectors([v, { ...readFixture('common__linear_rampup') }]);
  const file = path.join(dir, 'sup__la_supervised_loss.json');
  assert.throws(() => loadVectorFile(file), (err: unknown) => {
    assert.ok(err instanceof SslBenchError);
    assert.equal(err.message, 'sup__la_supervised_loss.json: inputs.logits.data: has 4095 values but shape [4,2,8,8,8] needs 4096');
    return true;
  });
  const c = runVectorFile(file);
  assert.equal(c.status, 'fail');
  assert.match(c.failures[0], /^malformed vector: sup__la_supervised_loss\.json: inputs\.logits\.data/);

  const cases: Array<[(v: Record<string, any>) => void, RegExp]> = [
    [(x) => (x.format = 'ssl-method-vector/2'), /common__linear_rampup\.json: format: expected "ssl-method-vector\/1"/],
    [(x) => delete x.tolerance, /common__linear_rampup\.json: tolerance: missing/],
    [(x) => (x.tolerance.rel = 'tight'), /tolerance\.rel: expected a non-negative number/],
    [(x) => (x.name = 'other'), /name: "other" does not match the file name "common__linear_rampup"/],
    [(x) => (x.expected = { values: { shape: [2], dtype: 'float16', data: [1, 2] } }), /expected\.values\.dtype: expected one of float32/],
    [(x) => (x.inputs.points = { shape: [1], dtype: 'int64', data: [0.5] }), /inputs\.points\.data\[0\]: 0\.5 is not an integer/],
  ];
  for (const [edit, message] of cases) {
    const x = readFixture('common__linear_rampup');
    edit(x);
    const d = writeVectors([{ file: 'common__linear_rampup.json', text: JSON.stringify(x) }]);
    assert.throws(() => loadVectorFile(path.join(d, 'common__linear_rampup.json')), message);
  }
  const notJson = writeVectors([{ file: 'mt__softmax_mse.json', text: '{"format": ' }]);
  assert.throws(() => loadVectorFile(path.join(notJson, 'mt__softmax_mse.json')), /mt__softmax_mse\.json: not valid JSON/);
  // An input an adapter needs, with the wrong type: the case fails naming it.
  const badInput = readFixture('common__sigmoid_rampup');
  badInput.inputs.points = [[0, 40], [1]];
  const r = runVectorFile(path.join(writeVectors([badInput]), 'common__sigmoid_rampup.json'));
  assert.equal(r.status, 'fail');
  assert.match(r.failures[0], /common__sigmoid_rampup\.json: inputs\.points: expected a list of \[number, number\] pairs/);
});

test('an unknown vector, or a new case of a known family, is not implemented, never a pass', () => {
  const unknown = { ...readFixture('sup__la_supervised_loss'), name: 'foo__bar' };
  const newCase = { ...readFixture('dtc__losses'), name: 'dtc__losses_variant' };
  const dir = writeVectors([unknown, newCase]);
  for (const name of ['foo__bar', 'dtc__losses_variant']) {
    const c = runVectorFile(path.join(dir, `${name}.json`));
    assert.equal(c.status, 'not-implemented', name);
    assert.match(c.reason ?? '', /no adapter is registered/);
    assert.equal(c.maxRelError, null);
  }
});

test('an expected output no adapter knows is listed as not checked', () => {
  const c = tampered('mt__softmax_mse', (v) => (v.expected.max = 0.5));
  assert.equal(c.status, 'pass');
  assert.deepEqual(c.unchecked, ['max']);
  assert.match(formatReport({ vectors: '.', backend: 'cpu', cases: [c], summary: { pass: 1, fail: 0, notImplemented: 0 } }), /not checked: max/);
});
