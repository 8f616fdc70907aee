/**
 * @file The `webgpu` backend: @tensorflow/tfjs-backend-webgpu on Dawn (the `webgpu` npm package's
 * dawn.node), loaded lazily so that a platform without dawn.node, a Vulkan loader or a driver still runs on
 * the other backends. Dawn reports every adapter it finds; a software one (Mesa's lavapipe, SwiftShader) is
 * only used when asked for with `--backend webgpu` (see backend.ts).
 *
 * Node has no synchronous GPU readback (the browser backend's readSync draws through an OffscreenCanvas),
 * yet the project reads tensors synchronously in a few places (loss terms, masks built on the CPU, the
 * custom-gradient layers). `readSync` is therefore replaced by a copy to a mappable buffer whose mapping is
 * awaited by turning Node's event loop from inside the call (the native addon's `pumpEventLoop`, as the
 * `deasync` package does): Dawn completes mappings from a setImmediate callback.
 */
import { freemem, totalmem } from 'node:os';
import { tf } from './tf.js';
import { SslBenchError } from '../errors.js';
import { loadNativeKernels } from './kernels/native.js';

/** One adapter Dawn offers. */
export interface WebgpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (lavapipe/llvmpipe, SwiftShader), not a GPU. */
  software: boolean;
  /** Largest storage buffer one shader may bind (bytes): the largest tensor a kernel can touch. */
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

export interface WebgpuProbe {
  /** An adapter could be created (software ones included). */
  ok: boolean;
  adapters: WebgpuAdapterInfo[];
  /** The adapter the backend would use: the first hardware one, else the first software one. */
  chosen?: WebgpuAdapterInfo;
  /** Why no adapter (or no usable backend): missing package, no Vulkan loader, too old a driver... */
  reason?: string;
}

/* Minimal structural types of the WebGPU objects used here (the package's own types need a DOM lib). */
interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface GpuAdapterLike {
  info?: GpuAdapterInfoLike;
  isFallbackAdapter?: boolean;
  features: { has(name: string): boolean };
  limits: Record<string, number>;
  requestDevice(descriptor?: unknown): Promise<GpuDeviceLike>;
}
interface GpuDeviceLike {
  onuncapturederror: ((ev: { error: { message: string; constructor: { name: string } } }) => void) | null;
  lost: Promise<{ reason: string; message: string }>;
  destroy(): void;
}
interface GpuLike {
  requestAdapter(options?: unknown): Promise<GpuAdapterLike | null>;
}
interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}
interface BufferLike {
  size: number;
  mapState: string;
  mapAsync(mode: number): Promise<void>;
  getMappedRange(): ArrayBuffer;
  unmap(): void;
}
interface TensorDataLike {
  values?: unknown;
  dtype: string;
  resource: BufferLike;
  complexTensorInfos?: { real: { dataId: object }; imag: { dataId: object } };
}
interface WebgpuBackendLike {
  tensorMap: { get(dataId: object): TensorDataLike; has(dataId: object): boolean };
  bufferManager: { acquireBuffer(size: number, usage: number): BufferLike; releaseBuffer(b: BufferLike): void };
  commandEncoder: { copyBufferToBuffer(src: BufferLike, so: number, dst: BufferLike, doff: number, size: number): void };
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  convertAndCacheOnCPU(dataId: object, values: unknown): unknown;
  readSync(dataId: object): unknown;
  read(dataId: object): Promise<unknown>;
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|software|softpipe/i;

let dawn: DawnModule | undefined;
let gpu: GpuLike | undefined;
let chosenAdapter: GpuAdapterLike | undefined;
let chosenInfo: WebgpuAdapterInfo | undefined;
let device: GpuDeviceLike | undefined;
/** The first GPU error the device reported since the last read (out of memory, validation, device lost). */
let pendingError: string | undefined;

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'ERR_MODULE_NOT_FOUND' || /Cannot find (module|package)/.test(String(e?.message))) return 'not installed';
  return String(e?.message ?? err).split('\n')[0];
}

