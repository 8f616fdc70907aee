#!/usr/bin/env node
/**
 * Whole-process benchmark: `ssl-bench metrics … --json` against the scipy restatement of medpy
 * (medpy_reference.py) on full-resolution LA-sized masks (576×576×88), plus exact-agreement checks.
 *
 *   npm run build && node benchmarks/metrics/bench-metrics.mjs [--runs 5] [--ref-runs 2] [--python /usr/bin/python3] [--keep]
 *
 * Writes the masks as .nii.gz to a temp folder, times each command end to end (process start, reading and
 * gunzipping both files, metrics, JSON out), and fails if any metric differs by more than 1e-9 relative.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const bin = path.join(root, 'bin', 'ssl-bench.js');
const refScript = path.join(here, 'medpy_reference.py');

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const runs = Number(opt('--runs', '5'));
const refRuns = Number(opt('--ref-runs', '2'));
const python = opt('--python', '/usr/bin/python3');
const keep = args.includes('--keep');

// NIfTI dims (x, y, z) of the raw LA MRIs; 0.625 × 0.625 × 2.5 mm.
const X = 576;
const Y = 576;
const Z = 88;
const PIXDIM = [0.625, 0.625, 2.5];

/**
 * An atrium-like blob: a wobbly ellipsoid (in mm, so it is round in physical space) with three vein-like
 * tubes. `variant` 1 is the "prediction": shifted, differently wobbled, one vein missing, one false-positive
 * island far away (a long tail for hd95).
 */
function makeMask(variant) {
  const m = new Uint8Array(X * Y * Z);
  const c = variant ? [292, 265, 45] : [290, 268, 44];
  const r = [38, 32, 24]; // mm
  const w = variant ? [0.1, 3, 2, 0.05] : [0.12, 2, 3, 0.06];
  const veins = [
    [[-1, -0.6, 0.3], 5],
    [[1, -0.5, 0.2], 5],
    [[0.2, 1, -0.4], 4],
  ].slice(0, variant ? 2 : 3);
  for (let z = 0; z < Z; z++) {
    const pz = (z - c[2]) * PIXDIM[2];
    for (let y = 150; y < 400; y++) {
      const py = (y - c[1]) * PIXDIM[1];
      for (let x = 150; x < 430; x++) {
        const px = (x - c[0]) * PIXDIM[0];
        const rho = Math.hypot(px / r[0], py / r[1], pz / r[2]);
        const theta = Math.atan2(py, px);
        const phi = Math.atan2(pz, Math.hypot(px, py));
        let inside = rho <= 1 + w[0] * Math.sin(w[1] * theta) * Math.cos(w[2] * phi) + w[3] * Math.sin(5 * phi);
        if (!inside) {
          const dist = Math.hypot(px, py, pz);
          for (const [dir, rad] of veins) {
            const n = Math.hypot(...dir);
            const t = (px * dir[0] + py * dir[1] + pz * dir[2]) / n;
            if (t < 0 || t > 65) continue;
            const perp = Math.sqrt(Math.max(0, dist * dist - t * t));
            if (perp <= rad) inside = true;
          }
        }
        if (inside) m[(z * Y + y) * X + x] = 1;
      }
    }
  }
  if (variant) {
    for (let z = 60; z < 66; z++)
      for (let y = 120; y < 132; y++)
        for (let x = 440; x < 455; x++) m[(z * Y + y) * X + x] = 1;
  }
  return m;
}

function nifti(values) {
  const hdr = Buffer.alloc(352);
  hdr.writeInt32LE(348, 0);
  const dims = [3, X, Y, Z, 1, 1, 1, 1];
  dims.forEach((d, i) => hdr.writeInt16LE(d, 40 + 2 * i));
  hdr.writeInt16LE(2, 70); // uint8
  hdr.writeInt16LE(8, 72);
  [1, ...PIXDIM, 1, 1, 1, 1].forEach((p, i) => hdr.writeFloatLE(p, 76 + 4 * i));
  hdr.writeFloatLE(352, 108);
  hdr.writeFloatLE(1, 112);
  hdr[123] = 2; // mm
  hdr.write('n+1\0', 344, 'latin1');
  return gzipSync(Buffer.concat([hdr, Buffer.from(values.buffer)]), { level: 6 });
}

// GNU time, when present, adds the child's CPU time (user + sys): on a shared machine wall time swings with
// other load, CPU time much less.
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

function timeRun(cmd, argv) {
  const full = gnuTime ? [gnuTime, ['-f', 'CPU %U %S', cmd, ...argv]] : [cmd, argv];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0], full[1], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  const m = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  const cpuMs = m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN;
  return { ms, cpuMs, out: JSON.parse(r.stdout) };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const dir = mkdtempSync(path.join(tmpdir(), 'sslb-bench-metrics-'));
