/**
 * @dfer/backbones — a timm-style model registry of the DFER base models (Former-DFER, M3DFEL, MAE-DFER, RDFER,
 * AU-MTL), their weights files and memory estimate, and the PyTorch-like `Module` they are built from.
 *
 * The layers are in `@dfer/backbones/nn` (Linear, Conv3d, LSTM, attention, …) and the model classes with their
 * presets and helpers in `@dfer/backbones/models` (FormerDfer, Rdfer, RDFER_TINY, …).
 */
// The built-in models register themselves when their modules load.
import './models/index';

export {
  registerModel,
  createModelRng,
  createModel,
  listModels,
  getModelInfo,
  getInputSpec,
  getTrainingDefaults,
  getFrameSegments,
  DEFAULT_AU_HEAD_SIZE,
  GENERIC_NO_WEIGHT_DECAY,
  MODEL_INITIALIZATIONS,
  type CreateModelOptions,
  type FrameSegments,
  type ModelInitialization,
  type ModelBuildOptions,
  type ModelInfo,
  type ModelPreset,
  type ModelRegistration,
  type ModelTrainingDefaults,
  type ParametersWithoutGradient,
  type TrainingDefaults,
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
export {
  Module,
  ModuleList,
  Sequential,
  type AnyModule,
  type LoadStateDictOptions,
  type LoadStateDictResult,
  type StateDict,
  type StateDictOptions,
  type TensorModule,
} from './nn/module';
export { createRng, type Rng, type RngConfig } from './nn/rng';
