/**
 * @file `bcp__*`: the copy-paste box, mixing, `mask_DiceLoss`, `mix_loss`, LCC pseudo-labels and the
 * fixed-α EMA on LA, and ACDC's region-masked `DiceLoss(4)`, its pre-/self-training step and its
 * per-class 2-D pseudo-labels, through src/methods/copy-paste.ts, bcp.ts and train/ema.ts with the
 * project's BCP recipes (mask ratio, α = u_weight, EMA decay) for LA and ACDC. The box corners are the
 * vectors' draws: the port cannot reproduce numpy's stream (METHOD-VECTORS §5). (The full-state EMA of
 * BCP-ACDC is in common.ts with the other EMA vectors.)
 */
import { tf, type Tensor } from '../../nn/tf.js';
import { samples } from '../../methods/losses.js';
import { bcpAcdcPretrainLoss, bcpAcdcSelfTrainLoss, bcpPretrainLoss, bcpSelfTrainLoss } from '../../methods/bcp.js';
import { acdcPseudoLabels, argmaxLabels, boxMask, diceLossMasked, diceLossPerSample, lccPseudoLabels, mix, randomBoxCorner } from '../../methods/copy-paste.js';
import type { Rng } from '../../util/rng.js';
import { acdcRecipe, laRecipe, part, type Adapter } from '../adapter.js';
import type { Path } from '../compare.js';
import { channelsFirst, inputChannelsLast, readScalar, readTensor, toTensor } from '../tensors.js';
import { inputNumbers, inputTensor, vectorError, type VectorInput } from '../vector.js';

/** Why the official draw bounds of BCP-LA's context_mask differ from the project's (bcp.ts, copy-paste.ts). */
export const HARD_CODED_BOUNDS =
  "BCP-LA's context_mask draws the corner with bounds hard-coded to a 112×112×80 patch; the project derives them from the patch (documented deviation, src/methods/copy-paste.ts randomBoxCorner), so only the size rule and the placement are checked";

export const RNG_STREAM = "numpy's legacy RNG stream is not reproduced (METHOD-VECTORS §5); the official draw is used as the corner";

/** The box mask [...spatial] (1 outside, 0 inside) of the project's generator for given corner draws. */
export function maskFromDraws(v: VectorInput, key: string, spatial: number[], ratio: number): Tensor {
  const draws = inputNumbers(v, key);
  if (draws.length !== spatial.length) throw vectorError(v, `inputs.${key}`, `expected ${spatial.length} corner draws, got ${draws.length}`);
  return tf.tensor(boxMask(spatial, ratio, draws), spatial);
}

/** Integer labels mixed by the project's `mix` (as bcp.ts / cml.ts mix label maps). */
export function mixLabels(a: Tensor, b: Tensor, mask: Tensor): Tensor {
  return tf.cast(mix(tf.cast(a, 'float32'), tf.cast(b, 'float32'), mask), 'int32');
}

export const pretrainStepAdapter: Adapter = (v, check) => {
  const ratio = Number(laRecipe('bcp').params.maskRatio);
  const volume = inputChannelsLast(inputTensor(v, 'volume'));
  const label = toTensor(inputTensor(v, 'label'));
  const half = volume.shape[0] / 2;
  if (!Number.isInteger(half) || half < 1) throw vectorError(v, 'inputs.volume', `needs an even number of labeled samples, has ${volume.shape[0]}`);
  const spatial = volume.shape.slice(1, -1);
  check.notImplemented(['randint_calls'], HARD_CODED_BOUNDS);
  const mask = maskFromDraws(v, 'box_draws', spatial, ratio);
  check.tensor(['img_mask'], readTensor(mask));
  check.tensor(['mixed_volume'], readTensor(channelsFirst(mix(samples(volume, 0, half), samples(volume, half, half), mask))));
  const mixed = mixLabels(samples(label, 0, half), samples(label, half, half), mask);
  check.tensor(['mixed_label'], readTensor(mixed));
  const t = bcpPretrainLoss(inputChannelsLast(inputTensor(v, 'student_logits')), mixed);
  check.number(['loss_ce'], readScalar(t.ce));
  check.number(['loss_dice'], readScalar(t.dice));
  check.number(['loss'], readScalar(t.loss));
};

