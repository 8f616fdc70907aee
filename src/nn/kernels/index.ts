/**
 * @file Fast kernels for the `wasm` and `cpu` backends, registered over the stock tfjs ones: 3-D convolutions
 * (forward and both backprops, hence also `tf.conv3dTranspose`), Sum/Mean over leading axes, broadcasting
 * binary ops, common unary ops, a fused training batch norm (`batchNormTrain`), and, on wasm, copy-free
 * Identity/Cast. They run in the optional native addon (native/); without it everything stays stock. Also
 * registers the gradient tfjs lacks for Conv3DBackpropInputV2, without which transposed convolutions cannot be
 * trained at all — regardless of `SSL_BENCH_FAST_KERNELS=0`, the escape hatch that keeps the stock kernels.
 * Likewise on wasm without the native kernels, the stock conv3d gradient kernels (wrong in tfjs 4.22) are
 * replaced by correct JS ones.
 */
import * as tf from '@tensorflow/tfjs';
import { BN_GRAD_KERNEL, BN_KERNEL, makeBatchNormKernels, registerBatchNormGradient } from './batchnorm.js';
import { CONV_KERNELS, makeConvKernel } from './conv3d.js';
import { ALIAS_KERNELS, BINARY_KERNELS, UNARY_KERNELS, makeAliasKernel, makeBinaryKernel, makeUnaryKernel } from './elementwise.js';
import { registerConv3dTransposeGradient } from './gradients.js';
import { loadNativeKernels, type NativeInfo, type NativeKernels } from './native.js';
import { REDUCE_KERNELS, makeReduceKernel } from './reduce.js';
import { makeReferenceBackpropFilterKernel, makeReferenceBackpropInputKernel } from './reference.js';
import { registerWebgpuFixes } from './webgpu-fixes.js';

export { batchNormTrain, type BatchNormTrainOptions, type BatchNormTrainResult } from './batchnorm.js';
export {
  assertTrainStepFits,
  BYTES_PER_VOXEL_FILTER,
  estimateTrainStepMemory,
  vnetParameterCount,
  WASM_HEAP_LIMIT_BYTES,
  type BatchNormKind,
  type MemoryEstimate,
  type TrainStepConfig,
} from './memory.js';

export interface FastKernelReport {
  /** Kernels now served by this module; `gradient:` marks a registered gradient, `reference:` a correct JS
   *  kernel replacing a wrong stock wasm one (conv3d's gradients) when the native kernels are off. */
  registered: string[];
  /** Kernels left stock, each as `Name (reason)`. */
  skipped: string[];
}

type Factory = (kernelName: string, backendName: string, native: NativeKernels, stock: tf.KernelFunc) => tf.KernelFunc;

/** Replacements of stock kernels; each falls back to the stock kernel for inputs it does not cover. */
const REPLACEMENTS: ReadonlyArray<{ names: readonly string[]; make: Factory; backends?: readonly string[] }> = [
  { names: CONV_KERNELS, make: makeConvKernel },
  { names: REDUCE_KERNELS, make: makeReduceKernel },
  { names: BINARY_KERNELS, make: makeBinaryKernel },
  { names: UNARY_KERNELS, make: makeUnaryKernel },
  // The cpu backend's Identity and Cast already share memory.
  { names: ALIAS_KERNELS, make: makeAliasKernel, backends: ['wasm'] },
];
const NEW_KERNELS = [BN_KERNEL, BN_GRAD_KERNEL];
const ALL_KERNELS = [...REPLACEMENTS.flatMap((r) => r.names), ...NEW_KERNELS];

/** Marks the kernel functions registered here; src/nn/module.ts reads it (hasFastKernel), keep it stable. */
const FAST = Symbol.for('ssl-bench.fast-kernel');
const REFERENCE = Symbol.for('ssl-bench.reference-kernel');
const SUPPORTED_BACKENDS = new Set(['wasm', 'cpu']);
const stockConfigs = new Map<string, tf.KernelConfig>();

const key = (kernelName: string, backendName: string): string => `${backendName}/${kernelName}`;
const mark = (f: tf.KernelFunc): tf.KernelFunc => Object.assign(f, { [FAST]: true });
const isFast = (config: tf.KernelConfig | undefined): boolean => Boolean(config && (config.kernelFunc as unknown as Record<symbol, unknown>)[FAST]);
const isReference = (config: tf.KernelConfig | undefined): boolean =>
  Boolean(config && (config.kernelFunc as unknown as Record<symbol, unknown>)[REFERENCE]);

/** The stock config of a kernel, looking through a replacement registered earlier. */
function stockOf(kernelName: string, backendName: string): tf.KernelConfig | undefined {
  return stockConfigs.get(key(kernelName, backendName)) ?? tf.getKernel(kernelName, backendName);
}

