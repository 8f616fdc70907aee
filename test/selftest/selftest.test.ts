import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { runSelftest, runVectorFile, selftestFailed, formatReport, DEFAULT_VECTOR_DIR } from '../../src/selftest/run.js';
import { loadVectorFile } from '../../src/selftest/vector.js';
import { lookup } from '../../src/selftest/registry.js';
import { SslBenchError } from '../../src/errors.js';
import { FIXTURES, readFixture, writeVectors } from './helpers.js';

/** Vectors of integers only (boxes, components): nothing float to measure a relative error on. */
const EXACT_ONLY = ['bcp__mask_generators_rng', 'bcp__pseudo_label_lcc'];

test('the project copy of the vectors is the default and holds all 48', () => {
  assert.equal(path.resolve(DEFAULT_VECTOR_DIR), path.resolve(FIXTURES));
  assert.equal(readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).length, 48);
});

test('every vector passes with every expected output checked, the ACDC copy-paste ones included', async () => {
  const report = await runSelftest();
  assert.equal(report.backend, 'cpu');
  assert.equal(report.cases.length, 48);
  for (const c of report.cases) {
    assert.ok('adapter' in lookup(c.name), `${c.name} has an adapter`);
    assert.equal(c.status, 'pass', `${c.name}: ${c.failures.join('; ')}`);
    assert.ok(c.compared > 0, c.name);
    assert.deepEqual(c.unchecked, [], `${c.name} leaves outputs unchecked`);
    if (EXACT_ONLY.includes(c.name)) assert.equal(c.maxRelError, null, c.name);
    else if (c.name.startsWith('mcf__')) {
      // p^10 of the sharpened pseudo-label underflows to float32 subnormals (METHOD-VECTORS §2): large
      // relative differences on values ~1e-40, far inside the abs tolerance.
      assert.ok(c.maxAbsError !== null && c.maxAbsError < 1e-6, `${c.name}: max abs err ${c.maxAbsError}`);
    } else assert.ok(c.maxRelError !== null && c.maxRelError < 2e-5, `${c.name}: max rel err ${c.maxRelError}`);
  }
  assert.deepEqual(report.summary, { pass: 48, fail: 0, notImplemented: 0 });
  assert.equal(selftestFailed(report), false);
  assert.equal(selftestFailed(report, true), true, '--strict still fails on not-implemented parts (numpy draws, logged-only terms)');
  for (const name of ['bcp__acdc_dice_loss_masked', 'bcp__acdc_step', 'bcp__ema_state_dict_acdc', 'cml__acdc_train_step']) {
    const c = report.cases.find((x) => x.name === name)!;
    assert.deepEqual(c.notImplemented, [], `${name} has no not-implemented part`);
  }
  const text = formatReport(report);
  assert.match(text, /^PASS +dtc__losses +max_rel_err=\S+/m);
  assert.match(text, /^PASS +acmt__serr_selection +max_rel_err=\S+/m);
  assert.match(text, /^PASS +bcp__acdc_step +max_rel_err=\S+/m);
  assert.match(text, /^selftest: 48 pass, 0 fail, 0 not implemented/m);
});