export const selfTrainStepAdapter: Adapter = (v, check) => {
  const recipe = laRecipe('bcp');
  const ratio = Number(recipe.params.maskRatio);
  const alpha = Number(recipe.params.uWeight);
  const volume = inputChannelsLast(inputTensor(v, 'volume'));
  const label = toTensor(inputTensor(v, 'label'));
  // Layout: l_a, l_b, u_a, u_b, each of `h` samples (the teacher sees u_a and u_b separately).
  const h = inputTensor(v, 'teacher_logits_a').shape[0];
  if (volume.shape[0] !== 4 * h) throw vectorError(v, 'inputs.volume', `expected 4 groups of ${h} samples, has ${volume.shape[0]}`);
  const group = (x: Tensor, i: number) => samples(x, i * h, h);
  const spatial = volume.shape.slice(1, -1);
  check.number(['u_weight'], alpha, 'f64');
  const plabA = lccPseudoLabels(inputChannelsLast(inputTensor(v, 'teacher_logits_a')));
  const plabB = lccPseudoLabels(inputChannelsLast(inputTensor(v, 'teacher_logits_b')));
  check.tensor(['plab_a'], readTensor(plabA));
  check.tensor(['plab_b'], readTensor(plabB));
  const mask = maskFromDraws(v, 'box_draws', spatial, ratio);
  check.tensor(['img_mask'], readTensor(mask));
  // bcp.ts: X_in = l_a·M + u_a·(1−M), X_out = u_b·M + l_b·(1−M).
  check.tensor(['mixl_img'], readTensor(channelsFirst(mix(group(volume, 0), group(volume, 2), mask))));
  check.tensor(['mixu_img'], readTensor(channelsFirst(mix(group(volume, 3), group(volume, 1), mask))));
  const ya = group(label, 0);
  const yb = group(label, 1);
  // The targets mix_loss supervises region by region, as one map (the script only logs these).
  check.tensor(['mixl_lab'], readTensor(mixLabels(ya, plabA, mask)));
  check.tensor(['mixu_lab'], readTensor(mixLabels(plabB, yb, mask)));
  const t = bcpSelfTrainLoss(inputChannelsLast(inputTensor(v, 'student_logits_l')), inputChannelsLast(inputTensor(v, 'student_logits_u')), ya, yb, plabA, plabB, mask, alpha);
  check.number(['loss_l'], readScalar(t.lossL.loss));
  check.number(['loss_u'], readScalar(t.lossU.loss));
  check.number(['loss'], readScalar(t.loss));
  // mixLoss's parts, in its order: w_img·Dice(A; M), w_patch·Dice(B; 1−M), w_img·CE_M(A), w_patch·CE_{1−M}(B).
  const names = ['dice_img', 'dice_patch', 'ce_img', 'ce_patch'];
  for (const [key, loss] of [['l', t.lossL], ['u', t.lossU]] as const) {
    loss.parts.forEach((p, i) => check.number(['mix_loss_parts', key, names[i]], readScalar(p)));
  }
};

export const maskDiceLossAdapter: Adapter = (v, check) => {
  const logits = inputChannelsLast(inputTensor(v, 'logits2'));
  const target = toTensor(inputTensor(v, 'target'));
  const region = tf.cast(toTensor(inputTensor(v, 'region')), 'float32');
  check.number(['loss_no_mask'], readScalar(diceLossPerSample(logits, target)));
  check.number(['loss_mask'], readScalar(diceLossPerSample(logits, target, region)));
  check.number(['loss_mask_complement'], readScalar(diceLossPerSample(logits, target, tf.sub(1, region))));
  const oneChannel = "mask_DiceLoss's 1-channel sigmoid path: BCP and CML call it with 2-channel logits only, and the project's port (diceLossPerSample) has only the softmax path";
  check.notImplemented(['loss_sigmoid_1channel'], oneChannel);
  check.notImplemented(['loss_sigmoid_1channel_mask'], oneChannel);
};

export const pseudoLabelLccAdapter: Adapter = (v, check) => {
  const logits = inputChannelsLast(inputTensor(v, 'logits3d'));
  // get_cut_mask's threshold before the component step, with lccPseudoLabels' own test (P(fg) ≥ 0.5).
  check.tensor(['thresholded3d'], readTensor(tf.cast(tf.greaterEqual(tf.gather(tf.softmax(logits), 1, -1), 0.5), 'int32')));
  check.tensor(['lcc3d'], readTensor(lccPseudoLabels(logits)));
  // get_ACDC_masks(nms=1): argmax, then per slice and class the largest 8-connected component.
  const logits2d = inputChannelsLast(inputTensor(v, 'logits2d'));
  check.tensor(['argmax2d'], readTensor(argmaxLabels(logits2d)));
  check.tensor(['lcc2d'], readTensor(acdcPseudoLabels(logits2d)));
  check.notImplemented(['cml_copies_same'], "a fact about the official repositories' source (CML's helpers are copies of BCP's); the project shares one function per rule (copy-paste.ts lccPseudoLabels, acdcPseudoLabels) between BCP and CML and computes nothing here");
};

