/**
 * Every protocol of every dataset against the lists in shared/reference/DATASETS.md and the real list
 * files in shared/data: labeled = a prefix of the paper's train list, in the paper's order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getDataset, loadCatalog, resolveSplit } from '../../src/data/catalog.js';
import { LA_DIR, SHARED, SHARED_DATA, readList, runCli } from './helpers.js';

const DOC = readFileSync(path.join(SHARED, 'reference', 'DATASETS.md'), 'utf8');

function docLine(startsWith: string): string {
  const line = DOC.split('\n').find((l) => l.startsWith(startsWith));
  assert.ok(line, `DATASETS.md has a line starting with ${startsWith}`);
  return line;
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const pancreas = (n: number) => `PANCREAS_${String(n).padStart(4, '0')}`;

test('every protocol of every dataset: counts, disjoint sets, prefix of its split list, aliases resolve', () => {
  for (const entry of loadCatalog().datasets) {
    for (const [name, spec] of Object.entries(entry.protocols)) {
      const s = resolveSplit(entry, name);
      const where = `${entry.id} ${name}`;
      assert.equal(s.labeled.length, spec.labeled, where);
      assert.equal(s.unlabeled.length, spec.unlabeled, where);
      assert.deepEqual([...s.labeled, ...s.unlabeled], entry.splits[spec.split].slice(0, spec.labeled + spec.unlabeled), where);
      assert.ok(s.test.length > 0, `${where}: has a test list`);
      const train = new Set([...s.labeled, ...s.unlabeled]);
      assert.equal(train.size, s.labeled.length + s.unlabeled.length, `${where}: no duplicate ids`);
      // DyCON's Pancreas "test1" evaluation overlaps its training pool on purpose (a documented gotcha).
      if (!name.endsWith('@dycon') || entry.id !== 'Pancreas-NIH') {
        assert.ok(s.test.every((id) => !train.has(id)), `${where}: test disjoint from training`);
      }
    }
    for (const [alias, target] of Object.entries(entry.aliases ?? {})) {
      assert.equal(resolveSplit(entry, alias).protocol, target, `${entry.id} alias ${alias}`);
    }
  }
});

test('LA: 16+64, 8+72, 4+76 are prefixes of train.list, test.list is the test set (DATASETS.md §1.5)', () => {
  const la = getDataset('LA');
  const train = readList(path.join(LA_DIR, 'train.list'));
  const testList = readList(path.join(LA_DIR, 'test.list'));
  const n4 = /`([^`]+)`/.exec(docLine('- N=4:'))![1].split(', ');
  const n8extra = /`([^`]+)`/.exec(docLine('- N=8:'))![1].split(', ');
  for (const [protocol, n, u] of [
    ['16+64', 16, 64],
    ['8+72', 8, 72],
    ['4+76', 4, 76],
  ] as const) {
    const s = resolveSplit(la, protocol);
    assert.deepEqual(s.labeled, train.slice(0, n));
    assert.deepEqual(s.unlabeled, train.slice(n, n + u));
    assert.deepEqual(s.test, testList);
    assert.equal(s.val, undefined, 'LA has no validation split');
  }
  assert.deepEqual(resolveSplit(la, '5%').labeled, n4);
  assert.deepEqual(resolveSplit(la, '10%').labeled, [...n4, ...n8extra]);
  assert.equal(resolveSplit(la, '20%').protocol, '16+64');
  assert.equal(resolveSplit(la, undefined).protocol, '16+64');
});

test('LA: MCF folds 1-4 put the old test cases first and test on consecutive blocks of 20', () => {
  const la = getDataset('LA');
  const all = [...readList(path.join(LA_DIR, 'train.list')), ...readList(path.join(LA_DIR, 'test.list'))];
  for (let k = 1; k <= 4; k++) {
    const s = resolveSplit(la, `16+64@mcf-fold${k}`);
    const testBlock = all.slice(20 * (k - 1), 20 * k);
    assert.deepEqual(s.test, testBlock);
    assert.deepEqual(s.labeled, all.slice(80, 96), `fold ${k}: the labeled 16 are old test cases`);
    assert.deepEqual([...s.labeled, ...s.unlabeled], [...all.slice(80), ...all.slice(0, 80).filter((id) => !testBlock.includes(id))]);
  }
});

test('ACDC: 3+67 and 7+63 count slices of train_slices.list (68/136) and cover exactly the first 3/7 patients', () => {
  const acdc = getDataset('ACDC');
  const slices = readList(path.join(SHARED_DATA, 'ACDC', 'train_slices.list'));
  const patients = /\*\*train \(70\)\*\*: ([\d ]+)/.exec(docLine('- **train (70)**'))![1].trim().split(' ');
  assert.equal(patients.length, 70);
  for (const [protocol, nPatients, nSlices] of [
    ['3+67', 3, 68],
    ['7+63', 7, 136],
    ['14+56', 14, 256],
    ['1+69', 1, 32],
    ['70+0', 70, 1312],
  ] as const) {
    const s = resolveSplit(acdc, protocol);
    assert.equal(s.labeled.length, nSlices, protocol);
    assert.deepEqual(s.labeled, slices.slice(0, nSlices));
    assert.deepEqual(s.unlabeled, slices.slice(nSlices));
    const labeledPatients = [...new Set(s.labeled.map((id) => id.slice('patient'.length, 'patient'.length + 3)))];
    assert.deepEqual(labeledPatients, patients.slice(0, nPatients), `${protocol}: patients in list order`);
    assert.deepEqual(s.test, readList(path.join(SHARED_DATA, 'ACDC', 'test.list')));
    assert.deepEqual(s.val, readList(path.join(SHARED_DATA, 'ACDC', 'val.list')));
  }
  assert.equal(resolveSplit(acdc, '5%').protocol, '3+67');
  assert.equal(resolveSplit(acdc, '10%').protocol, '7+63');
  const val = /\*\*val \(10\)\*\*: ([\d ]+)/.exec(docLine('- **val (10)**'))![1].trim().split(' ');
  assert.deepEqual([...new Set(acdc.splits.val.map((id) => id.slice(7, 10)))], val);
});

test('Pancreas-NIH: DTC-family fold 0, DyCON test1, MCF folds and the MC-Net+ split (DATASETS.md §3.3)', () => {
  const p = getDataset('Pancreas-NIH');
  const s12 = resolveSplit(p, '12+50');
  assert.deepEqual(s12.labeled, range(1, 12).map(pancreas));
  assert.deepEqual(s12.unlabeled, range(13, 62).map(pancreas));
  assert.deepEqual(s12.test, range(63, 82).map(pancreas));
  assert.deepEqual(resolveSplit(p, '6+56').labeled, range(1, 6).map(pancreas));
  assert.deepEqual(resolveSplit(p, '12+50@dycon').test, range(1, 20).map(pancreas));
  const f1 = resolveSplit(p, '12+50@mcf-fold1');
  assert.deepEqual(f1.labeled, range(21, 32).map(pancreas), 'fold 1 with N=12 gives 0021-0032');
  assert.deepEqual(f1.test, range(1, 20).map(pancreas));
  assert.deepEqual(resolveSplit(p, '12+49@mcf-fold2').test, range(21, 41).map(pancreas));
  assert.deepEqual(resolveSplit(p, '12+49@mcf-fold3').test, range(42, 62).map(pancreas));

  const ids = (line: string) => line.replace(/^.*?: /, '').replace('|', '').trim().split(/\s+/).map((t) => (t.startsWith('image') ? t : `image${t}`));
  const mcTest = ids(docLine('- test, in order: image0050'));
  const mcTrain = ids(docLine('- train, in order (labeled = prefix): image0057'));
  const m12 = resolveSplit(p, '12+50@mcnet');
  assert.deepEqual(m12.labeled, mcTrain.slice(0, 12));
  assert.deepEqual(m12.unlabeled, mcTrain.slice(12));
  assert.deepEqual(m12.test, mcTest);
  assert.deepEqual(resolveSplit(p, '6+56@mcnet').labeled, mcTrain.slice(0, 6));
  assert.equal(resolveSplit(p, '10%').protocol, '6+56');
  assert.equal(resolveSplit(p, '20%').protocol, '12+50');
});

test('BraTS2019: first 25/50 of train.txt labeled; 250/25/60; DyCON evaluates on val (DATASETS.md §4.3)', () => {
  const b = getDataset('BraTS2019');
  const idx = DOC.indexOf('- First 50 IDs of `train.txt`');
  const block = DOC.slice(idx, DOC.indexOf('\n- ', idx + 5));
  const first50 = block.replace(/^.*?:\s*/, '').replace('|', ' ').trim().split(/\s+/);
  assert.equal(first50.length, 50);
  const s25 = resolveSplit(b, '25+225');
  assert.deepEqual(s25.labeled, first50.slice(0, 25));
  assert.equal(s25.unlabeled.length, 225);
  assert.equal(s25.test.length, 60);
  assert.equal(s25.val?.length, 25);
  assert.deepEqual(resolveSplit(b, '50+200').labeled, first50);
  assert.deepEqual(resolveSplit(b, '25+225@dycon').test, b.splits.val);
  assert.equal(new Set([...b.splits.train, ...b.splits.val, ...b.splits.test]).size, 335);
  assert.equal(resolveSplit(b, '10%').protocol, '25+225');
});

