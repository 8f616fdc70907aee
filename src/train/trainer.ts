/**
 * @file The one training loop every method runs in. Per update k: draw the batch of the two-stream
 * sampler, augment each sample, let the method compute its loss, SGD-step the trainable networks with
 * the learning rate of update k, update EMA teachers (parameters only), log one JSON line, and write a
 * checkpoint every N updates and at the end. Every random draw comes from streams derived from
 * (seed, k), so resuming from a checkpoint reproduces the uninterrupted run.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { tf, type Variable } from '../nn/tf.js';
import { createNetwork } from '../nn/networks.js';
import type { Network } from '../nn/network.js';
import { Rng } from '../util/rng.js';
import { TwoStreamSampler } from '../data/sampler.js';
import { randomCrop, randomRotFlip, type Sample } from '../data/augment.js';
import type { CaseSource, Split, Volume } from '../data/types.js';
import type { Method, TrainBatch } from '../methods/method.js';
import type { ResolvedConfig } from './config.js';
import { emaDecay, learningRate } from './schedules.js';
import { Sgd } from './sgd.js';
import { emaUpdate } from './ema.js';
import { loadCheckpoint, restoreVariables, saveCheckpoint } from './checkpoint.js';
import { SslBenchError } from '../errors.js';

export interface TrainProgress {
  iteration: number;
  iterations: number;
  loss: number;
  lr: number;
  itPerSecond: number;
  etaSeconds: number;
}

export interface TrainOptions {
  method: Method;
  config: ResolvedConfig;
  split: Split;
  source: CaseSource;
  /** Folder for the checkpoint and the JSON-lines log. */
  runDir: string;
  /** Fingerprint of everything that must match for a checkpoint to be resumed. */
  fingerprint: string;
  onProgress?: (p: TrainProgress) => void;
  /** Stop after this many updates in this process (tests of resume); the checkpoint is written first. */
  stopAfter?: number;
  /**
   * Checkpoint selection as the papers that pick the best model do it: every `every` updates after
   * `after`, `score` the networks (mean Dice on the selection cases); the best weights are kept in
   * best.ckpt and are the ones returned at the end.
   */
  selection?: { every: number; after: number; score: (nets: Record<string, Network>) => Promise<number> };
}

export interface TrainResult {
  nets: Record<string, Network>;
  iterations: number;
  resumedFrom: number;
  finalLoss: number;
  seconds: number;
  logFile: string;
  checkpointFile: string;
  /** False when stopped early by `stopAfter`. */
  complete: boolean;
  /** With `selection`: the update count and score of the returned (best) weights. */
  best?: { iteration: number; score: number; file: string };
}

export const CHECKPOINT_NAME = 'checkpoint.ckpt';
export const BEST_NAME = 'best.ckpt';
export const LOG_NAME = 'train.jsonl';

/** Every variable of every network plus optimiser state, under stable names. */
function stateVariables(nets: Record<string, Network>, optimisers: Record<string, Sgd>): Map<string, Variable> {
  const all = new Map<string, Variable>();
  for (const [role, net] of Object.entries(nets)) {
    for (const [k, v] of net.store.params) all.set(`${role}/${k}`, v);
    for (const [k, v] of net.store.buffers) all.set(`${role}/${k}`, v);
  }
  for (const [role, opt] of Object.entries(optimisers)) {
    for (const [k, v] of opt.velocity) all.set(`${role}/${k}#momentum`, v);
  }
  return all;
}

export function buildNetworks(method: Method, config: ResolvedConfig): { nets: Record<string, Network>; trainable: string[] } {
  const nets: Record<string, Network> = {};
  const trainable: string[] = [];
  for (const spec of method.networks(config)) {
    nets[spec.role] = createNetwork(spec.arch, spec.role, config.seed, spec.options);
    if (spec.trainable) trainable.push(spec.role);
  }
  for (const spec of method.networks(config)) {
    if (!spec.emaOf) continue;
    const src = nets[spec.emaOf];
    for (const [k, v] of nets[spec.role].store.params) v.assign(src.store.params.get(k)!);
  }
  return { nets, trainable };
}