// ---- mask generators ----

/**
 * An Rng whose draws are the official ones: randomBoxCorner asks it for each axis's corner in order,
 * which records the bound the project uses and returns the draw the official generator made.
 */
function replayRng(draws: number[], bounds: number[]): Rng {
  let i = 0;
  return {
    int: (n: number) => {
      bounds.push(n);
      if (i >= draws.length) throw new Error(`randomBoxCorner asked for draw ${i + 1}, the vector has ${draws.length}`);
      return draws[i++];
    },
  } as unknown as Rng;
}

interface GeneratorEntry {
  pattern: RegExp;
  /** The project's mask ratio for the entry; absent: not implemented, with `reason`. */
  ratio?: (v: VectorInput) => number;
  reason?: string;
  /** Whether the project's corner bounds are the official ones for this entry. */
  officialBounds?: boolean;
  note?: string;
}

const GENERATORS: ReadonlyArray<GeneratorEntry> = [
  { pattern: /^BCP LA context_mask 112x112x80$/, ratio: () => Number(laRecipe('bcp').params.maskRatio), officialBounds: true },
  { pattern: /^BCP LA context_mask small_image\b/, ratio: () => Number(laRecipe('bcp').params.maskRatio), officialBounds: false },
  { pattern: /^CML LA generate_mask_3D\b/, ratio: () => Number(laRecipe('cml').params.maskRatio), officialBounds: true },
  // CML's generators and BCP-ACDC's generate_mask take the corner bounds from the image's own sizes,
  // the rule randomBoxCorner/boxMask implement for any rank (BCP-ACDC's int(d·2/3) equals ⌊d·(2/3)⌋ for
  // every d ≤ 4096).
  { pattern: /^CML ACDC generate_mask_2D\b/, ratio: () => Number(acdcRecipe('cml').params.maskRatio), officialBounds: true },
  { pattern: /^BCP ACDC generate_mask\b/, ratio: () => Number(acdcRecipe('bcp').params.maskRatio), officialBounds: true },
];

/** The [start, stop) of the zeros per axis, or null when the box is empty (as the vector writes it). */
function boxOf(mask: Float32Array, shape: number[]): { box: [number, number][] | null; zeros: number } {
  const lo = shape.map(() => Infinity);
  const hi = shape.map(() => -Infinity);
  let zeros = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] !== 0) continue;
    zeros++;
    let r = i;
    for (let a = shape.length - 1; a >= 0; a--) {
      const x = r % shape[a];
      r = Math.floor(r / shape[a]);
      lo[a] = Math.min(lo[a], x);
      hi[a] = Math.max(hi[a], x + 1);
    }
  }
  return { box: zeros ? shape.map((_, a) => [lo[a], hi[a]] as [number, number]) : null, zeros };
}

export const maskGeneratorsAdapter: Adapter = (v, check) => {
  const seeds = inputNumbers(v, 'seeds');
  for (const key of check.keys()) {
    const entry = GENERATORS.find((g) => g.pattern.test(key));
    if (!entry || !entry.ratio) {
      check.notImplemented([key], entry?.reason ?? 'generator not known to the selftest (no project implementation is mapped to it)');
      continue;
    }
    if (entry.note) check.note(entry.note);
    const n = check.length([key]);
    for (let j = 0; j < n; j++) {
      const at: Path = [key, j];
      part(check, at, () => {
        const ratio = entry.ratio!(v);
        check.exact([...at, 'seed'], seeds[j]);
        const shape = check.takeAsInput([...at, 'mask_shape'], 'the image size the official generator was called with');
        if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d))) throw vectorError(v, `expected.${key}[${j}].mask_shape`, 'expected a list of integers');
        // One [low, high, value] call per axis, in axis order: the value is the official draw.
        const draws = shape.map((_, i) => Number(check.takeNotImplemented([...at, 'randint_calls', i, 2], RNG_STREAM)));
        const bounds: number[] = [];
        const corner = randomBoxCorner(shape as number[], ratio, replayRng(draws, bounds));
        shape.forEach((_, i) => {
          check.exact([...at, 'randint_calls', i, 0], 0);
          if (entry.officialBounds) check.exact([...at, 'randint_calls', i, 1], bounds[i]);
          else check.notImplemented([...at, 'randint_calls', i, 1], HARD_CODED_BOUNDS);
        });
        if (check.length([...at, 'randint_calls']) !== shape.length) check.exact([...at, 'randint_calls'], `${shape.length} calls, one per axis`);
        const mask = boxMask(shape as number[], ratio, corner);
        const { box, zeros } = boxOf(mask, shape as number[]);
        check.exact([...at, 'box'], box);
        check.exact([...at, 'box_voxels'], zeros);
        check.notImplemented([...at, 'loss_mask_shape'], "the generators' second output (the mask repeated over the harness's sub-batch); the project has no such output: mixLoss tiles the one mask over whatever batch it is given");
      });
    }
  }
};