async function loadDawn(): Promise<DawnModule> {
  if (dawn) return dawn;
  const specifier: string = 'webgpu';
  const mod = (await import(specifier)) as DawnModule;
  // GPUBufferUsage, GPUMapMode... are globals in a browser; tfjs-backend-webgpu reads them as such.
  for (const [k, v] of Object.entries(mod.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  dawn = mod;
  return mod;
}

function infoOf(adapter: GpuAdapterLike): WebgpuAdapterInfo {
  const i = adapter.info ?? {};
  const text = `${i.vendor ?? ''} ${i.architecture ?? ''} ${i.device ?? ''} ${i.description ?? ''}`;
  return {
    vendor: i.vendor || 'unknown',
    architecture: i.architecture || 'unknown',
    device: i.device || 'unknown',
    description: i.description || '',
    software: Boolean(i.isFallbackAdapter ?? adapter.isFallbackAdapter) || SOFTWARE.test(text),
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    maxBufferSize: adapter.limits.maxBufferSize,
  };
}

let probed: Promise<WebgpuProbe> | undefined;
let quietProbe: WebgpuProbe | undefined;

/** What the child process of probeWebgpuQuiet prints: the adapters' info and limits, or an error. */
const CHILD_PROBE = `
const out = { adapters: [] };
try {
  const { create } = await import(process.argv[1]);
  const gpu = create([]);
  for (const options of [{ powerPreference: 'high-performance' }, { powerPreference: 'low-power' }, { forceFallbackAdapter: true }]) {
    const a = await gpu.requestAdapter(options).catch(() => null);
    if (!a) continue;
    const i = a.info ?? {};
    out.adapters.push({ info: { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: i.isFallbackAdapter },
      limits: { maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize, maxBufferSize: a.limits.maxBufferSize } });
  }
} catch (err) { out.error = String(err && err.message || err).split('\\n')[0]; }
process.stdout.write(JSON.stringify(out));
process.exit(0);
`;

/**
 * Lists the adapters from a child process, without loading Dawn here: Dawn's drivers print warnings
 * straight to the process's stderr (lavapipe: "maxDynamicUniformBuffersPerPipelineLayout artificially
 * reduced..."), which \`auto\` must not do to every run of a machine that has only a software adapter. A
 * crashing driver cannot take the harness down either. Never throws.
 */
export async function probeWebgpuQuiet(): Promise<WebgpuProbe> {
  if (quietProbe) return quietProbe;
  const { createRequire } = await import('node:module');
  const { spawnSync } = await import('node:child_process');
  const { pathToFileURL } = await import('node:url');
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('webgpu');
  } catch {
    quietProbe = { ok: false, adapters: [], reason: 'the webgpu package (dawn.node) is not installed (it is an optional dependency: npm install)' };
    return quietProbe;
  }
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD_PROBE, pathToFileURL(entry).href], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  let parsed: { adapters: { info: GpuAdapterInfoLike; limits: Record<string, number> }[]; error?: string } | undefined;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    parsed = undefined;
  }
  if (!parsed) {
    const last = (r.stderr ?? '').split('\n').filter((l) => l.trim() && !l.startsWith('Warning:')).slice(-1)[0];
    quietProbe = { ok: false, adapters: [], reason: `probing Dawn failed (${r.error ? r.error.message : `exit ${r.status}${r.signal ? `, ${r.signal}` : ''}`}${last ? `: ${last}` : ''})` };
    return quietProbe;
  }
  if (parsed.error) {
    quietProbe = { ok: false, adapters: [], reason: `dawn.node failed to load: ${parsed.error}` };
    return quietProbe;
  }
  const adapters: WebgpuAdapterInfo[] = [];
  for (const a of parsed.adapters) {
    const info = infoOf({ info: a.info, limits: a.limits, features: { has: () => false }, requestDevice: async () => Promise.reject(new Error('probe only')) });
    if (!adapters.some((b) => b.description === info.description && b.device === info.device && b.vendor === info.vendor)) adapters.push(info);
  }
  if (!adapters.length) {
    quietProbe = { ok: false, adapters, reason: 'Dawn found no WebGPU adapter (no Vulkan loader libvulkan.so.1, no Vulkan driver, or a driver too old for Dawn)' };
    return quietProbe;
  }
  quietProbe = { ok: true, adapters, chosen: adapters.find((a) => !a.software) ?? adapters[0] };
  return quietProbe;
}