class CaseCache {
  private readonly cache = new Map<string, Promise<Volume>>();
  constructor(private readonly source: CaseSource) {}
  get(id: string): Promise<Volume> {
    let p = this.cache.get(id);
    if (!p) {
      p = this.source.load(id);
      this.cache.set(id, p);
    }
    return p;
  }
}

async function makeBatch(cache: CaseCache, ids: { labeled: string[]; unlabeled: string[] }, config: ResolvedConfig, k: number): Promise<TrainBatch> {
  const patch = config.patch;
  const voxels = patch[0] * patch[1] * patch[2];
  const all = [...ids.labeled, ...ids.unlabeled];
  const images = new Float32Array(all.length * voxels);
  const labels = new Int32Array(ids.labeled.length * voxels);
  for (let i = 0; i < all.length; i++) {
    const vol = await cache.get(all[i]);
    const rng = Rng.derive(config.seed, `augment-${k}-${i}`);
    let s: Sample = { shape: vol.shape, image: vol.image, label: vol.label ?? new Uint8Array(vol.image.length) };
    if (config.augmentation === 'rotflip-crop') s = randomCrop(randomRotFlip(s, rng), patch, rng);
    else if (config.augmentation === 'crop-rotflip') s = randomRotFlip(randomCrop(s, patch, rng), rng);
    else s = randomCrop(s, patch, rng);
    images.set(s.image, i * voxels);
    if (i < ids.labeled.length) for (let v = 0; v < voxels; v++) labels[i * voxels + v] = s.label[v];
  }
  return {
    images: tf.tensor5d(images, [all.length, patch[0], patch[1], patch[2], 1]),
    labels: tf.tensor4d(labels, [ids.labeled.length, patch[0], patch[1], patch[2]], 'int32'),
    labeledCount: ids.labeled.length,
    unlabeledCount: ids.unlabeled.length,
  };
}

