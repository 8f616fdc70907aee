/**
 * @file Picks the compute backend. Order: tensorflow-gpu (tfjs-node-gpu, CUDA 11.2 + cuDNN 8.1) → webgpu
 * (tfjs-backend-webgpu on Dawn, over Vulkan; only a hardware adapter — a software one such as Mesa's
 * lavapipe is used only when asked for with `--backend webgpu`) → tensorflow (tfjs-node) → wasm → cpu.
 * tfjs-node(-gpu) cannot be a dependency (its install downloads libtensorflow), so it is loaded at run time
 * when the user has installed it; the webgpu packages are loaded lazily too (src/nn/webgpu.ts). `--backend
 * NAME` forces one.
 */
import { tf } from './tf.js';
import { unknownChoice, SslBenchError } from '../errors.js';

export const BACKEND_NAMES = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendProbe {
  name: BackendName;
  ok: boolean;
  /** Why it could not be used (missing package, failed initialisation, no GPU). */
  reason?: string;
}

export interface SelectedBackend {
  name: BackendName;
  /** The tfjs backend name actually set (`tensorflow`, `wasm`, `cpu`). */
  tfBackend: string;
  probes: BackendProbe[];
  /** Fast kernels the project registered on top of the stock backend. */
  fastKernels: string[];
}

export const GPU_INSTALL_HINT =
  'npm install @tensorflow/tfjs-node-gpu@4.22.0 (needs Linux x64, an NVIDIA driver >= 450, CUDA 11.2 and cuDNN 8.1 on the library path; CUDA 12 systems fail with "libcudart.so.11.0" — install the CUDA 11.2 runtime beside it)';
export const WASM_WITHOUT_NATIVE =
  'the native kernels are not built (npm run build:native), and the stock wasm kernels give wrong gradients for stride-2 3-D convolutions';

export const WEBGPU_INSTALL_HINT =
  'the webgpu backend needs the webgpu npm package (an optional dependency, installed by npm ci on linux-x64, macOS and Windows), a Vulkan loader (libvulkan1) and a Vulkan driver (on Debian bookworm, Mesa 25 from bookworm-backports: apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1 — bookworm\'s Mesa 22 is too old for Dawn), and the native addon (npm run build:native) for synchronous reads';

export const NODE_INSTALL_HINT = 'npm install @tensorflow/tfjs-node@4.22.0 (downloads libtensorflow 2.9.1 at install time)';

const NODE_PACKAGES: Partial<Record<BackendName, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

let loadedNodePackage: string | undefined;

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'ERR_MODULE_NOT_FOUND' || /Cannot find (module|package)/.test(String(e?.message))) return 'not installed';
  return String(e?.message ?? err).split('\n')[0];
}

async function tryNodePackage(name: BackendName): Promise<BackendProbe> {
  const pkg = NODE_PACKAGES[name]!;
  if (loadedNodePackage && loadedNodePackage !== pkg) {
    return { name, ok: false, reason: `${loadedNodePackage} is already loaded in this process` };
  }
  try {
    // A variable specifier keeps TypeScript from resolving an optional package at compile time.
    const specifier: string = pkg;
    await import(specifier);
    loadedNodePackage = pkg;
    if (!tf.findBackend('tensorflow')) return { name, ok: false, reason: `${pkg} loaded but registered no 'tensorflow' backend` };
    if (name === 'tensorflow-gpu') {
      const gpus = await detectTensorflowGpu();
      if (!gpus) return { name, ok: false, reason: `${pkg} loaded but TensorFlow sees no GPU (CUDA 11.2 / cuDNN 8.1 libraries not found)` };
    }
    return { name, ok: true };
  } catch (err) {
    const reason = describe(err);
    return { name, ok: false, reason: reason === 'not installed' ? `${pkg} not installed` : `${pkg}: ${reason}` };
  }
}

async function detectTensorflowGpu(): Promise<boolean> {
  try {
    const specifier: string = '@tensorflow/tfjs-node-gpu';
    const mod = (await import(specifier)) as { backend?: () => { isUsingGpuDevice?: boolean } };
    return Boolean(mod.backend?.().isUsingGpuDevice);
  } catch {
    return false;
  }
}

async function tryWasm(): Promise<BackendProbe> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    if (!tf.findBackendFactory('wasm')) return { name: 'wasm', ok: false, reason: '@tensorflow/tfjs-backend-wasm registered no backend' };
    return { name: 'wasm', ok: true };
  } catch (err) {
    return { name: 'wasm', ok: false, reason: `@tensorflow/tfjs-backend-wasm: ${describe(err)}` };
  }
}

/**
 * The webgpu backend: usable when Dawn finds an adapter and synchronous reads work. `auto` takes only a
 * hardware adapter; `--backend webgpu` takes a software one too.
 */
