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
 */
import { tf, type Tensor } from '../nn/tf.js';
import { boxMask, crossEntropyMasked, diceLossPerSample, featureConflict, lccPseudoLabels, mix, randomBoxCorner } from './copy-paste.js';
import { samples } from './losses.js';
import type { Method, StepLoss } from './method.js';

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

export const cml: Method = {
  id: 'cml',
  title: 'Cross-view Mutual Learning',
  paper: 'CML (SongwuJob/CML), 2024',
  source: 'CML:code/CML_LA_train.py',
  usesUnlabeled: true,
  networks: (config) => [
    { role: 'model', arch: 'dual-vnet', trainable: true, options: { filters: config.filters, classes: 2, dropout: config.dropout } },
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
    const plab = lccPseudoLabels(pseudo.logits);
    const plabSub = lccPseudoLabels(pseudo.heads[0]);
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
  evaluation: {
    networks: ['model'],
    decision: 'foreground-threshold',
    largestComponent: true,
    checkpoint: 'best-on-test',
    source: 'CML:code/test_LA.py, utils/test_3d_patch.py L81-140 (two views, logits averaged, P(fg) > 0.5, LCC; best test Dice in the paper)',
    probabilities: (nets, x) =>
      tf.tidy(() => {
        const o = nets[0].forward(x, { training: false });
        return tf.softmax(tf.div(tf.add(o.logits, o.heads[0]), 2));
      }),
  },
};