/** Lists the adapters Dawn finds (once per process). Never throws. */
export function probeWebgpu(): Promise<WebgpuProbe> {
  probed ??= (async (): Promise<WebgpuProbe> => {
    let mod: DawnModule;
    try {
      mod = await loadDawn();
    } catch (err) {
      const why = describe(err);
      return { ok: false, adapters: [], reason: why === 'not installed' ? 'the webgpu package (dawn.node) is not installed (it is an optional dependency: npm install)' : `dawn.node failed to load: ${why}` };
    }
    try {
      gpu ??= mod.create([]);
      const found: { adapter: GpuAdapterLike; info: WebgpuAdapterInfo }[] = [];
      for (const options of [{ powerPreference: 'high-performance' }, { powerPreference: 'low-power' }, { forceFallbackAdapter: true }]) {
        const adapter = await gpu.requestAdapter(options).catch(() => null);
        if (!adapter) continue;
        const info = infoOf(adapter);
        if (!found.some((f) => f.info.description === info.description && f.info.device === info.device && f.info.vendor === info.vendor)) found.push({ adapter, info });
      }
      if (!found.length) return { ok: false, adapters: [], reason: 'Dawn found no WebGPU adapter (no Vulkan loader libvulkan.so.1, no Vulkan driver, or a driver too old for Dawn)' };
      const pick = found.find((f) => !f.info.software) ?? found[0];
      chosenAdapter = pick.adapter;
      chosenInfo = pick.info;
      return { ok: true, adapters: found.map((f) => f.info), chosen: pick.info };
    } catch (err) {
      return { ok: false, adapters: [], reason: `Dawn: ${describe(err)}` };
    }
  })();
  return probed;
}

/** Why the webgpu backend cannot read tensors synchronously here, or undefined when it can. */
export function syncReadUnavailable(): string | undefined {
  const native = loadNativeKernels();
  if (!native.kernels) return `synchronous GPU reads need the native addon (${native.reason})`;
  if (typeof native.kernels.pumpEventLoop !== 'function') return 'synchronous GPU reads need a newer native addon (npm run build:native)';
  return undefined;
}

/** The adapter in use once the backend is active. */
export function activeWebgpuAdapter(): WebgpuAdapterInfo | undefined {
  return device ? chosenInfo : undefined;
}

function takeError(): void {
  if (pendingError === undefined) return;
  const message = pendingError;
  pendingError = undefined;
  const oom = /out ?of ?memory|OutOfMemory|allocation/i.test(message);
  throw new SslBenchError(
    oom ? 'SSLB_OUT_OF_MEMORY' : 'SSLB_BACKEND',
    oom
      ? `the GPU ran out of memory (${message}); use a smaller batch, patch or filter count`
      : `the webgpu device reported an error: ${message}`,
  );
}

/** Copies one GPU buffer to the CPU synchronously (see the file comment). */
function readBufferSync(backend: WebgpuBackendLike, buffer: BufferLike): ArrayBuffer {
  const pump = loadNativeKernels().kernels?.pumpEventLoop;
  if (!pump) throw new SslBenchError('SSLB_BACKEND', `webgpu: ${syncReadUnavailable()}`);
  const g = globalThis as unknown as { GPUBufferUsage: Record<string, number>; GPUMapMode: Record<string, number> };
  const staging = backend.bufferManager.acquireBuffer(buffer.size, g.GPUBufferUsage.COPY_DST | g.GPUBufferUsage.MAP_READ);
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.commandEncoder.copyBufferToBuffer(buffer, 0, staging, 0, buffer.size);
  backend.submitQueue();
  let failure: unknown;
  staging.mapAsync(g.GPUMapMode.READ).catch((err: unknown) => {
    failure = err ?? new Error('mapAsync failed');
  });
  while (staging.mapState !== 'mapped') {
    if (failure !== undefined || pendingError !== undefined) {
      takeError();
      throw new SslBenchError('SSLB_BACKEND', `webgpu: reading a tensor back failed: ${describe(failure)}`);
    }
    pump();
  }
  const values = staging.getMappedRange().slice(0);
  staging.unmap();
  backend.bufferManager.releaseBuffer(staging);
  return values;
}

