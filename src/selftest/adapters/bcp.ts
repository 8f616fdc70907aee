/**
 * @file `bcp__*` on LA: the copy-paste box, mixing, `mask_DiceLoss`, `mix_loss`, LCC
 * pseudo-labels and the fixed-α EMA, through src/methods/copy-paste.ts, bcp.ts and train/ema.ts with the
 * project's BCP recipe (mask ratio, α = u_weight, EMA decay). The box corners are the vectors' draws:
 * the port cannot reproduce numpy's stream (METHOD-VECTORS §5). BCP on ACDC is not implemented yet.
 */
import { tf, type Tensor } from '../../nn/tf.js';
import { samples } from '../../methods/losses.js';
import { bcpPretrainLoss, bcpSelfTrainLoss } from '../../methods/bcp.js';
import { boxMask, diceLossPerSample, lccPseudoLabels, mix, randomBoxCorner } from '../../methods/copy-paste.js';
import type { Rng } from '../../util/rng.js';
import { laRecipe, part, type Adapter } from '../adapter.js';
import type { Path } from '../compare.js';
import { channelsFirst, inputChannelsLast, readScalar, readTensor, toTensor } from '../tensors.js';
import { inputNumber, inputNumbers, inputTensor, vectorError, type VectorInput } from '../vector.js';

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
  const acdc = 'get_ACDC_masks (argmax, then the largest 8-connected component per slice and class) belongs to BCP/CML on ACDC, which the project does not implement yet';
  check.notImplemented(['argmax2d'], acdc);
  check.notImplemented(['lcc2d'], acdc);
  check.notImplemented(['cml_copies_same'], "a fact about the official repositories' source (CML's helpers are copies of BCP's); the project shares one function (copy-paste.ts lccPseudoLabels) and computes nothing here");
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
  {
    pattern: /^CML ACDC generate_mask_2D\b/,
    // CML's generators take the image's own sizes, the rule randomBoxCorner/boxMask implement for any rank.
    ratio: (v) => inputNumber(v, 'mask_ratio_cml_acdc', 'params'),
    officialBounds: true,
    note: "CML ACDC generate_mask_2D: checked with the project's rank-agnostic box generator at the vector's ratio (params.mask_ratio_cml_acdc); CML on ACDC itself is not implemented yet",
  },
  { pattern: /^BCP ACDC generate_mask\b/, reason: 'BCP on ACDC is not implemented in the project yet (its generate_mask hard-codes a 2/3 box with its own bounds; no project recipe)' },
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
