/**
 * @file The embedded `synthetic` dataset: LA-like volumes generated procedurally from (seed, case index),
 * so the whole pipeline runs with no files. Each case has an irregular smooth blob with tubular
 * appendages (the "atrium" with its veins) as foreground, and a background that makes segmentation
 * non-trivial: textured tissue, unlabeled structures of similar brightness (an "aorta" tube and a
 * bright organ), a multiplicative bias field and Gaussian noise. The image is z-scored over the whole
 * volume, as the LA preprocessing does.
 */
import { Rng } from '../util/rng.js';
import { SslBenchError } from '../errors.js';
import type { DatasetEntry } from './catalog.js';
import type { CaseSource, Volume } from './types.js';

interface Wave {
  k: [number, number, number];
  phase: number;
  amp: number;
}

function randomWaves(rng: Rng, count: number, maxFreq: number, amp: number): Wave[] {
  return Array.from({ length: count }, () => ({
    k: [rng.uniform(-maxFreq, maxFreq), rng.uniform(-maxFreq, maxFreq), rng.uniform(-maxFreq, maxFreq)] as [number, number, number],
    phase: rng.uniform(0, 2 * Math.PI),
    amp: amp * rng.uniform(0.5, 1),
  }));
}

function waveSum(waves: Wave[], x: number, y: number, z: number): number {
  let s = 0;
  for (const w of waves) s += w.amp * Math.sin(w.k[0] * x + w.k[1] * y + w.k[2] * z + w.phase);
  return s;
}

/**
 * Σ amp·sin(k·p + φ) over a whole volume. The phase is separable per axis, so angle-addition turns
 * one sin per voxel and wave into two multiply-adds on precomputed per-axis tables.
 */
function waveField(waves: Wave[], shape: readonly number[]): Float32Array {
  const [sx, sy, sz] = shape;
  const out = new Float32Array(sx * sy * sz);
  for (const w of waves) {
    const sinZ = Float64Array.from({ length: sz }, (_, z) => Math.sin(w.k[2] * z));
    const cosZ = Float64Array.from({ length: sz }, (_, z) => Math.cos(w.k[2] * z));
    let i = 0;
    for (let x = 0; x < sx; x++) {
      for (let y = 0; y < sy; y++) {
        const a = w.k[0] * x + w.k[1] * y + w.phase;
        const sa = w.amp * Math.sin(a);
        const ca = w.amp * Math.cos(a);
        for (let z = 0; z < sz; z++, i++) out[i] += sa * cosZ[z] + ca * sinZ[z];
      }
    }
  }
  return out;
}

/** Distance from p to the segment a–b. */
function segmentDistance(p: number[], a: number[], b: number[]): number {
  const ab0 = b[0] - a[0], ab1 = b[1] - a[1], ab2 = b[2] - a[2];
  const ap0 = p[0] - a[0], ap1 = p[1] - a[1], ap2 = p[2] - a[2];
  const len2 = ab0 * ab0 + ab1 * ab1 + ab2 * ab2;
  const t = Math.max(0, Math.min(1, (ap0 * ab0 + ap1 * ab1 + ap2 * ab2) / len2));
  const d0 = ap0 - t * ab0, d1 = ap1 - t * ab1, d2 = ap2 - t * ab2;
  return Math.sqrt(d0 * d0 + d1 * d1 + d2 * d2);
}

