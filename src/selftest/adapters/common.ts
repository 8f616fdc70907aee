/**
 * @file Adapters for the `common__*` vectors: ramps, consistency-weight staircases, thresholds, learning
 * rates, cross-entropy and the EMA teacher update. Several of these vectors list one entry per official
 * script; an entry is evaluated when the project implements that script's rule, and is reported
 * not-implemented otherwise (bookkeeping the project does not model, such as a weight a script only logs).
 */
import { tf } from '../../nn/tf.js';
import { ParameterStore } from '../../nn/module.js';
import { Rng } from '../../util/rng.js';
import { consistencyWeight, cosineRampdown, emaDecay, learningRate, linearRampup, sigmoidRampup, type LrSchedule } from '../../train/schedules.js';
import { emaUpdate, emaUpdateState } from '../../train/ema.js';
import { crossEntropy } from '../../methods/losses.js';
import { crossEntropyMasked } from '../../methods/copy-paste.js';
import { entThreshold, muThreshold } from '../../methods/ac-mt.js';
import { uamtThreshold } from '../../methods/ua-mt.js';
import { mt2dConsistencyActive, SSL4MIS_2D, uamt2dThreshold } from '../../methods/ssl4mis-2d.js';
import { acdcRecipe, laRecipe, notImplementedReason, part, type Adapter } from '../adapter.js';
import type { Checker } from '../compare.js';
import { inputChannelsLast, readScalar, toTensor } from '../tensors.js';
import { inputNumber, inputNumbers, inputPairs, inputTensor, vectorError, type VectorInput } from '../vector.js';

/** `values[i] = f(points[i])` for the ramp vectors (float64, 1e-12). */
function rampAdapter(f: (current: number, length: number) => number): Adapter {
  return (v, check) => {
    const points = inputPairs(v, 'points');
    const values: number[] = [];
    for (const [t, L] of points) values.push(f(t, L));
    check.numbers(['values'], values, 'f64');
  };
}

export const sigmoidRampupAdapter = rampAdapter(sigmoidRampup);
export const cosineRampdownAdapter = rampAdapter(cosineRampdown);
export const linearRampupAdapter = rampAdapter(linearRampup);

// ---- consistency-weight staircase ----

interface WeightSource {
  consistencyWeight: number;
  consistencyRampup: number;
  /** Where the values come from, for the notes. */
  from: string;
}

const SSL4MIS_2D_WEIGHT = (): WeightSource => ({
  consistencyWeight: SSL4MIS_2D.consistencyWeight.value,
  consistencyRampup: SSL4MIS_2D.consistencyRampup.value,
  from: 'src/methods/ssl4mis-2d.ts SSL4MIS_2D',
});

function recipeWeight(method: string): () => WeightSource {
  return () => {
    const r = laRecipe(method);
    return { consistencyWeight: r.consistencyWeight, consistencyRampup: r.consistencyRampup, from: `recipe ${method}/LA` };
  };
}

/**
 * Script entries whose rule is the shared staircase. `weight` gives the project's values (compared with
 * the script's); `vectorParams` marks a script whose formula the project implements but whose defaults
 * it has no recipe for, so the script's values are taken from the vector; `reason` marks an entry the
 * project has no counterpart for.
 */
