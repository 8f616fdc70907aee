import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { findMatchingRecord, loadSuite, parseSuite, selectBestOnFor, suiteNames, suiteReferenceKey, suiteSeeds } from '../../src/results/suites.js';
import { readReferenceFile, PUBLISHED_FILE } from '../../src/results/published.js';
import { configFingerprint, toStored } from '../../src/results/store.js';
import { VERSION } from '../../src/version.js';
import { fakeRecord } from './helpers.js';

test('every suite file loads against the catalog, and the required tables are there', () => {
  const names = suiteNames();
  for (const required of ['la-16+64', 'la-8+72', 'la-4+76', 'acdc-3+67', 'acdc-7+63', 'pancreas-12+50', 'brats-25+225', 'isles-10+190', 'synthetic-smoke']) {
    assert.ok(names.includes(required), required);
  }
  const rows = readReferenceFile(PUBLISHED_FILE);
  for (const name of names) {
    const s = loadSuite(name);
    for (const m of s.methods) suiteReferenceKey(s, m, rows);
  }
  const la = loadSuite('LA-16+64');
  assert.deepEqual(la.methods, ['supervised', 'mt', 'ua-mt', 'dtc', 'upc', 'mcf', 'cml', 'ac-mt']);
  assert.equal(la.profile, 'paper');
  const smoke = loadSuite('synthetic-smoke');
  assert.deepEqual([smoke.dataset, smoke.protocol, smoke.profile, smoke.evaluation.checkpoint], ['synthetic', '8+32', 'smoke', 'last']);
  assert.deepEqual(smoke.methods, ['supervised', 'mt', 'ua-mt', 'dtc', 'upc', 'mcf', 'bcp', 'cml', 'ac-mt', 'dycon']);
  assert.throws(() => loadSuite('nope'), /unknown suite 'nope'; known: .*la-16\+64/);
});

test('a bad suite file fails naming the field', () => {
  const text = readFileSync(loadSuite('la-16+64').file, 'utf8');
  const bad = (mutate: (o: Record<string, any>) => void) => {
    const o = JSON.parse(text);
    mutate(o);
    return () => parseSuite(JSON.stringify(o), 'bad.json', 'bad');
  };
  assert.throws(bad((o) => (o.profile = 'fast')), /bad\.json: field 'profile' must be one of paper, cpu, smoke/);
  assert.throws(bad((o) => (o.seeds = [])), /field 'seeds' must be a non-empty array/);
  assert.throws(bad((o) => (o.protocol = '99+1')), /bad\.json: unknown protocol '99\+1'/);
  assert.throws(bad((o) => (o.evaluation.checkpoint = 'best')), /field 'evaluation\.checkpoint'/);
  assert.throws(bad((o) => (o.reference = { bcp: 'x' })), /field 'reference\.bcp'/);
});

test('seeds extend past the list; checkpoint policy picks --select-best-on per method', () => {
  const s = { ...loadSuite('synthetic-smoke'), seeds: [1337, 7] };
  assert.deepEqual(suiteSeeds(s), [1337, 7]);
  assert.deepEqual(suiteSeeds(s, 1), [1337]);
  assert.deepEqual(suiteSeeds(s, 4), [1337, 7, 8, 9]);
  assert.equal(selectBestOnFor('paper', 'best-on-test'), 'test');
  assert.equal(selectBestOnFor('paper', 'last'), undefined);
  assert.equal(selectBestOnFor('last', 'best-on-test'), undefined);
  assert.equal(selectBestOnFor('best-on-val', 'last'), 'val');
});

test('a record matches a suite cell only when it is the same experiment', () => {
  const rec = fakeRecord({ method: 'mt', seed: 1337 });
  const s = toStored(rec, '/r/records/x.json', '/r');
  const want = { dataset: 'synthetic', protocol: '8+32', method: 'mt', seed: 1337, profile: 'smoke', fingerprint: configFingerprint(rec.config), checkpoint: 'last', version: VERSION, allowPartial: false };
  assert.equal(findMatchingRecord([s], want), s);
  assert.equal(findMatchingRecord([s], { ...want, seed: 1 }), undefined);
  assert.equal(findMatchingRecord([s], { ...want, fingerprint: 'other' }), undefined);
  assert.equal(findMatchingRecord([s], { ...want, checkpoint: 'best-on-test' }), undefined);
  assert.equal(findMatchingRecord([s], { ...want, version: '0.0.0' }), undefined);
  const partial = toStored(fakeRecord({ method: 'mt', partial: true }), '/r/records/y.json', '/r');
  assert.equal(findMatchingRecord([partial], want), undefined);
  assert.equal(findMatchingRecord([partial], { ...want, allowPartial: true }), partial);
});