try {
  const gen0 = performance.now();
  const ref = makeMask(0);
  const pred = makeMask(1);
  const predFile = path.join(dir, 'pred.nii.gz');
  const refFile = path.join(dir, 'ref.nii.gz');
  writeFileSync(predFile, nifti(pred));
  writeFileSync(refFile, nifti(ref));
  const count = (m) => m.reduce((a, b) => a + b, 0);
  console.log(`masks ${X}×${Y}×${Z}: |pred| ${count(pred)}, |ref| ${count(ref)} voxels (generated in ${((performance.now() - gen0) / 1000).toFixed(1)} s) in ${dir}`);

  const settings = [
    { name: 'voxel units (--spacing 1,1,1, as the papers)', flags: ['--spacing', '1,1,1'] },
    { name: 'header spacing 0.625,0.625,2.5 mm', flags: [] },
    { name: 'voxel units, asd ref→pred (AC-MT)', flags: ['--spacing', '1,1,1', '--asd-direction', 'ref-to-pred'] },
  ];
  const summary = [];
  let worst = 0;
  for (const [si, s] of settings.entries()) {
    const nodeTimes = [];
    const nodeCpu = [];
    let nodeOut;
    // Each setting gets the full number of timed runs for the first one, a single check run otherwise.
    const n = si === 0 ? runs : 1;
    for (let i = 0; i < n; i++) {
      const r = timeRun(process.execPath, [bin, 'metrics', predFile, refFile, ...s.flags, '--json']);
      nodeTimes.push(r.ms);
      nodeCpu.push(r.cpuMs);
      nodeOut = r.out;
    }
    const refTimes = [];
    const refCpu = [];
    let refOut;
    for (let i = 0; i < (si === 0 ? refRuns : 1); i++) {
      const r = timeRun(python, [refScript, predFile, refFile, ...s.flags]);
      refTimes.push(r.ms);
      refCpu.push(r.cpuMs);
      refOut = r.out;
    }
    for (const k of ['dice', 'jaccard', 'hd95', 'asd']) {
      const a = nodeOut[k];
      const b = refOut[k];
      const rel = Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
      worst = Math.max(worst, rel);
      if (!(Math.abs(a - b) <= 1e-9 * Math.abs(b))) {
        throw new Error(`${s.name}: ${k} differs: ssl-bench ${a}, reference ${b}`);
      }
    }
    summary.push({ setting: s.name, sslBenchMs: median(nodeTimes), referenceMs: median(refTimes), sslBenchCpuMs: median(nodeCpu), referenceCpuMs: median(refCpu), nodeRuns: nodeTimes.length, refRuns: refTimes.length, metrics: nodeOut, reference: refOut });
  }
  // In-process: reading both files and the metrics call alone, without process start-up.
  const { readNifti } = await import(path.join(root, 'dist', 'src', 'data', 'formats', 'nifti.js'));
  const { binaryMetrics } = await import(path.join(root, 'dist', 'src', 'metrics', 'index.js'));
  const readTimes = [];
  const metricTimes = [];
  const metricCpu = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const [p, r] = await Promise.all([readNifti(predFile), readNifti(refFile)]);
    const t1 = performance.now();
    const c1 = process.cpuUsage();
    binaryMetrics(p.data, r.data, p.shape, { spacing: [1, 1, 1] });
    const cpu = process.cpuUsage(c1);
    metricTimes.push(performance.now() - t1);
    metricCpu.push((cpu.user + cpu.system) / 1000);
    readTimes.push(t1 - t0);
  }

  for (const s of summary) {
    console.log(`\n${s.setting}`);
    console.log(`  ssl-bench metrics  median wall ${s.sslBenchMs.toFixed(0)} ms, CPU ${s.sslBenchCpuMs.toFixed(0)} ms over ${s.nodeRuns} run(s)`);
    console.log(`  medpy_reference.py median wall ${s.referenceMs.toFixed(0)} ms, CPU ${s.referenceCpuMs.toFixed(0)} ms over ${s.refRuns} run(s)`);
    console.log(`  speed-up ×${(s.referenceMs / s.sslBenchMs).toFixed(1)} wall, ×${(s.referenceCpuMs / s.sslBenchCpuMs).toFixed(1)} CPU`);
    console.log(`  ssl-bench  ${JSON.stringify(s.metrics)}`);
    console.log(`  reference  ${JSON.stringify(s.reference)}`);
  }
  console.log(`\nin-process (median of ${runs}): readNifti ×2 ${median(readTimes).toFixed(0)} ms, binaryMetrics ${median(metricTimes).toFixed(0)} ms wall, ${median(metricCpu).toFixed(0)} ms CPU`);
  console.log(`\nlargest relative difference over all metrics: ${worst.toExponential(2)} (limit 1e-9)`);
} finally {
  if (!keep) rmSync(dir, { recursive: true, force: true });
}
