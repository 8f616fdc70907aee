import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { fakeRecord, tempResults, writeFake } from '../results/helpers.js';

test('leaderboard: a section per dataset × protocol, best per column in bold, linked records, same bytes twice', () => {
  const dir = tempResults('sslb-board-');
  writeFake(dir, fakeRecord({ method: 'supervised', dice: [0.7, 0.7], hd95: [3, 3], asd: [9, 9] }));
  writeFake(dir, fakeRecord({ method: 'mt', dice: [0.8, 0.8], hd95: [5, 5], asd: [1, 1] }));
  writeFake(dir, fakeRecord({ method: 'ua-mt', dataset: 'LA', protocol: '16+64', profile: 'paper', dice: [0.88, 0.9] }));

  const first = runCli(['leaderboard', '--results-dir', dir]);
  assert.equal(first.status, 0, first.stderr);
  const file = path.join(dir, 'LEADERBOARD.md');
  const a = readFileSync(file);
  const second = runCli(['leaderboard'], { env: { SSL_BENCH_RESULTS: dir } });
  assert.equal(second.status, 0, second.stderr);
  assert.ok(a.equals(readFileSync(file)), 'same records, same bytes');

  const text = a.toString('utf8');
  assert.doesNotMatch(text, /20\d\d-\d\d-\d\dT/, 'no timestamps');
  // Catalog order: LA before synthetic.
  assert.ok(text.indexOf('## LA 16+64') < text.indexOf('## synthetic 8+32'));
  const mt = text.split('\n').find((l) => l.startsWith('| mt |'))!;
  const sup = text.split('\n').find((l) => l.startsWith('| supervised |'))!;
  // mt has the best Dice, Jaccard and ASD; supervised the best 95HD.
  assert.match(mt, /\| \*\*80\.00\*\* \| \*\*66\.67\*\* \| 5\.00 \| \*\*1\.00\*\* \|/);
  assert.match(sup, /\| 70\.00 \| 53\.85 \| \*\*3\.00\*\* \| 9\.00 \|/);
  // The LA row shows the published UA-MT Dice beside it.
  assert.match(text, /\| ua-mt \| paper \| 1 \| \*\*89\.00\*\* \|.*\| 88\.88 \|/);
  const links = [...text.matchAll(/\[s\d+\]\(([^)]+)\)/g)].map((m) => m[1]);
  assert.equal(links.length, 3);
  for (const l of links) assert.ok(existsSync(path.join(dir, l)), l);
});

test('leaderboard --out writes elsewhere with links relative to that place', () => {
  const dir = tempResults('sslb-board-');
  writeFake(dir, fakeRecord({ method: 'mt' }));
  const out = path.join(dir, 'docs', 'board.md');
  const r = runCli(['leaderboard', '--results-dir', dir, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  const link = /\[s1337\]\(([^)]+)\)/.exec(readFileSync(out, 'utf8'))![1];
  assert.match(link, /^\.\.\/records\//);
  assert.ok(existsSync(path.join(path.dirname(out), link)));
});