/**
 * On wasm without the native kernels, replaces the stock conv3d gradients — wrong in tfjs 4.22 (see
 * reference.ts) — with slow but correct JS ones.
 */
function registerReferenceKernels(backendName: string, registered: string[]): void {
  if (backendName !== 'wasm') return;
  for (const name of [tf.Conv3DBackpropInputV2, tf.Conv3DBackpropFilterV2]) {
    const current = tf.getKernel(name, backendName);
    if (!current) continue;
    if (!isReference(current)) {
      stockConfigs.set(key(name, backendName), current);
      tf.unregisterKernel(name, backendName);
      const func = name === tf.Conv3DBackpropInputV2 ? makeReferenceBackpropInputKernel(backendName) : makeReferenceBackpropFilterKernel(backendName, current.kernelFunc);
      // Not marked FAST: model code asks `FAST` to choose direct convolutions, and these are slow.
      tf.registerKernel({ ...current, kernelFunc: Object.assign(func, { [REFERENCE]: true }) });
    }
    registered.push(`reference:${name}`);
  }
}

export function fastKernelsDisabled(): boolean {
  return process.env.SSL_BENCH_FAST_KERNELS === '0';
}

/**
 * Registers the fast kernels for `backendName` (call right after `tf.setBackend(name)`). Idempotent: a second
 * call registers nothing and reports the same kernels.
 */
export function registerFastKernels(backendName: string): FastKernelReport {
  const registered: string[] = [];
  const skipped: string[] = [];
  registerConv3dTransposeGradient();
  if (tf.getGradient(tf.Conv3DBackpropInputV2) != null) registered.push(`gradient:${tf.Conv3DBackpropInputV2}`);
  // Not optional, and not fast kernels (so not listed): without them webgpu cannot run a V-Net (webgpu-fixes.ts).
  if (backendName === 'webgpu') registerWebgpuFixes();

  const skipAll = (reason: string): FastKernelReport => {
    for (const k of ALL_KERNELS) skipped.push(`${k} (${reason})`);
    registerReferenceKernels(backendName, registered);
    return { registered, skipped };
  };
  if (fastKernelsDisabled()) return skipAll('SSL_BENCH_FAST_KERNELS=0');
  if (!SUPPORTED_BACKENDS.has(backendName)) return skipAll(`no fast kernels for backend '${backendName}'`);
  const native = loadNativeKernels();
  if (!native.kernels) return skipAll(native.reason ?? 'native addon unavailable');

  for (const { names, make, backends } of REPLACEMENTS) {
    if (backends && !backends.includes(backendName)) continue;
    for (const kernelName of names) {
      const current = tf.getKernel(kernelName, backendName);
      if (isFast(current)) {
        registered.push(kernelName);
        continue;
      }
      const stock = stockOf(kernelName, backendName);
      if (!current || !stock) {
        skipped.push(`${kernelName} (backend '${backendName}' has no stock kernel to fall back on)`);
        continue;
      }
      stockConfigs.set(key(kernelName, backendName), stock);
      tf.unregisterKernel(kernelName, backendName);
      tf.registerKernel({ ...stock, kernelFunc: mark(make(kernelName, backendName, native.kernels, stock.kernelFunc)) });
      registered.push(kernelName);
    }
  }
  registerBatchNormGradient();
  for (const config of makeBatchNormKernels(backendName, native.kernels)) {
    if (!tf.getKernel(config.kernelName, backendName)) tf.registerKernel({ ...config, kernelFunc: mark(config.kernelFunc) });
    registered.push(config.kernelName);
  }
  return { registered, skipped };
}

/**
 * Puts the stock kernels back, the wrong wasm conv3d gradients included (for in-process A/B comparisons
 * only). Returns the kernels restored or removed.
 */
export function restoreStockKernels(backendName: string): string[] {
  const restored: string[] = [];
  for (const kernelName of ALL_KERNELS) {
    const current = tf.getKernel(kernelName, backendName);
    if (!isFast(current) && !isReference(current)) continue;
    tf.unregisterKernel(kernelName, backendName);
    const stock = stockConfigs.get(key(kernelName, backendName));
    if (stock) tf.registerKernel(stock);
    stockConfigs.delete(key(kernelName, backendName));
    restored.push(kernelName);
  }
  return restored;
}

/** The native kernels' instruction set, thread count and cached scratch, or null when they are not available. */
export function fastKernelInfo(): NativeInfo | null {
  return loadNativeKernels().kernels?.info() ?? null;
}

/** Sets the native kernels' thread count (0: one per available CPU). Returns the count in effect, or 0. */
export function setFastKernelThreads(threads: number): number {
  return loadNativeKernels().kernels?.setThreads(threads) ?? 0;
}

/** Frees the scratch memory the native kernels keep between calls (padded activations, packed filters). */
export function releaseFastKernelScratch(): void {
  loadNativeKernels().kernels?.releaseScratch();
}
