/**
 * @file The one training loop every method runs in. Per update k: draw the batch of the two-stream
 * sampler, augment each sample, let the method compute its loss, SGD-step the trainable networks with
 * the learning rate of update k, update EMA teachers (parameters only, or the whole state with BN buffers
 * where the recipe says `emaState: full-state`: BCP-ACDC), log one JSON line, and write a
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
import { randomCrop, randomGenerator2d, randomRotFlip, type Sample } from '../data/augment.js';
import type { CaseSource, Split, Volume } from '../data/types.js';
import type { Method, TrainBatch } from '../methods/method.js';
import type { ResolvedConfig } from './config.js';
import { emaDecay, learningRate } from './schedules.js';
import { Sgd } from './sgd.js';
import { emaUpdate, emaUpdateState } from './ema.js';
import { loadCheckpoint, restoreVariables, saveCheckpoint } from './checkpoint.js';
import { SslBenchError } from '../errors.js';

export interface TrainProgress {
  iteration: number;
  iterations: number;
  loss: number;
  lr: number;
  itPerSecond: number;
  etaSeconds: number;
  stage?: string;
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
  selection?: { on?: 'test' | 'val'; score: (nets: Record<string, Network>, on: 'test' | 'val') => Promise<number> };
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

/** torch.nn.utils.clip_grad_norm_: scale every gradient by min(1, max_norm / (‖g‖₂ + 1e-6)), in place. */
export function clipByGlobalNorm(grads: Record<string, tf.Tensor>, maxNorm: number): void {
  const scale = tf.tidy(() => {
    const total = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
    return tf.minimum(1, tf.div(maxNorm, tf.add(total, 1e-6)));
  });
  for (const key of Object.keys(grads)) {
    const old = grads[key];
    grads[key] = tf.mul(old, scale);
    old.dispose();
  }
  scale.dispose();
}

export const CHECKPOINT_NAME = 'checkpoint.ckpt';
export const BEST_NAME = 'best.ckpt';
export const LOG_NAME = 'train.jsonl';

