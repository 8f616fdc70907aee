/**
 * @file Zero-copy access to float32 tensor memory of the `wasm` and `cpu` backends from inside a kernel.
 * The wasm backend keeps tensors on its WebAssembly heap; the views must be taken after every allocation,
 * because growing the heap detaches older views.
 */
import * as tf from '@tensorflow/tfjs';

export interface TensorStore {
  /**
   * Allocates float32 outputs of the given shapes, calls `fn` with views of the inputs and of the outputs,
   * and returns the outputs. Outputs are released if `fn` throws.
   */
  compute(inputs: tf.TensorInfo[], outShapes: number[][], fn: (ins: Float32Array[], outs: Float32Array[]) => void): tf.TensorInfo[];
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } | undefined };
}

interface CpuBackendLike {
  data: { get(dataId: tf.DataId): { values?: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

function wasmStore(backend: WasmBackendLike): TensorStore {
  return {
    compute(inputs, outShapes, fn) {
      const outs = outShapes.map((s) => backend.makeOutput(s, 'float32'));
      try {
        fn(inputs.map((t) => backend.typedArrayFromHeap(t)), outs.map((t) => backend.typedArrayFromHeap(t)));
      } catch (err) {
        for (const o of outs) backend.disposeData(o.dataId, true);
        throw err;
      }
      return outs;
    },
  };
}

function cpuStore(backend: CpuBackendLike): TensorStore {
  return {
    compute(inputs, outShapes, fn) {
      const ins = inputs.map((t) => {
        const v = backend.data.get(t.dataId)?.values;
        if (v instanceof Float32Array) return v;
        if (ArrayBuffer.isView(v)) return Float32Array.from(v as unknown as ArrayLike<number>);
        throw new Error('cpu backend tensor has no float32 values');
      });
      const outs = outShapes.map((s) => new Float32Array(size(s)));
      fn(ins, outs);
      return outs.map((values, i) => backend.makeTensorInfo(outShapes[i], 'float32', values));
    },
  };
}

/** The store for a backend object, or null when the backend keeps tensors elsewhere (GPU, libtensorflow). */
export function tensorStoreFor(backendName: string, backend: unknown): TensorStore | null {
  const b = backend as Partial<WasmBackendLike & CpuBackendLike>;
  if (backendName === 'wasm' && typeof b.makeOutput === 'function' && typeof b.typedArrayFromHeap === 'function') {
    return wasmStore(b as WasmBackendLike);
  }
  if (backendName === 'cpu' && b.data && typeof b.makeTensorInfo === 'function') return cpuStore(b as CpuBackendLike);
  return null;
}
