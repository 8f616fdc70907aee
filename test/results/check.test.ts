import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSections } from '../../src/results/aggregate.js';
import { baselineRows, BASELINE_TOLERANCE, checkMetric, compareWithReference, parseTolerance } from '../../src/results/check.js';
import { normalizeReference } from '../../src/results/published.js';
import { toStored } from '../../src/results/store.js';
import { UsageError } from '../../src/errors.js';
import type { ResultRecord } from '../../src/results/record.js';
import { fakeRecord } from './helpers.js';

const V = '9.9.9';
const stored = (r: ResultRecord) => toStored(r, `/res/records/${r.dataset.id}/${r.dataset.protocol}/${r.id}.json`, '/res');
const usage = (m: string) => new UsageError(m);

test('tolerances parse in table units; bad ones are usage errors', () => {
  assert.deepEqual(parseTolerance('dice=1,hd95=2'), { dice: 1, hd95: 2 });
  assert.deepEqual(parseTolerance('95HD=0.5'), { hd95: 0.5 });
  assert.throws(() => parseTolerance('dice'), UsageError);
  assert.throws(() => parseTolerance('volume=1'), /unknown metric 'volume'/);
  assert.throws(() => parseTolerance('dice=-1'), /non-negative/);
});

test('worse beyond the tolerance regresses, better passes; a two-sided baseline also fails when it moves', () => {
  assert.equal(checkMetric('dice', 85, 86.5, 1, false).status, 'regress');
  assert.equal(checkMetric('dice', 85, 85.9, 1, false).status, 'pass');
  assert.equal(checkMetric('dice', 95, 85, 1, false).status, 'pass');
  assert.equal(checkMetric('hd95', 10, 7, 2, false).status, 'regress');
  assert.equal(checkMetric('hd95', 3, 7, 2, false).status, 'pass');
  assert.equal(checkMetric('hd95', 3, 7, 2, true).status, 'moved');
  assert.equal(checkMetric('dice', 85, 86, 1, false).status, 'pass', 'exactly at the tolerance passes');
  assert.equal(checkMetric('asd', 2, null, 1, false).status, 'skip');
});

test('cells compare with the reference; missing cells are listed but only a baseline requires them', () => {
  const records = [fakeRecord({ method: 'mt', dice: [0.8, 0.8], version: V })].map(stored);
  const reference = normalizeReference(
    [
      { method: 'MT', dataset: 'synthetic', protocol: { labeled: 8, unlabeled: 32 }, metrics: { dice: 82, jaccard: null, hd95: null, asd: null }, verification: { status: 'corroborated_secondary' } },
      { method: 'DTC', dataset: 'synthetic', protocol: { labeled: 8, unlabeled: 32 }, metrics: { dice: 70, jaccard: null, hd95: null, asd: null }, verification: { status: 'corroborated_secondary' } },
    ],
    'ref.json',
    usage,
  );
  const rows = buildSections(records, { currentVersion: V, published: reference }).sections.flatMap((s) => s.rows);
  const regress = compareWithReference(rows, reference, {}, {});
  assert.deepEqual(regress.cells.map((c) => [c.method, c.status]), [['mt', 'regress'], ['dtc', 'missing']]);
  assert.equal(regress.failed, true);
  const loose = compareWithReference(rows, reference, {}, { dice: 2.5 });
  assert.equal(loose.failed, false);
  assert.equal(loose.compared, 1);

  // A baseline written from these records passes against them, and fails once a method's numbers move.
  const baseline = normalizeReference(baselineRows(rows, null, V, BASELINE_TOLERANCE), 'base.json', usage);
  assert.equal(baseline[0].profile, 'smoke');
  const same = buildSections(records, { currentVersion: V, published: baseline }).sections.flatMap((s) => s.rows);
  assert.equal(compareWithReference(same, baseline, {}, {}).failed, false);
  const better = [fakeRecord({ method: 'mt', dice: [0.81, 0.81], version: V })].map(stored);
  const moved = compareWithReference(buildSections(better, { currentVersion: V, published: baseline }).sections.flatMap((s) => s.rows), baseline, {}, {});
  assert.equal(moved.cells[0].status, 'moved');
  assert.equal(moved.failed, true);
  const none = compareWithReference([], baseline, {}, {});
  assert.equal(none.cells[0].status, 'missing');
  assert.ok(none.reasons.some((r) => /no record was measured/.test(r)));
});
