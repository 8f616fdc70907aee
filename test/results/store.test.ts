import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { configFingerprint, loadRecords, migrateRecord, parseRecordText, canonicalJson } from '../../src/results/store.js';
import { SslBenchError } from '../../src/errors.js';
import { fakeRecord, tempResults, writeFake } from './helpers.js';

test('reads every record, derives means from the cases and ignores .tmp files and partial JSON', async () => {
  const dir = tempResults();
  const a = writeFake(dir, fakeRecord({ method: 'supervised', dice: [0.5, 0.7] }));
  writeFake(dir, fakeRecord({ method: 'mt', dataset: 'LA', protocol: '16+64' }));
  const folder = path.dirname(a);
  // A writer's temporary file, a copy cut off half-way and an empty file: none is a record yet.
  writeFileSync(`${a}.4242.deadbeef.tmp`, '{"schema": "ssl-bench/result"');
  writeFileSync(path.join(folder, 'half.json'), JSON.stringify(fakeRecord()).slice(0, 200));
  writeFileSync(path.join(folder, 'empty.json'), '');

  const all = await loadRecords(dir);
  assert.equal(all.records.length, 2);
  assert.deepEqual(all.skipped.map((s) => path.basename(s.file)).sort(), ['empty.json', 'half.json']);
  assert.ok(all.notices.some((n) => n.includes('half.json') && /incomplete JSON/.test(n)));
  const sup = all.records.find((r) => r.record.method.id === 'supervised')!;
  assert.ok(Math.abs(sup.derived.dice - 0.6) < 1e-12);
  assert.deepEqual(sup.meanMismatch, []);
  assert.equal(sup.relPath, path.relative(dir, a).split(path.sep).join('/'));

  const la = await loadRecords(dir, { dataset: 'LA', protocol: '16+64' });
  assert.deepEqual(la.records.map((r) => r.record.method.id), ['mt']);
  assert.equal((await loadRecords(path.join(dir, 'nowhere'))).records.length, 0);
});

test('a stored mean that disagrees with the cases is flagged and the cases win', async () => {
  const dir = tempResults();
  writeFake(dir, fakeRecord({ dice: [0.5, 0.7], mean: { dice: 0.9 } }));
  const { records, notices } = await loadRecords(dir);
  assert.deepEqual(records[0].meanMismatch, ['dice']);
  assert.ok(Math.abs(records[0].derived.dice - 0.6) < 1e-12);
  assert.ok(notices.some((n) => /stored mean of dice disagrees/.test(n)));
});

test('a broken record fails naming the file and the field', () => {
  const rec = fakeRecord() as unknown as Record<string, unknown>;
  const bad = (mutate: (r: Record<string, any>) => void): string => {
    const copy = JSON.parse(JSON.stringify(rec));
    mutate(copy);
    try {
      parseRecordText(JSON.stringify(copy), '/r/x.json');
    } catch (err) {
      assert.ok(err instanceof SslBenchError);
      return err.message;
    }
    assert.fail('expected an error');
  };
  assert.match(bad((r) => delete r.cases[1].hd95), /^\/r\/x\.json: field 'cases\[1\]\.hd95' must be a finite number, got nothing/);
  assert.match(bad((r) => (r.seed = '1337')), /field 'seed' must be an integer, got the string "1337"/);
  assert.match(bad((r) => delete r.evaluation.checkpoint), /field 'evaluation\.checkpoint'/);
  assert.match(bad((r) => (r.cases = [])), /field 'cases' must be a non-empty array/);
  assert.match(bad((r) => (r.schema = 'other')), /field 'schema' must be "ssl-bench\/result"/);
  assert.throws(() => parseRecordText('{"schema": nope}', '/r/y.json'), /\/r\/y\.json: not valid JSON/);
  // Truncated text is not an error: the file may still be arriving.
  assert.equal(parseRecordText('{"schema": "ssl-bench/result", "id"', '/r/z.json'), null);
});

test('older schema versions are migrated in memory; newer ones are refused', async () => {
  const v1 = fakeRecord() as unknown as Record<string, unknown>;
  const migrations = { 1: (r: Record<string, unknown>) => ({ ...r, extra: 'added by v2' }) };
  const up = migrateRecord(JSON.parse(JSON.stringify(v1)), 'f.json', migrations, 2);
  assert.equal(up.from, 1);
  assert.equal(up.raw.schemaVersion, 2);
  assert.equal(up.raw.extra, 'added by v2');
  assert.throws(() => migrateRecord({ ...v1, schemaVersion: 1 }, 'f.json', {}, 2), /no migration from record schema version 1 to 2/);
  assert.throws(() => migrateRecord({ ...v1, schemaVersion: 3 }, 'f.json'), /schema version 3 is newer than this ssl-bench reads \(1\)/);

  const dir = tempResults();
  writeFake(dir, fakeRecord());
  const loaded = await loadRecords(dir, { migrations, currentVersion: 2 });
  assert.equal(loaded.records[0].migratedFrom, 1);
  assert.ok(loaded.notices.some((n) => /1 record\(s\) of schema version 1 by migrating them to version 2/.test(n)));
});

test('the config fingerprint ignores the seed and the sources, nothing else', () => {
  const a = fakeRecord({ seed: 1 }).config;
  const b = fakeRecord({ seed: 2 }).config;
  assert.equal(configFingerprint(a), configFingerprint(b));
  assert.equal(configFingerprint(a), configFingerprint({ ...a, sources: { iterations: 'flag' } }));
  assert.notEqual(configFingerprint(a), configFingerprint(fakeRecord({ iterations: 7 }).config));
  // Key order does not matter.
  assert.equal(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] }), canonicalJson({ a: [1, { c: 3, d: 2 }], b: 1 }));
});

test('a directory that is not readable as records is an empty store, not a crash', async () => {
  const dir = tempResults();
  mkdirSync(path.join(dir, 'records', 'synthetic', '8+32', 'nested'), { recursive: true });
  writeFileSync(path.join(dir, 'records', 'synthetic', '.hidden.json'), '{');
  assert.equal((await loadRecords(dir)).records.length, 0);
});
