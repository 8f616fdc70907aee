/**
 * CML, Cross-view Mutual Learning (CML:code/CML_LA_train.py, METHODS §4.8), on LA with the dual V-Net
 * (two encoders; decoders with transposed-conv vs trilinear+conv upsampling). S(o, y) = ½(CE + Dice-PS);
 * conflict loss D(f_a, f_b) = 1 + mean cos(f_a, sg(f_b)) on each view's bottleneck, always symmetric.
 * Stage `pretrain` (2000 its, constant lr): labeled CutMix only, best model on the test cases kept and
 * loaded with its optimiser state (`load_net_opt`). Stage `train` (15000 its, lr ×0.1/2500): labeled
 * CutMix + unlabeled CutMix supervised by cross-view pseudo-labels (P(fg) ≥ 0.5 + LCC, computed by the
 * same model in train mode without gradient): the region copied from u_a (outside the box) gets the
 * *other* view's pseudo-label and the pasted box its own view's — what the code does, the opposite of
 * its comment (QUIRK kept). Test: logits of both views averaged, P(fg) > 0.5, LCC.
 * Deviation: box corner bounds follow the patch (copy-paste.ts), as CML's own generators do.
 *
 * ACDC (2-D slices, CML:code/CML_ACDC_train.py, METHODS §4.8, §5.2): the same step with the recipe's
 * l_w 1.0, u_w 0.5, dis_w 0.1 and CutMix ratio 1/2 (128×128 box at 256², corner in [0, 128) from the
 * image size); pseudo-labels = argmax + per-slice, per-class largest 8-connected component
 * (`get_ACDC_masks(nms=1)`); conflict loss on the encoder bottleneck x4 (256 ch at 16², 16f at 1/16);
 * constant lr 0.01 in both stages (10000 + 30000 its). QUIRK kept (major, METHODS §2.3, §6.12): the
 * official 2-D "two-subnet" U-Net runs one encoder and one decoder twice, so the two views share every
 * weight and differ only by their dropout masks — the network is `cml-unet2d` (src/nn/cml-unet2d.ts),
 * which reproduces that forward, not two independent subnets. Test: both views' logits averaged
 * (identical in eval mode), argmax, no LCC, slice by slice; best val Dice is the paper's checkpoint.
 * The SGD momentum handed to the next stage comes with the best weights (best.ckpt), as `load_net_opt` does.
 */
import { tf, type Tensor } from '../nn/tf.js';
import { boxMask, copyPastePseudoLabels, crossEntropyMasked, diceLossPerSample, featureConflict, mix, randomBoxCorner } from './copy-paste.js';
import { samples } from './losses.js';
import type { Network } from '../nn/network.js';
import type { EvaluationPolicy, Method, StepLoss } from './method.js';

/** S(o, y) = ½·(CE + Dice-PS). */
export function cmlSupervision(logits: Tensor, labels: Tensor): tf.Scalar {
  return tf.tidy(() => tf.mul(tf.add(crossEntropyMasked(logits, labels), diceLossPerSample(logits, labels)), 0.5) as tf.Scalar);
}

/** D(f1, f2) + D(f2, f1). */
export function symmetricConflict(f1: Tensor, f2: Tensor): tf.Scalar {
  return tf.tidy(() => tf.add(featureConflict(f1, f2), featureConflict(f2, f1)) as tf.Scalar);
}

/** Cross-view targets: view 1 learns u_a's region from view 2 and the pasted box from itself; view 2 the reverse. */
export function crossViewTargets(plab: Tensor, plabSub: Tensor, half: number, mask: Tensor): { target1: Tensor; target2: Tensor } {
  return tf.tidy(() => {
    const f = (t: Tensor) => tf.cast(t, 'float32');
    const a1 = f(samples(plab, 0, half));
    const b1 = f(samples(plab, half, half));
    const a2 = f(samples(plabSub, 0, half));
    const b2 = f(samples(plabSub, half, half));
    return { target1: tf.cast(mix(a2, b1, mask), 'int32'), target2: tf.cast(mix(a1, b2, mask), 'int32') };
  });
}

/** softmax of the two views' mean logits (`(out1 + out2)/2`), eval mode. */
function averagedViews(nets: Network[], x: Tensor): Tensor {
  return tf.tidy(() => {
    const o = nets[0].forward(x, { training: false });
    return tf.softmax(tf.div(tf.add(o.logits, o.heads[0]), 2));
  });
}

