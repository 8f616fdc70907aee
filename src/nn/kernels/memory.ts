/**
 * @file Peak memory of one V-Net training step, estimated before running it, and a clear error when it
 * cannot fit. The wasm backend keeps every tensor on a WebAssembly heap of at most 4 GiB, and running out
 * aborts the wasm module (every later tfjs call fails) instead of throwing a catchable error.
 *
 * Where the bytes go (tfjs 4.22): the forward pass runs in a tidy that keeps only the tensors its kernels
 * save for the gradient, but the backward pass keeps every gradient it computes until it returns, so the
 * peak is at the end of the backward pass: saved activations + all activation gradients. Both scale with
 * batch x voxels x filters (each V-Net level halves the voxels 8-fold and doubles the channels), so the
 * estimate is a per-(voxel x filter) cost, measured with `benchmarks/speed/memory.mjs` for the two ways of
 * writing batch norm, plus the parameters, the loss tensors and the native kernels' scratch.
 */
import { freemem, totalmem } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { SslBenchError } from '../../errors.js';
import { BN_KERNEL } from './batchnorm.js';
import { webgpuMaxBindingBytes, webgpuMemoryBytes } from '../webgpu.js';

/** Largest WebAssembly heap of @tensorflow/tfjs-backend-wasm 4.22 (emscripten's 4 GiB minus one page). */
export const WASM_HEAP_LIMIT_BYTES = 4 * 2 ** 30 - 65536;

/**
 * Bytes of tensor memory at the peak per (batch x voxel x filter), loss tensors included, measured as the
 * wasm heap's high-water mark (`benchmarks/speed/memory.mjs`; the heap never shrinks) on 96x96x64 (batch 1,
 * 8 filters) and 80x80x64 (1, 16) steps, and checked against the process peak on 112x112x80 (1, 16) steps on
 * wasm and cpu (2.0 GB each, fused-bias):
 * - `fused`: `batchNormTrain` after a separate conv-bias add, as src/nn/vnet.ts does: 135-141;
 * - `fused-bias`: the conv bias passed to `batchNormTrain` (benchmarks/speed/vnet-lite.mjs): 125-129;
 * - `ops`: batch norm as tf ops (moments, sub, mul, add, relu; each op keeps its inputs for the gradient,
 *   and all their gradients live to the end of the backward pass): 351-354.
 * (tf.profile's peakBytes reads 30-70% higher: it counts a tensor saved for the gradient twice, though
 * the saved copy shares the original's memory.) Larger patches cost a little less per voxel; the
 * estimate errs high by up to ~15% there.
 */
export const BYTES_PER_VOXEL_FILTER = { fused: 142, 'fused-bias': 130, ops: 360 } as const;
export type BatchNormKind = keyof typeof BYTES_PER_VOXEL_FILTER;

/** Weights, their gradients, momentum and the update's temporaries, per parameter (measured ~13 between steps). */
const BYTES_PER_PARAMETER = 20;

/** The allocator's slack on top of the live tensors (wasm heap fragmentation, cpu backend garbage). */
const SLACK = 1.05;

export interface TrainStepConfig {
  /** Patch size D, H, W (each a multiple of 16). */
  size: readonly [number, number, number];
  batch: number;
  filters: number;
  inChannels?: number;
  classes?: number;
  /**
   * How the network computes batch norm (see BYTES_PER_VOXEL_FILTER). Default: 'fused' where the fused
   * kernel is registered for the backend (assertTrainStepFits), else 'ops'; 'ops' for the bare estimate.
   */
  batchNorm?: BatchNormKind;
  /** Networks trained in the same step (co-training methods train two). Default 1. */
  networks?: number;
}

