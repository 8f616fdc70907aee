/**
 * @file `sup__*`: the supervised LA baseline's loss, 0.5·(CE + Dice-FG) over the whole (all-labeled) batch,
 * exactly as src/methods/supervised.ts computes it.
 */
import { halfCeDice } from '../../methods/losses.js';
import type { Adapter } from '../adapter.js';
import { inputChannelsLast, readScalar, toTensor } from '../tensors.js';
import { inputTensor } from '../vector.js';

export const supervisedLossAdapter: Adapter = (v, check) => {
  const { loss, ce, dice } = halfCeDice(inputChannelsLast(inputTensor(v, 'logits')), toTensor(inputTensor(v, 'label')));
  check.number(['loss_seg'], readScalar(ce));
  check.number(['loss_seg_dice'], readScalar(dice));
  check.number(['loss'], readScalar(loss));
};