const WEIGHT_SCRIPTS: ReadonlyArray<{ pattern: RegExp; weight?: () => WeightSource; vectorParams?: string; reason?: string; note?: string }> = [
  { pattern: /^UA-MT \(LA\)$/, weight: recipeWeight('ua-mt') },
  { pattern: /^DTC \(LA\)$/, weight: recipeWeight('dtc') },
  { pattern: /^UPC \(LA\)$/, weight: recipeWeight('upc') },
  { pattern: /^MCF \(LA\)$/, weight: recipeWeight('mcf') },
  { pattern: /^AC-MT (Ent|MU|PErr|SErr) \(LA\)$/, weight: recipeWeight('ac-mt') },
  {
    pattern: /^DyCON (BraTS19|Pancreas)$/,
    weight: recipeWeight('dycon'),
    note: "DyCON BraTS19/Pancreas: checked against the project's DyCON recipe, which is those scripts' recipe reused on LA (DyCON ships no LA script)",
  },
  { pattern: /^SSL4MIS (MT|UA-MT) 2D \(ACDC\)$/, weight: SSL4MIS_2D_WEIGHT },
  {
    pattern: /^SSL4MIS MT 3D$/,
    vectorParams: "the project's MT computes train_mean_teacher_3D.py's consistency lines (src/methods/mt.ts) but has no recipe with that script's BraTS defaults",
  },
  {
    pattern: /^BCP LA\b/,
    reason: "BCP-LA computes and logs this weight but never adds it to the loss; the project's BCP does not compute it (recipe consistency weight 0)",
  },
  {
    pattern: /^BCP ACDC\b/,
    reason: "BCP-ACDC computes and logs this weight (5·consistency·ramp) but never adds it to the loss; the project's BCP does not compute it (recipe consistency weight 0)",
  },
];

export const consistencyWeightStaircaseAdapter: Adapter = (v, check) => {
  const iterations = inputNumbers(v, 'iterations');
  for (const key of check.keys()) {
    const query = key.indexOf('__');
    if (query >= 0) {
      const script = key.slice(0, query);
      if (/^SSL4MIS MT 2D \(ACDC\)$/.test(script) && key.slice(query) === '__loss_active') {
        part(check, [key], () => check.exact([key], iterations.map((k) => mt2dConsistencyActive(k))));
      } else {
        check.notImplemented([key], `query '${key.slice(query + 2)}' of ${script}: ${notImplementedReason(script)}`);
      }
      continue;
    }
    const entry = WEIGHT_SCRIPTS.find((s) => s.pattern.test(key));
    if (!entry || entry.reason) {
      check.notImplemented([key], entry?.reason ?? notImplementedReason(key));
      continue;
    }
    if (entry.note) check.note(entry.note);
    part(check, [key], () => {
      let w: number;
      let L: number;
      if (entry.weight) {
        const src = entry.weight();
        w = src.consistencyWeight;
        L = src.consistencyRampup;
        check.number([key, 'consistency'], w, 'f64');
        check.number([key, 'consistency_rampup'], L, 'f64');
      } else {
        w = Number(check.takeAsInput([key, 'consistency'], entry.vectorParams!));
        L = Number(check.takeAsInput([key, 'consistency_rampup'], entry.vectorParams!));
      }
      check.numbers([key, 'weights'], iterations.map((k) => consistencyWeight(k, w, L)), 'f64');
    });
  }
};

// ---- thresholds ----

const THRESHOLD_SCRIPTS: ReadonlyArray<{ pattern: RegExp; threshold: () => (k: number) => number }> = [
  {
    pattern: /^UA-MT LA\b/,
    threshold: () => {
      const r = laRecipe('ua-mt');
      return (k) => uamtThreshold(k, r.iterations, Number(r.params.thresholdStart), Number(r.params.thresholdEnd));
    },
  },
  { pattern: /^SSL4MIS UA-MT 2D\b/, threshold: () => uamt2dThreshold },
  {
    pattern: /^AC-MT Ent\b/,
    threshold: () => {
      const r = laRecipe('ac-mt');
      return (k) => entThreshold(k, r.iterations, Number(r.params.entThresholdStart), Number(r.params.entThresholdEnd));
    },
  },
  {
    pattern: /^AC-MT MU\b/,
    threshold: () => {
      const r = laRecipe('ac-mt');
      return (k) => muThreshold(k, r.iterations, Number(r.params.muThresholdStart), Number(r.params.muThresholdRise));
    },
  },
];

export const thresholdsAdapter: Adapter = (v, check) => {
  const iterations = inputNumbers(v, 'iterations');
  for (const key of check.keys()) {
    const float32 = key.endsWith('__float32');
    const script = float32 ? key.slice(0, -'__float32'.length) : key;
    const entry = THRESHOLD_SCRIPTS.find((s) => s.pattern.test(script));
    if (!entry || (key.includes('__') && !float32)) {
      check.notImplemented([key], notImplementedReason(script));
      continue;
    }
    part(check, [key], () => {
      const h = entry.threshold();
      // The script compares a float32 tensor with the Python float, which PyTorch rounds to float32.
      check.numbers([key], iterations.map((k) => (float32 ? Math.fround(h(k)) : h(k))), 'f64');
    });
  }
};

