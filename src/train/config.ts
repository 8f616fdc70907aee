/**
 * @file Configuration as data: the papers' hyper-parameters per method × dataset (× protocol where it
 * matters), each value with the file it comes from, and the profiles that scale them. `paper` is the
 * table verbatim (METHODS §5); `cpu` and `smoke` shrink a run to what a CPU can do, and every value they
 * change is marked with the profile as its source.
 */
import { UsageError, unknownChoice } from '../errors.js';
import type { LrSchedule } from './schedules.js';

export interface Recipe {
  iterations: number;
  batchSize: number;
  /** Labeled samples per batch (= batchSize for supervised baselines). */
  labeledBatch: number;
  baseLr: number;
  lrSchedule: LrSchedule;
  momentum: number;
  weightDecay: number;
  /** Training patch [x, y, z]; multiples of 16 for the V-Net. */
  patch: [number, number, number];
  filters: number;
  /** Dropout3d rate of the V-Net at x5 and x9 during training. */
  dropout: number;
  augmentation: 'rotflip-crop' | 'crop' | 'crop-rotflip';
  /** Sliding-window test strides [xy, z] (METHODS §1.8). */
  evalStrides: [number, number];
  /** Write a checkpoint every N updates (and at the end). */
  checkpointEvery: number;
  /** With checkpoint selection (`--select-best-on`): score every N updates, after update M. */
  selectEvery: number;
  selectAfter: number;
  /** EMA teacher decay α and whether it warms up as min(1 − 1/(k+1), α) (METHODS §1.6); 0 = no teacher. */
  emaDecay: number;
  emaWarmup: boolean;
  /** Unsupervised weight w_max and its ramp length in 150-iteration steps (METHODS §1.5). */
  consistencyWeight: number;
  consistencyRampup: number;
  /** Method-specific values (thresholds, noise, loss weights), each with its own source. */
  params: Record<string, number | string | boolean>;
  /** Multi-stage methods (BCP, CML: pre-train → train); absent for single-stage ones. */
  stages?: StageRecipe[];
}

export interface StageRecipe {
  name: string;
  iterations: number;
  lrSchedule: LrSchedule;
  /** EMA teacher updates during this stage. */
  ema: boolean;
  /** Best-model selection the method's own pipeline performs at the end of this stage. */
  selectOn?: 'test' | 'val';
  selectEvery: number;
  selectAfter: number;
  /** How this stage starts from the previous one. */
  init: { from: 'best' | 'last'; copyToEma: boolean; keepOptimizer: boolean };
}

export type RecipeKey = keyof Recipe;
type Sourced<T> = { [K in keyof T]: { value: T[K]; source: string } };

export const PROFILES = ['paper', 'cpu', 'smoke'] as const;
export type Profile = (typeof PROFILES)[number];

export interface ResolvedConfig extends Recipe {
  method: string;
  dataset: string;
  protocol: string;
  profile: Profile;
  seed: number;
  /** Where each value comes from: a repo file for paper values, `profile:<name>` for scaled ones. */
  sources: Record<RecipeKey, string> & { params: Record<string, string> };
}

/** A recipe table entry: every value with the file it comes from; params sourced one by one. */
type SourcedRecipe = Sourced<Omit<Recipe, 'params'>> & { params: Record<string, { value: number | string | boolean; source: string }> };

