import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { getDataset } from '../../src/data/catalog.js';
import { UsageError } from '../../src/errors.js';
import { buildPublished, lookupPublished, methodIdFor, normalizeReference, protocolKeyFor, PUBLISHED_FILE, readReferenceFile } from '../../src/results/published.js';
import { REPO_ROOT } from '../helpers/cli.js';

const usage = (m: string) => new UsageError(m);

function refRow(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    method: 'MT',
    dataset: 'LA',
    protocol: { labeled: 16, unlabeled: 64, percent: 20, split: 'LA' },
    metrics: { dice: 88.12, jaccard: 79.03, hd95: 10.92, asd: 2.65 },
    source: { paper: 'p', table: null, year: 2024 },
    reported_by: 'x',
    report_kind: 'rerun_in_later_paper',
    verification: { status: 'corroborated_secondary', confidence: 'medium', evidence: [] },
    ...over,
  };
}

test('paper names map to method ids and published protocols to catalog protocols', () => {
  assert.equal(methodIdFor('V-Net (supervised)'), 'supervised');
  assert.equal(methodIdFor('Supervised baseline (3D U-Net)'), 'supervised');
  assert.equal(methodIdFor('UA-MT'), 'ua-mt');
  assert.equal(methodIdFor('AC-MT'), 'ac-mt');
  assert.equal(methodIdFor('DyCON'), 'dycon');
  const la = getDataset('LA');
  // A supervised baseline "16/0" sits in the 16-labeled table; the full-data upper bound has its own protocol.
  assert.equal(protocolKeyFor(la, { labeled: 16, unlabeled: 0, percent: 20 }), '16+64');
  assert.equal(protocolKeyFor(la, { labeled: 80, unlabeled: 0, percent: 100 }), '80+0');
  assert.equal(protocolKeyFor(la, { labeled: 8, unlabeled: 72, percent: 10 }), '8+72');
  assert.equal(protocolKeyFor(la, { labeled: 99, unlabeled: 0, percent: null }), null);
  // ACDC counts patients; ISLES rows only give a percentage.
  assert.equal(protocolKeyFor(getDataset('ACDC'), { labeled: 3, unlabeled: 67, percent: 5 }), '3+67');
  assert.equal(protocolKeyFor(getDataset('ISLES2022'), { labeled: null, unlabeled: null, percent: 10 }), '20+180');
  assert.equal(protocolKeyFor(la, { key: '20%', labeled: null, unlabeled: null, percent: null }), '16+64');
});

test('the strongest row of a cell is primary; statuses are kept per row', () => {
  const rows = normalizeReference(
    [
      refRow({ metrics: { dice: 85.89, jaccard: 76.58, hd95: 12.63, asd: 3.44 }, verification: { status: 'seed_only', confidence: 'low' } }),
      refRow(),
      refRow({ method: 'V-Net (supervised)', protocol: { labeled: 16, unlabeled: 0, percent: 20 } }),
    ],
    'ref.json',
    usage,
  );
  assert.deepEqual(rows.map((r) => [r.key, r.primary, r.verified]), [
    ['LA/16+64/mt#1', false, false],
    ['LA/16+64/mt#2', true, true],
    ['LA/16+64/supervised#1', true, true],
  ]);
  assert.equal(lookupPublished(rows, { dataset: 'LA', protocol: '16+64', method: 'mt' })?.metrics.dice, 88.12);
  assert.equal(lookupPublished(rows, { dataset: 'LA', protocol: '16+64', method: 'mt' }, 'LA/16+64/mt#1')?.metrics.dice, 85.89);
  assert.equal(lookupPublished(rows, { dataset: 'LA', protocol: '8+72', method: 'mt' }), null);
});

test('a reference row that misses a field or names an unknown dataset fails naming file and field', () => {
  const fails = (row: Record<string, unknown>, pattern: RegExp) =>
    assert.throws(() => normalizeReference([refRow(), row], 'ref.json', usage), (err: Error) => err instanceof UsageError && pattern.test(err.message));
  fails(refRow({ metrics: { dice: 88, jaccard: 79, asd: 2 } }), /^ref\.json: field '\[1\]\.metrics\.hd95' must be a finite number or null, got nothing/);
  fails(refRow({ dataset: 'Heart' }), /field '\[1\]\.dataset' must be a dataset of the catalog/);
  fails(refRow({ protocol: { labeled: 99, unlabeled: 1 } }), /field '\[1\]\.protocol' must be a protocol of LA/);
  fails(refRow({ verification: {} }), /field '\[1\]\.verification\.status'/);
  assert.throws(() => normalizeReference({ rows: [] }, 'ref.json', usage), /field '\(top level\)' must be an array/);
});

test('results/published.json is committed, readable, and keeps every verification status', () => {
  const rows = readReferenceFile(PUBLISHED_FILE);
  assert.ok(rows.length >= 70);
  const la16 = rows.filter((r) => r.dataset === 'LA' && r.protocol === '16+64' && r.primary);
  assert.deepEqual(la16.map((r) => r.method).sort(), ['ac-mt', 'bcp', 'dtc', 'mcf', 'mt', 'supervised', 'ua-mt', 'upc']);
  const upc = la16.find((r) => r.method === 'upc')!;
  assert.equal(upc.status, 'seed_only');
  assert.equal(upc.verified, false);
  assert.equal(la16.find((r) => r.method === 'ua-mt')!.status, 'verified_official_repo');
  for (const s of ['verified_official_repo', 'corroborated_secondary', 'seed_only', 'not_retrieved', 'figure_only']) assert.ok(rows.some((r) => r.status === s), s);
});

test('results/published.json is what build-published makes of the shared reference (when ../shared is present)', (t) => {
  const source = path.join(REPO_ROOT, '..', 'shared', 'reference', 'published.json');
  if (!existsSync(source)) {
    t.skip('no ../shared/reference/published.json here');
    return;
  }
  const bytes = readFileSync(source);
  const built = buildPublished(JSON.parse(bytes.toString('utf8')), { file: 'reference/published.json', sha256: createHash('sha256').update(bytes).digest('hex') });
  assert.equal(readFileSync(PUBLISHED_FILE, 'utf8'), JSON.stringify(built, null, 2) + '\n', 'run: npm run build && node benchmarks/build-published.mjs');
});
