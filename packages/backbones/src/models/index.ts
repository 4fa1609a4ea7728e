/**
 * `@dfer/backbones/models` — per registered model: its class, presets, build options and factory; the
 * submodules its public members are typed with (e.g. `SFormer`, `DMIN`, `LgiBlock`); and the functions its
 * documentation refers to (e.g. M3DFEL's instance attention, RDFER's key sampling and key targets).
 * Loading it registers every model (each model file calls `registerModel`).
 */
export {
  BasicBlock,
  createFormerDfer,
  FORMER_DFER_PAPER,
  FORMER_DFER_TINY,
  FormerDfer,
  SFormer,
  TFormer,
  type FormerDferArchitecture,
  type FormerDferConfig,
} from './former-dfer';
export {
  createM3dfel,
  DMIN,
  instanceSelfAttention,
  instanceSelfAttentionToOnnx,
  M3DFEL_PAPER,
  M3DFEL_TINY,
  M3dfel,
  R3dBasicBlock,
  R3dFeatures,
  type M3dfelArchitecture,
  type M3dfelConfig,
  type R3dWidths,
} from './m3dfel';
export {
  createMaeDfer,
  DropPath,
  GeneralAttention,
  LgiBlock,
  LgiMlp,
  MAE_DFER_PAPER_CONFIG,
  MAE_DFER_TINY_CONFIG,
  MaeDfer,
  resolveMaeDferConfig,
  sinusoidPositionTable,
  TubeletEmbedding,
  type DropPathConfig,
  type GeneralAttentionConfig,
  type LgiBlockConfig,
  type LgiMlpConfig,
  type MaeDferConfig,
  type ResolvedMaeDferConfig,
  type TubeletEmbeddingConfig,
} from './mae-dfer';
export {
  createRdfer,
  keyCentresFromScores,
  keySamplingPositions,
  Rdfer,
  RDFER_PAPER,
  RDFER_TINY,
  rdferKeyPositionLoss,
  rdferKeyTargets,
  softSampleFrames,
  type KeySamplingConfig,
  type KeySamplingPositions,
  type RdferArchitecture,
  type RdferConfig,
  type RdferFrameNorm,
  type RdferOutput,
} from './rdfer';
export {
  AttentionGateUnit,
  AU_MTL_DEFAULT_NUM_AUS,
  AU_MTL_PAPER,
  AU_MTL_TINY,
  AuMtl,
  AuMtlEncoder,
  createAuMtl,
  type AttentionGateOutput,
  type AuMtlArchitecture,
  type AuMtlConfig,
  type AuMtlGate,
  type AuMtlOutput,
  type CreateAuMtlOptions,
} from './au-mtl';
