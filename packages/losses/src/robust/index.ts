/** Robust training for noisy labels: RDFER clip agreement (`reference/rdfer.md`). */
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
} from './clip-agreement';
export { scoreNoisyDetection, type NoisyDetectionOptions, type NoisyDetectionScore } from './noisy-detection';
export {
  sampleWeightedCrossEntropyLoss,
  type SampleWeightedCrossEntropyLossOptions,
} from './sample-weighted-cross-entropy';
export {
  createClipAgreement,
  createRobustWeighting,
  listRobustWeightings,
  type ClipAgreement,
  type ClipAgreementAnalyseOptions,
  type ClipAgreementConfig,
  type RobustWeightingConfig,
} from './robust-weighting';
export { rdferLoss, RDFER_LOSS_WEIGHTS, type RdferLossOptions } from './rdfer-loss';