const LA_SUPERVISED: SourcedRecipe = {
  iterations: { value: 6000, source: 'UAMT:code/train_LA.py (max_iterations 6000; iter_6000.pth is tested)' },
  batchSize: { value: 4, source: 'UAMT:code/train_LA.py (batch_size 4)' },
  labeledBatch: { value: 4, source: 'UAMT:code/train_LA.py L71-87 (labeled cases only)' },
  baseLr: { value: 0.01, source: 'UAMT:code/train_LA.py (base_lr 0.01)' },
  lrSchedule: { value: { kind: 'step', step: 2500, gamma: 0.1 }, source: 'UAMT:code/train_LA.py L138-141' },
  momentum: { value: 0.9, source: 'UAMT:code/train_LA.py (SGD momentum 0.9)' },
  weightDecay: { value: 1e-4, source: 'UAMT:code/train_LA.py (SGD weight_decay 1e-4)' },
  patch: { value: [112, 112, 80], source: 'UAMT:code/train_LA.py (patch_size 112,112,80)' },
  filters: { value: 16, source: 'UAMT:code/train_LA.py (VNet n_filters 16)' },
  dropout: { value: 0.5, source: 'UAMT:code/networks/vnet.py (Dropout3d p=0.5, has_dropout=True)' },
  augmentation: { value: 'rotflip-crop', source: 'UAMT:code/dataloaders/la_heart.py L69-121' },
  evalStrides: { value: [18, 4], source: 'UAMT:code/test_LA.py (stride_xy 18, stride_z 4)' },
  checkpointEvery: { value: 1000, source: 'UAMT:code/train_LA.py (saves every 1000 iterations)' },
  selectEvery: { value: 200, source: 'BCP:code/LA_BCP_train.py L278-292 (best test Dice every 200 its; used only with --select-best-on)' },
  selectAfter: { value: 0, source: 'BCP:code/LA_BCP_train.py L278-292' },
  emaDecay: { value: 0, source: 'UAMT:code/train_LA.py (no teacher)' },
  emaWarmup: { value: false, source: 'UAMT:code/train_LA.py (no teacher)' },
  consistencyWeight: { value: 0, source: 'UAMT:code/train_LA.py (no unlabeled loss)' },
  consistencyRampup: { value: 0, source: 'UAMT:code/train_LA.py (no unlabeled loss)' },
  params: {},
};

const UAMT_SCRIPT = 'UAMT:code/train_LA_meanteacher_certainty_unlabel.py';

/**
 * A recipe of another script that keeps the base's values: every inherited value is re-attributed to
 * that script (the value is the same in its defaults, per METHODS §5.1), and `own` adds or replaces values.
 */
function fromScript(base: SourcedRecipe, script: string, own: Partial<SourcedRecipe>): SourcedRecipe {
  const inherited = Object.fromEntries(
    Object.entries(base).filter(([k]) => k !== 'params').map(([k, v]) => [k, { value: (v as { value: unknown }).value, source: `${script} (METHODS §5.1)` }]),
  ) as unknown as SourcedRecipe;
  return { ...inherited, params: {}, ...own };
}

/** UA-MT's LA recipe: the base of MT, and of UPC/DTC where they keep its values (METHODS §5.1). */
const LA_UAMT: SourcedRecipe = fromScript(LA_SUPERVISED, UAMT_SCRIPT, {
  iterations: { value: 6000, source: `${UAMT_SCRIPT} (max_iterations 6000)` },
  batchSize: { value: 4, source: `${UAMT_SCRIPT} (batch_size 4)` },
  labeledBatch: { value: 2, source: `${UAMT_SCRIPT} (labeled_bs 2)` },
  baseLr: { value: 0.01, source: `${UAMT_SCRIPT} (base_lr 0.01)` },
  lrSchedule: { value: { kind: 'step', step: 2500, gamma: 0.1 }, source: `${UAMT_SCRIPT} L239-242` },
  emaDecay: { value: 0.99, source: `${UAMT_SCRIPT} (ema_decay 0.99), L68-72` },
  emaWarmup: { value: true, source: `${UAMT_SCRIPT} L68-72 (alpha = min(1 - 1/(k+1), 0.99))` },
  consistencyWeight: { value: 0.1, source: `${UAMT_SCRIPT} (consistency 0.1)` },
  consistencyRampup: { value: 40, source: `${UAMT_SCRIPT} (consistency_rampup 40.0), L64-66` },
  params: {
    teacherNoiseStd: { value: 0.1, source: `${UAMT_SCRIPT} L146-147 (clamp(randn*0.1, -0.2, 0.2))` },
    teacherNoiseClip: { value: 0.2, source: `${UAMT_SCRIPT} L146-147` },
  },
});

const LA_MT: SourcedRecipe = { ...LA_UAMT, params: { ...LA_UAMT.params } };

const LA_UAMT_FULL: SourcedRecipe = {
  ...LA_UAMT,
  params: {
    ...LA_UAMT.params,
    mcSamples: { value: 8, source: `${UAMT_SCRIPT} L151-162 (T = 8)` },
    thresholdStart: { value: 0.75, source: `${UAMT_SCRIPT} L173 ((0.75 + 0.25*ramp)*ln2)` },
    thresholdEnd: { value: 1.0, source: `${UAMT_SCRIPT} L173` },
  },
};