const LA_EVALUATION: EvaluationPolicy = {
  networks: ['model'],
  decision: 'foreground-threshold',
  largestComponent: true,
  checkpoint: 'best-on-test',
  source: 'CML:code/test_LA.py, utils/test_3d_patch.py L81-140 (two views, logits averaged, P(fg) > 0.5, LCC; best test Dice in the paper)',
  probabilities: averagedViews,
};

const ACDC_EVALUATION: EvaluationPolicy = {
  networks: ['model'],
  decision: 'argmax',
  largestComponent: false,
  checkpoint: 'best-on-val',
  source: 'CML:code/test_ACDC.py L36-79, utils/val_2d.py (both views, logits averaged, argmax, no LCC, slice by slice; best val Dice in CML_ACDC_train.py)',
  probabilities: averagedViews,
};

export const cml: Method = {
  id: 'cml',
  title: 'Cross-view Mutual Learning',
  paper: 'CML (SongwuJob/CML), 2024',
  source: 'CML:code/CML_LA_train.py; CML:code/CML_ACDC_train.py (2-D)',
  usesUnlabeled: true,
  networks: (config) => [
    // LA: the dual V-Net (2 classes); ACDC: the official 2-D network as it runs (one U-Net, two passes).
    config.network === 'cml-unet2d'
      ? { role: 'model', arch: 'cml-unet2d', trainable: true, options: { filters: config.filters, classes: config.classes } }
      : { role: 'model', arch: 'dual-vnet', trainable: true, options: { filters: config.filters, classes: 2, dropout: config.dropout } },
  ],
  loss: ({ nets, batch, config, rng, stage }) => {
    const L = batch.labeledCount;
    const h = L / 2;
    if (L < 2 || L % 2 !== 0) throw new Error(`CML needs an even labeled batch of at least 2, got ${L}`);
    const p = config.params;
    const patch = batch.images.shape.slice(1, -1);
    const ratio = Number(p.maskRatio);
    const mask = tf.tensor(boxMask(patch, ratio, randomBoxCorner(patch, ratio, rng)), patch);
    const x = mix(samples(batch.images, 0, h), samples(batch.images, h, h), mask);
    const y = tf.cast(mix(tf.cast(samples(batch.labels, 0, h), 'float32'), tf.cast(samples(batch.labels, h, h), 'float32'), mask), 'int32');
    const out = nets.model.forward(x, { training: true, rng });
    const supL = tf.add(cmlSupervision(out.logits, y), cmlSupervision(out.heads[0], y));
    const lossL = tf.mul(supL, Number(p.labeledWeight));
    const disL = symmetricConflict(out.features.emb1, out.features.emb2);
    const disW = Number(p.conflictWeight);
    if (stage === 'pretrain') {
      const terms: StepLoss['terms'] = { loss_sup_l: supL as tf.Scalar, loss_dis_l: disL };
      return { loss: tf.add(lossL, tf.mul(disL, disW)) as tf.Scalar, terms };
    }
    const U = batch.unlabeledCount;
    const hu = U / 2;
    if (hu < 1 || U % 2 !== 0) throw new Error(`CML needs an even unlabeled batch, got ${U}`);
    const unlabeled = samples(batch.images, L, U);
    const pseudo = nets.model.forward(unlabeled, { training: true, rng });
    const plab = copyPastePseudoLabels(pseudo.logits);
    const plabSub = copyPastePseudoLabels(pseudo.heads[0]);
    const maskU = tf.tensor(boxMask(patch, ratio, randomBoxCorner(patch, ratio, rng)), patch);
    const xu = mix(samples(unlabeled, 0, hu), samples(unlabeled, hu, hu), maskU);
    const { target1, target2 } = crossViewTargets(plab, plabSub, hu, maskU);
    const outU = nets.model.forward(xu, { training: true, rng });
    const supU = tf.add(cmlSupervision(outU.logits, target1), cmlSupervision(outU.heads[0], target2));
    const lossU = tf.mul(supU, Number(p.unlabeledWeight));
    const disU = symmetricConflict(outU.features.emb1, outU.features.emb2);
    const loss = tf.addN([lossL, lossU, tf.mul(tf.add(disL, disU), disW)]) as tf.Scalar;
    const terms: StepLoss['terms'] = { loss_sup_l: supL as tf.Scalar, loss_sup_u: supU as tf.Scalar, loss_dis_l: disL, loss_dis_u: disU };
    return { loss, terms };
  },
  evaluation: LA_EVALUATION,
  evaluationFor: (config) => (config.patch.length === 2 ? ACDC_EVALUATION : LA_EVALUATION),
};
