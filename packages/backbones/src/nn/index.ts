export {
  Module,
  ModuleList,
  Sequential,
  invertPermutation,
  type TensorModule,
  type AnyModule,
  type OnnxOutput,
  type StateDict,
  type StateDictLayout,
  type StateDictOptions,
  type StateDictSpecEntry,
  type StateEntry,
  type StateEntryConfig,
  type StateEntryKind,
  type LoadStateDictOptions,
  type LoadStateDictResult,
} from './module';
export {
  createRng,
  uniformValues,
  normalValues,
  truncatedNormalValues,
  type Rng,
  type RngConfig,
} from './rng';
export {
  enableCheckpointing,
  disableCheckpointing,
  isCheckpointed,
  drawSeed,
  isRecomputing,
} from './checkpoint';
export { Linear, type LinearConfig } from './linear';
export { Conv2d, toPair, type Conv2dConfig, type Size2d } from './conv2d';
export { Conv3d, applyConv3d, toTriple, type Conv3dConfig, type Size3d } from './conv3d';
export { Conv1d, applyConv1d, type Conv1dConfig } from './conv1d';
export { LSTM, type LSTMConfig } from './lstm';
export { BatchNorm, type BatchNormConfig } from './batch-norm';
export { LayerNorm, type LayerNormConfig } from './layer-norm';
export { GELU, ReLU, Identity, Dropout, type GeluApproximation, type DropoutConfig } from './activations';
export { MultiHeadAttention, type MultiHeadAttentionConfig } from './attention';
export {
  PreNorm,
  Residual,
  FeedForward,
  TransformerEncoderLayer,
  TransformerEncoder,
  type FeedForwardConfig,
  type TransformerEncoderConfig,
} from './transformer';
export { MaxPool2d, MeanPool, type MaxPool2dConfig } from './pooling';
export { addTensorInitializer, addScalar, addReshape, addTranspose } from './onnx';
export { permuteValues } from './permute';