const DTC_SCRIPT = 'DTC:code/train_la_dtc.py';
const LA_DTC: SourcedRecipe = fromScript(LA_UAMT, DTC_SCRIPT, {
  iterations: { value: 6000, source: `${DTC_SCRIPT} (max_iterations 6000)` },
  labeledBatch: { value: 2, source: `${DTC_SCRIPT} (labeled_bs 2)` },
  lrSchedule: { value: { kind: 'step', step: 2500, gamma: 0.1 }, source: `${DTC_SCRIPT} L251-254` },
  emaDecay: { value: 0, source: `${DTC_SCRIPT} (no teacher; ema_decay unused)` },
  emaWarmup: { value: false, source: `${DTC_SCRIPT} (no teacher)` },
  consistencyWeight: { value: 1.0, source: `${DTC_SCRIPT} (consistency 1.0)` },
  consistencyRampup: { value: 40, source: `${DTC_SCRIPT} (consistency_rampup 40.0), L92-94` },
  params: {
    beta: { value: 0.3, source: `${DTC_SCRIPT} (--beta 0.3), L186-191` },
    transformK: { value: 1500, source: `${DTC_SCRIPT} L185 (sigmoid(-1500*phi))` },
  },
});

const UPC_SCRIPT = 'UPC:code/train_LA_UPC.py';
const LA_UPC: SourcedRecipe = fromScript(LA_UAMT, UPC_SCRIPT, {
  dropout: { value: 0.9, source: `${UPC_SCRIPT} L45, L136-150 (Dropout3d p = 0.9)` },
  lrSchedule: { value: { kind: 'step', step: 2500, gamma: 0.1 }, source: `${UPC_SCRIPT} L265-268` },
  emaDecay: { value: 0.9999, source: `${UPC_SCRIPT} L28-49 (ema_decay 0.9999), L77-81` },
  emaWarmup: { value: true, source: `${UPC_SCRIPT} L77-81` },
  consistencyWeight: { value: 1.0, source: `${UPC_SCRIPT} (consistency 1.0)` },
  consistencyRampup: { value: 40, source: `${UPC_SCRIPT} (consistency_rampup 40), L73-75` },
  params: {
    studentNoiseStd: { value: 0.2, source: `${UPC_SCRIPT} L191-198 (noise ratio 0.2)` },
    studentNoiseClip: { value: 0.4, source: `${UPC_SCRIPT} L191-198 (clamp ±2·ratio)` },
    confidenceThreshold: { value: 0.9, source: `${UPC_SCRIPT} L98-120 (threshold 0.90)` },
    temperature: { value: 1, source: `${UPC_SCRIPT} (T = 1)` },
    pseudoRect: { value: false, source: `${UPC_SCRIPT} (--pseudo_rect off by default)` },
  },
});

const SYNTHETIC_NOTE = 'ssl-bench: LA recipe scaled to the 64×64×48 synthetic volumes';

/** Per dataset: the method recipes it has (METHODS §5.1; synthetic mirrors LA on smaller volumes). */
const MCF_SCRIPT = 'MCF:code/train_MCF.py';
const LA_MCF: SourcedRecipe = fromScript(LA_UAMT, MCF_SCRIPT, {
  lrSchedule: { value: { kind: 'step-cumulative', step: 2500, gamma: 0.1 }, source: `${MCF_SCRIPT} L255-260 (lr *= 0.1 after 0-based updates 2500, 5000)` },
  augmentation: { value: 'crop', source: `${MCF_SCRIPT} L116-124 (RandomCrop only, no rotation/flip)` },
  emaDecay: { value: 0, source: `${MCF_SCRIPT} (no teacher; ema_decay unused)` },
  emaWarmup: { value: false, source: `${MCF_SCRIPT} (no teacher)` },
  consistencyWeight: { value: 0.1, source: `${MCF_SCRIPT} (consistency 0.1), L62-64` },
  consistencyRampup: { value: 40, source: `${MCF_SCRIPT} (consistency_rampup 40)` },
  params: {
    sharpenTemperature: { value: 0.1, source: `${MCF_SCRIPT} L59 (T = 0.1)` },
    cdrWeight: { value: 0.5, source: `${MCF_SCRIPT} L155-225 (0.5 × CDR term)` },
  },
});

