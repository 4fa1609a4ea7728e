/**
 * @dfer/backbones — PyTorch-like nn modules (tfjs forward, channels-last), a timm-style model registry
 * and the DFER base models.
 */
export * from './nn/index';
export {
  registerModel,
  createModelRng,
  createModel,
  listModels,
  getModelInfo,
  getInputSpec,
  DEFAULT_AU_HEAD_SIZE,
  MODEL_INITIALIZATIONS,
  type CreateModelOptions,
  type ModelInitialization,
  type ModelBuildOptions,
  type ModelInfo,
  type ModelPreset,
  type ModelRegistration,
  type ParametersWithoutGradient,
} from './registry';
export {
  VideoModel,
  type CheckpointBlock,
  type InputSpec,
  type VideoModelOutput,
  type VideoModelHeadOutput,
} from './video-model';
export {
  loadWeights,
  loadWeightsFromContent,
  saveWeights,
  stateDictToSafetensors,
  type LoadWeightsOptions,
  type SaveWeightsOptions,
} from './weights';
export { estimateTrainStepBytes, type TrainStepMemoryEstimate } from './memory-estimate';
export * from './models/index';