export interface MemoryEstimate {
  /** Saved activations and activation gradients at the end of the backward pass. */
  activationBytes: number;
  /** Input and labels (the loss's own tensors are in the per-voxel cost). */
  lossBytes: number;
  /** Weights, gradients and optimizer state. */
  parameterBytes: number;
  parameters: number;
  /** What the backend's tensor storage must hold (the wasm heap on wasm), slack included. */
  tensorBytes: number;
  /** Scratch of the native kernels (padded copies of an activation), outside the wasm heap. */
  nativeScratchBytes: number;
  /** Total: tensorBytes + nativeScratchBytes. */
  peakBytes: number;
}

/** Parameter count of the V-Net (conv weights and biases, BN scale and shift). */
export function vnetParameterCount(filters: number, inChannels = 1, classes = 2): number {
  const c = [filters, 2 * filters, 4 * filters, 8 * filters, 16 * filters];
  const conv = (k: number, cin: number, cout: number): number => k ** 3 * cin * cout + cout + 2 * cout; // + BN
  let n = 0;
  const enc = [1, 2, 3, 3, 3];
  const dec = [3, 3, 2, 1];
  for (let i = 0; i < 5; i++) for (let j = 0; j < enc[i]; j++) n += conv(3, i === 0 && j === 0 ? inChannels : c[i], c[i]);
  for (let i = 0; i < 4; i++) n += conv(2, c[i], c[i + 1]) + conv(2, c[4 - i], c[3 - i]);
  for (let i = 0; i < 4; i++) for (let j = 0; j < dec[i]; j++) n += conv(3, c[3 - i], c[3 - i]);
  return n + c[0] * classes + classes;
}

function validate(cfg: TrainStepConfig): void {
  const ok = (v: number): boolean => Number.isInteger(v) && v > 0;
  if (cfg.size.length !== 3 || !cfg.size.every(ok) || !ok(cfg.batch) || !ok(cfg.filters)) {
    throw new SslBenchError('SSLB_MEMORY_CONFIG', `memory estimate: size, batch and filters must be positive integers (got size ${cfg.size.join('x')}, batch ${cfg.batch}, filters ${cfg.filters})`);
  }
}

export function estimateTrainStepMemory(cfg: TrainStepConfig): MemoryEstimate {
  validate(cfg);
  const [d, h, w] = cfg.size;
  const voxels = cfg.batch * d * h * w;
  const classes = cfg.classes ?? 2;
  const inChannels = cfg.inChannels ?? 1;
  const networks = cfg.networks ?? 1;
  const perUnit = BYTES_PER_VOXEL_FILTER[cfg.batchNorm ?? 'ops'];
  const activationBytes = networks * voxels * cfg.filters * perUnit;
  const lossBytes = voxels * 4 * (inChannels + classes);
  const parameters = vnetParameterCount(cfg.filters, inChannels, classes);
  const parameterBytes = networks * parameters * BYTES_PER_PARAMETER;
  const tensorBytes = Math.ceil((activationBytes + lossBytes + parameterBytes) * SLACK);
  // A zero-padded copy of the largest conv input (level 0, 'same' padding), and the head's 2-class gradient
  // padded to 8 channels for the filter-gradient kernel.
  const padded = cfg.batch * (d + 2) * (h + 2) * (w + 2) * Math.max(cfg.filters, inChannels) * 4;
  const nativeScratchBytes = padded + (classes % 8 === 0 ? 0 : voxels * Math.ceil(classes / 8) * 8 * 4);
  return { activationBytes, lossBytes, parameterBytes, parameters, tensorBytes, nativeScratchBytes, peakBytes: tensorBytes + nativeScratchBytes };
}

const gib = (b: number): string => `${(b / 2 ** 30).toFixed(2)} GiB`;

/**
 * Throws SSLB_OUT_OF_MEMORY when the step cannot fit: on wasm when the tensors exceed the 4 GiB heap; on
 * webgpu when one activation exceeds the adapter's largest storage-buffer binding (a kernel cannot bind it
 * at all), or the tensors exceed the GPU's memory where it is known (the RAM on a software adapter,
 * SSL_BENCH_GPU_MEMORY_GIB on a GPU: WebGPU does not report it); on the other backends when the whole
 * estimate exceeds `availableBytes` (default: the machine's total memory). Returns the estimate otherwise.
 */
