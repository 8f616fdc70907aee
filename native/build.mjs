#!/usr/bin/env node
// Builds native/build/ssl_bench_native.node with the system C++ compiler and the N-API headers that ship
// with Node. No node-gyp: node-gyp downloads Node headers from the internet when it has none cached, which
// fails offline. Optional by design: when anything is missing the build is skipped with a message, exit 0,
// and ssl-bench runs on the stock tfjs kernels (`--strict` makes failures exit 1, for CI).
//
//   node native/build.mjs [--force] [--strict] [--quiet]
//   env: CXX (compiler), SSL_BENCH_SKIP_NATIVE=1 (skip), npm_config_nodedir (Node headers root)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'src');
const out = join(here, 'build');
const target = join(out, 'ssl_bench_native.node');
const args = new Set(process.argv.slice(2));
const strict = args.has('--strict');
const quiet = args.has('--quiet');

function log(msg) {
  if (!quiet) console.log(`ssl-bench native: ${msg}`);
}

function giveUp(reason) {
  console.warn(`ssl-bench native: not built (${reason}); the stock tfjs kernels will be used.`);
  process.exit(strict ? 1 : 0);
}

if (process.env.SSL_BENCH_SKIP_NATIVE === '1') giveUp('SSL_BENCH_SKIP_NATIVE=1');

function findHeaders() {
  const roots = [
    process.env.npm_config_nodedir,
    resolve(dirname(process.execPath), '..'),
    '/usr',
    '/usr/local',
  ].filter(Boolean);
  for (const root of roots) {
    const dir = join(root, 'include', 'node');
    if (existsSync(join(dir, 'node_api.h'))) return dir;
  }
  return null;
}

function findCompiler() {
  for (const cxx of [process.env.CXX, 'g++', 'c++', 'clang++'].filter(Boolean)) {
    const r = spawnSync(cxx, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return cxx;
  }
  return null;
}

const sources = readdirSync(src).map((f) => join(src, f));
if (!args.has('--force') && existsSync(target)) {
  const built = statSync(target).mtimeMs;
  if (sources.every((f) => statSync(f).mtimeMs <= built) && statSync(fileURLToPath(import.meta.url)).mtimeMs <= built) {
    log('up to date');
    process.exit(0);
  }
}

const headers = findHeaders();
if (!headers) giveUp('Node headers (include/node/node_api.h) not found; set npm_config_nodedir');
const cxx = findCompiler();
if (!cxx) giveUp('no C++ compiler (g++, c++ or clang++) found');

// gnu++17 and an explicit -ffp-contract=fast: ISO modes turn off multiply-add contraction, which is
// half of the microkernels' throughput.
const common = ['-std=gnu++17', '-O3', '-ffp-contract=fast', '-fPIC', '-pthread', '-fvisibility=hidden', '-Wall', '-Wno-psabi',
  '-DNAPI_VERSION=8', '-DNODE_GYP_MODULE_NAME=ssl_bench_native', `-I${headers}`, `-I${src}`];
const isX64 = process.arch === 'x64';
const units = [
  { file: 'kernels.cc', obj: 'kernels_generic.o', flags: ['-DSSLB_ISA=generic'] },
  ...(isX64 ? [{ file: 'kernels.cc', obj: 'kernels_avx2.o', flags: ['-DSSLB_ISA=avx2', '-mavx2', '-mfma'] }] : []),
  { file: 'addon.cc', obj: 'addon.o', flags: [] },
];

mkdirSync(out, { recursive: true });
const tmp = join(out, `ssl_bench_native.tmp-${process.pid}.node`);
try {
  for (const u of units) {
    log(`${cxx} ${u.file} ${u.flags.join(' ')}`);
    execFileSync(cxx, [...common, ...u.flags, '-c', join(src, u.file), '-o', join(out, u.obj)], { stdio: quiet ? 'pipe' : 'inherit' });
  }
  const link = ['-shared', '-pthread', '-o', tmp, ...units.map((u) => join(out, u.obj))];
  if (process.platform === 'darwin') link.push('-undefined', 'dynamic_lookup');
  execFileSync(cxx, link, { stdio: quiet ? 'pipe' : 'inherit' });
} catch (err) {
  rmSync(tmp, { force: true });
  giveUp(`compilation failed: ${String(err.message).split('\n')[0]}`);
}

// Load it in a child process before installing it: a broken binary must not crash the harness later.
const probe = spawnSync(process.execPath, ['-e', `
  const m = require(${JSON.stringify(tmp)});
  const x = new Float32Array([1, 2, 3, 4]), w = new Float32Array([1, 10]), y = new Float32Array(3);
  // 1x1x4x1 input, 1x1x2 filter, valid: y[i] = x[i] + 10 x[i+1]
  m.conv3dForward(x, w, y, new Int32Array([1,1,1,4,1, 1,1,2, 1, 1,1,3, 1,1,1, 1,1,1, 0,0,0]));
  if (y.join() !== '21,32,43') throw new Error('self-test gave ' + y.join());
  console.log(JSON.stringify(m.info()));
`], { encoding: 'utf8' });
if (probe.status !== 0) {
  rmSync(tmp, { force: true });
  giveUp(`self-test failed: ${(probe.stderr || probe.stdout || '').trim().split('\n').slice(-1)[0]}`);
}
renameSync(tmp, target);
for (const u of units) rmSync(join(out, u.obj), { force: true });
log(`built ${target} ${probe.stdout.trim()}`);