/** Generates one case; pure function of (seed, index, shape). */
export function generateLaLikeCase(seed: number, index: number, shape: readonly number[], id = `case${index}`): Volume {
  if (shape.length !== 3 || shape.some((s) => !Number.isInteger(s) || s < 16)) {
    throw new SslBenchError('SSLB_SYNTHETIC', `synthetic generator: shape must be three integers >= 16, got [${shape.join(', ')}]`);
  }
  const [sx, sy, sz] = shape;
  const rng = Rng.derive(seed, `synthetic-case-${index}`);
  // Body: an ellipsoid whose radius is modulated by low-frequency waves on the direction.
  const center = [sx * rng.uniform(0.42, 0.58), sy * rng.uniform(0.42, 0.58), sz * rng.uniform(0.45, 0.55)];
  const radii = [sx * rng.uniform(0.16, 0.22), sy * rng.uniform(0.14, 0.2), sz * rng.uniform(0.16, 0.22)];
  const shapeWaves = randomWaves(rng, 5, 3.0, 0.12);
  // Appendages: 2–4 veins leaving the body outward, plus an appendage lobe.
  const veins = Array.from({ length: 2 + rng.int(3) }, () => {
    const theta = rng.uniform(0, 2 * Math.PI);
    const phi = rng.uniform(-0.6, 0.6);
    const dir = [Math.cos(theta) * Math.cos(phi), Math.sin(theta) * Math.cos(phi), Math.sin(phi)];
    const start = center.map((c, a) => c + dir[a] * radii[a] * 0.6);
    const length = rng.uniform(0.9, 1.6);
    const end = center.map((c, a) => c + dir[a] * radii[a] * (1 + length));
    return { start, end, radius: rng.uniform(1.6, 2.8) };
  });
  const lobeDir = rng.uniform(0, 2 * Math.PI);
  const lobeCenter = [center[0] + Math.cos(lobeDir) * radii[0] * 1.05, center[1] + Math.sin(lobeDir) * radii[1] * 1.05, center[2] + radii[2] * rng.uniform(-0.4, 0.4)];
  const lobeRadius = Math.min(...radii) * rng.uniform(0.35, 0.5);

  // Unlabeled look-alikes: an "aorta" tube as bright as the foreground, and a brighter organ.
  const aortaA = [sx * rng.uniform(0.1, 0.9), sy * rng.uniform(0.05, 0.2), -5];
  const aortaB = [sx * rng.uniform(0.1, 0.9), sy * rng.uniform(0.05, 0.25), sz + 5];
  const aortaRadius = rng.uniform(3, 5);
  const organCenter = [sx * rng.uniform(0.7, 0.9), sy * rng.uniform(0.7, 0.9), sz * rng.uniform(0.3, 0.7)];
  const organRadii = [sx * rng.uniform(0.1, 0.16), sy * rng.uniform(0.1, 0.16), sz * rng.uniform(0.15, 0.25)];

  const texture = waveField(randomWaves(rng, 8, 0.9, 0.18), shape);
  const innerTexture = waveField(randomWaves(rng, 8, 0.9, 0.09), shape);
  const bias = waveField(randomWaves(rng, 3, 0.08, 0.25), shape);
  const fgIntensity = rng.uniform(0.9, 1.2);
  const bgIntensity = rng.uniform(0.2, 0.35);
  const maxModulation = 1 + shapeWaves.reduce((m, w) => m + w.amp, 0);

  const n = sx * sy * sz;
  const image = new Float32Array(n);
  const label = new Uint8Array(n);
  const noise = Rng.derive(seed, `synthetic-noise-${index}`);
  const p = [0, 0, 0];
  let i = 0;
  for (let x = 0; x < sx; x++) {
    for (let y = 0; y < sy; y++) {
      for (let z = 0; z < sz; z++, i++) {
        p[0] = x; p[1] = y; p[2] = z;
        const d0 = (x - center[0]) / radii[0];
        const d1 = (y - center[1]) / radii[1];
        const d2 = (z - center[2]) / radii[2];
        const r = Math.sqrt(d0 * d0 + d1 * d1 + d2 * d2);
        let inside = false;
        if (r < maxModulation) {
          const inv = r > 1e-9 ? 1 / r : 0;
          inside = r < 1 + waveSum(shapeWaves, d0 * inv, d1 * inv, d2 * inv);
        }
        if (!inside) {
          const l0 = x - lobeCenter[0], l1 = y - lobeCenter[1], l2 = (z - lobeCenter[2]) * 1.2;
          inside = l0 * l0 + l1 * l1 + l2 * l2 < lobeRadius * lobeRadius;
        }
        if (!inside) for (const v of veins) if (segmentDistance(p, v.start, v.end) < v.radius) { inside = true; break; }
        let intensity = bgIntensity + texture[i];
        if (inside) {
          label[i] = 1;
          intensity = fgIntensity + innerTexture[i];
        } else if (segmentDistance(p, aortaA, aortaB) < aortaRadius) {
          intensity = fgIntensity * 0.95;
        } else {
          const o0 = (x - organCenter[0]) / organRadii[0], o1 = (y - organCenter[1]) / organRadii[1], o2 = (z - organCenter[2]) / organRadii[2];
          if (o0 * o0 + o1 * o1 + o2 * o2 < 1) intensity = fgIntensity * 1.4;
        }
        image[i] = intensity * Math.exp(bias[i]) + 0.25 * noise.normal();
      }
    }
  }
  zScore(image);
  return { id, shape: [sx, sy, sz], image, label, spacing: [1, 1, 1] };
}

function zScore(values: Float32Array): void {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let sq = 0;
  for (const v of values) sq += (v - mean) * (v - mean);
  const std = Math.sqrt(sq / values.length) || 1;
  for (let i = 0; i < values.length; i++) values[i] = (values[i] - mean) / std;
}

export class SyntheticSource implements CaseSource {
  readonly datasetId: string;
  private readonly ids: string[];
  private readonly seed: number;
  private readonly shape: number[];

  constructor(entry: DatasetEntry) {
    if (!entry.generator) throw new SslBenchError('SSLB_CATALOG', `dataset ${entry.id}: synthetic entry without generator`);
    this.datasetId = entry.id;
    this.seed = entry.generator.seed;
    this.shape = entry.generator.shape;
    this.generator = entry.generator.name;
    this.ids = [...new Set(Object.values(entry.splits).flat().filter((id) => !/_slice_\d+$/.test(id)))];
  }

