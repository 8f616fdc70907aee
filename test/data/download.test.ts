/**
 * Downloads from a local HTTP mirror of shared/data/LA (random port on 127.0.0.1), a handful of cases
 * at a time: resume with Range after a cut connection, retries, checksum failures, 404s, the CLI.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getDataset } from '../../src/data/catalog.js';
import { downloadDataset, fileUrl } from '../../src/data/download.js';
import { sha256File } from '../../src/data/files.js';
import { LA_DIR, presentLaCases, runCli, startMirror, tempDir } from './helpers.js';

const la = getDataset('LA');
const present = presentLaCases();
const [A, B, C, D] = present; // first cases of train.list, all present in shared/
const ABSENT = la.splits.train.find((id) => !present.includes(id))!;
const file = (id: string) => `${id}/mri_norm2.h5`;
const expected = (id: string) => la.source!.files.find((f) => f.path === file(id))!;
const fast = { backoffMs: 5, retries: 3 };

const tmp = tempDir();
after(() => tmp.cleanup());

test('fileUrl percent-encodes each path segment under the base', () => {
  assert.equal(fileUrl('https://github.com/yulequan/UA-MT/raw/master/data/2018LA_Seg_Training%20Set/', 'AB/mri_norm2.h5'), 'https://github.com/yulequan/UA-MT/raw/master/data/2018LA_Seg_Training%20Set/AB/mri_norm2.h5');
  assert.equal(fileUrl('http://h/x', 'a b/c#d.h5'), 'http://h/x/a%20b/c%23d.h5');
});

test('downloads the chosen cases, verifies them and reports a case the server lacks as missing', async () => {
  const mirror = await startMirror(LA_DIR);
  try {
    const dataDir = path.join(tmp.dir, 'basic');
    const out = await downloadDataset(la, dataDir, { ...fast, mirror: mirror.url, cases: [A, B, ABSENT] });
    assert.deepEqual(out.map((o) => [o.path, o.state]), [
      [file(A), 'downloaded'],
      [file(B), 'downloaded'],
      [file(ABSENT), 'missing'],
    ]);
    assert.match(out[2].message!, /not on the server \(HTTP 404\)/);
    for (const id of [A, B]) {
      const dest = path.join(dataDir, 'LA', file(id));
      assert.equal(await sha256File(dest), expected(id).sha256);
      assert.equal(existsSync(`${dest}.part`), false);
    }
    assert.equal(existsSync(path.join(dataDir, 'LA', ABSENT)), false, 'nothing is left for a missing file');

    // A second run fetches nothing: verified files are left alone.
    const before = mirror.requests.length;
    const mtime = statSync(path.join(dataDir, 'LA', file(A))).mtimeMs;
    const again = await downloadDataset(la, dataDir, { ...fast, mirror: mirror.url, cases: [A, B] });
    assert.deepEqual(again.map((o) => o.state), ['present', 'present']);
    assert.equal(mirror.requests.length, before);
    assert.equal(statSync(path.join(dataDir, 'LA', file(A))).mtimeMs, mtime);
  } finally {
    await mirror.close();
  }
});

test('a connection cut mid-file is resumed with a Range request from the bytes already on disk', async () => {
  const cutAt = 300_000;
  const mirror = await startMirror(LA_DIR, { cutOnce: new Map([[file(C), cutAt]]) });
  try {
    const dataDir = path.join(tmp.dir, 'resume');
    const [o] = await downloadDataset(la, dataDir, { ...fast, mirror: mirror.url, cases: [C] });
    assert.equal(o.state, 'downloaded', o.message);
    const mine = mirror.requests.filter((r) => r.path === file(C));
    assert.deepEqual(mine.map((r) => r.status), [200, 206]);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(mine[1].range ?? '')?.[1]);
    assert.ok(resumedAt > 0 && resumedAt <= cutAt, `resumed from the bytes on disk, got ${mine[1].range}`);
    assert.equal(o.bytes, expected(C).size, 'every byte crossed the network exactly once');
    assert.equal(await sha256File(path.join(dataDir, 'LA', file(C))), expected(C).sha256);
  } finally {
    await mirror.close();
  }
});

test('a .part left by an earlier run is resumed; a 503 is retried; a server ignoring Range restarts cleanly', async () => {
  const dataDir = path.join(tmp.dir, 'part');
  const dest = path.join(dataDir, 'LA', file(D));
  mkdirSync(path.dirname(dest), { recursive: true });
  const whole = readFileSync(path.join(LA_DIR, file(D)));
  writeFileSync(`${dest}.part`, whole.subarray(0, 1_000_000));
  const mirror = await startMirror(LA_DIR, { failOnce: new Set([file(D)]) });
  try {
    const [o] = await downloadDataset(la, dataDir, { ...fast, mirror: mirror.url, cases: [D] });
    assert.equal(o.state, 'downloaded', o.message);
    assert.deepEqual(
      mirror.requests.map((r) => [r.range, r.status]),
      [
        ['bytes=1000000-', 503],
        ['bytes=1000000-', 206],
      ],
    );
    assert.equal(o.bytes, whole.length - 1_000_000);
    assert.equal(await sha256File(dest), expected(D).sha256);
  } finally {
    await mirror.close();
  }

  const dataDir2 = path.join(tmp.dir, 'norange');
  const dest2 = path.join(dataDir2, 'LA', file(D));
  mkdirSync(path.dirname(dest2), { recursive: true });
  writeFileSync(`${dest2}.part`, Buffer.alloc(5000, 7)); // garbage: must not survive a 200 answer
  const plain = await startMirror(LA_DIR, { ignoreRange: true });
  try {
    const [o] = await downloadDataset(la, dataDir2, { ...fast, mirror: plain.url, cases: [D] });
    assert.equal(o.state, 'downloaded', o.message);
    assert.equal(await sha256File(dest2), expected(D).sha256);
  } finally {
    await plain.close();
  }
});

test('a corrupted byte is a checksum error naming the file; verified files stay untouched', async () => {
  const dataDir = path.join(tmp.dir, 'corrupt');
  const good = await startMirror(LA_DIR);
  await downloadDataset(la, dataDir, { ...fast, mirror: good.url, cases: [A] });
  await good.close();
  const keep = path.join(dataDir, 'LA', file(A));
  const st = statSync(keep);

  const bad = await startMirror(LA_DIR, { corrupt: new Set([file(A), file(B)]) });
  try {
    const out = await downloadDataset(la, dataDir, { ...fast, mirror: bad.url, cases: [A, B] });
    assert.equal(out[0].state, 'present');
    assert.equal(out[1].state, 'corrupt');
    const dest = path.join(dataDir, 'LA', file(B));
    assert.ok(out[1].message!.includes(`checksum mismatch for ${dest}`), out[1].message);
    assert.match(out[1].message!, new RegExp(`expected ${expected(B).sha256}`));
    assert.equal(existsSync(dest), false, 'a file that failed its checksum never appears under its real name');
    assert.equal(existsSync(`${dest}.part`), false);
    assert.equal(bad.requests.filter((r) => r.path === file(A)).length, 0, 'the verified file was not fetched again');
    const st2 = statSync(keep);
    assert.equal(st2.mtimeMs, st.mtimeMs);
    assert.equal(st2.ino, st.ino);
    assert.equal(await sha256File(keep), expected(A).sha256);
  } finally {
    await bad.close();
  }
});

test('CLI: download --mirror then verify report verified and missing cases with exit codes and JSON', async () => {
  const mirror = await startMirror(LA_DIR);
  const dataDir = path.join(tmp.dir, 'cli');
  try {
    const cases = [A, B, ABSENT].join(',');
    const dl = await runCli(['datasets', 'download', 'LA', '--mirror', mirror.url, '--data-dir', dataDir, '--cases', cases]);
    assert.equal(dl.code, 1, 'incomplete download exits 1');
    assert.match(dl.stdout, new RegExp(`missing  ${ABSENT}/mri_norm2\\.h5  \\(not on the server\\)`));
    assert.match(dl.stdout, /LA: 2 downloaded .* 0 already present, 1 missing on the server, 0 corrupt, 0 failed/);
    assert.match(dl.stderr, /^ssl-bench: download of LA incomplete: 1 missing on the server \(of 3 files\)\n$/);

    const v = await runCli(['datasets', 'verify', 'LA', '--cases', cases], { SSL_BENCH_DATA: dataDir });
    assert.equal(v.code, 1);
    assert.match(v.stdout, new RegExp(`missing  ${ABSENT}/mri_norm2\\.h5`));
    assert.match(v.stdout, /LA: 2 verified, 1 missing, 0 corrupt \(3 files in /);

    const vj = await runCli(['datasets', 'verify', 'LA', '--cases', cases, '--json', '--data-dir', dataDir]);
    assert.equal(vj.code, 1);
    const report = JSON.parse(vj.stdout);
    assert.deepEqual(report.summary, { verified: 2, present: 0, missing: 1, corrupt: 0, total: 3 });
    assert.deepEqual(report.missing, [file(ABSENT)]);
    assert.equal(report.ok, false);

    const ok = await runCli(['datasets', 'verify', 'LA', '--cases', `${A},${B}`, '--data-dir', dataDir]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /LA: 2 verified, 0 missing, 0 corrupt/);

    // Corrupt one byte on disk: verify names the file and exits 1.
    const target = path.join(dataDir, 'LA', file(B));
    const buf = readFileSync(target);
    buf[1234] ^= 0xff;
    writeFileSync(target, buf);
    const c = await runCli(['datasets', 'verify', 'LA', '--cases', `${A},${B}`, '--data-dir', dataDir]);
    assert.equal(c.code, 1);
    assert.ok(c.stdout.includes(`corrupt  ${file(B)}  ${target}: sha256 `), c.stdout);
    assert.match(c.stdout, /LA: 1 verified, 0 missing, 1 corrupt/);
  } finally {
    await mirror.close();
  }
});

test('CLI: a manual dataset refuses to download and prints the steps', async () => {
  const r = await runCli(['datasets', 'download', 'BraTS2019', '--data-dir', path.join(tmp.dir, 'manual')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /dataset BraTS2019 cannot be downloaded by this tool \(manual download\):/);
  assert.match(r.stderr, /pan\.baidu\.com\/s\/1CrMNP8hUExGuQNrHPuGb7w \(password: code\)/);
  assert.match(r.stderr, /ssl-bench datasets import BraTS2019 --from/);
});

test('an unreachable host fails fast: the remaining files are not tried one by one', async () => {
  const mirror = await startMirror(LA_DIR);
  const url = mirror.url;
  await mirror.close(); // nothing listens on that port any more: ECONNREFUSED
  const out = await downloadDataset(la, path.join(tmp.dir, 'refused'), { ...fast, retries: 1, jobs: 1, mirror: url, cases: [A, B, C] });
  assert.deepEqual(out.map((o) => o.state), ['failed', 'failed', 'failed']);
  assert.match(out[0].message!, /^cannot reach 127\.0\.0\.1:\d+: ECONNREFUSED \(after 2 attempts\)$/);
  assert.match(out[2].message!, /^not tried: cannot reach 127\.0\.0\.1/);
  assert.equal(existsSync(path.join(tmp.dir, 'refused')), false, 'nothing is created');
});
