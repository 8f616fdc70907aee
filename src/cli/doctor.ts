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
  webgpu: {
    adapters: { vendor: string; architecture: string; device: string; description: string; software: boolean }[];
    chosen: string | null;
    reason?: string;
    vulkanLoader: string | null;
    vulkanDrivers: string[];
    mesaVulkan: string | null;
    syncReads: string;
    missing: string[];
    install: string;
  };
  /** The GPU backend `run` would use (auto), and why. */
  gpuBackend: { name: string | null; why: string };
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

async function dpkgVersion(pkg: string): Promise<string | null> {
  const { execFileSync } = await import('node:child_process');
  try {
    const out = execFileSync('dpkg-query', ['-W', '-f=${Status} ${Version}', pkg], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    return out.startsWith('install ok installed') ? out.split(' ').pop() ?? null : null;
  } catch {
    return null;
  }
}

async function vulkanDrivers(): Promise<string[]> {
  const { readdirSync } = await import('node:fs');
  const out: string[] = [];
  for (const dir of ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d']) {
    try {
      out.push(...readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => `${dir}/${f}`));
    } catch {
      // absent
    }
  }
  return out;
}

async function collectWebgpu(webgpuProbe: { ok: boolean; reason?: string }, tensorflowGpuOk: boolean): Promise<Pick<DoctorReport, 'webgpu' | 'gpuBackend'>> {
  const webgpu = await import('../nn/webgpu.js');
  const backend = await import('../nn/backend.js');
  const probe = await webgpu.probeWebgpuQuiet();
  const vulkanLoader = await findSharedLibrary(/libvulkan\.so\.1\b/);
  const drivers = await vulkanDrivers();
  const mesaVulkan = await dpkgVersion('mesa-vulkan-drivers');
  const syncReads = webgpu.syncReadUnavailable() ?? 'available (native addon)';
  const missing: string[] = [];
  if (!vulkanLoader) missing.push('the Vulkan loader libvulkan.so.1 (Debian: apt-get install libvulkan1)');
  if (!drivers.length) missing.push('a Vulkan driver (no ICD file in /usr/share/vulkan/icd.d; NVIDIA: the proprietary driver; CPU only: Mesa\'s lavapipe, mesa-vulkan-drivers)');
  if (mesaVulkan && /^(1?\d|2[0-4])\./.test(mesaVulkan)) {
    missing.push(`Mesa ${mesaVulkan} is too old for Dawn ("shaderUniform*ArrayDynamicIndexing required"); on Debian bookworm: apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1 (Mesa 25)`);
  }
  if (webgpu.syncReadUnavailable()) missing.push(webgpu.syncReadUnavailable()!);
  const chosen = probe.chosen ? `${probe.chosen.vendor} ${probe.chosen.architecture} ${probe.chosen.description}`.trim() : null;
  let gpuBackend: DoctorReport['gpuBackend'];
  if (tensorflowGpuOk) gpuBackend = { name: 'tensorflow-gpu', why: 'tfjs-node-gpu sees a CUDA GPU; it comes first' };
  else if (webgpuProbe.ok) gpuBackend = { name: 'webgpu', why: `tensorflow-gpu is not usable; Dawn found a hardware adapter: ${chosen}` };
  else if (probe.chosen?.software) gpuBackend = { name: null, why: `no GPU: Dawn found only a software adapter (${chosen}), which runs on the CPU and is slower than wasm; it is used only with --backend webgpu` };
  else gpuBackend = { name: null, why: `no GPU backend: tensorflow-gpu is not usable and webgpu found no adapter (${probe.reason ?? webgpuProbe.reason})` };
  return {
    webgpu: {
      adapters: probe.adapters.map(({ vendor, architecture, device, description, software }) => ({ vendor, architecture, device, description, software })),
      chosen,
      reason: probe.reason,
      vulkanLoader,
      vulkanDrivers: drivers,
      mesaVulkan,
      syncReads,
      missing,
      install: backend.WEBGPU_INSTALL_HINT,
    },
    gpuBackend,
  };
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
  const gpuSide = await collectWebgpu(probes.find((p) => p.name === 'webgpu') ?? { ok: false }, Boolean(probes.find((p) => p.name === 'tensorflow-gpu')?.ok));
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
    ...gpuSide,
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
  lines.push('', 'GPU (webgpu backend: tfjs-backend-webgpu on Dawn, over Vulkan):');
  if (r.webgpu.adapters.length === 0) lines.push(`  adapters: none (${r.webgpu.reason ?? 'unknown'})`);
  for (const a of r.webgpu.adapters) lines.push(`  adapter: ${a.vendor} / ${a.architecture} / ${a.device}${a.description ? ` — ${a.description}` : ''} (${a.software ? 'software, runs on the CPU' : 'hardware'})`);
  lines.push(`  Vulkan loader: ${r.webgpu.vulkanLoader ?? 'not found'}`);
  lines.push(`  Vulkan drivers (ICDs): ${r.webgpu.vulkanDrivers.length ? r.webgpu.vulkanDrivers.join(', ') : 'none'}`);
  lines.push(`  Mesa Vulkan drivers: ${r.webgpu.mesaVulkan ?? 'not installed (dpkg)'}`);
  lines.push(`  synchronous reads: ${r.webgpu.syncReads}`);
  for (const m of r.webgpu.missing) lines.push(`  missing: ${m}`);
  if (r.webgpu.missing.length) lines.push(`  to use it: ${r.webgpu.install}`);
  lines.push('', `GPU backend \`run\` would use: ${r.gpuBackend.name ?? 'none'} — ${r.gpuBackend.why}`);
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
