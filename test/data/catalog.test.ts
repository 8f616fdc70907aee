import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CATALOG_FILE, getDataset, loadCatalog, validateCatalog, type DatasetEntry } from '../../src/data/catalog.js';
import { SslBenchError } from '../../src/errors.js';
import { LA_DIR, SHARED_DATA, readList } from './helpers.js';

const raw = () => JSON.parse(readFileSync(CATALOG_FILE, 'utf8')) as { schemaVersion: number; datasets: Array<Record<string, unknown>> };

function brokenMessage(mutate: (entry: Record<string, any>) => void, id = 'LA'): string {
  const cat = raw();
  mutate(cat.datasets.find((d) => d.id === id)!);
  try {
    validateCatalog(cat, 'datasets.json');
  } catch (err) {
    assert.ok(err instanceof SslBenchError, `an SslBenchError, got ${err}`);
    assert.equal(err.exitCode, 1);
    assert.equal(err.message.split('\n').length, 1, 'one line');
    return err.message;
  }
  assert.fail('the broken catalog was accepted');
}

test('the catalog has the five datasets plus the embedded synthetic ones, and the synthetic entry is unchanged', () => {
  const cat = loadCatalog();
  assert.deepEqual(cat.datasets.map((d) => d.id), ['LA', 'ACDC', 'Pancreas-NIH', 'BraTS2019', 'ISLES2022', 'synthetic', 'synthetic-2d']);
  const syn = getDataset('synthetic');
  assert.equal(syn.kind, 'synthetic');
  assert.deepEqual(syn.generator, { name: 'la-like-3d', shape: [64, 64, 48], seed: 1337 });
  assert.equal(syn.splits.train.length, 40);
  assert.equal(syn.splits.test.length, 10);
  assert.deepEqual(syn.protocols['8+32'], { labeled: 8, unlabeled: 32, split: 'train' });
  assert.deepEqual(syn.aliases, { '20%': '8+32', '10%': '4+36', '100%': '40+0' });
  assert.equal(syn.defaultProtocol, '8+32');
  assert.equal(getDataset('la').id, 'LA', 'ids match case-insensitively');
});

test('LA pins sha256 and size of all 100 upstream files, matching shared/data/LA/SHA256SUMS', () => {
  const la = getDataset('LA');
  const sums = readList(path.join(LA_DIR, 'SHA256SUMS')).map((l) => l.split(/\s+/));
  assert.equal(la.source!.files.length, 100);
  const byPath = new Map(la.source!.files.map((f) => [f.path, f]));
  for (const [sha, size, p] of sums) assert.deepEqual(byPath.get(p), { path: p, size: Number(size), sha256: sha });
  const ids = [...la.splits.train, ...la.splits.test];
  assert.deepEqual(la.source!.files.map((f) => f.path.split('/')[0]), ids, 'one file per case, in split order');
  assert.equal(la.source!.access, 'direct');
  assert.equal(la.source!.baseUrl, 'https://github.com/yulequan/UA-MT/raw/master/data/2018LA_Seg_Training%20Set');
});

test('ACDC pins all 1372 files of shared/data/ACDC/SHA256SUMS under data/', () => {
  const acdc = getDataset('ACDC');
  const sums = readList(path.join(SHARED_DATA, 'ACDC', 'SHA256SUMS'));
  assert.equal(acdc.source!.files.length, sums.length);
  const byPath = new Map(acdc.source!.files.map((f) => [f.path, f]));
  for (const line of sums) {
    const [sha, size, name] = line.split(/\s+/);
    assert.deepEqual(byPath.get(`data/${name}`), { path: `data/${name}`, size: Number(size), sha256: sha });
  }
});

test('manual datasets carry the exact steps and no download URL base', () => {
  for (const id of ['Pancreas-NIH', 'BraTS2019', 'ISLES2022']) {
    const e: DatasetEntry = getDataset(id);
    assert.equal(e.source!.access, 'manual', id);
    assert.ok(e.source!.steps!.some((s) => s.includes(`ssl-bench datasets import ${id} --from`)), `${id}: import step`);
    assert.equal(e.source!.baseUrl, undefined);
    assert.ok((e.disputed ?? []).length > 0, `${id}: records what is disputed`);
    assert.ok(e.preprocessing!.some((p) => p.usedHere), `${id}: says which preprocessing it uses`);
  }
});

test('a broken entry fails with one line naming the entry and the field', () => {
  assert.match(
    brokenMessage((e) => (e.protocols['16+64'].split = 'trian')),
    /^datasets\.json: dataset 'LA'\.protocols\["16\+64"\]\.split: expected one of the split names \(train, test, .*\) \(got "trian"\)$/,
  );
  assert.match(brokenMessage((e) => delete e.title), /dataset 'LA'\.title: expected a string$/);
  assert.match(brokenMessage((e) => (e.source.files[3].sha256 = 'xyz')), /dataset 'LA'\.source\.files\[3\]\.sha256: expected 64 lower-case hex digits \(got "xyz"\)/);
  assert.match(brokenMessage((e) => (e.protocols['8+72'].labeled = 79)), /dataset 'LA'\.protocols\["8\+72"\]: expected labeled \+ unlabeled <= 80/);
  assert.match(brokenMessage((e) => (e.aliases['5%'] = '2+78')), /dataset 'LA'\.aliases\["5%"\]: expected the key of one of its protocols \(got "2\+78"\)/);
  assert.match(brokenMessage((e) => (e.defaultProtocol = 'nope')), /dataset 'LA'\.defaultProtocol: expected the key of one of its protocols/);
  assert.match(brokenMessage((e) => (e.dimensionality = '4d')), /dataset 'LA'\.dimensionality: expected one of 3d, 2d \(got "4d"\)/);
  assert.match(brokenMessage((e) => delete e.source.baseUrl), /dataset 'LA'\.source\.baseUrl: expected an http\(s\) URL \(access is direct\)/);
  assert.match(brokenMessage((e) => (e.source.files[1].path = e.source.files[0].path)), /dataset 'LA'\.source\.files\[1\]\.path: expected a path listed once/);
  assert.match(brokenMessage((e) => (e.layout.readers[0].paths = ['mri_norm2.h5'])), /dataset 'LA'\.layout\.readers\[0\]\.paths\[0\]: expected a template containing \{id\}/);
  assert.match(brokenMessage((e) => (e.source.files[0].path = '../x.h5')), /source\.files\[0\]\.path: expected a relative path without \.\./);
  assert.match(brokenMessage((e) => delete e.source.steps, 'BraTS2019'), /dataset 'BraTS2019'\.source\.steps: expected the manual download steps/);
  assert.match(brokenMessage((e) => (e.layout.readers[1].preprocess = ['sharpen']), 'BraTS2019'), /readers\[1\]\.preprocess\[0\]: expected one of crop-nonzero/);
  assert.match(brokenMessage((e) => (e.spacing = [1, 0, 1])), /dataset 'LA'\.spacing\[1\]: expected a positive number \(got 0\)/);
  assert.match(brokenMessage((e) => delete e.generator, 'synthetic'), /dataset 'synthetic'\.generator: expected \{name, shape, seed\}/);
  const cat = raw();
  cat.datasets[1].id = 'la';
  assert.throws(() => validateCatalog(cat, 'datasets.json'), /dataset 'la'\.id: expected a unique id/);
});

test('loadCatalog names the file when it is not valid JSON', () => {
  assert.throws(() => loadCatalog(path.join(LA_DIR, 'train.list')), (err: Error) => err instanceof SslBenchError && err.message.includes('train.list: cannot read the dataset catalog'));
});
