/**
 * Largest connected component ("nms" in DTC/BCP/CML): skimage.measure.label with full connectivity
 * (26 in 3-D), keep the component with most voxels; ties go to the component met first in C-order
 * raster scan. An empty mask stays empty.
 */
export function largestConnectedComponent(mask: Uint8Array, shape: readonly number[]): Uint8Array {
  const [a, b, c] = shape.length === 3 ? shape : [1, shape[0], shape[1]];
  const n = a * b * c;
  const component = new Int32Array(n);
  const stack = new Int32Array(n);
  let best = 0;
  let bestSize = 0;
  let next = 0;
  for (let start = 0; start < n; start++) {
    if (!mask[start] || component[start]) continue;
    const id = ++next;
    let top = 0;
    let size = 0;
    stack[top++] = start;
    component[start] = id;
    while (top > 0) {
      const v = stack[--top];
      size++;
      const k = v % c;
      const j = ((v - k) / c) % b;
      const i = (v - k - j * c) / (b * c);
      for (let di = -1; di <= 1; di++) {
        const ii = i + di;
        if (ii < 0 || ii >= a) continue;
        for (let dj = -1; dj <= 1; dj++) {
          const jj = j + dj;
          if (jj < 0 || jj >= b) continue;
          for (let dk = -1; dk <= 1; dk++) {
            const kk = k + dk;
            if (kk < 0 || kk >= c) continue;
            const u = (ii * b + jj) * c + kk;
            if (mask[u] && !component[u]) {
              component[u] = id;
              stack[top++] = u;
            }
          }
        }
      }
    }
    if (size > bestSize) {
      bestSize = size;
      best = id;
    }
  }
  const out = new Uint8Array(n);
  if (best) for (let v = 0; v < n; v++) out[v] = component[v] === best ? 1 : 0;
  return out;
}
