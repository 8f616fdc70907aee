/**
 * @file The one table from vector names to adapters. A key ending in `__` is a name prefix (a method
 * family); an exact name wins over a prefix, the longest prefix over a shorter one. A vector with no
 * entry, or whose entry has no adapter, is reported not-implemented — never as a pass.
 */
import type { Adapter } from './adapter.js';
import * as common from './adapters/common.js';
import * as sup from './adapters/sup.js';
import * as mt from './adapters/mt.js';
import * as uamt from './adapters/uamt.js';
import * as dtc from './adapters/dtc.js';
import * as upc from './adapters/upc.js';
import * as ssl4mis from './adapters/ssl4mis.js';
import * as mcf from './adapters/mcf.js';
import * as bcp from './adapters/bcp.js';
import * as cml from './adapters/cml.js';
import * as acmt from './adapters/acmt.js';
import * as dycon from './adapters/dycon.js';

export type Registration = { adapter: Adapter } | { notImplemented: string };

export const REGISTRY: Readonly<Record<string, Registration>> = {
  common__sigmoid_rampup: { adapter: common.sigmoidRampupAdapter },
  common__cosine_rampdown: { adapter: common.cosineRampdownAdapter },
  common__linear_rampup: { adapter: common.linearRampupAdapter },
  common__consistency_weight_staircase: { adapter: common.consistencyWeightStaircaseAdapter },
  common__thresholds: { adapter: common.thresholdsAdapter },
  common__lr_schedules: { adapter: common.lrSchedulesAdapter },
  common__cross_entropy: { adapter: common.crossEntropyAdapter },
  common__ema_warmup_uamt: { adapter: common.emaWarmupUamtAdapter },
  sup__la_supervised_loss: { adapter: sup.supervisedLossAdapter },
  mt__softmax_mse: { adapter: mt.softmaxMseAdapter },
  mt__la_step_loss: { adapter: mt.mtStepLossAdapter },
  uamt__dice_loss_fg: { adapter: uamt.diceLossFgAdapter },
  uamt__dice_loss_fg_empty_target: { adapter: uamt.diceLossFgAdapter },
  uamt__uncertainty_masked_consistency: { adapter: uamt.uncertaintyMaskedConsistencyAdapter },
  dtc__compute_sdf: { adapter: dtc.computeSdfAdapter },
  dtc__losses: { adapter: dtc.dtcLossesAdapter },
  upc__pseudo_label_consistency: { adapter: upc.upcPseudoLabelAdapter },
  upc__kl_rectified_consistency: { adapter: upc.upcRectifiedAdapter },
  upc__ema_warmup_09999: { adapter: upc.emaWarmupUpcAdapter },
  ssl4mis__dice_ce_4class_2d: { adapter: ssl4mis.diceCe4Class2dAdapter },
  ssl4mis__mt2d_step_loss: { adapter: ssl4mis.mt2dStepLossAdapter },
  ssl4mis__uamt2d_uncertainty: { adapter: ssl4mis.uamt2dUncertaintyAdapter },
  mcf__cdr_sharpen_v_good: { adapter: mcf.mcfStepAdapter },
  mcf__cdr_sharpen_r_good: { adapter: mcf.mcfStepAdapter },
  mcf__cdr_sharpen_tie: { adapter: mcf.mcfStepAdapter },
  bcp__la_pretrain_step: { adapter: bcp.pretrainStepAdapter },
  bcp__la_self_train_step: { adapter: bcp.selfTrainStepAdapter },
  bcp__mask_dice_loss: { adapter: bcp.maskDiceLossAdapter },
  bcp__mask_generators_rng: { adapter: bcp.maskGeneratorsAdapter },
  bcp__pseudo_label_lcc: { adapter: bcp.pseudoLabelLccAdapter },
  bcp__ema_fixed_params: { adapter: common.emaFixedBcpAdapter },
  bcp__acdc_dice_loss_masked: { adapter: bcp.acdcDiceLossMaskedAdapter },
  bcp__acdc_step: { adapter: bcp.acdcStepAdapter },
  bcp__ema_state_dict_acdc: { adapter: common.emaStateDictBcpAcdcAdapter },
  cml__features_discrepancy: { adapter: cml.featuresDiscrepancyAdapter },
  cml__la_train_step: { adapter: cml.laTrainStepAdapter },
  cml__acdc_train_step: { adapter: cml.acdcTrainStepAdapter },
  acmt__ent_selection: { adapter: acmt.entSelectionAdapter },
  acmt__mu_selection: { adapter: acmt.muSelectionAdapter },
  acmt__perr_selection: { adapter: acmt.perrSelectionAdapter },
  acmt__serr_selection: { adapter: acmt.serrSelectionAdapter },
  acmt__serr_fallback: { adapter: acmt.serrSelectionAdapter },
  dycon__schedules: { adapter: dycon.schedulesAdapter },
  dycon__uncl: { adapter: dycon.unclAdapter },
  dycon__fecl: { adapter: dycon.feclAdapter },
  dycon__patch_labels: { adapter: dycon.patchLabelsAdapter },
  dycon__double_softmax_mse: { adapter: dycon.doubleSoftmaxMseAdapter },
  dycon__step_losses: { adapter: dycon.stepLossesAdapter },
};

/** The registration for a vector name; unknown names are not implemented. */
export function lookup(name: string): Registration {
  const exact = REGISTRY[name];
  if (exact) return exact;
  const prefix = Object.keys(REGISTRY)
    .filter((k) => k.endsWith('__') && name.startsWith(k))
    .sort((a, b) => b.length - a.length)[0];
  if (prefix) return REGISTRY[prefix];
  return { notImplemented: 'no adapter is registered for this vector (the project has no implementation mapped to it)' };
}
