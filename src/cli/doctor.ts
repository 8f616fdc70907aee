/**
 * `ssl-bench doctor`: which compute backends load here, which one `run` would pick and why the others
 * failed, what the GPU backend needs, and where data and results go.
 */
import type { Command } from 'commander';

interface DoctorReport {
  node: string;
  platform: string;
  backends: { name: string; ok: boolean; reason?: string }[];
  picked: string | null;
  fastKernels: string[];
  gpu: { cudaRuntime11: string | null; cudnn8: string | null; nvidiaSmi: boolean; install: string };
  onnxruntime: { ok: boolean; backends?: string[]; reason?: string };
  dataDir: string;
  resultsDir: string;
  freeDisk: { dataDir: number | null; resultsDir: number | null };
}

async function findSharedLibrary(pattern: RegExp): Promise<string | null> {
  const { execFileSync } = await import('node:child_process');
  try {
    const out = execFileSync('ldconfig', ['-p'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    const line = out.split('\n').find((l) => pattern.test(l));
    return line ? line.trim().split(' => ').pop() ?? line.trim() : null;
  } catch {
    return null;
  }
}

async function freeBytes(dir: string): Promise<number | null> {
  const { promises: fs } = await import('node:fs');
  const path = await import('node:path');
  let probe = dir;
  // statfs needs an existing path: walk up to the nearest existing parent.
  for (;;) {
    try {
      const s = await fs.statfs(probe);
      return s.bavail * s.bsize;
    } catch {
      const parent = path.dirname(probe);
      if (parent === probe) return null;
      probe = parent;
    }
  }
}

async function collect(): Promise<DoctorReport> {
  const backend = await import('../nn/backend.js');
  const { resolveDataDir, resolveResultsDir } = await import('../env.js');
  const probes: { name: string; ok: boolean; reason?: string }[] = [];
  for (const name of backend.BACKEND_NAMES) probes.push(await backend.probeBackend(name));
  let picked: string | null = null;
  let fastKernels: string[] = [];
  try {
    const sel = await backend.selectBackend('auto');
    picked = sel.name;
    fastKernels = sel.fastKernels;
    // The selection may reject a backend that loads (wasm without the native kernels): show its reason.
    for (const p of sel.probes) {
      const i = probes.findIndex((q) => q.name === p.name);
      if (i >= 0 && !p.ok) probes[i] = p;
    }
  } catch {
    picked = null;
  }
  let onnxruntime: DoctorReport['onnxruntime'];
  try {
    const ort = (await import('onnxruntime-node')) as unknown as { listSupportedBackends?: () => { name: string }[] };
    onnxruntime = { ok: true, backends: ort.listSupportedBackends?.().map((b) => b.name) };
  } catch (err) {
    onnxruntime = { ok: false, reason: String((err as Error).message).split('\n')[0] };
  }
  const { existsSync } = await import('node:fs');
  const dataDir = resolveDataDir();
  const resultsDir = resolveResultsDir();
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    backends: probes,
    picked,
    fastKernels,
    gpu: {
      cudaRuntime11: await findSharedLibrary(/libcudart\.so\.11\.0/),
      cudnn8: await findSharedLibrary(/libcudnn\.so\.8/),
      nvidiaSmi: existsSync('/usr/bin/nvidia-smi'),
      install: backend.GPU_INSTALL_HINT,
    },
    onnxruntime,
    dataDir,
    resultsDir,
    freeDisk: { dataDir: await freeBytes(dataDir), resultsDir: await freeBytes(resultsDir) },
  };
}

function gib(bytes: number | null): string {
  return bytes === null ? 'unknown' : `${(bytes / 2 ** 30).toFixed(1)} GiB free`;
}

function render(r: DoctorReport): string {
  const lines: string[] = [];
  lines.push(`ssl-bench doctor — Node ${r.node} on ${r.platform}`, '', 'Compute backends, in the order `run` tries them:');
  for (const b of r.backends) lines.push(`  ${b.ok ? '✔' : '✘'} ${b.name.padEnd(15)} ${b.ok ? 'available' : b.reason}`);
  lines.push('', `Picked: ${r.picked ?? 'none'}${r.picked ? ` (first available; force another with --backend NAME)` : ''}`);
  if (r.fastKernels.length) lines.push(`Fast kernels registered on it: ${r.fastKernels.join(', ')}`);
  lines.push('', 'GPU (tensorflow-gpu backend):');
  lines.push(`  libcudart.so.11.0 (CUDA 11.2 runtime): ${r.gpu.cudaRuntime11 ?? 'not found'}`);
  lines.push(`  libcudnn.so.8 (cuDNN 8.1): ${r.gpu.cudnn8 ?? 'not found'}`);
  lines.push(`  nvidia-smi: ${r.gpu.nvidiaSmi ? 'present' : 'not found'}`);
  lines.push(`  to use it: ${r.gpu.install}`);
  lines.push('', `ONNX Runtime (inference): ${r.onnxruntime.ok ? `loads; execution providers: ${r.onnxruntime.backends?.join(', ') ?? 'unknown'}` : `not usable: ${r.onnxruntime.reason}`}`);
  lines.push('  CUDA for it is opt-in: npm_config_onnxruntime_node_install=cuda12 npm rebuild onnxruntime-node');
  lines.push('', `Data directory:    ${r.dataDir} (${gib(r.freeDisk.dataDir)}; set with --data-dir or SSL_BENCH_DATA)`);
  lines.push(`Results directory: ${r.resultsDir} (${gib(r.freeDisk.resultsDir)}; set with --results-dir or SSL_BENCH_RESULTS)`);
  return lines.join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description('Explain which compute backend is used and why, what the GPU backend needs, and where data and results go')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const report = await collect();
      process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : render(report));
    });
}
