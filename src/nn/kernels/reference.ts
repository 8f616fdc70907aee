/**
 * @file Plain-JS Conv3DBackpropInputV2 and Conv3DBackpropFilterV2 for the wasm backend. The stock wasm
 * kernels of tfjs 4.22 return wrong values — the input gradient always (errors of order 1 against the cpu
 * backend, 'same' and 'valid', stride 1 and 2; it can also abort the module), the filter gradient with
 * stride 2 — and they are conv3d's gradients, so stock wasm silently mis-trains any 3-D CNN. These are
 * registered on wasm whenever the native kernels are not (addon missing, or SSL_BENCH_FAST_KERNELS=0): slow
 * but right. The stock filter gradient is kept for stride 1, where it is right and faster.
 */
import * as tf from '@tensorflow/tfjs';
import { conv3dInfo, convGeometry } from './geometry.js';
import { tensorStoreFor } from './tensor-store.js';

/**
 * dx[n, z, y, x, ci] = sum of dy[n, od, oh, ow, co] * w[kd, kh, kw, ci, co] over od*sd - pf + kd = z (same
 * for y, x). `g` is the 21-integer geometry of `convGeometry`.
 */
export function conv3dBackpropInputJs(dy: Float32Array, w: Float32Array, dx: Float32Array, g: Int32Array): void {
  const [n, id, ih, iw, ci, kd, kh, kw, co, od, oh, ow, sd, sh, sw, , , , pf, pt, pl] = g;
  const acc = new Float64Array(ci);
  let out = 0;
  for (let b = 0; b < n; b++) {
    for (let z = 0; z < id; z++) {
      for (let y = 0; y < ih; y++) {
        for (let x = 0; x < iw; x++) {
          acc.fill(0);
          for (let a = 0; a < kd; a++) {
            const tz = z + pf - a;
            if (tz < 0 || tz % sd !== 0 || tz / sd >= od) continue;
            for (let c = 0; c < kh; c++) {
              const ty = y + pt - c;
              if (ty < 0 || ty % sh !== 0 || ty / sh >= oh) continue;
              for (let e = 0; e < kw; e++) {
                const tx = x + pl - e;
                if (tx < 0 || tx % sw !== 0 || tx / sw >= ow) continue;
                const dyOff = ((((b * od + tz / sd) * oh + ty / sh) * ow + tx / sw) * co);
                const wOff = ((a * kh + c) * kw + e) * ci * co;
                for (let i = 0; i < ci; i++) {
                  let s = 0;
                  const wi = wOff + i * co;
                  for (let o = 0; o < co; o++) s += dy[dyOff + o] * w[wi + o];
                  acc[i] += s;
                }
              }
            }
          }
          for (let i = 0; i < ci; i++) dx[out++] = acc[i];
        }
      }
    }
  }
}

/** dw[kd, kh, kw, ci, co] = sum of x[n, od*sd - pf + kd, ..., ci] * dy[n, od, oh, ow, co]. */
export function conv3dBackpropFilterJs(x: Float32Array, dy: Float32Array, dw: Float32Array, g: Int32Array): void {
  const [n, id, ih, iw, ci, kd, kh, kw, co, od, oh, ow, sd, sh, sw, , , , pf, pt, pl] = g;
  const acc = new Float64Array(dw.length);
  for (let b = 0; b < n; b++) {
    for (let z = 0; z < od; z++) {
      for (let y = 0; y < oh; y++) {
        for (let v = 0; v < ow; v++) {
          const dyOff = (((b * od + z) * oh + y) * ow + v) * co;
          for (let a = 0; a < kd; a++) {
            const xz = z * sd - pf + a;
            if (xz < 0 || xz >= id) continue;
            for (let c = 0; c < kh; c++) {
              const xy = y * sh - pt + c;
              if (xy < 0 || xy >= ih) continue;
              for (let e = 0; e < kw; e++) {
                const xx = v * sw - pl + e;
                if (xx < 0 || xx >= iw) continue;
                const xOff = (((b * id + xz) * ih + xy) * iw + xx) * ci;
                const wOff = ((a * kh + c) * kw + e) * ci * co;
                for (let i = 0; i < ci; i++) {
                  const xv = x[xOff + i];
                  const wi = wOff + i * co;
                  for (let o = 0; o < co; o++) acc[wi + o] += xv * dy[dyOff + o];
                }
              }
            }
          }
        }
      }
    }
  }
  dw.set(acc);
}

export function makeReferenceBackpropFilterKernel(backendName: string, stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const { strides, pad, filterShape } = args.attrs as unknown as { strides: number | [number, number, number]; pad: 'same' | 'valid'; filterShape: number[] };
    const info = conv3dInfo(x.shape, filterShape, strides, 1, pad);
    const store = tensorStoreFor(backendName, args.backend);
    const strideOne = info.strideDepth === 1 && info.strideHeight === 1 && info.strideWidth === 1;
    if (strideOne || !store || x.dtype !== 'float32') return stock(args);
    const geom = convGeometry(info);
    return store.compute([x, dy], [filterShape.slice()], ([xv, dyv], [dwv]) => conv3dBackpropFilterJs(xv, dyv, dwv, geom))[0];
  };
}

export function makeReferenceBackpropInputKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const { strides, pad, inputShape } = attrs as unknown as { strides: number | [number, number, number]; pad: 'same' | 'valid'; inputShape: number[] };
    const store = tensorStoreFor(backendName, backend);
    if (!store || dy.dtype !== 'float32') throw new Error(`Conv3DBackpropInputV2: float32 tensors on ${backendName} only`);
    const geom = convGeometry(conv3dInfo(inputShape, filter.shape, strides, 1, pad));
    return store.compute([dy, filter], [inputShape.slice()], ([dyv, wv], [dxv]) => conv3dBackpropInputJs(dyv, wv, dxv, geom))[0];
  };
}