  private readonly generator: string;

  /** Generated cases are kept: every method of a `--method all` run reads the same ones (≈1 MB each). */
  private readonly generated = new Map<string, Volume>();

  async load(id: string): Promise<Volume> {
    // 2-D datasets train on slices `<volume>_slice_<k>` of their generated volumes.
    const slice = /^(.*)_slice_(\d+)$/.exec(id);
    const volumeId = slice ? slice[1] : id;
    const index = this.ids.indexOf(volumeId);
    if (index < 0) throw new SslBenchError('SSLB_CASE', `dataset ${this.datasetId}: no case '${id}'`);
    let vol = this.generated.get(volumeId);
    if (!vol) {
      vol = this.generator === 'acdc-like-2d' ? generateAcdcLikeCase(this.seed, index, this.shape, volumeId) : generateLaLikeCase(this.seed, index, this.shape, volumeId);
      this.generated.set(volumeId, vol);
    }
    if (!slice) return vol;
    const k = Number(slice[2]);
    const [slices, h, w] = vol.shape;
    if (k >= slices) throw new SslBenchError('SSLB_CASE', `dataset ${this.datasetId}: ${volumeId} has ${slices} slices, no slice ${k}`);
    return { id, shape: [h, w], image: vol.image.slice(k * h * w, (k + 1) * h * w), label: vol.label!.slice(k * h * w, (k + 1) * h * w), spacing: [1, 1] };
  }

  async missing(): Promise<string[]> {
    return [];
  }
}

/**
 * ACDC-like 2-D cases: a stack of short-axis slices with three nested structures — a left-ventricle
 * blood pool (3), the myocardium ring around it (2) and a crescent right ventricle (1) — over textured
 * tissue with a bias field and noise, the whole stack min–max normalised to [0, 1] as the SSL4MIS
 * preprocessing does. The structures shrink towards the apex, so slices differ within a case.
 */
export function generateAcdcLikeCase(seed: number, index: number, shape: readonly number[], id = `case${index}`): Volume {
  if (shape.length !== 3 || shape.some((s) => !Number.isInteger(s) || s < 4)) {
    throw new SslBenchError('SSLB_SYNTHETIC', `synthetic 2-D generator: shape must be [slices, H, W], got [${shape.join(', ')}]`);
  }
  const [slices, h, w] = shape;
  const rng = Rng.derive(seed, `synthetic2d-case-${index}`);
  const cy = h * rng.uniform(0.42, 0.58);
  const cx = w * rng.uniform(0.42, 0.58);
  const lvRadius = Math.min(h, w) * rng.uniform(0.1, 0.14);
  const wall = lvRadius * rng.uniform(0.35, 0.55);
  const rvAngle = rng.uniform(Math.PI * 0.75, Math.PI * 1.25);
  const intensities = { lv: rng.uniform(0.85, 1), myo: rng.uniform(0.3, 0.45), rv: rng.uniform(0.75, 0.95), bg: rng.uniform(0.15, 0.3) };
  const texture = waveField(randomWaves(rng, 6, 0.8, 0.08), [slices, h, w]);
  const bias = waveField(randomWaves(rng, 3, 0.06, 0.2), [slices, h, w]);
  const noise = Rng.derive(seed, `synthetic2d-noise-${index}`);
  const n = slices * h * w;
  const image = new Float32Array(n);
  const label = new Uint8Array(n);
  let i = 0;
  for (let s = 0; s < slices; s++) {
    const taper = 1 - 0.5 * (s / Math.max(slices - 1, 1));
    const r = lvRadius * taper;
    const rOuter = r + wall;
    const rvCx = cx + Math.cos(rvAngle) * (rOuter + r * 0.6);
    const rvCy = cy + Math.sin(rvAngle) * (rOuter + r * 0.6);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++, i++) {
        const d = Math.sqrt((y - cy) * (y - cy) + (x - cx) * (x - cx));
        const dRv = Math.sqrt(((y - rvCy) / (r * 0.9)) ** 2 + ((x - rvCx) / (r * 1.5)) ** 2);
        let cls = 0;
        if (d < r) cls = 3;
        else if (d < rOuter) cls = 2;
        else if (dRv < 1 && s < slices - 1) cls = 1;
        label[i] = cls;
        const base = cls === 3 ? intensities.lv : cls === 2 ? intensities.myo : cls === 1 ? intensities.rv : intensities.bg;
        image[i] = (base + texture[i]) * Math.exp(bias[i]) + 0.06 * noise.normal();
      }
    }
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of image) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  for (let k = 0; k < n; k++) image[k] = (image[k] - lo) / (hi - lo || 1);
  return { id, shape: [slices, h, w], image, label, spacing: [1, 1, 1] };
}