function patchBackend(backend: WebgpuBackendLike): void {
  const read = backend.read.bind(backend);
  backend.read = async (dataId: object) => {
    const values = await read(dataId);
    takeError();
    return values;
  };
  backend.readSync = (dataId: object) => {
    const data = backend.tensorMap.get(dataId);
    if (data.values != null || data.dtype === 'string') return data.values;
    let values: unknown;
    if (data.dtype === 'complex64') {
      const re = backend.readSync(data.complexTensorInfos!.real.dataId) as Float32Array;
      const im = backend.readSync(data.complexTensorInfos!.imag.dataId) as Float32Array;
      values = tf.backend_util.mergeRealAndImagArrays(re, im);
    } else {
      values = tf.util.convertBackendValuesAndArrayBuffer(readBufferSync(backend, data.resource), data.dtype as tf.DataType);
    }
    takeError();
    return backend.convertAndCacheOnCPU(dataId, values);
  };
}

/**
 * Registers the tfjs `webgpu` backend on the adapter probeWebgpu chose (call probeWebgpu first). The
 * device is created when tfjs initialises the backend (tf.setBackend('webgpu')).
 */
export async function registerWebgpuBackend(): Promise<void> {
  if (tf.findBackendFactory('webgpu')) return;
  if (!chosenAdapter) throw new SslBenchError('SSLB_BACKEND', 'webgpu: no adapter (probeWebgpu found none)');
  const unavailable = syncReadUnavailable();
  if (unavailable) throw new SslBenchError('SSLB_BACKEND', `webgpu: ${unavailable}`);
  const specifier: string = '@tensorflow/tfjs-backend-webgpu';
  const mod = (await import(specifier)) as { WebGPUBackend?: new (device: unknown, info?: unknown) => WebgpuBackendLike; default?: { WebGPUBackend?: unknown } };
  const WebGPUBackend = (mod.WebGPUBackend ?? mod.default?.WebGPUBackend) as new (device: unknown, info?: unknown) => WebgpuBackendLike;
  if (!WebGPUBackend) throw new SslBenchError('SSLB_BACKEND', '@tensorflow/tfjs-backend-webgpu exports no WebGPUBackend');
  const adapter = chosenAdapter;
  // WebGPUBackend's constructor insists on navigator.gpu (Node 20 has no navigator; Node 21+ has one without gpu).
  const g = globalThis as unknown as { navigator?: { gpu?: unknown } };
  if (g.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  else if (g.navigator.gpu === undefined) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
  tf.registerBackend(
    'webgpu',
    async () => {
      // The same device request as the package's own (browser) registration.
      const limits = adapter.limits;
      const requiredFeatures = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
      device = await adapter.requestDevice({
        requiredFeatures,
        requiredLimits: {
          maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
          maxBufferSize: limits.maxBufferSize,
          maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
          maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
        },
      });
      device.onuncapturederror = (ev) => {
        pendingError ??= `${ev.error.constructor?.name ?? 'GPUError'}: ${ev.error.message}`;
      };
      void device.lost.then((info) => {
        if (info.reason !== 'destroyed') pendingError ??= `device lost: ${info.message}`;
      });
      const backend = new WebGPUBackend(device, adapter.info);
      patchBackend(backend);
      return backend as unknown as tf.KernelBackend;
    },
    0,
  );
}

/**
 * Memory available to the webgpu backend: on a software adapter the machine's RAM; on a GPU WebGPU does not
 * say, so SSL_BENCH_GPU_MEMORY_GIB when set, else unknown (undefined).
 */
export function webgpuMemoryBytes(): number | undefined {
  const gib = Number(process.env.SSL_BENCH_GPU_MEMORY_GIB);
  if (Number.isFinite(gib) && gib > 0) return gib * 2 ** 30;
  if (chosenInfo?.software) return Math.max(totalmem(), freemem());
  return undefined;
}

/** The chosen adapter's largest bindable storage buffer, once probed. */
export function webgpuMaxBindingBytes(): number | undefined {
  return chosenInfo?.maxStorageBufferBindingSize;
}
