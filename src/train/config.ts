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
  sources: Record<RecipeKey, string>;
}

const LA_SUPERVISED: Sourced<Recipe> = {
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
};

const SYNTHETIC_NOTE = 'ssl-bench: LA recipe scaled to the 64×64×48 synthetic volumes';

/** Per dataset: the method recipes it has (METHODS §5.1; synthetic mirrors LA on smaller volumes). */
const RECIPES: Record<string, Record<string, Sourced<Recipe>>> = {
  LA: { supervised: LA_SUPERVISED },
  synthetic: {
    supervised: {
      ...LA_SUPERVISED,
      patch: { value: [48, 48, 32], source: SYNTHETIC_NOTE },
      evalStrides: { value: [8, 4], source: SYNTHETIC_NOTE },
    },
  },
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
  const paper = Object.fromEntries(Object.entries(sourced).map(([k, v]) => [k, v.value])) as unknown as Recipe;
  const sources = Object.fromEntries(Object.entries(sourced).map(([k, v]) => [k, v.source])) as Record<RecipeKey, string>;
  const overrides = PROFILE_OVERRIDES[profile](paper);
  for (const key of Object.keys(overrides) as RecipeKey[]) {
    if (JSON.stringify(overrides[key]) !== JSON.stringify(paper[key])) sources[key] = `profile:${profile}`;
  }
  return { ...paper, ...overrides, method: args.method, dataset: args.dataset, protocol: args.protocol, profile, seed: args.seed, sources };
}
