/**
 * @file Loads the optional C++ addon built by `native/build.mjs` (see native/README.md). A missing or broken
 * addon is not an error: callers get the reason and keep the stock kernels.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeInfo {
  /** Instruction set of the kernels in use: 'avx2' or 'generic'. */
  isa: string;
  threads: number;
  cpus: number;
  /** Scratch memory the kernels keep between calls (padded activations, packed filters). */
  scratchBytes: number;
}

/** The addon's entry points. Geometry is the 21-integer array written by `convGeometry`. */
export interface NativeKernels {
  conv3dForward(x: Float32Array, filter: Float32Array, y: Float32Array, geometry: Int32Array): void;
  conv3dBackpropInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, geometry: Int32Array): void;
  conv3dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, geometry: Int32Array): void;
  /** out[o][j] = sum over r of x[o][r][j] for x viewed as [outer, rows, inner] (float64 accumulation). */
  reduceSum(x: Float32Array, outer: number, rows: number, inner: number, out: Float32Array): void;
  /** out = a op b over a [d0, d1, d2] view with per-axis strides (0 = broadcast); op 0..4 = add, sub, mul, div, squared difference. */
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, dims: Int32Array, aStrides: Int32Array, bStrides: Int32Array): void;
  /** out = f(x); op 0..7 = relu, step (alpha for x <= 0), neg, square, exp, log, sqrt, rsqrt. */
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  bnForward(x: Float32Array, rows: number, c: number, bias: Float32Array | null, gamma: Float32Array, beta: Float32Array, eps: number,
    relu: boolean, y: Float32Array, mean: Float32Array, variance: Float32Array): void;
  bnBackward(dy: Float32Array, x: Float32Array, rows: number, c: number, bias: Float32Array | null, gamma: Float32Array, beta: Float32Array,
    mean: Float32Array, variance: Float32Array, eps: number, relu: boolean, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array): void;
  /** Resizes the thread pool (0 = one per available CPU); returns the new size. */
  setThreads(n: number): number;
  /** Frees the cached scratch memory (it is reallocated on the next call). */
  releaseScratch(): void;
  info(): NativeInfo;
  /** Runs one turn of Node's event loop (uv_run ONCE) from a synchronous call: the webgpu backend's readSync. */
  pumpEventLoop?(): void;
}

export const ADDON_FILE = join('native', 'build', 'ssl_bench_native.node');

let loaded: { kernels: NativeKernels | null; reason?: string; path?: string } | undefined;

/** Finds the addon next to the package root, whichever of src/ or dist/src/ this module runs from. */
function findAddon(): string | undefined {
  const override = process.env.SSL_BENCH_NATIVE_ADDON;
  if (override) return override;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, ADDON_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

export function loadNativeKernels(): { kernels: NativeKernels | null; reason?: string; path?: string } {
  if (loaded) return loaded;
  const path = findAddon();
  if (!path) {
    loaded = { kernels: null, reason: `native addon not built (${ADDON_FILE} missing; run \`node native/build.mjs\`)` };
    return loaded;
  }
  try {
    const require = createRequire(import.meta.url);
    const kernels = require(path) as NativeKernels;
    const threads = Number(process.env.SSL_BENCH_THREADS);
    if (Number.isInteger(threads) && threads > 0) kernels.setThreads(threads);
    loaded = { kernels, path };
  } catch (err) {
    loaded = { kernels: null, reason: `native addon at ${path} failed to load: ${String((err as Error).message).split('\n')[0]}`, path };
  }
  return loaded;
}