/** Every variable of every network plus optimiser state, under the checkpoints' names. */
export function stateVariables(nets: Record<string, Network>, optimisers: Record<string, Sgd>): Map<string, Variable> {
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

async function makeBatch(cache: CaseCache, ids: { labeled: string[]; unlabeled: string[] }, config: ResolvedConfig, tag: string, withUnlabeledLabels: boolean): Promise<TrainBatch> {
  const patch = config.patch;
  const voxels = patch.reduce((a, b) => a * b, 1);
  const all = [...ids.labeled, ...ids.unlabeled];
  const images = new Float32Array(all.length * voxels);
  const labelled = withUnlabeledLabels ? all.length : ids.labeled.length;
  const labels = new Int32Array(labelled * voxels);
  for (let i = 0; i < all.length; i++) {
    const vol = await cache.get(all[i]);
    const rng = Rng.derive(config.seed, `augment-${tag}-${i}`);
    const label = vol.label ?? new Uint8Array(vol.image.length);
    let s: { image: Float32Array; label: Uint8Array };
    if (patch.length === 2) {
      if (vol.shape.length !== 2) throw new SslBenchError('SSLB_CASE', `case ${vol.id}: a 2-D recipe trains on slices, got shape [${vol.shape.join(', ')}]`);
      const variant = config.augmentation === 'bcp-2d' ? 'bcp' : 'ssl4mis';
      s = randomGenerator2d({ shape: [vol.shape[0], vol.shape[1]], image: vol.image, label }, patch, rng, variant);
    } else {
      const sample: Sample = { shape: vol.shape, image: vol.image, label };
      if (config.augmentation === 'rotflip-crop') s = randomCrop(randomRotFlip(sample, rng), patch, rng);
      else if (config.augmentation === 'crop-rotflip') s = randomRotFlip(randomCrop(sample, patch, rng), rng);
      else s = randomCrop(sample, patch, rng);
    }
    images.set(s.image, i * voxels);
    if (i < labelled) for (let v = 0; v < voxels; v++) labels[i * voxels + v] = s.label[v];
  }
  return {
    images: tf.tensor(images, [all.length, ...patch, 1]),
    labels: tf.tensor(labels.subarray(0, ids.labeled.length * voxels), [ids.labeled.length, ...patch], 'int32'),
    ...(withUnlabeledLabels ? { allLabels: tf.tensor(labels, [all.length, ...patch], 'int32') } : {}),
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

/** One training stage as the trainer runs it (a single-stage method has one, named `train`). */
interface StageRun {
  name: string;
  index: number;
  iterations: number;
  lrSchedule: ResolvedConfig['lrSchedule'];
  ema: boolean;
  /** Selection the method itself needs at the end of this stage (e.g. BCP's best pre-trained model). */
  selectOn: 'test' | 'val' | undefined;
  selectEvery: number;
  selectAfter: number;
  init: { from: 'best' | 'last'; copyToEma: boolean; keepOptimizer: boolean };
}

function planStages(config: ResolvedConfig, finalSelection: 'test' | 'val' | undefined): StageRun[] {
  if (!config.stages || config.stages.length === 0) {
    return [{
      name: 'train', index: 0, iterations: config.iterations, lrSchedule: config.lrSchedule, ema: config.emaDecay > 0,
      selectOn: finalSelection, selectEvery: config.selectEvery, selectAfter: config.selectAfter,
      init: { from: 'last', copyToEma: false, keepOptimizer: true },
    }];
  }
  return config.stages.map((st, index) => ({
    name: st.name, index, iterations: st.iterations, lrSchedule: st.lrSchedule, ema: st.ema,
    // The last stage's selection is the user's choice (--select-best-on); earlier ones are the method's.
    selectOn: index === config.stages!.length - 1 ? finalSelection : st.selectOn,
    selectEvery: st.selectEvery, selectAfter: st.selectAfter, init: st.init,
  }));
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const { method, config, split, source, runDir, fingerprint } = options;
  await fs.mkdir(runDir, { recursive: true });
  const logFile = path.join(runDir, LOG_NAME);
  const { nets, trainable } = buildNetworks(method, config);
  const makeOptimisers = () => {
    const o: Record<string, Sgd> = {};
    for (const role of trainable) o[role] = new Sgd(nets[role].store.params, { momentum: config.momentum, weightDecay: config.weightDecay });
    return o;
  };
  let optimisers = makeOptimisers();
  const emaSpecs = method.networks(config).filter((sp) => sp.emaOf);
  // α = 0 copies the student (stage initialisation); a full-state teacher takes the BN buffers too.
  const updateTeachers = (alpha: number) => {
    for (const spec of emaSpecs) {
      const teacher = nets[spec.role].store;
      const student = nets[spec.emaOf!].store;
      if (config.emaState === 'full-state') emaUpdateState(teacher, student, alpha);
      else emaUpdate(teacher.params, student.params, alpha);
    }
  };
  const unlabeledBatch = method.usesUnlabeled ? config.batchSize - config.labeledBatch : 0;
  const cache = new CaseCache(source);
  const stages = planStages(config, options.selection?.on);
  const single = stages.length === 1;
  const fileFor = (stage: StageRun, base: string) => path.join(runDir, single ? base : `${stage.name}.${base}`);
  const networkState = () => stateVariables(nets, {});
  const trainableVars: Variable[] = trainable.flatMap((role) => [...nets[role].store.params.values()]);
  const began = Date.now();
  let lastLoss = NaN;
  let best: TrainResult['best'];
  let resumedFrom = 0;
  let budget = options.stopAfter ?? Infinity;
  let complete = true;
  let log = await readLog(logFile);

  // Resume: the first stage whose checkpoint is missing or incomplete is where work restarts.
  const states = await Promise.all(stages.map(async (st) => {
    try {
      return await loadCheckpoint(fileFor(st, CHECKPOINT_NAME));
    } catch (err) {
      if (err instanceof SslBenchError) throw err;
      return undefined;
    }
  }));
  for (const st of states) {
    if (st && st.meta.fingerprint !== fingerprint) {
      throw new SslBenchError('SSLB_CHECKPOINT', `${runDir}: its checkpoint belongs to a different configuration; move it away to start afresh`);
    }
  }
  let first = stages.findIndex((st, i) => !states[i] || states[i]!.meta.iteration < st.iterations);
  if (first < 0) first = stages.length - 1;

  for (const stage of stages) {
    if (stage.index < first) continue;
    const checkpointFile = fileFor(stage, CHECKPOINT_NAME);
    const bestFile = fileFor(stage, BEST_NAME);
    const loaded = states[stage.index];
    let start = 0;
    if (loaded) {
      // Momentum buffers exist only after a first step; create them so the names line up.
      for (const [role, opt] of Object.entries(optimisers)) {
        for (const [k, v] of nets[role].store.params) {
          if (loaded.tensors.has(`${role}/${k}#momentum`) && !opt.velocity.has(k)) opt.velocity.set(k, tf.variable(tf.zerosLike(v), false, `${v.name}#momentum`));
        }
      }
      restoreVariables(checkpointFile, loaded, stateVariables(nets, optimisers));
      start = loaded.meta.iteration;
      if (stage.index === first) resumedFrom = start;
    } else if (stage.index > 0) {
      // Start from the previous stage's best (or last) weights, as the method's pipeline does.
      const prev = stages[stage.index - 1];
      const from = prev.init.from === 'best' || stage.init.from === 'best' ? fileFor(prev, BEST_NAME) : fileFor(prev, CHECKPOINT_NAME);
      const prevState = await loadCheckpoint(from);
      restoreVariables(from, prevState, networkState());
      if (stage.init.copyToEma) updateTeachers(0);
      if (stage.init.keepOptimizer) {
        // Momentum from the same checkpoint as the weights (best.ckpt carries it too).
        for (const [role, opt] of Object.entries(optimisers)) {
          for (const [k, v] of nets[role].store.params) {
            const saved = prevState.tensors.get(`${role}/${k}#momentum`);
            if (!saved) continue;
            const existing = opt.velocity.get(k);
            if (existing) tf.tidy(() => existing.assign(tf.tensor(saved.data, saved.shape)));
            else opt.velocity.set(k, tf.variable(tf.tensor(saved.data, saved.shape), false, `${v.name}#momentum`));
          }
        }
      } else {
        for (const opt of Object.values(optimisers)) opt.dispose();
        optimisers = makeOptimisers();
      }
    }
    log = log.filter((line) => {
      const l = JSON.parse(line) as { iteration: number; stage?: string };
      const idx = single ? 0 : stages.findIndex((st) => st.name === l.stage);
      return idx < stage.index || (idx === stage.index && l.iteration <= start);
    });
    await fs.writeFile(logFile, log.map((l) => l + '\n').join(''));

    best = undefined;
    if (stage.selectOn) {
      try {
        const b = await loadCheckpoint(bestFile);
        if (b.meta.fingerprint === fingerprint && b.meta.iteration <= start) best = { iteration: b.meta.iteration, score: Number(b.meta.score), file: bestFile };
      } catch (err) {
        if (!(err instanceof SslBenchError) && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }

    const sampler = new TwoStreamSampler(split.labeled, method.usesUnlabeled ? split.unlabeled : [], config.labeledBatch, unlabeledBatch, single ? config.seed : config.seed + 7919 * stage.index);
    const end = Math.min(stage.iterations, start + budget);
    for (let k = start; k < end; k++) {
      const lr = learningRate(config.baseLr, stage.lrSchedule, k);
      const tag = single ? `${k}` : `${stage.name}-${k}`;
      const batch = await makeBatch(cache, sampler.batch(k), config, tag, Boolean(method.usesUnlabeledLabels?.(config)));
      const epoch = sampler.epochOf(k);
      const epochs = Math.floor(stage.iterations / sampler.epochLength) + 1;
      const rng = Rng.derive(config.seed, `step-${tag}`);
      let terms: Record<string, number> = {};
      const { value, grads } = tf.variableGrads(() => {
        const out = method.loss({ nets, batch, iteration: k, config, rng, stage: stage.name, epoch, epochs });
        for (const [name, t] of Object.entries(out.terms)) terms[name] = typeof t === 'number' ? t : t.dataSync()[0];
        return out.loss;
      }, trainableVars);
      lastLoss = (await value.data())[0];
      if (!Number.isFinite(lastLoss) && config.skipNonFiniteSteps) {
        // DyCON skips an update whose loss is NaN/Inf (train_DyCON_*.py); logged, never silent.
        tf.dispose([value, grads, batch.images, batch.labels, batch.allLabels]);
        const line = JSON.stringify({ ...(single ? {} : { stage: stage.name }), iteration: k + 1, lr, loss: String(lastLoss), skipped: true });
        await fs.appendFile(logFile, line + '\n');
        log.push(line);
        continue;
      }
      if (config.gradClipNorm > 0) clipByGlobalNorm(grads, config.gradClipNorm);
      if (!Number.isFinite(lastLoss)) {
        throw new SslBenchError('SSLB_DIVERGED', `training diverged at update ${k + 1} of stage ${stage.name}: loss is ${lastLoss}; the last checkpoint is ${checkpointFile}`);
      }
      for (const role of trainable) optimisers[role].step(grads, lr);
      tf.dispose([value, grads, batch.images, batch.labels, batch.allLabels]);
      if (stage.ema) updateTeachers(emaDecay(k, config.emaDecay, config.emaWarmup));
      const done = k + 1;
      if (stage.selectOn && options.selection && done > stage.selectAfter && (done % stage.selectEvery === 0 || done === stage.iterations)) {
        const score = await options.selection.score(nets, stage.selectOn);
        terms.selection_score = score;
        if (!best || score > best.score) {
          best = { iteration: done, score, file: bestFile };
          // With the optimiser state, as the official load_net_opt hands the best model's momentum to the next stage.
          await saveCheckpoint(bestFile, { iteration: done, fingerprint, score }, stateVariables(nets, optimisers));
        }
      }
      const line = JSON.stringify({ ...(single ? {} : { stage: stage.name }), iteration: done, lr, loss: lastLoss, ...terms });
      await fs.appendFile(logFile, line + '\n');
      log.push(line);
      terms = {};
      if (done % config.checkpointEvery === 0 || done === end) {
        await saveCheckpoint(checkpointFile, { iteration: done, fingerprint, method: config.method, stage: stage.name }, stateVariables(nets, optimisers));
      }
      if (options.onProgress) {
        const elapsed = (Date.now() - began) / 1000;
        const rate = (done - start) / Math.max(elapsed, 1e-9);
        options.onProgress({ iteration: done, iterations: stage.iterations, loss: lastLoss, lr, itPerSecond: rate, etaSeconds: (stage.iterations - done) / rate, stage: single ? undefined : stage.name });
      }
    }
    budget -= end - start;
    if (end < stage.iterations) {
      complete = false;
      break;
    }
    // A stage that ends with a selection hands its best weights on (and, for the last, reports them).
    if (stage.selectOn && best) restoreVariables(bestFile, await loadCheckpoint(bestFile), networkState());
  }
  for (const opt of Object.values(optimisers)) opt.dispose();
  const lastStage = stages[stages.length - 1];
  return {
    best: lastStage.selectOn ? best : undefined,
    nets,
    iterations: complete ? lastStage.iterations : -1,
    resumedFrom,
    finalLoss: lastLoss,
    seconds: (Date.now() - began) / 1000,
    logFile,
    checkpointFile: fileFor(lastStage, CHECKPOINT_NAME),
    complete,
  };
}
