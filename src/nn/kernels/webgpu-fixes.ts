/**
 * @file Work-arounds for bugs of tfjs-backend-webgpu 4.22 that the project's networks hit.
 *
 * Binary ops (Add, Mul...) of a rank-5 or rank-6 tensor with a 1-D one of fewer than 128 values — a conv
 * bias or a batch-norm scale on an NDHWC activation — take a shared-memory shader that indexes the output
 * coordinates as `coords[rank - 1]`, which WGSL rejects for the emulated vec5/vec6 types ("cannot index
 * type 'vec5'"), so the pipeline is invalid and every later use of it fails. The wrappers below present
 * the 1-D operand as [1, n] (same data, same broadcast), which takes the ordinary broadcasting shader.
 *
 * PadV2 of a rank-5 tensor (the gradient of every rank-5 slice) builds a `vec5(...)` and indexes it: the
 * same WGSL error. The wrapper pads one axis at a time through a rank-3 view [before, axis, after].
 *
 * AddN of more than 7 tensors needs more storage buffers than WebGPU's default limit of 8 per shader
 * stage (UA-MT sums 8 Monte-Carlo passes); the wrapper sums in chunks of at most 7.
 */
import * as tf from '@tensorflow/tfjs';

export const WEBGPU_BINARY_KERNELS = [
  tf.Add, tf.Sub, tf.Multiply, tf.RealDiv, tf.Maximum, tf.Minimum, tf.Pow, tf.SquaredDifference, tf.FloorDiv, tf.Mod, tf.Atan2,
  tf.Equal, tf.NotEqual, tf.Greater, tf.GreaterEqual, tf.Less, tf.LessEqual, tf.LogicalAnd, tf.LogicalOr,
] as const;

const FIXED = Symbol.for('ssl-bench.webgpu-fix');

/** The 1-D operand as a rank-2 view when the stock shader would be the broken shared-memory one. */
function widen(small: tf.TensorInfo, other: tf.TensorInfo): tf.TensorInfo {
  if (small.shape.length === 1 && other.shape.length >= 5 && small.shape[0] < 128) return { ...small, shape: [1, small.shape[0]] };
  return small;
}

interface BackendLike {
  disposeData(dataId: object, force?: boolean): boolean;
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

function makePad(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const attrs = args.attrs as unknown as { paddings: [number, number][]; constantValue: number };
    if (x.shape.length < 5) return stock(args);
    const backend = args.backend as unknown as BackendLike;
    let cur: tf.TensorInfo = x;
    let owned = false;
    for (let axis = 0; axis < x.shape.length; axis++) {
      const [lo, hi] = attrs.paddings[axis];
      if (lo === 0 && hi === 0) continue;
      const shape = cur.shape;
      const view = { ...cur, shape: [size(shape.slice(0, axis)), shape[axis], size(shape.slice(axis + 1))] };
      const out = stock({ ...args, inputs: { x: view }, attrs: { ...attrs, paddings: [[0, 0], [lo, hi], [0, 0]] } as unknown as tf.NamedAttrMap }) as tf.TensorInfo;
      if (owned) backend.disposeData(cur.dataId);
      const next = shape.slice();
      next[axis] += lo + hi;
      cur = { ...out, shape: next };
      owned = true;
    }
    if (owned) return cur;
    // Nothing to pad: a copy through a rank-1 view.
    const flat = stock({ ...args, inputs: { x: { ...x, shape: [size(x.shape)] } }, attrs: { ...attrs, paddings: [[0, 0]] } as unknown as tf.NamedAttrMap }) as tf.TensorInfo;
    return { ...flat, shape: x.shape.slice() };
  };
}

const ADDN_CHUNK = 7;

function makeAddN(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    let inputs = (Array.isArray(args.inputs) ? args.inputs : Object.values(args.inputs)) as tf.TensorInfo[];
    if (inputs.length <= ADDN_CHUNK) return stock(args);
    const backend = args.backend as unknown as BackendLike;
    const made: tf.TensorInfo[] = [];
    while (inputs.length > ADDN_CHUNK) {
      const next: tf.TensorInfo[] = [];
      for (let i = 0; i < inputs.length; i += ADDN_CHUNK) {
        const chunk = inputs.slice(i, i + ADDN_CHUNK);
        if (chunk.length === 1) {
          next.push(chunk[0]);
          continue;
        }
        const out = stock({ ...args, inputs: chunk as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
        made.push(out);
        next.push(out);
      }
      inputs = next;
    }
    const result = stock({ ...args, inputs: inputs as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
    for (const t of made) backend.disposeData(t.dataId);
    return result;
  };
}

/** Wraps the webgpu kernels above (idempotent). Returns the kernels wrapped, as `fix:Name`. */
export function registerWebgpuFixes(): string[] {
  const done: string[] = [];
  for (const [name, make] of [[tf.PadV2, makePad], [tf.AddN, makeAddN]] as const) {
    const config = tf.getKernel(name, 'webgpu');
    if (!config) continue;
    if (!(config.kernelFunc as unknown as Record<symbol, unknown>)[FIXED]) {
      tf.unregisterKernel(name, 'webgpu');
      tf.registerKernel({ ...config, kernelFunc: Object.assign(make(config.kernelFunc), { [FIXED]: true }) });
    }
    done.push(`fix:${name}`);
  }
  for (const name of WEBGPU_BINARY_KERNELS) {
    const config = tf.getKernel(name, 'webgpu');
    if (!config) continue;
    if (!(config.kernelFunc as unknown as Record<symbol, unknown>)[FIXED]) {
      const stock = config.kernelFunc;
      const func: tf.KernelFunc = (args) => {
        const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
        if (!a || !b) return stock(args);
        return stock({ ...args, inputs: { ...args.inputs, a: widen(a, b), b: widen(b, a) } });
      };
      tf.unregisterKernel(name, 'webgpu');
      tf.registerKernel({ ...config, kernelFunc: Object.assign(func, { [FIXED]: true }) });
    }
    done.push(`fix:${name}`);
  }
  return done;
}
