import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSections, meanStd } from '../../src/results/aggregate.js';
import { normalizeReference } from '../../src/results/published.js';
import { renderCsv, renderMarkdown, renderTerminal } from '../../src/results/render.js';
import { toStored } from '../../src/results/store.js';
import { loadSuite } from '../../src/results/suites.js';
import { UsageError } from '../../src/errors.js';
import type { ResultRecord } from '../../src/results/record.js';
import { fakeRecord } from './helpers.js';

const V = '9.9.9';
const stored = (r: ResultRecord) => toStored(r, `/res/records/${r.dataset.id}/${r.dataset.protocol}/${r.id}.json`, '/res');

const published = normalizeReference(
  [
    {
      method: 'UA-MT',
      dataset: 'LA',
      protocol: { labeled: 16, unlabeled: 64 },
      metrics: { dice: 88.88, jaccard: 80.21, hd95: 7.32, asd: 2.26 },
      verification: { status: 'verified_official_repo' },
    },
    {
      method: 'UPC',
      dataset: 'LA',
      protocol: { labeled: 16, unlabeled: 64 },
      metrics: { dice: 89.65, jaccard: null, hd95: null, asd: null },
      verification: { status: 'seed_only' },
    },
  ],
  'ref.json',
  (m) => new UsageError(m),
);

test('mean ± sample std over seeds, one record per seed, pooled only within the same config and version', () => {
  const records = [
    fakeRecord({ method: 'ua-mt', dataset: 'LA', protocol: '16+64', profile: 'paper', seed: 1, dice: [0.8, 0.8], version: V }),
    fakeRecord({ method: 'ua-mt', dataset: 'LA', protocol: '16+64', profile: 'paper', seed: 2, dice: [0.9, 0.9], version: V }),
    // A repeat of seed 1, older: superseded by the one above.
    fakeRecord({ method: 'ua-mt', dataset: 'LA', protocol: '16+64', profile: 'paper', seed: 1, dice: [0.1, 0.1], version: V, createdAt: '2025-01-01T00:00:00.000Z' }),
    // Different iterations: another experiment, its own row.
    fakeRecord({ method: 'ua-mt', dataset: 'LA', protocol: '16+64', profile: 'paper', seed: 1, dice: [0.5, 0.5], version: V, iterations: 100 }),
    // Another harness version: left out unless asked for.
    fakeRecord({ method: 'ua-mt', dataset: 'LA', protocol: '16+64', profile: 'paper', seed: 3, dice: [0.7, 0.7], version: '0.0.1' }),
  ].map(stored);
  const { sections, otherVersions } = buildSections(records, { dataset: 'LA', currentVersion: V, published });
  assert.equal(otherVersions, 1);
  assert.equal(sections.length, 1);
  assert.equal(sections[0].rows.length, 2);
  const pooled = sections[0].rows.find((r) => r.n === 2)!;
  const other = sections[0].rows.find((r) => r.n === 1)!;
  assert.equal(pooled.n, 2);
  assert.deepEqual(pooled.seeds, [1, 2]);
  assert.equal(pooled.superseded.length, 1);
  const dice = pooled.metrics.dice;
  assert.ok(Math.abs(dice.mean! - 85) < 1e-9);
  assert.ok(Math.abs(dice.std! - meanStd([80, 90]).std!) < 1e-9 && Math.abs(dice.std! - Math.SQRT2 * 5) < 1e-9);
  assert.equal(dice.published, 88.88);
  assert.ok(Math.abs(dice.delta! - (85 - 88.88)) < 1e-9);
  assert.equal(other.n, 1);
  assert.equal(other.metrics.dice.std, null);

  const all = buildSections(records, { dataset: 'LA', currentVersion: V, published, allVersions: true });
  assert.equal(all.sections[0].rows.length, 3);
  assert.equal(all.sections[0].rows[2].version, '0.0.1');
});

test('markers: test-set checkpoint, LCC, partial data, non-paper profile, unverified published row', () => {
  const records = [
    fakeRecord({ method: 'upc', dataset: 'LA', protocol: '16+64', profile: 'paper', version: V, checkpoint: 'best-on-test', paperCheckpoint: 'last' }),
    fakeRecord({ method: 'dtc', dataset: 'LA', protocol: '16+64', profile: 'cpu', version: V, largestComponent: true, partial: true }),
    // BCP-like: the last checkpoint is reported, but its pre-training stage was picked on the test set.
    fakeRecord({ method: 'bcp', dataset: 'LA', protocol: '16+64', profile: 'paper', version: V, testSetUsedForSelection: true }),
  ].map(stored);
  const rows = buildSections(records, { dataset: 'LA', protocol: '16+64', currentVersion: V, published }).sections[0].rows;
  const codes = (m: string) => rows.find((r) => r.method === m)!.markers.map((x) => x.code).join('');
  assert.equal(codes('upc'), 'TCU');
  assert.equal(codes('dtc'), 'LPS');
  assert.equal(codes('bcp'), 'T');
  const md = renderMarkdown(buildSections(records, { dataset: 'LA', currentVersion: V, published }).sections, { currentVersion: V, allVersions: false });
  assert.match(md, /T = a checkpoint was picked by its Dice on the test set/);
  assert.match(md, /U: seed_only/);
});

test('a suite lists every method of the paper table, run or not, in its order, with published numbers', () => {
  const suite = loadSuite('la-16+64');
  const records = [fakeRecord({ method: 'ua-mt', dataset: 'LA', protocol: '16+64', profile: 'paper', version: V })].map(stored);
  const rows = buildSections(records, { suite, currentVersion: V, published }).sections[0].rows;
  assert.deepEqual(rows.map((r) => r.method), suite.methods);
  const upc = rows.find((r) => r.method === 'upc')!;
  assert.equal(upc.n, 0);
  assert.equal(upc.metrics.dice.published, 89.65);
  const text = renderTerminal([buildSections(records, { suite, currentVersion: V, published }).sections[0]], { currentVersion: V, allVersions: false }, false);
  assert.match(text, /not run/);
  assert.doesNotMatch(text, /\u001b\[/, 'no colour codes off a terminal');
});

test('CSV has one line per row with numeric columns in table units', () => {
  const records = [fakeRecord({ method: 'mt', dice: [0.5, 0.7], hd95: [4, 6], version: V })].map(stored);
  const csv = renderCsv(buildSections(records, { dataset: 'synthetic', currentVersion: V, published }).sections);
  const [header, line] = csv.trim().split('\n');
  const cols = header.split(',');
  const vals = line.split(',');
  const at = (name: string) => vals[cols.indexOf(name)];
  assert.equal(at('method'), 'mt');
  assert.equal(Number(at('dice_mean')), 60);
  assert.equal(Number(at('hd95_mean')), 5);
  assert.equal(at('dice_published'), '');
  assert.equal(at('n'), '1');
});