// ---- ACDC ----

export const acdcDiceLossMaskedAdapter: Adapter = (v, check) => {
  const logits = inputChannelsLast(inputTensor(v, 'logits'));
  const target = toTensor(inputTensor(v, 'target'));
  const region = tf.cast(toTensor(inputTensor(v, 'region')), 'float32');
  check.number(['loss_no_mask'], readScalar(diceLossMasked(logits, target)));
  check.number(['loss_mask'], readScalar(diceLossMasked(logits, target, region)));
  check.number(['loss_mask_complement'], readScalar(diceLossMasked(logits, target, tf.sub(1, region))));
};

/**
 * ACDC_BCP_train.py's pre-training and self-training step with the ACDC recipe (mask ratio, α): the box
 * through randomBoxCorner with the vector's draws (its bounds are checked), the mixes as bcp.ts builds
 * them, the teacher's per-class 2-D pseudo-labels and the (Dice, CE) sums of the ACDC mix_loss.
 */
export const acdcStepAdapter: Adapter = (v, check) => {
  const recipe = acdcRecipe('bcp');
  const ratio = Number(recipe.params.maskRatio);
  const alpha = Number(recipe.params.uWeight);
  const volume = inputChannelsLast(inputTensor(v, 'volume'));
  const label = toTensor(inputTensor(v, 'label'));
  // Layout: l_a, l_b, u_a, u_b, each of `h` slices.
  const h = inputTensor(v, 'teacher_logits_a').shape[0];
  if (volume.shape[0] !== 4 * h) throw vectorError(v, 'inputs.volume', `expected 4 groups of ${h} slices, has ${volume.shape[0]}`);
  const group = (x: Tensor, i: number) => samples(x, i * h, h);
  const spatial = volume.shape.slice(1, -1);
  const bounds: number[] = [];
  const corner = randomBoxCorner(spatial, ratio, replayRng(inputNumbers(v, 'box_draws'), bounds));
  check.exact(['randint_calls'], bounds.map((b) => [0, b]));
  const mask = tf.tensor(boxMask(spatial, ratio, corner), spatial);
  check.tensor(['img_mask'], readTensor(mask));
  const plabA = acdcPseudoLabels(inputChannelsLast(inputTensor(v, 'teacher_logits_a')));
  const plabB = acdcPseudoLabels(inputChannelsLast(inputTensor(v, 'teacher_logits_b')));
  check.tensor(['plab_a'], readTensor(plabA));
  check.tensor(['plab_b'], readTensor(plabB));
  const ya = group(label, 0);
  const yb = group(label, 1);

  // Pre-training: X = l_a·M + l_b·(1−M).
  check.tensor(['pretrain', 'mixed_input'], readTensor(channelsFirst(mix(group(volume, 0), group(volume, 1), mask))));
  const pre = bcpAcdcPretrainLoss(inputChannelsLast(inputTensor(v, 'student_logits_pre')), ya, yb, mask);
  check.number(['pretrain', 'loss_dice'], readScalar(pre.dice));
  check.number(['pretrain', 'loss_ce'], readScalar(pre.ce));
  check.number(['pretrain', 'loss'], readScalar(pre.loss));

  // Self-training (bcp.ts): X_unl = u_a·M + l_a·(1−M), X_l = l_b·M + u_b·(1−M).
  check.tensor(['self_train', 'net_input_unl'], readTensor(channelsFirst(mix(group(volume, 2), group(volume, 0), mask))));
  check.tensor(['self_train', 'net_input_l'], readTensor(channelsFirst(mix(group(volume, 1), group(volume, 3), mask))));
  const t = bcpAcdcSelfTrainLoss(inputChannelsLast(inputTensor(v, 'student_logits_unl')), inputChannelsLast(inputTensor(v, 'student_logits_l')), ya, yb, plabA, plabB, mask, alpha);
  check.number(['self_train', 'unl_dice'], readScalar(t.unl.dice));
  check.number(['self_train', 'unl_ce'], readScalar(t.unl.ce));
  check.number(['self_train', 'l_dice'], readScalar(t.l.dice));
  check.number(['self_train', 'l_ce'], readScalar(t.l.ce));
  check.number(['self_train', 'loss'], readScalar(t.loss));
};