const LA_RECIPES: Record<string, SourcedRecipe> = { supervised: LA_SUPERVISED, mt: LA_MT, 'ua-mt': LA_UAMT_FULL, dtc: LA_DTC, upc: LA_UPC, mcf: LA_MCF };

/** Synthetic volumes are 64×64×48, so the LA patch and strides shrink in proportion; all else is LA's. */
function onSynthetic(recipe: SourcedRecipe): SourcedRecipe {
  return { ...recipe, patch: { value: [48, 48, 32], source: SYNTHETIC_NOTE }, evalStrides: { value: [8, 4], source: SYNTHETIC_NOTE } };
}

const RECIPES: Record<string, Record<string, SourcedRecipe>> = {
  LA: LA_RECIPES,
  synthetic: Object.fromEntries(Object.entries(LA_RECIPES).map(([m, r]) => [m, onSynthetic(r)])),
};

/** What each profile changes; values not listed keep the paper's. */
const PROFILE_OVERRIDES: Record<Profile, (r: Recipe) => Partial<Recipe>> = {
  paper: () => ({}),
  cpu: (r) => ({
    iterations: Math.min(r.iterations, 300),
    filters: Math.min(r.filters, 8),
    patch: r.patch[0] > 64 ? [96, 96, 64] : r.patch,
    evalStrides: [Math.max(r.evalStrides[0], 16), Math.max(r.evalStrides[1], 8)],
    lrSchedule: r.lrSchedule.kind === 'step' ? { ...r.lrSchedule, step: Math.max(1, Math.round((r.lrSchedule.step * Math.min(r.iterations, 300)) / r.iterations)) } : r.lrSchedule,
    checkpointEvery: 100,
    selectEvery: 50,
    selectAfter: 0,
  }),
  smoke: (r) => ({
    iterations: 6,
    batchSize: 2,
    labeledBatch: r.labeledBatch === r.batchSize ? 2 : 1,
    filters: 2,
    patch: [32, 32, 16],
    evalStrides: [32, 32],
    lrSchedule: r.lrSchedule.kind === 'step' ? { ...r.lrSchedule, step: 3 } : r.lrSchedule,
    checkpointEvery: 3,
    selectEvery: 2,
    selectAfter: 0,
  }),
};

export function knownRecipes(): { dataset: string; methods: string[] }[] {
  return Object.entries(RECIPES).map(([dataset, m]) => ({ dataset, methods: Object.keys(m) }));
}

export function resolveConfig(args: { method: string; dataset: string; protocol: string; profile: string; seed: number }): ResolvedConfig {
  if (!(PROFILES as readonly string[]).includes(args.profile)) throw unknownChoice('profile', args.profile, PROFILES);
  const profile = args.profile as Profile;
  const table = RECIPES[args.dataset];
  if (!table) throw new UsageError(`no training recipe for dataset ${args.dataset} yet; recipes exist for: ${Object.keys(RECIPES).join(', ')}`);
  const sourced = table[args.method];
  if (!sourced) throw new UsageError(`no ${args.dataset} recipe for method ${args.method}; ${args.dataset} has: ${Object.keys(table).join(', ')}`);
  const { params, ...common } = sourced;
  const paper = {
    ...Object.fromEntries(Object.entries(common).map(([k, v]) => [k, v.value])),
    params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.value])),
  } as unknown as Recipe;
  const sources = {
    ...Object.fromEntries(Object.entries(common).map(([k, v]) => [k, v.source])),
    params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.source])),
  } as ResolvedConfig['sources'];
  const overrides = PROFILE_OVERRIDES[profile](paper);
  for (const key of Object.keys(overrides) as RecipeKey[]) {
    if (key !== 'params' && JSON.stringify(overrides[key]) !== JSON.stringify(paper[key])) (sources as Record<string, unknown>)[key] = `profile:${profile}`;
  }
  return { ...paper, ...overrides, method: args.method, dataset: args.dataset, protocol: args.protocol, profile, seed: args.seed, sources };
}

/** `paper` for real datasets; `cpu` for the embedded synthetic one, so its default run fits a laptop. */
export function defaultProfileFor(datasetKind: string): Profile {
  return datasetKind === 'synthetic' ? 'cpu' : 'paper';
}