async function tryWebgpu(allowSoftware: boolean): Promise<BackendProbe> {
  const webgpu = await import('./webgpu.js');
  // `auto` looks from a child process first, so that a machine with only a software adapter never loads Dawn
  // (and its driver's warnings) into the run.
  const quiet = allowSoftware ? undefined : await webgpu.probeWebgpuQuiet();
  const probe = !quiet || quiet.adapters.some((a) => !a.software) ? await webgpu.probeWebgpu() : quiet;
  if (!probe.ok || !probe.chosen) return { name: 'webgpu', ok: false, reason: probe.reason ?? 'no WebGPU adapter' };
  const adapter = `${probe.chosen.vendor} ${probe.chosen.architecture}${probe.chosen.description ? ` (${probe.chosen.description})` : ''}`;
  if (probe.chosen.software && !allowSoftware) {
    return { name: 'webgpu', ok: false, reason: `only a software adapter: ${adapter}; not picked automatically (force it with --backend webgpu)` };
  }
  const unavailable = webgpu.syncReadUnavailable();
  if (unavailable) return { name: 'webgpu', ok: false, reason: unavailable };
  return { name: 'webgpu', ok: true, reason: `adapter ${adapter}${probe.chosen.software ? ', software' : ''}` };
}

/** Checks one backend without making it current (webgpu as `auto` sees it: hardware adapters only). */
export async function probeBackend(name: BackendName, options: { allowSoftwareWebgpu?: boolean } = {}): Promise<BackendProbe> {
  if (name === 'cpu') return { name, ok: true };
  if (name === 'wasm') return tryWasm();
  if (name === 'webgpu') return tryWebgpu(options.allowSoftwareWebgpu ?? false);
  return tryNodePackage(name);
}

async function activate(name: BackendName): Promise<string> {
  const tfName = name === 'tensorflow-gpu' || name === 'tensorflow' ? 'tensorflow' : name;
  if (name === 'webgpu') await (await import('./webgpu.js')).registerWebgpuBackend();
  const ok = await tf.setBackend(tfName);
  if (!ok) throw new SslBenchError('SSLB_BACKEND', `backend ${name} failed to initialise`);
  await tf.ready();
  return tfName;
}

async function registerKernels(tfBackend: string): Promise<string[]> {
  try {
    const kernels = await import('./kernels/index.js');
    return kernels.registerFastKernels(tfBackend).registered;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return [];
    throw err;
  }
}

/**
 * Makes a backend current. With `requested`, that one or an error saying why not; otherwise the first
 * that works in BACKEND_NAMES order.
 */
export async function selectBackend(requested?: string): Promise<SelectedBackend> {
  if (requested !== undefined && requested !== 'auto') {
    if (!(BACKEND_NAMES as readonly string[]).includes(requested)) throw unknownChoice('backend', requested, [...BACKEND_NAMES, 'auto']);
    const name = requested as BackendName;
    const probe = await probeBackend(name, { allowSoftwareWebgpu: true });
    if (!probe.ok) {
      const hint =
        name === 'tensorflow-gpu' ? `; ${GPU_INSTALL_HINT}` : name === 'tensorflow' ? `; ${NODE_INSTALL_HINT}` : name === 'webgpu' ? `; ${WEBGPU_INSTALL_HINT}` : '';
      throw new SslBenchError('SSLB_BACKEND', `--backend ${name} is not available: ${probe.reason}${hint}`);
    }
    const tfBackend = await activate(name);
    const fastKernels = await registerKernels(tfBackend);
    if (name === 'wasm' && !fastKernels.includes('Conv3DBackpropFilterV2')) process.stderr.write(`ssl-bench: warning: --backend wasm: ${WASM_WITHOUT_NATIVE} (MCF's ResVNet)\n`);
    return { name, tfBackend, probes: [probe], fastKernels };
  }
  const probes: BackendProbe[] = [];
  for (const name of BACKEND_NAMES) {
    const probe = await probeBackend(name);
    probes.push(probe);
    if (!probe.ok) continue;
    try {
      const tfBackend = await activate(name);
      const fastKernels = await registerKernels(tfBackend);
      if (name === 'wasm' && !fastKernels.includes('Conv3DBackpropFilterV2')) {
        // Stock tfjs-wasm 4.22 computes stride-2 3-D filter gradients wrongly (ResVNet, MCF): without the
        // native kernels the slower but correct cpu backend is the safe pick.
        probe.ok = false;
        probe.reason = `${WASM_WITHOUT_NATIVE}; falling back to cpu`;
        continue;
      }
      return { name, tfBackend, probes, fastKernels };
    } catch (err) {
      probe.ok = false;
      probe.reason = describe(err);
    }
  }
  throw new SslBenchError('SSLB_BACKEND', 'no compute backend could be initialised');
}