// ---- learning rates ----

interface LrSource {
  schedule: LrSchedule;
  /** Updates the official script performs. */
  updates: number;
}

const SSL4MIS_2D_LR = (): LrSource => ({ schedule: SSL4MIS_2D.lrSchedule.value, updates: SSL4MIS_2D.iterations.value });

function recipeLr(method: string, officialExtraUpdates = 0): () => LrSource {
  return () => {
    const r = laRecipe(method);
    return { schedule: r.lrSchedule, updates: r.iterations + officialExtraUpdates };
  };
}

/** One stage of a multi-stage recipe (BCP, CML: pre-train → train), on LA unless `dataset` says ACDC. */
function stageOf(method: string, stage: string, dataset: 'LA' | 'ACDC' = 'LA') {
  const st = (dataset === 'ACDC' ? acdcRecipe(method) : laRecipe(method)).stages?.find((x) => x.name === stage);
  if (!st) throw new Error(`the ${method}/${dataset} recipe has no '${stage}' stage`);
  return st;
}

function stageLr(method: string, stage: string, dataset: 'LA' | 'ACDC' = 'LA'): () => LrSource {
  return () => {
    const st = stageOf(method, stage, dataset);
    return { schedule: st.lrSchedule, updates: st.iterations };
  };
}

const LR_SCRIPTS: ReadonlyArray<{ pattern: RegExp; lr: () => LrSource; note?: string }> = [
  { pattern: /^UA-MT LA$/, lr: recipeLr('ua-mt') },
  { pattern: /^MCF LA\b/, lr: recipeLr('mcf') },
  { pattern: /^AC-MT LA\b/, lr: recipeLr('ac-mt') },
  { pattern: /^BCP LA self-training$/, lr: stageLr('bcp', 'selftrain') },
  { pattern: /^CML LA training$/, lr: stageLr('cml', 'train') },
  {
    pattern: /^Supervised V-Net \(UAMT train_LA\.py\)$/,
    // train_LA.py stops on `iter_num > max_iterations`: one update after the iter_6000.pth that
    // test_LA.py evaluates. The recipe stops at the evaluated checkpoint (METHODS §4.1); the official
    // run length is that plus the extra update, so the schedule is checked over the official run.
    lr: recipeLr('supervised', 1),
    note: "Supervised V-Net: the official run is the recipe's iterations + 1 (train_LA.py breaks on iter_num > max_iterations, after the evaluated iter_6000 checkpoint); the recipe stops at the evaluated checkpoint",
  },
  { pattern: /^DTC LA$/, lr: recipeLr('dtc') },
  { pattern: /^UPC LA$/, lr: recipeLr('upc') },
  { pattern: /^SSL4MIS (MT|UA-MT|supervised) 2D$/, lr: SSL4MIS_2D_LR },
];

/** The scripts of the `constant` row: their lr over every queried update of their run (each stage on its own). */
const CONSTANT_LR: ReadonlyArray<{ label: string; lr: () => LrSource & { base: number } }> = [
  { label: 'BCP pre-training', lr: () => ({ ...stageLr('bcp', 'pretrain')(), base: laRecipe('bcp').baseLr }) },
  { label: 'CML pre-training', lr: () => ({ ...stageLr('cml', 'pretrain')(), base: laRecipe('cml').baseLr }) },
  { label: 'BCP ACDC pre-training', lr: () => ({ ...stageLr('bcp', 'pretrain', 'ACDC')(), base: acdcRecipe('bcp').baseLr }) },
  { label: 'BCP ACDC self-training', lr: () => ({ ...stageLr('bcp', 'selftrain', 'ACDC')(), base: acdcRecipe('bcp').baseLr }) },
  { label: 'CML ACDC pre-training', lr: () => ({ ...stageLr('cml', 'pretrain', 'ACDC')(), base: acdcRecipe('cml').baseLr }) },
  { label: 'CML ACDC training', lr: () => ({ ...stageLr('cml', 'train', 'ACDC')(), base: acdcRecipe('cml').baseLr }) },
  { label: 'DyCON', lr: () => ({ ...recipeLr('dycon')(), base: laRecipe('dycon').baseLr }) },
];