test('mixed vectors evaluate every script the project has and list only the others as not-implemented parts', () => {
  const staircase = runVectorFile(path.join(FIXTURES, 'common__consistency_weight_staircase.json'));
  assert.equal(staircase.status, 'pass');
  // BCP (LA and ACDC) computes its weight only to log it; the project's BCP has none.
  assert.deepEqual(staircase.notImplemented.map((p) => p.path), ['"BCP LA (computed, logged, unused)"', '"BCP ACDC (computed, logged, unused)"']);
  // 13 scripts × 24 iterations, the recipe values of the 12 with a recipe, the MT-2D loss_active list.
  assert.equal(staircase.compared, 24 * 13 + 2 * 12 + 24);
  assert.match(staircase.notes.join('\n'), /"SSL4MIS MT 3D"\.consistency, "SSL4MIS MT 3D"\.consistency_rampup used as inputs, not checked/);

  const lr = runVectorFile(path.join(FIXTURES, 'common__lr_schedules.json'));
  assert.equal(lr.status, 'pass');
  assert.deepEqual(lr.notImplemented, []);
  assert.match(lr.notes.join('\n'), /Supervised V-Net: the official run is the recipe's iterations \+ 1/);
  assert.match(lr.notes.join('\n'), /BCP pre-training, CML pre-training, BCP ACDC pre-training, BCP ACDC self-training, CML ACDC pre-training, CML ACDC training, DyCON/);
  assert.doesNotMatch(lr.notes.join('\n'), /not implemented/);

  const thresholds = runVectorFile(path.join(FIXTURES, 'common__thresholds.json'));
  assert.equal(thresholds.status, 'pass');
  assert.deepEqual(thresholds.notImplemented, []);
  assert.equal(thresholds.compared, 8 * 15);

  // The RNG stream is not reproduced: each official draw is a not-implemented part used as the corner.
  const rng = runVectorFile(path.join(FIXTURES, 'bcp__mask_generators_rng.json'));
  assert.equal(rng.status, 'pass');
  const reasons = new Set(rng.notImplemented.map((p) => p.reason));
  // Per seed: BCP LA (3 axes), its small image (3), BCP ACDC (2), CML LA (3), CML ACDC (2).
  assert.equal(rng.notImplemented.filter((p) => /randint_calls\[\d\]\[2\]$/.test(p.path)).length, 4 * (3 + 3 + 2 + 3 + 2));
  assert.ok([...reasons].some((r) => /hard-coded to a 112×112×80 patch/.test(r)));
  // BCP-ACDC's generate_mask takes its bounds from the image: they are checked, only the draws are inputs.
  assert.ok(!rng.notImplemented.some((p) => p.path.startsWith('"BCP ACDC generate_mask 256x256"') && !/randint_calls\[\d\]\[2\]$|loss_mask_shape$/.test(p.path)));
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

test('tampered copies of the copy-paste, MCF, AC-MT and DyCON vectors fail at the changed value', () => {
  const good = tampered('mcf__cdr_sharpen_tie', (v) => {
    v.expected.good_student = 0;
    v.expected.good_student_name = 'vnet';
  });
  assert.equal(good.status, 'fail');
  assert.deepEqual(good.failures, ['good_student: got 1, expected 0', 'good_student_name: got "resnet", expected "vnet"']);

  const sel = tampered('acmt__ent_selection', (v) => {
    const d = v.expected.per_iteration[1].selected.data;
    d[100] = 1 - d[100];
  });
  assert.match(sel.failures.join('\n'), /^per_iteration\[1\]\.selected: 1 of 1024 bool elements differ/m);

  const issues = tampered('acmt__serr_selection', (v) => (v.expected.confident_joint_calibrated.data[1] += 1));
  assert.match(issues.failures[0], /^confident_joint_calibrated: 1 of 4 int64 elements differ; first at \[0,1\]: got 62, expected 63/);

  const box = tampered('bcp__mask_generators_rng', (v) => (v.expected['CML ACDC generate_mask_2D 256x256'][1].box_voxels += 1));
  assert.match(box.failures[0], /^"CML ACDC generate_mask_2D 256x256"\[1\]\.box_voxels: got 16384, expected 16385/);

  // A different draw moves the box: the draw is really the corner of the project's mask.
  const draw = tampered('bcp__la_self_train_step', (v) => (v.inputs.box_draws[0] = 0));
  assert.equal(draw.status, 'fail');
  assert.ok(draw.failures.some((f) => f.startsWith('img_mask: ')));

  const part = tampered('bcp__la_self_train_step', (v) => (v.expected.mix_loss_parts.u.ce_patch *= 1 + 1e-3));
  assert.deepEqual(part.failures.map((f) => f.split(':')[0]), ['mix_loss_parts.u.ce_patch']);

  const cml = tampered('cml__la_train_step', (v) => (v.expected.weights.dis_weight = 0.1));
  assert.match(cml.failures[0], /^weights\.dis_weight: got 0\.2, expected 0\.1/);

  const hard = tampered('dycon__fecl', (v) => (v.expected.per_epoch[2].cross_hard_negatives = 11));
  assert.deepEqual(hard.failures, ['per_epoch[2].cross_hard_negatives: got 10, expected 11']);
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