test('ISLES2022: DyCON 200/25/25 split of the 250 public cases; 5% = 10 and 10% = 20 labeled', () => {
  const i = getDataset('ISLES2022');
  assert.equal(i.splits.train.length, 200);
  assert.equal(new Set([...i.splits.train, ...i.splits.val, ...i.splits.test]).size, 250);
  assert.deepEqual(i.splits.train.slice(0, 3), ['sub-strokecase0003', 'sub-strokecase0004', 'sub-strokecase0005']);
  assert.deepEqual(i.splits.test.slice(0, 2), ['sub-strokecase0001', 'sub-strokecase0013']);
  assert.deepEqual(resolveSplit(i, '5%').labeled, i.splits.train.slice(0, 10));
  assert.deepEqual(resolveSplit(i, '10%').labeled, i.splits.train.slice(0, 20));
  assert.ok((i.disputed ?? []).some((d) => /inferred/.test(d)), 'says the counts are inferred');
});

test('CLI: datasets split LA --protocol 16+64 --json prints exactly labeled/unlabeled/test', async () => {
  const r = await runCli(['datasets', 'split', 'LA', '--protocol', '16+64', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, string[]>;
  assert.deepEqual(Object.keys(out), ['labeled', 'unlabeled', 'test']);
  const train = readList(path.join(LA_DIR, 'train.list'));
  assert.deepEqual(out.labeled, train.slice(0, 16));
  assert.deepEqual(out.unlabeled, train.slice(16));
  assert.deepEqual(out.test, readList(path.join(LA_DIR, 'test.list')));

  const acdc = JSON.parse((await runCli(['datasets', 'split', 'ACDC', '--protocol', '5%', '--json'])).stdout) as Record<string, string[]>;
  assert.deepEqual(Object.keys(acdc), ['labeled', 'unlabeled', 'test', 'val']);
  assert.equal(acdc.labeled.length, 68);

  const bad = await runCli(['datasets', 'split', 'LA', '--protocol', '12+68']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown protocol '12\+68' for dataset LA; known: 16\+64/);
});