function constantLr(check: Checker, key: string, queries: number[]): void {
  check.note(`${JSON.stringify(key)}: evaluated for ${CONSTANT_LR.map((c) => c.label).join(', ')} (the recipes' own base lr)`);
  for (const c of CONSTANT_LR) {
    part(check, [key, 'lr'], () => {
      const { schedule, updates, base } = c.lr();
      for (const u of queries) if (u < updates) check.number([key, 'lr'], learningRate(base, schedule, u), 'f64');
    });
  }
}

export const lrSchedulesAdapter: Adapter = (v, check) => {
  const base = inputNumber(v, 'base_lr', 'params');
  const queries = inputNumbers(v, 'query_updates');
  for (const key of check.keys()) {
    if (/^constant\b/.test(key)) {
      constantLr(check, key, queries);
      continue;
    }
    const entry = LR_SCRIPTS.find((s) => s.pattern.test(key));
    if (!entry) {
      check.notImplemented([key], notImplementedReason(key));
      continue;
    }
    part(check, [key], () => {
      const { schedule, updates } = entry.lr();
      if (entry.note) check.note(entry.note);
      check.exact([key, 'n_updates'], updates);
      check.numbers([key, 'lr_used'], queries.map((u) => (u < updates ? learningRate(base, schedule, u) : null)), 'f64');
      if (check.has([key, 'first_update_with_new_lr'])) {
        const changes: [number, number][] = [];
        for (let u = 0; u < updates; u++) {
          const lr = learningRate(base, schedule, u);
          if (u === 0 || lr !== changes[changes.length - 1][1]) changes.push([u, lr]);
        }
        const n = check.length([key, 'first_update_with_new_lr']);
        if (n !== changes.length) {
          check.exact([key, 'first_update_with_new_lr'], changes);
          return;
        }
        changes.forEach(([u, lr], i) => {
          check.exact([key, 'first_update_with_new_lr', i, 0], u);
          check.number([key, 'first_update_with_new_lr', i, 1], lr, 'f64');
        });
      }
    });
  }
};

// ---- cross-entropy ----

export const crossEntropyAdapter: Adapter = (v, check) => {
  const pairs: [string, string, string][] = [
    ['ce3d', 'logits3d', 'label3d'],
    ['ce2d_4class', 'logits2d', 'label2d'],
  ];
  for (const [out, logits, labels] of pairs) {
    part(check, [out], () =>
      tf.tidy(() => check.number([out], readScalar(crossEntropy(inputChannelsLast(inputTensor(v, logits)), toTensor(inputTensor(v, labels)))))),
    );
  }
  check.notImplemented(['bce_with_logits_dtc'], "DTC's BCE-with-logits is only logged by the official script, never added to its loss; the project does not compute it");
  // BCP/CML mix_loss's region terms: Σ m·CE / (Σm + 1e-16) over the region and its complement.
  part(check, ['ce3d_region_masked'], () =>
    tf.tidy(() => {
      const logits = inputChannelsLast(inputTensor(v, 'logits3d'));
      const labels = toTensor(inputTensor(v, 'label3d'));
      const region = tf.cast(toTensor(inputTensor(v, 'region')), 'float32');
      check.number(['ce3d_region_masked'], readScalar(crossEntropyMasked(logits, labels, region)));
      check.number(['ce3d_region_complement'], readScalar(crossEntropyMasked(logits, labels, tf.sub(1, region))));
    }),
  );
};

// ---- EMA teacher ----

/** The 11-value module of the EMA vectors, in nn.Module.parameters() order (vector `layout`). */
const EMA_PARAMS: ReadonlyArray<[string, number[]]> = [
  ['w', [3]],
  ['m', [2, 2]],
  ['bn.weight', [2]],
  ['bn.bias', [2]],
];
const EMA_BUFFERS: ReadonlyArray<[string, number[]]> = [
  ['bn.running_mean', [2]],
  ['bn.running_var', [2]],
  ['bn.num_batches_tracked', [1]],
];