export function assertTrainStepFits(cfg: TrainStepConfig, backendName: string, availableBytes?: number, maxBindingBytes?: number): MemoryEstimate {
  if (backendName === 'webgpu') return assertWebgpuStepFits(cfg, availableBytes ?? webgpuMemoryBytes(), maxBindingBytes ?? webgpuMaxBindingBytes());
  availableBytes ??= totalmem();
  const batchNorm = cfg.batchNorm ?? (tf.getKernel(BN_KERNEL, backendName) ? 'fused' : 'ops');
  const est = estimateTrainStepMemory({ ...cfg, batchNorm });
  const what = `a training step of ${cfg.size.join('x')} x batch ${cfg.batch} x ${cfg.filters} filters (${batchNorm} batch norm)`;
  const fused = batchNorm === 'ops' ? ` With the fast kernels' fused batch norm it would need ${gib(estimateTrainStepMemory({ ...cfg, batchNorm: 'fused' }).tensorBytes)}.` : '';
  if (backendName === 'wasm' && est.tensorBytes > WASM_HEAP_LIMIT_BYTES) {
    throw new SslBenchError(
      'SSLB_OUT_OF_MEMORY',
      `${what} needs about ${gib(est.tensorBytes)} of tensors, more than the wasm backend's 4 GiB heap.${fused} ` +
        `Use a smaller batch or patch, or --backend cpu (no heap limit; ${gib(est.peakBytes)} of RAM, ${gib(freemem())} free now).`,
    );
  }
  if (backendName !== 'wasm' && est.peakBytes > availableBytes) {
    throw new SslBenchError(
      'SSLB_OUT_OF_MEMORY',
      `${what} needs about ${gib(est.peakBytes)}, more than the ${gib(availableBytes)} available.${fused} Use a smaller batch or patch.`,
    );
  }
  return est;
}

/** The webgpu side of assertTrainStepFits (batch norm is always tf ops there: no fused kernel). */
function assertWebgpuStepFits(cfg: TrainStepConfig, availableBytes: number | undefined, maxBindingBytes: number | undefined): MemoryEstimate {
  const est = estimateTrainStepMemory({ ...cfg, batchNorm: 'ops' });
  const [d, h, w] = cfg.size;
  const what = `a training step of ${cfg.size.join('x')} x batch ${cfg.batch} x ${cfg.filters} filters on webgpu`;
  // The largest tensor: a full-resolution activation (or its gradient) with `filters` channels.
  const largest = cfg.batch * d * h * w * Math.max(cfg.filters, cfg.classes ?? 2) * 4;
  if (maxBindingBytes !== undefined && largest > maxBindingBytes) {
    throw new SslBenchError(
      'SSLB_OUT_OF_MEMORY',
      `${what} has activations of ${gib(largest)}, more than the ${gib(maxBindingBytes)} one WebGPU kernel can bind on this adapter (maxStorageBufferBindingSize). ` +
        `Use a smaller batch or patch (at most ${Math.floor(maxBindingBytes / (d * h * w * cfg.filters * 4))} at this patch), or another backend.`,
    );
  }
  if (availableBytes !== undefined && est.tensorBytes > availableBytes) {
    throw new SslBenchError(
      'SSLB_OUT_OF_MEMORY',
      `${what} needs about ${gib(est.tensorBytes)} of GPU memory, more than the ${gib(availableBytes)} available ` +
        `(${process.env.SSL_BENCH_GPU_MEMORY_GIB ? 'SSL_BENCH_GPU_MEMORY_GIB' : 'software adapter: the machine\'s RAM'}). Use a smaller batch or patch.`,
    );
  }
  return est;
}