async function readLog(file: string): Promise<string[]> {
  try {
    return (await fs.readFile(file, 'utf8')).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const { method, config, split, source, runDir, fingerprint } = options;
  await fs.mkdir(runDir, { recursive: true });
  const checkpointFile = path.join(runDir, CHECKPOINT_NAME);
  const logFile = path.join(runDir, LOG_NAME);
  const { nets, trainable } = buildNetworks(method, config);
  const optimisers: Record<string, Sgd> = {};
  for (const role of trainable) optimisers[role] = new Sgd(nets[role].store.params, { momentum: config.momentum, weightDecay: config.weightDecay });
  const emaSpecs = method.networks(config).filter((s) => s.emaOf);

  const unlabeledBatch = method.usesUnlabeled ? config.batchSize - config.labeledBatch : 0;
  const sampler = new TwoStreamSampler(split.labeled, method.usesUnlabeled ? split.unlabeled : [], config.labeledBatch, unlabeledBatch, config.seed);
  const cache = new CaseCache(source);

  let start = 0;
  try {
    await fs.access(checkpointFile);
    const loaded = await loadCheckpoint(checkpointFile);
    if (loaded.meta.fingerprint !== fingerprint) {
      throw new SslBenchError('SSLB_CHECKPOINT', `${checkpointFile}: belongs to a different configuration; move it away to start afresh`);
    }
    // Momentum buffers exist only after a first step; create them so the names line up.
    for (const [role, opt] of Object.entries(optimisers)) {
      for (const [k, v] of nets[role].store.params) {
        if (loaded.tensors.has(`${role}/${k}#momentum`) && !opt.velocity.has(k)) opt.velocity.set(k, tf.variable(tf.zerosLike(v), false, `${v.name}#momentum`));
      }
    }
    restoreVariables(checkpointFile, loaded, stateVariables(nets, optimisers));
    start = loaded.meta.iteration;
    const kept = (await readLog(logFile)).filter((line) => (JSON.parse(line) as { iteration: number }).iteration <= start);
    await fs.writeFile(logFile, kept.map((l) => l + '\n').join(''));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await fs.writeFile(logFile, '');
  }

  const bestFile = path.join(runDir, BEST_NAME);
  let best: TrainResult['best'];
  if (options.selection) {
    try {
      const loaded = await loadCheckpoint(bestFile);
      if (loaded.meta.fingerprint === fingerprint && loaded.meta.iteration <= start) {
        best = { iteration: loaded.meta.iteration, score: Number(loaded.meta.score), file: bestFile };
      }
    } catch (err) {
      if (!(err instanceof SslBenchError) && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  const networkState = () => stateVariables(nets, {});

  const trainableVars: Variable[] = trainable.flatMap((role) => [...nets[role].store.params.values()]);
  const began = Date.now();
  let lastLoss = NaN;
  const end = options.stopAfter !== undefined ? Math.min(config.iterations, start + options.stopAfter) : config.iterations;
  for (let k = start; k < end; k++) {
    const lr = learningRate(config.baseLr, config.lrSchedule, k);
    const batch = await makeBatch(cache, sampler.batch(k), config, k);
    const rng = Rng.derive(config.seed, `step-${k}`);
    let terms: Record<string, number> = {};
    const { value, grads } = tf.variableGrads(() => {
      const out = method.loss({ nets, batch, iteration: k, config, rng });
      for (const [name, t] of Object.entries(out.terms)) terms[name] = typeof t === 'number' ? t : t.dataSync()[0];
      return out.loss;
    }, trainableVars);
    lastLoss = (await value.data())[0];
    if (!Number.isFinite(lastLoss)) {
      throw new SslBenchError('SSLB_DIVERGED', `training diverged at update ${k + 1}: loss is ${lastLoss}; the last checkpoint is ${checkpointFile}`);
    }
    for (const role of trainable) optimisers[role].step(grads, lr);
    tf.dispose([value, grads, batch.images, batch.labels]);
    for (const spec of emaSpecs) {
      emaUpdate(nets[spec.role].store.params, nets[spec.emaOf!].store.params, emaDecay(k, config.emaDecay, config.emaWarmup));
    }
    const done = k + 1;
    const sel = options.selection;
    if (sel && done > sel.after && (done % sel.every === 0 || done === config.iterations)) {
      const score = await sel.score(nets);
      terms.selection_score = score;
      if (!best || score > best.score) {
        best = { iteration: done, score, file: bestFile };
        await saveCheckpoint(bestFile, { iteration: done, fingerprint, score }, networkState());
      }
    }
    await fs.appendFile(logFile, JSON.stringify({ iteration: done, lr, loss: lastLoss, ...terms }) + '\n');
    terms = {};
    if (done % config.checkpointEvery === 0 || done === end) {
      await saveCheckpoint(checkpointFile, { iteration: done, fingerprint, method: config.method }, stateVariables(nets, optimisers));
    }
    if (options.onProgress) {
      const elapsed = (Date.now() - began) / 1000;
      const rate = (done - start) / Math.max(elapsed, 1e-9);
      options.onProgress({ iteration: done, iterations: config.iterations, loss: lastLoss, lr, itPerSecond: rate, etaSeconds: (config.iterations - done) / rate });
    }
  }
  for (const opt of Object.values(optimisers)) opt.dispose();
  if (best && end === config.iterations) restoreVariables(bestFile, await loadCheckpoint(bestFile), networkState());
  return {
    best,
    nets,
    iterations: end,
    resumedFrom: start,
    finalLoss: lastLoss,
    seconds: (Date.now() - began) / 1000,
    logFile,
    checkpointFile,
    complete: end === config.iterations,
  };
}