/** Overwrites the student's parameters with one step's flat values (the vectors give the student per step). */
function assignStudentParams(student: ParameterStore, flat: ArrayLike<number>): void {
  let offset = 0;
  for (const [key, shape] of EMA_PARAMS) {
    const n = shape.reduce((a, b) => a * b, 1);
    student.params.get(key)!.assign(tf.tensor(Float32Array.from(Array.prototype.slice.call(flat, offset, offset + n) as number[]), shape));
    offset += n;
  }
}

function fillStore(store: ParameterStore, flat: ArrayLike<number>, from: 'params' | 'buffers'): void {
  let offset = 0;
  for (const [key, shape] of from === 'params' ? EMA_PARAMS : EMA_BUFFERS) {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from(Array.prototype.slice.call(flat, offset, offset + n) as number[]);
    offset += n;
    if (from === 'params') store.param(key, shape, values);
    else store.buffer(key, shape, 0).assign(tf.tensor(values, shape));
  }
}

function flatten(map: Map<string, tf.Variable>, layout: ReadonlyArray<[string, number[]]>): number[] {
  return layout.flatMap(([key]) => Array.from(map.get(key)!.dataSync()));
}

/**
 * The trainer's teacher update, step by step: emaUpdate(teacher params, student params, emaDecay(k, α,
 * warm-up)) on a ParameterStore holding the vector's module, buffers included (they must not move).
 */
function emaAdapter(method: string, withAlphaEff = true): Adapter {
  return (v: VectorInput, check: Checker) => {
    const alpha = inputNumber(v, 'alpha', 'params');
    const { emaWarmup } = laRecipe(method);
    const teacherInit = inputTensor(v, 'teacher_init');
    const students = inputTensor(v, 'student_per_step');
    const steps = inputNumbers(v, 'global_steps');
    const teacherBuffers = inputNumbers(v, 'teacher_buffers_init');
    const studentBuffers = inputNumbers(v, 'student_buffers');
    const size = EMA_PARAMS.reduce((s, [, shape]) => s + shape.reduce((a, b) => a * b, 1), 0);
    if (teacherInit.data.length !== size) throw vectorError(v, 'inputs.teacher_init', `expected the ${size} parameters of the layout, got ${teacherInit.data.length}`);
    if (students.shape.length !== 2 || students.shape[1] !== size || students.shape[0] !== steps.length) {
      throw vectorError(v, 'inputs.student_per_step', `expected shape [${steps.length}, ${size}], got ${JSON.stringify(students.shape)}`);
    }
    const teacher = new ParameterStore('selftest-teacher', new Rng(0));
    const student = new ParameterStore('selftest-student', new Rng(0));
    try {
      fillStore(teacher, teacherInit.data, 'params');
      fillStore(teacher, teacherBuffers, 'buffers');
      fillStore(student, students.data.slice(0, size), 'params');
      fillStore(student, studentBuffers, 'buffers');
      const alphas: number[] = [];
      const after: number[] = [];
      steps.forEach((k, j) => {
        assignStudentParams(student, students.data.slice(j * size, (j + 1) * size));
        const a = emaDecay(k, alpha, emaWarmup);
        alphas.push(a);
        emaUpdate(teacher.params, student.params, a);
        after.push(...flatten(teacher.params, EMA_PARAMS));
      });
      // BCP's fixed-α vector lists no effective α (nothing warms up).
      if (withAlphaEff) check.numbers(['alpha_eff'], alphas, 'f64');
      check.tensor(['teacher_after_step'], { shape: [steps.length, size], data: after });
      check.tensor(['teacher_buffers_after', 'running_mean'], { shape: [2], data: teacher.buffers.get('bn.running_mean')!.dataSync() });
      check.tensor(['teacher_buffers_after', 'running_var'], { shape: [2], data: teacher.buffers.get('bn.running_var')!.dataSync() });
      check.exact(['teacher_buffers_after', 'num_batches_tracked'], teacher.buffers.get('bn.num_batches_tracked')!.dataSync()[0]);
    } finally {
      teacher.dispose();
      student.dispose();
    }
  };
}

