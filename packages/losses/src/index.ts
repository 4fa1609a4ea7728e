/**
 * @dfer/losses — expression, imbalance, AU-DFER and AU-detection losses as pure functions of tfjs
 * tensors, each returning `{ loss, terms }` and verified against PyTorch reference values.
 */
export type { LabelsInput, LossResult, MultiLabelTargetsInput, Reduction } from './types';
export { REDUCTIONS } from './types';
export { crossEntropyLoss, type CrossEntropyLossOptions } from './expression/cross-entropy';
export { focalLoss, type FocalLossOptions } from './expression/focal';
export {
  softTargetCrossEntropyLoss,
  type SoftTargetCrossEntropyLossOptions,
} from './expression/soft-target-cross-entropy';
export {
  classBalancedLoss,
  classBalancedWeights,
  type ClassBalancedBase,
  type ClassBalancedLossOptions,
} from './expression/class-balanced';
export {
  balancedSoftmaxLoss,
  logitAdjustedLoss,
  type BalancedSoftmaxLossOptions,
  type LogitAdjustedLossOptions,
} from './expression/logit-adjusted';
export {
  auDferLoss,
  AU_DFER_DEFAULT_LAMBDA,
  AU_DFER_DEFAULT_SCALE,
  type AuDferLossOptions,
} from './au-dfer/au-dfer-loss';
export { weightedBceLoss, type WeightedBceLossOptions } from './au-detection/weighted-bce';
export {
  weightedAsymmetricLoss,
  type WeightedAsymmetricLossOptions,
} from './au-detection/weighted-asymmetric';
export { auDiceLoss, type AuDiceLossOptions } from './au-detection/dice';
export type { DiceTermOptions } from './au-detection/multi-label-settings';
export {
  createLoss,
  listLosses,
  registerLoss,
  type Loss,
  type LossComputeOptions,
  type LossConfig,
  type LossContext,
  type LossFactory,
  type LossInputName,
  type LossInputs,
} from './registry/loss-registry';
// Robust training for noisy labels: RDFER clip agreement (`reference/rdfer.md`).
export {
  AGREEMENT_MEASURES,
  analyseClipAgreement,
  CLIP_AGREEMENT_DEFAULTS,
  clipAgreementScores,
  NOISY_TREATMENTS,
  resolveClipAgreementOptions,
  SAMPLE_PARTITION,
  softmaxClipLogits,
  type AgreementMeasure,
  type ClipAgreementAnalysis,
  type ClipAgreementOptions,
  type ClipAgreementScores,
  type ClipPredictionShape,
  type NoisyTreatment,
  type ResolvedClipAgreementOptions,
  type SamplePartitionName,
} from './robust/clip-agreement';
export {
  scoreNoisyDetection,
  type NoisyDetectionOptions,
  type NoisyDetectionScore,
} from './robust/noisy-detection';
export {
  sampleWeightedCrossEntropyLoss,
  type SampleWeightedCrossEntropyLossOptions,
} from './robust/sample-weighted-cross-entropy';
export {
  createClipAgreement,
  createRobustWeighting,
  listRobustWeightings,
  type ClipAgreement,
  type ClipAgreementAnalyseOptions,
  type ClipAgreementConfig,
  type RobustWeightingConfig,
} from './robust/robust-weighting';
export { rdferLoss, RDFER_LOSS_WEIGHTS, type RdferLossOptions } from './robust/rdfer-loss';
