/**
 * @file A plain-JS Conv3DBackpropInputV2 for the wasm backend. The stock wasm kernel of tfjs 4.22 returns
 * wrong values (errors of order 1 against the cpu backend, for 'same' and 'valid', stride 1 and 2), and it
 * is also conv3d's input gradient, so stock wasm silently mis-trains any 3-D CNN. This one is registered on
 * wasm whenever the native kernels are not (addon missing, or SSL_BENCH_FAST_KERNELS=0): slow but right.
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
