/**
 * @file The `run` pipeline: dataset → sampler → method steps → checkpoint → inference → metrics →
 * result record → table. Each stage lives in its own module; this file only wires them in order.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { getDataset, resolveSplit, type DatasetEntry } from '../data/catalog.js';
import { openCaseSource } from '../data/open.js';
import type { CaseSource, Split } from '../data/types.js';
import { resolveMethods } from '../methods/index.js';
import { evaluationPolicy, type Method } from '../methods/method.js';
import { defaultProfileFor, resolveConfig, type ResolvedConfig } from '../train/config.js';
import { resolveDataDir, resolveResultsDir, wantsProgress } from '../env.js';
import { SslBenchError, UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import type { RunFlags } from './run.js';
import { ProgressLine, formatDuration } from './progress.js';
import type { SelectedBackend } from '../nn/backend.js';
import type { Network } from '../nn/network.js';
import type { CaseResult, ResultRecord } from '../results/record.js';

function fingerprintOf(config: ResolvedConfig, split: Split): string {
  const { sources: _sources, ...values } = config;
  return createHash('sha256').update(JSON.stringify({ version: VERSION, values, split })).digest('hex');
}

async function acquireLock(runDir: string): Promise<() => Promise<void>> {
  await fs.mkdir(runDir, { recursive: true });
  const lock = path.join(runDir, 'run.lock');
  try {
    await fs.writeFile(lock, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const pid = Number(await fs.readFile(lock, 'utf8').catch(() => ''));
    let alive = false;
    try {
      if (pid > 0) { process.kill(pid, 0); alive = pid !== process.pid; }
    } catch { alive = false; }
    if (alive) throw new SslBenchError('SSLB_RUN_LOCKED', `${runDir}: another ssl-bench process (pid ${pid}) is running this configuration`);
    await fs.writeFile(lock, String(process.pid));
  }
  return () => fs.rm(lock, { force: true });
}

interface MethodJob {
  method: Method;
  config: ResolvedConfig;
}

export async function runCommand(flags: RunFlags): Promise<void> {
  const entry = getDataset(flags.dataset);
  const methods = resolveMethods(flags.method);
  const split = resolveSplit(entry, flags.protocol);
  const profile = flags.profile ?? defaultProfileFor(entry.kind);
  const jobs: MethodJob[] = methods.map((method) => {
    const config = resolveConfig({ method: method.id, dataset: entry.id, protocol: split.protocol, profile, seed: flags.seed });
    if (flags.iterations !== undefined) {
      config.iterations = flags.iterations;
      config.sources.iterations = 'flag:--iterations';
      for (const stage of config.stages ?? []) stage.iterations = flags.iterations;
    }
    if (flags.strategy !== undefined) {
      if (!('strategy' in config.params)) throw new UsageError(`--strategy applies to ac-mt only, not to ${method.id}`);
      const known = ['entropy', 'mu', 'perr', 'serr'];
      if (!known.includes(flags.strategy)) throw new UsageError(`unknown --strategy '${flags.strategy}'; known: ${known.join(', ')}`);
      config.params.strategy = flags.strategy;
      config.sources.params.strategy = 'flag:--strategy';
    }
    if (flags.feclLabels !== undefined) {
      if (!('fecLabels' in config.params)) throw new UsageError(`--fecl-labels applies to dycon only, not to ${method.id}`);
      if (flags.feclLabels !== 'teacher' && flags.feclLabels !== 'ground-truth') throw new UsageError(`unknown --fecl-labels '${flags.feclLabels}'; known: teacher, ground-truth`);
      config.params.fecLabels = flags.feclLabels;
      config.sources.params.fecLabels = 'flag:--fecl-labels';
    }
    return { method, config };
  });
  if (flags.dryRun) {
    const out = jobs.map((j) => ({ method: j.method.id, split: { labeled: split.labeled.length, unlabeled: split.unlabeled.length, test: split.test.length }, config: j.config }));
    process.stdout.write(JSON.stringify(out.length === 1 ? out[0] : out, null, 2) + '\n');
    return;
  }

  const { selectBackend } = await import('../nn/backend.js');
  const backend = await selectBackend(flags.backend);
  // A V-Net step that cannot fit the wasm heap (4 GiB) fails here with a clear message, not mid-run.
  const { assertTrainStepFits } = await import('../nn/kernels/index.js');
  for (const { config } of jobs) {
    if (config.network === 'vnet' && config.patch.length === 3) {
      assertTrainStepFits({ size: config.patch, batch: config.batchSize, filters: config.filters, batchNorm: 'fused' }, backend.tfBackend);
    }
  }
  const source = await openCaseSource(entry, { dataDir: resolveDataDir(flags.dataDir) });
  const { usable, missing } = await checkCases(source, split, entry, Boolean(flags.allowPartial));
  if (flags.selectBestOn !== undefined && flags.selectBestOn !== 'test' && flags.selectBestOn !== 'val') {
    throw new UsageError(`--select-best-on must be 'test' or 'val', got '${flags.selectBestOn}'`);
  }
  if (flags.selectBestOn === 'val' && !usable.val?.length) throw new UsageError(`--select-best-on val: dataset ${entry.id} has no val split; use 'test'`);
  const resultsDir = resolveResultsDir(flags.resultsDir);
  const records: ResultRecord[] = [];
  for (const job of jobs) {
    records.push(await runOne(job, usable, missing, source, backend, resultsDir, flags));
  }
  if (flags.json) {
    process.stdout.write(JSON.stringify(records.length === 1 ? records[0] : records, null, 2) + '\n');
    return;
  }
  const { renderTerminalTable, rowFromRecord } = await import('../results/table.js');
  const title = `${entry.id} ${split.protocol} (${split.labeled.length} labeled + ${split.unlabeled.length} unlabeled, ${usable.test.length} test cases), profile ${profile}, seed ${flags.seed}, backend ${backend.name}`;
  process.stdout.write(renderTerminalTable(title, records.map(rowFromRecord), 'voxels'));
  for (const r of records) process.stdout.write(`record: ${r.method.id} → ${(r as ResultRecord & { file?: string }).file ?? r.id}\n`);
}

async function checkCases(source: CaseSource, split: Split, entry: DatasetEntry, allowPartial: boolean): Promise<{ usable: Split; missing: string[] }> {
  const datasetId = entry.id;
  const wanted = [...split.labeled, ...split.unlabeled, ...split.test];
  const missing = await source.missing(wanted);
  if (missing.length === 0) return { usable: split, missing };
  if (!allowPartial) {
    const { describeMissing } = await import('../data/file-source.js');
    throw new SslBenchError('SSLB_DATASET_INCOMPLETE', `${describeMissing(entry, missing)}, or pass --allow-partial`);
  }
  const gone = new Set(missing);
  const usable: Split = {
    labeled: split.labeled.filter((id) => !gone.has(id)),
    unlabeled: split.unlabeled.filter((id) => !gone.has(id)),
    test: split.test.filter((id) => !gone.has(id)),
  };
  if (usable.labeled.length === 0 || usable.test.length === 0) {
    throw new UsageError(`dataset ${datasetId}: with --allow-partial there are ${usable.labeled.length} labeled and ${usable.test.length} test cases left; need at least one of each`);
  }
  return { usable, missing };
}

async function runOne(
  job: MethodJob,
  split: Split,
  missing: string[],
  source: CaseSource,
  backend: SelectedBackend,
  resultsDir: string,
  flags: RunFlags,
): Promise<ResultRecord> {
  const { method, config } = job;
  const policy = evaluationPolicy(method, config);
  const started = Date.now();
  const fingerprint = fingerprintOf(config, split);
  const baseDir = path.join(resultsDir, 'runs', config.dataset, config.protocol.replace(/[^A-Za-z0-9+%._-]/g, '_'), method.id);
  const runDir = path.join(baseDir, `${config.profile}-s${config.seed}-${fingerprint.slice(0, 10)}`);
  const release = await acquireLock(runDir);
  const progress = new ProgressLine(wantsProgress(flags.json));
  try {
    const { train } = await import('../train/trainer.js');
    const { predictVolume } = await import('../infer/predict.js');
    const { binaryMetrics, labelMetrics } = await import('../metrics/index.js');
    const evaluationOptions = { patch: config.patch, strides: config.evalStrides, classes: config.classes, windowsPerCall: 4 };
    // Multi-class datasets (ACDC) score each foreground class against the rest and report the mean over
    // classes, as the ACDC papers do; binary ones score the foreground.
    const foregroundClasses = Array.from({ length: config.classes - 1 }, (_, i) => i + 1);
    const scoreCase = (pred: Uint8Array, ref: Uint8Array, shape: number[]): CaseResult & { classes?: Record<string, unknown> } => {
      if (config.classes <= 2) {
        const m = binaryMetrics(pred, ref, shape);
        return { id: '', dice: m.dice, jaccard: m.jaccard, hd95: m.hd95, asd: m.asd, emptyPrediction: m.emptyPrediction, emptyReference: m.emptyReference };
      }
      const m = labelMetrics(pred, ref, shape, foregroundClasses);
      const per = Object.values(m.labels);
      return {
        id: '',
        ...m.mean,
        emptyPrediction: per.some((c) => c.emptyPrediction),
        emptyReference: per.some((c) => c.emptyReference),
        classes: m.labels,
      };
    };
    const selectOn = flags.selectBestOn as 'test' | 'val' | undefined;
    // During-training validation as the papers run it: same window and strides, no LCC, Dice only.
    const score = async (nets: Record<string, Network>, on: 'test' | 'val'): Promise<number> => {
      const selectionCases = on === 'val' ? split.val ?? [] : split.test;
      let sum = 0;
      for (const id of selectionCases) {
        const vol = await source.load(id);
        const { label } = await predictVolume(policy.networks.map((r) => nets[r]), { ...policy, largestComponent: false }, vol.image, vol.shape, evaluationOptions);
        sum += scoreCase(label, vol.label!, vol.shape).dice;
      }
      return sum / selectionCases.length;
    };
    const trained = await train({
      method,
      config,
      split,
      source,
      runDir,
      fingerprint,
      selection: { on: selectOn, score },
      onProgress: (p) =>
        progress.update(
          `${method.id}${p.stage ? ` [${p.stage}]` : ''}: it ${p.iteration}/${p.iterations}  loss ${p.loss.toFixed(4)}  lr ${p.lr.toExponential(2)}  ${p.itPerSecond.toFixed(2)} it/s  ETA ${formatDuration(p.etaSeconds)}`,
        ),
    });
    progress.done();

    const evalStart = Date.now();
    const cases: CaseResult[] = [];
    const nets = policy.networks.map((role) => trained.nets[role]);
    for (const [i, id] of split.test.entries()) {
      const vol = await source.load(id);
      if (!vol.label) throw new SslBenchError('SSLB_CASE', `dataset ${config.dataset}: test case ${id} has no label`);
      const { label } = await predictVolume(nets, policy, vol.image, vol.shape, {
        ...evaluationOptions,
        onWindow: (done, total) => progress.update(`${method.id}: evaluating case ${i + 1}/${split.test.length} (${id}) window ${done}/${total}`),
      });
      // The LA papers call medpy without spacing, so distances are in voxels.
      cases.push({ ...scoreCase(label, vol.label, vol.shape), id });
    }
    progress.done();
    for (const net of Object.values(trained.nets)) net.dispose();

    const { harnessInfo, meanMetrics, newRecordId, writeRecord } = await import('../results/record.js');
    const id = newRecordId(method.id, config.seed);
    const finalRunDir = path.join(baseDir, id);
    const record: ResultRecord = {
      schema: 'ssl-bench/result',
      schemaVersion: 1,
      id,
      createdAt: new Date().toISOString(),
      sslBench: harnessInfo(),
      dataset: { id: config.dataset, protocol: config.protocol, labeled: split.labeled.length, unlabeled: split.unlabeled.length, test: split.test.length, partial: missing.length > 0, missing },
      method: { id: method.id, title: method.title, source: method.source },
      seed: config.seed,
      profile: config.profile,
      config: config as unknown as Record<string, unknown>,
      backend: { name: backend.name, tfBackend: backend.tfBackend, fastKernels: backend.fastKernels },
      evaluation: {
        networks: policy.networks,
        decision: policy.decision,
        largestComponent: policy.largestComponent,
        checkpoint: selectOn ? `best-on-${selectOn}` : 'last',
        paperCheckpoint: policy.checkpoint,
        testSetUsedForSelection: selectOn === 'test' || (config.stages ?? []).slice(0, -1).some((st) => st.selectOn === 'test'),
        selection: selectOn && trained.best
          ? { on: selectOn, every: config.selectEvery, after: config.selectAfter, bestIteration: trained.best.iteration, bestDice: trained.best.score }
          : null,
        strides: config.evalStrides,
        patch: config.patch,
        semantics: 'medpy',
        distanceUnit: 'voxel',
        asdDirection: 'pred-to-ref',
        emptyPolicy: 'empty prediction scores 0 on every metric (UA-MT/DTC/MCF/BCP/CML test code), flagged per case',
        source: policy.source,
      },
      training: {
        iterations: trained.iterations,
        resumedFrom: trained.resumedFrom,
        finalLoss: trained.finalLoss,
        runDir: path.relative(resultsDir, finalRunDir),
        log: path.relative(resultsDir, path.join(finalRunDir, 'train.jsonl')),
        checkpoint: path.relative(resultsDir, path.join(finalRunDir, path.basename(trained.checkpointFile))),
        usedUnlabeledLabels: Boolean(method.usesUnlabeledLabels?.(config)),
        ...(config.stages
          ? { stages: config.stages.map((st, i, all) => ({ name: st.name, iterations: st.iterations, selectedOn: (i === all.length - 1 ? selectOn : st.selectOn) ?? null })) }
          : {}),
      },
      cases,
      mean: meanMetrics(cases),
      flags: { emptyPredictions: cases.filter((c) => c.emptyPrediction).length, emptyReferences: cases.filter((c) => c.emptyReference).length },
      timing: { trainSeconds: trained.seconds, evalSeconds: (Date.now() - evalStart) / 1000, wallSeconds: (Date.now() - started) / 1000 },
    };
    const file = await writeRecord(resultsDir, record);
    // The finished run keeps its log and final weights under the record's id; the next run with the
    // same arguments starts afresh instead of resuming a finished one.
    await release();
    await fs.rename(runDir, finalRunDir);
    Object.defineProperty(record, 'file', { value: path.relative(process.cwd(), file), enumerable: false });
    return record;
  } finally {
    await release().catch(() => undefined);
  }
}
