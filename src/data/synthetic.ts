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

/** Distance from p to the segment a–b. */
function segmentDistance(p: number[], a: number[], b: number[]): number {
  const ab = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
  const ap = [p[0] - a[0], p[1] - a[1], p[2] - a[2]];
  const len2 = ab[0] * ab[0] + ab[1] * ab[1] + ab[2] * ab[2];
  const t = Math.max(0, Math.min(1, (ap[0] * ab[0] + ap[1] * ab[1] + ap[2] * ab[2]) / len2));
  const d = [ap[0] - t * ab[0], ap[1] - t * ab[1], ap[2] - t * ab[2]];
  return Math.hypot(d[0], d[1], d[2]);
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

  const texture = randomWaves(rng, 8, 0.9, 0.18);
  const bias = randomWaves(rng, 3, 0.08, 0.25);
  const fgIntensity = rng.uniform(0.9, 1.2);
  const bgIntensity = rng.uniform(0.2, 0.35);

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
        const d = [(x - center[0]) / radii[0], (y - center[1]) / radii[1], (z - center[2]) / radii[2]];
        const r = Math.hypot(d[0], d[1], d[2]);
        const inv = r > 1e-9 ? 1 / r : 0;
        const modulation = 1 + waveSum(shapeWaves, d[0] * inv, d[1] * inv, d[2] * inv);
        let inside = r < modulation;
        if (!inside) inside = Math.hypot(x - lobeCenter[0], y - lobeCenter[1], (z - lobeCenter[2]) * 1.2) < lobeRadius;
        if (!inside) for (const v of veins) if (segmentDistance(p, v.start, v.end) < v.radius) { inside = true; break; }
        let intensity = bgIntensity + waveSum(texture, x, y, z);
        if (inside) {
          label[i] = 1;
          intensity = fgIntensity + 0.5 * waveSum(texture, y, z, x);
        } else if (segmentDistance(p, aortaA, aortaB) < aortaRadius) {
          intensity = fgIntensity * 0.95;
        } else if (Math.hypot((x - organCenter[0]) / organRadii[0], (y - organCenter[1]) / organRadii[1], (z - organCenter[2]) / organRadii[2]) < 1) {
          intensity = fgIntensity * 1.4;
        }
        const field = Math.exp(waveSum(bias, x, y, z));
        image[i] = intensity * field + 0.25 * noise.normal();
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
    this.ids = [...new Set(Object.values(entry.splits).flat())];
  }

  async load(id: string): Promise<Volume> {
    const index = this.ids.indexOf(id);
    if (index < 0) throw new SslBenchError('SSLB_CASE', `dataset ${this.datasetId}: no case '${id}'`);
    return generateLaLikeCase(this.seed, index, this.shape, id);
  }

  async missing(): Promise<string[]> {
    return [];
  }
}
