/**
 * @file Configuration as data: the papers' hyper-parameters per method × dataset (× protocol where it
 * matters), each value with the file it comes from, and the profiles that scale them. `paper` is the
 * table verbatim (METHODS §5); `cpu` and `smoke` shrink a run to what a CPU can do, and every value they
 * change is marked with the profile as its source.
 */
import { UsageError, unknownChoice } from '../errors.js';
import type { LrSchedule } from './schedules.js';
import type { NetworkArch } from '../nn/network.js';
import { SSL4MIS_2D } from '../methods/ssl4mis-2d.js';

export interface Recipe {
  iterations: number;
  batchSize: number;
  /** Labeled samples per batch (= batchSize for supervised baselines). */
  labeledBatch: number;
  baseLr: number;
  lrSchedule: LrSchedule;
  momentum: number;
  weightDecay: number;
  /** Training patch [x, y, z] (multiples of 16 for the V-Net), or the 2-D slice size [H, W] slices are zoomed to. */
  patch: [number, number, number] | [number, number];
  /** Network architecture of the recipe (the LA papers' V-Net, the ACDC papers' 2-D U-Net, …). */
  network: NetworkArch;
  /** Output classes, background included. */
  classes: number;
  filters: number;
  /** Dropout3d rate of the V-Net at x5 and x9 during training. */
  dropout: number;
  augmentation: 'rotflip-crop' | 'crop' | 'crop-rotflip' | 'ssl4mis-2d' | 'bcp-2d';
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
  /**
   * What the EMA averages: `params` (every script but one; the default when absent) or `full-state`,
   * parameters and BN buffers (BCP-ACDC's update_model_ema over the whole state_dict).
   */
  emaState?: 'params' | 'full-state';
  /** Unsupervised weight w_max and its ramp length in 150-iteration steps (METHODS §1.5). */
  consistencyWeight: number;
  consistencyRampup: number;
  /** Updates per step of that staircase: the scripts' `iter_num // 150`; profiles shrink it with the run. */
  consistencyEpoch: number;
  /** Clip gradients to this global L2 norm before each update (0 = no clipping). */
  gradClipNorm: number;
  /** Skip (and log) an update whose loss is NaN/Inf instead of stopping the run. */
  skipNonFiniteSteps: boolean;
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
type SourcedRecipe = Sourced<Omit<Recipe, 'params' | 'stages'>> & {
  params: Record<string, { value: number | string | boolean; source: string }>;
  stages?: { value: StageRecipe[]; source: string };
};

const LA_SUPERVISED: SourcedRecipe = {
  iterations: { value: 6000, source: 'UAMT:code/train_LA.py (max_iterations 6000; iter_6000.pth is tested)' },
  batchSize: { value: 4, source: 'UAMT:code/train_LA.py (batch_size 4)' },
  labeledBatch: { value: 4, source: 'UAMT:code/train_LA.py L71-87 (labeled cases only)' },
  baseLr: { value: 0.01, source: 'UAMT:code/train_LA.py (base_lr 0.01)' },
  lrSchedule: { value: { kind: 'step', step: 2500, gamma: 0.1 }, source: 'UAMT:code/train_LA.py L138-141' },
  momentum: { value: 0.9, source: 'UAMT:code/train_LA.py (SGD momentum 0.9)' },
  weightDecay: { value: 1e-4, source: 'UAMT:code/train_LA.py (SGD weight_decay 1e-4)' },
  patch: { value: [112, 112, 80], source: 'UAMT:code/train_LA.py (patch_size 112,112,80)' },
  network: { value: 'vnet', source: 'UAMT:code/train_LA.py (VNet, METHODS §2.1)' },
  classes: { value: 2, source: 'UAMT:code/train_LA.py (num_classes 2)' },
  filters: { value: 16, source: 'UAMT:code/train_LA.py (VNet n_filters 16)' },
  dropout: { value: 0.5, source: 'UAMT:code/networks/vnet.py (Dropout3d p=0.5, has_dropout=True)' },
  augmentation: { value: 'rotflip-crop', source: 'UAMT:code/dataloaders/la_heart.py L69-121' },
  evalStrides: { value: [18, 4], source: 'UAMT:code/test_LA.py (stride_xy 18, stride_z 4)' },
  checkpointEvery: { value: 1000, source: 'UAMT:code/train_LA.py (saves every 1000 iterations)' },
  selectEvery: { value: 200, source: 'BCP:code/LA_BCP_train.py L278-292 (best test Dice every 200 its; used only with --select-best-on)' },
  selectAfter: { value: 0, source: 'BCP:code/LA_BCP_train.py L278-292' },
  gradClipNorm: { value: 0, source: 'UAMT:code/train_LA.py (no clipping)' },
  skipNonFiniteSteps: { value: false, source: 'UAMT:code/train_LA.py (a NaN loss is not skipped; ssl-bench stops with an error)' },
  emaDecay: { value: 0, source: 'UAMT:code/train_LA.py (no teacher)' },
  emaWarmup: { value: false, source: 'UAMT:code/train_LA.py (no teacher)' },
  consistencyWeight: { value: 0, source: 'UAMT:code/train_LA.py (no unlabeled loss)' },
  consistencyRampup: { value: 0, source: 'UAMT:code/train_LA.py (no unlabeled loss)' },
  consistencyEpoch: { value: 150, source: 'UAMT:code/train_LA_meanteacher_certainty_unlabel.py (get_current_consistency_weight(iter_num // 150); METHODS §1.5)' },
  params: {},
};

const UAMT_SCRIPT = 'UAMT:code/train_LA_meanteacher_certainty_unlabel.py';

/**
 * A recipe of another script that keeps the base's values: every inherited value is re-attributed to
 * that script (the value is the same in its defaults, per METHODS §5.1), and `own` adds or replaces values.
 */
function fromScript(base: SourcedRecipe, script: string, own: Partial<SourcedRecipe>): SourcedRecipe {
  const inherited = Object.fromEntries(
    Object.entries(base).filter(([k]) => k !== 'params' && k !== 'stages').map(([k, v]) => [k, { value: (v as { value: unknown }).value, source: `${script} (METHODS §5.1)` }]),
  ) as unknown as SourcedRecipe;
  return { ...inherited, params: {}, stages: undefined, ...own };
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

const ACMT_ENT = 'ACMT:code/train_ACMT_Ent_3D.py';
const ACMT_MU = 'ACMT:code/train_ACMT_MU_3D.py';
const ACMT_PERR = 'ACMT:code/train_ACMT_PErr_3D.py';
const ACMT_SERR = 'ACMT:code/train_ACMT_SErr_3D_cl2.py';
/** AC-MT (METHODS §4.9, §5.1): the four scripts share these defaults (Ent L35-71); strategy values from each script. */
const LA_ACMT: SourcedRecipe = fromScript(LA_UAMT, ACMT_ENT, {
  iterations: { value: 8000, source: `${ACMT_ENT} L35-71 (--max_iterations 8000; same in the MU/PErr/SErr scripts)` },
  batchSize: { value: 4, source: `${ACMT_ENT} L35-71 (--batch_size 4)` },
  labeledBatch: { value: 2, source: `${ACMT_ENT} L35-71 (--labeled_bs 2)` },
  baseLr: { value: 0.01, source: `${ACMT_ENT} L35-71 (--base_lr 0.01)` },
  lrSchedule: { value: { kind: 'poly', power: 0.9, maxIterations: 8000 }, source: `${ACMT_ENT} L198-202 (lr = base_lr*(1 - iter_num/max_iterations)**0.9 after each update)` },
  momentum: { value: 0.9, source: `${ACMT_ENT} (SGD momentum 0.9)` },
  weightDecay: { value: 1e-4, source: `${ACMT_ENT} (SGD weight_decay 0.0001)` },
  patch: { value: [112, 112, 80], source: `${ACMT_ENT} L35-71 (--patch_size [112, 112, 80])` },
  filters: { value: 16, source: 'ACMT:code/networks/vnet.py (VNet n_filters=16 via net_factory_3d)' },
  dropout: { value: 0.5, source: 'ACMT:code/networks/net_factory_3d.py (vnet / vnet_MTPD has_dropout=True: Dropout3d p=0.5)' },
  augmentation: { value: 'rotflip-crop', source: `${ACMT_ENT} (RandomRotFlip, RandomCrop, ToTensor)` },
  evalStrides: { value: [18, 4], source: `ACMT:code/test_3D.py (stride_xy 18, stride_z 4); same in the Ent/PErr/SErr validation (MU validates with 64/64: params)` },
  checkpointEvery: { value: 1000, source: 'ssl-bench: resume checkpoint (AC-MT itself only writes its best-so-far iter_*_dice_*.pth)' },
  selectEvery: { value: 50, source: `${ACMT_ENT} ~L235-249 (iter_num > 500 and iter_num % 50 == 0: Dice on test.txt, best kept)` },
  selectAfter: { value: 500, source: `${ACMT_ENT} ~L235-249 (iter_num > 500)` },
  emaDecay: { value: 0.99, source: `${ACMT_ENT} L35-71 (--ema_decay 0.99), update_ema_variables` },
  emaWarmup: { value: true, source: `${ACMT_ENT} update_ema_variables (alpha = min(1 - 1/(global_step+1), alpha))` },
  consistencyWeight: { value: 0.1, source: `${ACMT_ENT} L35-71 (--consistency 0.1)` },
  consistencyRampup: { value: 40, source: `${ACMT_ENT} L80-82, L174 (--consistency_rampup 40.0; weight(iter_num//150))` },
  params: {
    strategy: { value: 'entropy', source: 'ssl-bench default: the README names no preferred strategy (train_ACMT_{}_3D.py); Ent is the first script and the recipe reference' },
    teacherNoiseStd: { value: 0.1, source: `${ACMT_ENT} L144-145 (clamp(randn*0.1, -0.2, 0.2) on the teacher input)` },
    teacherNoiseClip: { value: 0.2, source: `${ACMT_ENT} L144-145` },
    entThresholdStart: { value: 0.75, source: `${ACMT_ENT} L35-71 (--Ent_th 0.75), L181` },
    entThresholdEnd: { value: 0.95, source: `${ACMT_ENT} L181 (Ent_th + (0.95 - Ent_th)*sigmoid_rampup(iter_num, max_iterations))` },
    mcSamples: { value: 8, source: `${ACMT_MU} L145-184 (T = 8: the 2 unlabeled volumes twice, 4 noisy student passes)` },
    muThresholdStart: { value: 0.75, source: `${ACMT_MU} L182 ((0.75 + 0.15*sigmoid_rampup(iter_num, max_iterations))*ln2)` },
    muThresholdRise: { value: 0.15, source: `${ACMT_MU} L182 (reaches 0.90*ln2)` },
    muValidationStrideXY: { value: 64, source: `${ACMT_MU} ~L235-249 (test_all_case stride_xy=64 during training; the final test uses 18)` },
    muValidationStrideZ: { value: 64, source: `${ACMT_MU} ~L235-249 (stride_z=64 during training; the final test uses 4)` },
    perrUncertaintyThreshold: { value: 0.1, source: `${ACMT_PERR} (--uncertainty_th 0.1), L180-240 (certain = std < uncertainty_th)` },
    perrPasses: { value: 10, source: `${ACMT_PERR} L180-240 (for i in range(10): ema_model(unlabeled), dropout on)` },
    serrFilterBy: { value: 'both', source: `${ACMT_SERR} (--CL_type both), L164-202 (cleanlab.filter.find_label_issues(filter_by='both'))` },
  },
});

const BCP_SCRIPT = 'BCP:code/LA_BCP_train.py';
const LA_BCP: SourcedRecipe = fromScript(LA_UAMT, BCP_SCRIPT, {
  iterations: { value: 15000, source: `${BCP_SCRIPT} (self_max_iteration 15000; pre_max_iteration 2000)` },
  batchSize: { value: 8, source: `${BCP_SCRIPT} (batch_size 8)` },
  labeledBatch: { value: 4, source: `${BCP_SCRIPT} (labeled_bs 4)` },
  lrSchedule: { value: { kind: 'step', step: 2500, gamma: 0.1 }, source: `${BCP_SCRIPT} L273-276 (self-training)` },
  emaDecay: { value: 0.99, source: `${BCP_SCRIPT} L270, BCP:code/utils/BCP_utils.py L78-81` },
  emaWarmup: { value: false, source: 'BCP:code/utils/BCP_utils.py L78-81 (fixed alpha, no warm-up)' },
  consistencyWeight: { value: 0, source: `${BCP_SCRIPT} L95-97 (computed and logged, unused)` },
  consistencyRampup: { value: 0, source: `${BCP_SCRIPT} (unused)` },
  stages: {
    value: [
      { name: 'pretrain', iterations: 2000, lrSchedule: { kind: 'constant' }, ema: false, selectOn: 'test', selectEvery: 200, selectAfter: 0, init: { from: 'last', copyToEma: false, keepOptimizer: false } },
      { name: 'selftrain', iterations: 15000, lrSchedule: { kind: 'step', step: 2500, gamma: 0.1 }, ema: true, selectEvery: 200, selectAfter: 0, init: { from: 'best', copyToEma: true, keepOptimizer: false } },
    ],
    source: `${BCP_SCRIPT} L146-171 (pre-train, best test Dice every 200), L220-222 (student and teacher load it, fresh optimiser), L234-292 (self-train)`,
  },
  params: {
    maskRatio: { value: 2 / 3, source: `${BCP_SCRIPT} (--mask_ratio 2/3), BCP:code/utils/BCP_utils.py L18-28` },
    uWeight: { value: 0.5, source: `${BCP_SCRIPT} (--u_weight 0.5), BCP:code/utils/BCP_utils.py L58-69` },
  },
});

const CML_SCRIPT = 'CML:code/CML_LA_train.py';
const LA_CML: SourcedRecipe = fromScript(LA_BCP, CML_SCRIPT, {
  emaDecay: { value: 0, source: `${CML_SCRIPT} (no teacher)` },
  emaWarmup: { value: false, source: `${CML_SCRIPT} (no teacher)` },
  consistencyWeight: { value: 0, source: `${CML_SCRIPT} (no ramp)` },
  consistencyRampup: { value: 0, source: `${CML_SCRIPT} (no ramp)` },
  lrSchedule: { value: { kind: 'step', step: 2500, gamma: 0.1 }, source: `${CML_SCRIPT} L300-304` },
  stages: {
    value: [
      { name: 'pretrain', iterations: 2000, lrSchedule: { kind: 'constant' }, ema: false, selectOn: 'test', selectEvery: 200, selectAfter: 0, init: { from: 'last', copyToEma: false, keepOptimizer: false } },
      { name: 'train', iterations: 15000, lrSchedule: { kind: 'step', step: 2500, gamma: 0.1 }, ema: false, selectEvery: 200, selectAfter: 0, init: { from: 'best', copyToEma: false, keepOptimizer: true } },
    ],
    source: `${CML_SCRIPT} (pre-train 2000 its with best test Dice every 200; load_net_opt L216-217 reloads weights and optimiser; train 15000 its)`,
  },
  params: {
    maskRatio: { value: 2 / 3, source: `${CML_SCRIPT} L39-42 (mask_ratio 2/3)` },
    labeledWeight: { value: 1.0, source: `${CML_SCRIPT} L39-42 (l_weight 1.0)` },
    unlabeledWeight: { value: 1.0, source: `${CML_SCRIPT} L39-42 (u_weight 1.0)` },
    conflictWeight: { value: 0.2, source: `${CML_SCRIPT} L39-42 (dis_weight 0.2)` },
  },
});

const DYCON_SCRIPT = 'DyCON:code/train_DyCON_BraTS19.py';
const DYCON_LOSSES = 'DyCON:code/utils/dycon_losses.py';
const DYCON_ON_LA = 'ssl-bench assumption: DyCON ships no LA script (METHODS.md L888-892, §8 L1061), so LA reuses the BraTS/Pancreas recipe';
/** DyCON (METHODS §4.10, §5.1 row "DyCON"): the BraTS/Pancreas recipe on LA patches — an assumption (no LA script). */
const LA_DYCON: SourcedRecipe = {
  network: { value: 'unet3d', source: 'DyCON:code/networks/UNet3D_contrastive.py L207-322 (unet_3D with projection head; METHODS §2.2)' },
  classes: { value: 2, source: `${DYCON_SCRIPT} (num_classes 2)` },
  iterations: { value: 20000, source: `${DYCON_SCRIPT} L25-96 (--max_iterations 20000; METHODS.md L901)` },
  batchSize: { value: 8, source: `${DYCON_SCRIPT} L25-96 (--batch_size 8; METHODS.md L899)` },
  labeledBatch: { value: 4, source: `${DYCON_SCRIPT} L25-96 (--labeled_bs 4; METHODS.md L899)` },
  baseLr: { value: 0.01, source: `${DYCON_SCRIPT} L25-96 (--base_lr 0.01; METHODS.md L901)` },
  lrSchedule: { value: { kind: 'constant' }, source: `${DYCON_SCRIPT} (lr never changed; METHODS.md L901, §1.7 L195)` },
  momentum: { value: 0.9, source: `${DYCON_SCRIPT} (SGD momentum 0.9; METHODS.md L901)` },
  weightDecay: { value: 1e-4, source: `${DYCON_SCRIPT} (SGD weight_decay 1e-4; METHODS.md L901)` },
  patch: { value: [112, 112, 80], source: `${DYCON_ON_LA}: LA's 112×112×80 patch, as DyCON's own LA helper var_all_case_LA uses (METHODS.md L889-892); BraTS trains 96³ (L96), Pancreas 112×112×96 (METHODS.md L898-899)` },
  filters: { value: 16, source: 'DyCON:code/networks/UNet3D_contrastive.py L207-322 ([64,128,256,512,1024]/feature_scale 4; METHODS.md L373)' },
  dropout: { value: 0.3, source: 'DyCON:code/networks/UNet3D_contrastive.py (element-wise Dropout(p=0.3) on centre and up1; METHODS.md L376-379, L895)' },
  augmentation: { value: 'crop-rotflip', source: `${DYCON_SCRIPT} L148-155 (RandomCrop → RandomRotFlip; METHODS.md L152, L900)` },
  evalStrides: { value: [18, 4], source: 'DyCON var_all_case_LA (patch 112×112×80, stride 18/4; METHODS.md L889-890); BraTS/Pancreas test 16/4 at 96³ (METHODS.md L947-948)' },
  checkpointEvery: { value: 1000, source: 'ssl-bench: resume checkpoint (DyCON itself keeps its best-so-far model)' },
  selectEvery: { value: 200, source: `${DYCON_SCRIPT} (validation every 200 its, best kept; METHODS.md L264, L945)` },
  selectAfter: { value: 0, source: `${DYCON_SCRIPT} (validation from the first 200 its; METHODS.md L264)` },
  gradClipNorm: { value: 1, source: `${DYCON_SCRIPT} L266-267 (clip_grad_norm_ 1.0; METHODS.md L901-902)` },
  skipNonFiniteSteps: { value: true, source: `${DYCON_SCRIPT} (a NaN/Inf loss skips the update; METHODS.md L902)` },
  emaDecay: { value: 0.99, source: `${DYCON_SCRIPT} L25-96 (--ema_decay 0.99; METHODS.md L903, §1.6 L176)` },
  emaWarmup: { value: true, source: `${DYCON_SCRIPT} update_ema_variables (alpha = min(1 - 1/(k+1), 0.99); METHODS.md L176-178)` },
  consistencyWeight: { value: 0.1, source: `${DYCON_SCRIPT} L25-96 (--consistency 0.1), L98-100, L210 (METHODS.md L937-939)` },
  consistencyRampup: { value: 200, source: `${DYCON_SCRIPT} L25-96 (--consistency_rampup 200.0), L98-100 (METHODS.md L938, §1.5 L172)` },
  consistencyEpoch: { value: 150, source: `${DYCON_SCRIPT} L98-100, L210 (weight(iter_num // 150); METHODS §1.5)` },
  params: {
    teacherNoiseStd: { value: 0.1, source: `${DYCON_SCRIPT} L173-178 (clamp(randn*0.1, -0.2, 0.2) on all 8 samples; METHODS.md L903)` },
    teacherNoiseClip: { value: 0.2, source: `${DYCON_SCRIPT} L173-178 (METHODS.md L903)` },
    labeledWeight: { value: 1, source: `${DYCON_SCRIPT} L25-96 (--l_weight 1.0; METHODS.md L908)` },
    unlabeledWeight: { value: 0.5, source: `${DYCON_SCRIPT} L25-96 (--u_weight 0.5; METHODS.md L937-938)` },
    betaMax: { value: 5, source: `${DYCON_LOSSES} L8-12 (adaptive_beta max 5.0), ${DYCON_SCRIPT} L193-196 (METHODS.md L914-915)` },
    betaMin: { value: 0.5, source: `${DYCON_LOSSES} L8-12 (adaptive_beta min 0.5; METHODS.md L914-915)` },
    temperature: { value: 0.6, source: `${DYCON_SCRIPT} L25-96 (--temp 0.6), L189 (METHODS.md L919-920)` },
    gamma: { value: 2, source: `${DYCON_SCRIPT} L25-96 (--gamma 2.0), L189 (METHODS.md L920)` },
    useFocal: { value: true, source: `${DYCON_SCRIPT} L25-96 (--use_focal 1), L189 (METHODS.md L920)` },
    rampupEpochs: { value: 1500, source: `${DYCON_SCRIPT} L189 (FeCLoss rampup_epochs 1500), ${DYCON_LOSSES} L28-47 (METHODS.md L920)` },
    lambdaCross: { value: 1, source: `${DYCON_LOSSES} L150-235 (lambda_cross 1.0, teacher term on; METHODS.md L932)` },
    featureScaler: { value: 2, source: `${DYCON_SCRIPT} L25-96 (--feature_scaler 2; embeddings at 1/8; METHODS.md L894, L382-384)` },
    fecLabels: { value: 'teacher', source: `ssl-bench choice: FeCL patch labels of the unlabeled half from the EMA teacher (P(fg) >= 0.5, down-sampled like the labels). The official code uses the unlabeled volumes' ground truth (${DYCON_SCRIPT} L227-230, L247-251; METHODS.md L941-944): set 'ground-truth' to reproduce that leak` },
  },
};

const LA_RECIPES: Record<string, SourcedRecipe> = { supervised: LA_SUPERVISED, mt: LA_MT, 'ua-mt': LA_UAMT_FULL, dtc: LA_DTC, upc: LA_UPC, mcf: LA_MCF, 'ac-mt': LA_ACMT, bcp: LA_BCP, cml: LA_CML, dycon: LA_DYCON };

const FULLY_2D = 'SSL4MIS:code/train_fully_supervised_2D.py';
const MT_2D = 'SSL4MIS:code/train_mean_teacher_2D.py';
const UAMT_2D = 'SSL4MIS:code/train_uncertainty_aware_mean_teacher_2D.py';

/** SSL4MIS's ACDC recipe (METHODS §5.2): 2-D U-Net, 256×256 slices, poly lr over 30000 its, best on val. */
const ACDC_SUPERVISED: SourcedRecipe = {
  ...fromScript(LA_SUPERVISED, FULLY_2D, {}),
  iterations: SSL4MIS_2D.iterations,
  batchSize: { value: 24, source: `${FULLY_2D} (batch_size 24, labeled slices only)` },
  labeledBatch: { value: 24, source: `${FULLY_2D} (batch_size 24)` },
  baseLr: SSL4MIS_2D.baseLr,
  lrSchedule: SSL4MIS_2D.lrSchedule,
  patch: { value: [256, 256], source: `${FULLY_2D} (RandomGenerator([256, 256]))` },
  network: { value: 'unet2d', source: 'SSL4MIS:code/networks/unet.py (UNet, METHODS §2.3)' },
  classes: SSL4MIS_2D.classes,
  filters: { value: 16, source: 'SSL4MIS:code/networks/unet.py (feature_chns [16, 32, 64, 128, 256])' },
  dropout: { value: 0, source: 'SSL4MIS:code/networks/unet.py (encoder dropout [0.05 … 0.5] is part of the network)' },
  augmentation: { value: 'ssl4mis-2d', source: 'SSL4MIS:code/dataloaders/dataset.py L147-167' },
  evalStrides: { value: [0, 0], source: 'SSL4MIS:code/test_2D_fully.py (slice by slice, no sliding window)' },
  selectEvery: { value: 200, source: `${FULLY_2D} (validation every 200 its on val.list, best mean Dice kept)` },
  selectAfter: { value: 0, source: FULLY_2D },
  checkpointEvery: { value: 3000, source: `${FULLY_2D} (saves every 3000 its)` },
  params: { supervisedDice: { value: 'multiclass', source: `${FULLY_2D} L112-114 (0.5·(CE + DiceLoss(4)))` } },
};

const ACDC_MT: SourcedRecipe = {
  ...fromScript(ACDC_SUPERVISED, MT_2D, {}),
  batchSize: SSL4MIS_2D.batchSize,
  labeledBatch: SSL4MIS_2D.labeledBatch,
  emaDecay: SSL4MIS_2D.emaDecay,
  emaWarmup: { value: true, source: `${MT_2D} (update_ema_variables with warm-up)` },
  consistencyWeight: SSL4MIS_2D.consistencyWeight,
  consistencyRampup: SSL4MIS_2D.consistencyRampup,
  params: {
    supervisedDice: { value: 'multiclass', source: `${MT_2D} (0.5·(CE + DiceLoss(4)))` },
    teacherNoiseStd: { value: 0.1, source: `${MT_2D} (clamp(randn*0.1, -0.2, 0.2))` },
    teacherNoiseClip: { value: 0.2, source: MT_2D },
    consistencyStart: SSL4MIS_2D.mtConsistencyStart,
  },
};

const ACDC_UAMT: SourcedRecipe = {
  ...fromScript(ACDC_MT, UAMT_2D, {}),
  params: {
    supervisedDice: { value: 'multiclass', source: `${UAMT_2D} (0.5·(CE + DiceLoss(4)))` },
    teacherNoiseStd: { value: 0.1, source: `${UAMT_2D} L149-162` },
    teacherNoiseClip: { value: 0.2, source: UAMT_2D },
    mcSamples: { value: 8, source: `${UAMT_2D} (T = 8)` },
    thresholdStart: { value: 0.75, source: `${UAMT_2D} L187-188 ((0.75 + 0.25·ramp)·ln2, ln2 kept for 4 classes)` },
    thresholdEnd: { value: 1.0, source: `${UAMT_2D} L187-188` },
  },
};

const BCP_ACDC = 'BCP:code/ACDC_BCP_train.py';
/** BCP on ACDC (METHODS §4.7 "ACDC losses", §5.2 row BCP): UNet_2d, 10000 + 30000 its, constant lr, full-state EMA. */
const ACDC_BCP: SourcedRecipe = {
  ...fromScript(ACDC_SUPERVISED, BCP_ACDC, {}),
  iterations: { value: 30000, source: `${BCP_ACDC} (--max_iterations 30000, self-training; --pre_iterations 10000)` },
  batchSize: { value: 24, source: `${BCP_ACDC} (--batch_size 24)` },
  labeledBatch: { value: 12, source: `${BCP_ACDC} (--labeled_bs 12; sub-batches of 6)` },
  baseLr: { value: 0.01, source: `${BCP_ACDC} (--base_lr 0.01)` },
  lrSchedule: { value: { kind: 'constant' }, source: `${BCP_ACDC} (the lr is never changed in either stage; METHODS §1.7)` },
  momentum: { value: 0.9, source: `${BCP_ACDC} (SGD momentum 0.9)` },
  weightDecay: { value: 1e-4, source: `${BCP_ACDC} (SGD weight_decay 0.0001)` },
  patch: { value: [256, 256], source: `${BCP_ACDC} (--patch_size [256, 256], RandomGenerator)` },
  network: { value: 'unet2d', source: 'BCP:code/networks/net_factory.py BCP_net = UNet_2d (the SSL4MIS U-Net; its unused heads are not built; METHODS §2.3)' },
  classes: { value: 4, source: `${BCP_ACDC} (--num_classes 4)` },
  filters: { value: 16, source: 'BCP:code/networks/unet.py (feature_chns [16, 32, 64, 128, 256])' },
  dropout: { value: 0, source: 'BCP:code/networks/unet.py (encoder dropout [0.05 … 0.5] is part of the network)' },
  augmentation: { value: 'bcp-2d', source: 'BCP:code/dataloaders/dataset.py L69-88 (rot-flip 50 %, rotate 25 %, none 25 %; METHODS §1.4)' },
  checkpointEvery: { value: 1000, source: 'ssl-bench: resume checkpoint (BCP itself writes only its best model)' },
  selectEvery: { value: 200, source: `${BCP_ACDC} (val.list every 200 its in both stages, best mean Dice kept; METHODS §1.9)` },
  selectAfter: { value: 0, source: BCP_ACDC },
  emaDecay: { value: 0.99, source: `${BCP_ACDC} L390 (update_model_ema(model, ema_model, 0.99))` },
  emaWarmup: { value: false, source: `${BCP_ACDC} L123-129 (fixed alpha, no warm-up)` },
  emaState: { value: 'full-state', source: `${BCP_ACDC} L123-129 (every state_dict entry averaged and loaded back, BN buffers included; METHODS §1.6)` },
  consistencyWeight: { value: 0, source: `${BCP_ACDC} L119-121, L370 (5·consistency·ramp computed and logged, unused)` },
  consistencyRampup: { value: 0, source: `${BCP_ACDC} (unused)` },
  stages: {
    value: [
      { name: 'pretrain', iterations: 10000, lrSchedule: { kind: 'constant' }, ema: false, selectOn: 'val', selectEvery: 200, selectAfter: 0, init: { from: 'last', copyToEma: false, keepOptimizer: false } },
      { name: 'selftrain', iterations: 30000, lrSchedule: { kind: 'constant' }, ema: true, selectEvery: 200, selectAfter: 0, init: { from: 'best', copyToEma: true, keepOptimizer: true } },
    ],
    source: `${BCP_ACDC} L237-261 (pre-train, --pre_iterations 10000, best val Dice every 200), L334-336 (teacher load_net, student load_net_opt: weights and SGD state), L354-388 (self-train, --max_iterations 30000)`,
  },
  params: {
    maskRatio: { value: 2 / 3, source: `${BCP_ACDC} L131-140 (generate_mask: int(img_x*2/3) box, hard-coded; corner randint(0, img_x - patch_x))` },
    uWeight: { value: 0.5, source: `${BCP_ACDC} (--u_weight 0.5), mix_loss L167-179` },
  },
};

const CML_ACDC = 'CML:code/CML_ACDC_train.py';
/** CML on ACDC (METHODS §4.8, §5.2 row CML): the official 2-D network as it runs, 10000 + 30000 its, constant lr. */
const { emaState: _bcpOnly, ...ACDC_BCP_SHARED } = fromScript(ACDC_BCP, CML_ACDC, {});
const ACDC_CML: SourcedRecipe = {
  ...ACDC_BCP_SHARED,
  network: { value: 'cml-unet2d', source: 'CML:code/networks/unet.py L135-162 (one encoder and decoder1 run twice; METHODS §2.3 QUIRK, reproduced)' },
  filters: { value: 16, source: 'CML:code/networks/unet.py (feature_chns [16, 32, 64, 128, 256])' },
  dropout: { value: 0, source: 'CML:code/networks/unet.py (encoder dropout [0.05 … 0.5] is part of the network)' },
  augmentation: { value: 'bcp-2d', source: 'CML:code/dataloaders/dataset.py (BCP\'s RandomGenerator; METHODS §1.4)' },
  checkpointEvery: { value: 1000, source: 'ssl-bench: resume checkpoint (CML itself writes only its best model)' },
  emaDecay: { value: 0, source: `${CML_ACDC} (no teacher)` },
  emaWarmup: { value: false, source: `${CML_ACDC} (no teacher)` },
  consistencyWeight: { value: 0, source: `${CML_ACDC} (no ramp)` },
  consistencyRampup: { value: 0, source: `${CML_ACDC} (no ramp)` },
  stages: {
    value: [
      { name: 'pretrain', iterations: 10000, lrSchedule: { kind: 'constant' }, ema: false, selectOn: 'val', selectEvery: 200, selectAfter: 0, init: { from: 'last', copyToEma: false, keepOptimizer: false } },
      { name: 'train', iterations: 30000, lrSchedule: { kind: 'constant' }, ema: false, selectEvery: 200, selectAfter: 0, init: { from: 'best', copyToEma: false, keepOptimizer: true } },
    ],
    source: `${CML_ACDC} (pre-train --pre_iterations 10000, best val Dice every 200; load_net_opt reloads weights and optimiser; train --train_iterations 30000, constant lr)`,
  },
  params: {
    maskRatio: { value: 1 / 2, source: `${CML_ACDC} L42-45 (--mask_ratio 1/2), CML:code/utils/CML_utils.py L43-52` },
    labeledWeight: { value: 1.0, source: `${CML_ACDC} L42-45 (--l_weight 1.0)` },
    unlabeledWeight: { value: 0.5, source: `${CML_ACDC} L42-45 (--u_weight 0.5)` },
    conflictWeight: { value: 0.1, source: `${CML_ACDC} L42-45 (--dis_weight 0.1)` },
  },
};

const ACDC_RECIPES: Record<string, SourcedRecipe> = { supervised: ACDC_SUPERVISED, mt: ACDC_MT, 'ua-mt': ACDC_UAMT, bcp: ACDC_BCP, cml: ACDC_CML };

/** The embedded 2-D stacks are 96×96: slices are not zoomed; everything else is the ACDC recipe. */
function onSynthetic2d(recipe: SourcedRecipe): SourcedRecipe {
  return { ...recipe, patch: { value: [96, 96], source: 'ssl-bench: ACDC recipe on the 96×96 synthetic-2d slices' } };
}

/** Synthetic volumes are 64×64×48, so the LA patch and strides shrink in proportion; all else is LA's. */
function onSynthetic(recipe: SourcedRecipe): SourcedRecipe {
  return { ...recipe, patch: { value: [48, 48, 32], source: SYNTHETIC_NOTE }, evalStrides: { value: [8, 4], source: SYNTHETIC_NOTE } };
}

const RECIPES: Record<string, Record<string, SourcedRecipe>> = {
  LA: LA_RECIPES,
  synthetic: Object.fromEntries(Object.entries(LA_RECIPES).map(([m, r]) => [m, onSynthetic(r)])),
  ACDC: ACDC_RECIPES,
  'synthetic-2d': Object.fromEntries(Object.entries(ACDC_RECIPES).map(([m, r]) => [m, onSynthetic2d(r)])),
};

/** What each profile changes; values not listed keep the paper's. */
const CPU_ITERATIONS = 200;

/** Stage lengths, lr steps and selection periods shrunk in proportion to a profile's iteration budget. */
function scaleStages(r: Recipe, iterations: number, selectEvery: number): StageRecipe[] | undefined {
  if (!r.stages) return undefined;
  const factor = iterations / r.iterations;
  return r.stages.map((st) => ({
    ...st,
    iterations: Math.max(1, Math.round(st.iterations * factor)),
    lrSchedule: st.lrSchedule.kind === 'step' ? { ...st.lrSchedule, step: Math.max(1, Math.round(st.lrSchedule.step * factor)) } : st.lrSchedule,
    selectEvery,
    selectAfter: 0,
  }));
}

const PROFILE_OVERRIDES: Record<Profile, (r: Recipe) => Partial<Recipe>> = {
  paper: () => ({}),
  cpu: (r) => {
    // A few minutes per method on two cores: 200 updates of a 4-filter network. Ramps are shrunk in
    // proportion so the unsupervised terms reach full weight at the same fraction of training as in the
    // paper, instead of never leaving e^-5.
    const iterations = Math.min(r.iterations, CPU_ITERATIONS);
    const f = iterations / r.iterations;
    return {
      stages: scaleStages(r, iterations, 50),
      iterations,
      filters: Math.min(r.filters, 4),
      patch: r.patch.length === 2 ? (r.patch[0] > 128 ? [128, 128] : r.patch) : r.patch[0] > 64 ? [96, 96, 64] : r.patch,
      evalStrides: r.patch.length === 2 ? r.evalStrides : [Math.max(r.evalStrides[0], Math.floor(r.patch[0] / 3)), Math.max(r.evalStrides[1], Math.floor(r.patch[2] / 2))],
      lrSchedule: r.lrSchedule.kind === 'step' || r.lrSchedule.kind === 'step-cumulative'
        ? { ...r.lrSchedule, step: Math.max(1, Math.round(r.lrSchedule.step * f)) }
        : r.lrSchedule.kind === 'poly' ? { ...r.lrSchedule, maxIterations: iterations } : r.lrSchedule,
      // The ramp keeps its length in steps and each step shrinks with the run, so the weight follows the
      // paper's curve at the same fraction of training (scaling the length instead left it at e^-5 for
      // the first 150 updates, three quarters of a 200-update run, then jumped to full weight).
      consistencyEpoch: Math.max(1, Math.round(r.consistencyEpoch * f)),
      checkpointEvery: 50,
      selectEvery: 50,
      selectAfter: 0,
    };
  },
  smoke: (r) => ({
    stages: r.stages?.map((st) => ({ ...st, iterations: 3, lrSchedule: st.lrSchedule.kind === 'step' ? { ...st.lrSchedule, step: 2 } : st.lrSchedule, selectEvery: 2, selectAfter: 0 })),
    iterations: r.stages ? 3 : 6,
    // Copy-paste methods mix pairs of labeled and of unlabeled samples: they need 2 + 2.
    batchSize: r.batchSize >= 8 ? 4 : 2,
    labeledBatch: r.labeledBatch === r.batchSize ? 2 : r.batchSize >= 8 ? 2 : 1,
    filters: 2,
    patch: r.patch.length === 2 ? [32, 32] : [32, 32, 16],
    evalStrides: [32, 32],
    lrSchedule: r.lrSchedule.kind === 'step' || r.lrSchedule.kind === 'step-cumulative' ? { ...r.lrSchedule, step: 3 } : r.lrSchedule.kind === 'poly' ? { ...r.lrSchedule, maxIterations: 6 } : r.lrSchedule,
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
  const { params, stages, ...common } = sourced;
  const paper = {
    ...Object.fromEntries(Object.entries(common).map(([k, v]) => [k, v.value])),
    params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.value])),
    ...(stages ? { stages: structuredClone(stages.value) } : {}),
  } as unknown as Recipe;
  const sources = {
    ...Object.fromEntries(Object.entries(common).map(([k, v]) => [k, v.source])),
    params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.source])),
    ...(stages ? { stages: stages.source } : {}),
  } as ResolvedConfig['sources'];
  const overrides = PROFILE_OVERRIDES[profile](paper);
  for (const key of Object.keys(overrides) as RecipeKey[]) {
    if (key !== 'params' && key !== 'stages' && JSON.stringify(overrides[key]) !== JSON.stringify(paper[key])) (sources as Record<string, unknown>)[key] = `profile:${profile}`;
  }
  if (overrides.stages && JSON.stringify(overrides.stages) !== JSON.stringify(paper.stages)) (sources as Record<string, unknown>).stages = `profile:${profile} (scaled from: ${stages?.source})`;
  {
  }
  return { ...paper, ...overrides, method: args.method, dataset: args.dataset, protocol: args.protocol, profile, seed: args.seed, sources };
}

/** `paper` for real datasets; `cpu` for the embedded synthetic one, so its default run fits a laptop. */
export function defaultProfileFor(datasetKind: string): Profile {
  return datasetKind === 'synthetic' ? 'cpu' : 'paper';
}
