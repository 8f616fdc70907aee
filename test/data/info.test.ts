import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { getDataset } from '../../src/data/catalog.js';
import { datasetInfo, renderInfo } from '../../src/data/info.js';
import { SHARED_DATA, runCli, tempDir } from './helpers.js';

const tmp = tempDir();
after(() => tmp.cleanup());

test('info reads shapes and label values from the LA files present', async () => {
  const la = getDataset('LA');
  const r = await datasetInfo(la, SHARED_DATA, { scan: 2 });
  assert.equal(r.factsFrom, 'files');
  assert.equal(r.cases.total, 100);
  assert.equal(r.cases.present, 52);
  assert.equal(r.files.present, 52);
  assert.equal(r.files.withChecksum, 100);
  assert.deepEqual(r.scanned.map((s) => [s.id, s.shape]), [
    ['06SR5RBREL16DQ6M8LWS', [183, 140, 88]],
    ['UPT6DX9IQY9JAZ7HJKA7', [175, 132, 88]],
  ]);
  assert.deepEqual(r.labelValues, [0, 1]);
  assert.match(r.hint!, /ssl-bench datasets download LA/);
  const text = renderInfo(la, r);
  assert.match(text, /52 of 100 catalog files on disk/);
  assert.match(text, /06SR5RBREL16DQ6M8LWS: shape 183 x 140 x 88, spacing 0\.625 x 0\.625 x 0\.625, .* labels \{0, 1\}/);
  assert.match(text, /16\+64 = 20%/);
});

test('info without files falls back to the catalog facts; the CLI shows manual steps', async () => {
  const brats = getDataset('BraTS2019');
  const r = await datasetInfo(brats, tmp.dir);
  assert.equal(r.factsFrom, 'catalog');
  assert.equal(r.cases.present, 0);
  assert.deepEqual(r.labelValues, [0, 1]);
  assert.equal(r.scanned.length, 0);

  const cli = await runCli(['datasets', 'info', 'Pancreas-NIH', '--data-dir', tmp.dir]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, /manual download, then `datasets import`/);
  assert.match(cli.stdout, /1\. Open https:\/\/drive\.google\.com\/drive\/folders\/1kQX8z34kF62ZF_1-DqFpIosB4zDThvPz/);
  assert.match(cli.stdout, /catalog facts \(no files read\)/);
  assert.match(cli.stdout, /disputed \/ unknown:/);
  const json = JSON.parse((await runCli(['datasets', 'info', 'synthetic', '--json'])).stdout);
  assert.equal(json.access, 'embedded (generated on the fly)');
});

test('datasets list --json names every dataset with its source kind', async () => {
  const r = await runCli(['datasets', 'list', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as Array<{ id: string; access: string; files: number; defaultProtocol: string }>;
  assert.deepEqual(
    rows.map((x) => [x.id, x.access, x.defaultProtocol]),
    [
      ['LA', 'direct', '16+64'],
      ['ACDC', 'direct', '7+63'],
      ['Pancreas-NIH', 'manual', '12+50'],
      ['BraTS2019', 'manual', '25+225'],
      ['ISLES2022', 'manual', '20+180'],
      ['synthetic', 'embedded', '8+32'],
      ['synthetic-2d', 'embedded', '3+17'],
    ],
  );
});
