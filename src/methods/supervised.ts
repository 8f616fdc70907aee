/**
 * Supervised V-Net baseline (UAMT:code/train_LA.py): only labeled cases, batch 4, loss
 * 0.5·(CE + Dice-FG) (L108-111), V-Net with dropout while training, argmax at test, no LCC.
 */
import { supervisedTerm } from './losses.js';
import type { Method } from './method.js';

export const supervised: Method = {
  id: 'supervised',
  title: 'Supervised V-Net (labeled data only)',
  paper: 'Yu et al., UA-MT (MICCAI 2019), supervised baseline',
  source: 'UAMT:code/train_LA.py',
  usesUnlabeled: false,
  networks: (config) => [
    { role: 'student', arch: config.network, trainable: true, options: { filters: config.filters, classes: config.classes, dropout: config.dropout } },
  ],
  loss: ({ nets, batch, rng, config }) => {
    const { logits } = nets.student.forward(batch.images, { training: true, rng });
    const { loss, ce, dice } = supervisedTerm(logits, batch.labels, config.params.supervisedDice);
    return { loss, terms: { loss_ce: ce, loss_dice: dice } };
  },
  evaluation: {
    networks: ['student'],
    decision: 'argmax',
    largestComponent: false,
    checkpoint: 'last',
    source: 'UAMT:code/test_LA.py (iter_6000.pth, argmax, no LCC)',
  },
};