export const emaWarmupUamtAdapter = emaAdapter('ua-mt');
export const emaWarmupUpcAdapter = emaAdapter('upc');
/** BCP-LA self-training: fixed α (the recipe has no warm-up), parameters only. */
export const emaFixedBcpAdapter = emaAdapter('bcp', false);

/**
 * BCP-ACDC's update_model_ema through the trainer's full-state rule (emaUpdateState): the vector's module,
 * its BN buffers and an int32 num_batches_tracked, with the ACDC recipe's α (fixed, no warm-up). The
 * student's counter per step (the harness advances it) is an input; the teacher's must stay truncated.
 */
export const emaStateDictBcpAcdcAdapter: Adapter = (v: VectorInput, check: Checker) => {
  const recipe = acdcRecipe('bcp');
  if (recipe.emaState !== 'full-state') throw new Error(`the bcp/ACDC recipe's EMA is '${recipe.emaState ?? 'params'}', not full-state`);
  const alpha = inputNumber(v, 'alpha', 'params');
  const steps = inputNumbers(v, 'global_steps');
  const teacherInit = inputTensor(v, 'teacher_init');
  const students = inputTensor(v, 'student_per_step');
  const teacherBuffers = inputNumbers(v, 'teacher_buffers_init');
  const studentBuffers = inputNumbers(v, 'student_buffers');
  const size = EMA_PARAMS.reduce((s, [, shape]) => s + shape.reduce((a, b) => a * b, 1), 0);
  if (students.shape.length !== 2 || students.shape[1] !== size || students.shape[0] !== steps.length) {
    throw vectorError(v, 'inputs.student_per_step', `expected shape [${steps.length}, ${size}], got ${JSON.stringify(students.shape)}`);
  }
  const teacher = new ParameterStore('selftest-teacher', new Rng(0));
  const student = new ParameterStore('selftest-student', new Rng(0));
  const counter = 'bn.num_batches_tracked';
  const fill = (store: ParameterStore, buffers: number[]) => {
    store.buffer('bn.running_mean', [2], 0).assign(tf.tensor(buffers.slice(0, 2), [2]));
    store.buffer('bn.running_var', [2], 0).assign(tf.tensor(buffers.slice(2, 4), [2]));
    store.buffer(counter, [], buffers[4], 'int32');
  };
  try {
    fillStore(teacher, teacherInit.data, 'params');
    fillStore(student, students.data.slice(0, size), 'params');
    fill(teacher, teacherBuffers);
    fill(student, studentBuffers);
    const after: number[] = [];
    steps.forEach((k, j) => {
      assignStudentParams(student, students.data.slice(j * size, (j + 1) * size));
      const count = Number(check.takeAsInput(['student_num_batches_tracked', j], "the student's BN counter at each step (the harness's student advances it)"));
      student.buffers.get(counter)!.assign(tf.scalar(count, 'int32'));
      const a = emaDecay(k, recipe.emaDecay, recipe.emaWarmup);
      if (a !== alpha) throw vectorError(v, 'params.alpha', `the recipe's EMA α at step ${k} is ${a}, the vector's ${alpha}`);
      emaUpdateState(teacher, student, a);
      after.push(...flatten(teacher.params, EMA_PARAMS));
      const at = ['teacher_buffers_after_step', j];
      check.tensor([...at, 'running_mean'], { shape: [2], data: teacher.buffers.get('bn.running_mean')!.dataSync() });
      check.tensor([...at, 'running_var'], { shape: [2], data: teacher.buffers.get('bn.running_var')!.dataSync() });
      check.exact([...at, 'num_batches_tracked'], teacher.buffers.get(counter)!.dataSync()[0]);
    });
    check.tensor(['teacher_after_step'], { shape: [steps.length, size], data: after });
  } finally {
    teacher.dispose();
    student.dispose();
  }
};
