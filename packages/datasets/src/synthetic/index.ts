/**
 * @dfer/datasets/synthetic — the synthetic FACS video generator: seeded procedural face videos driven by
 * the intensities of facial Action Units, with full ground truth; its BP4D-style AU-detection variant;
 * identity-disjoint folds; and the face renderer they draw with (`@napi-rs/canvas`, required on the first
 * rendered frame).
 */
export { createSyntheticFacsDataset } from './synthetic-facs-dataset';
export {
  DFEW_CLASS_COUNTS,
  type SyntheticClipInfo,
  type SyntheticFacsClipMeta,
  type SyntheticFacsClipSample,
  type SyntheticFacsConfig,
  type SyntheticFacsDataset,
  type SyntheticFacsStats,
  type SyntheticLabelNoiseConfig,
  type SyntheticSegment,
} from './synthetic-facs-types';
export {
  DEFAULT_NUISANCE,
  NO_NUISANCE,
  type ClipDifficulty,
  type SyntheticNuisanceConfig,
} from './clip-plan';
export type { ExpressionProfile } from './expression-profile';
export {
  createAuExpressionRule,
  createSyntheticAuDataset,
  labelAuClipExpression,
  type AuExpressionRule,
  type AuOccurrenceSource,
  type SyntheticAuClipInfo,
  type SyntheticAuConfig,
  type SyntheticAuDataset,
} from './synthetic-au-dataset';
export { createIdentityFolds, type IdentityFold, type IdentityFoldOptions } from './identity-folds';
export { renderFaceFrame } from './face-renderer';
export {
  FRONTAL_FRAMING,
  CLEAN_PHOTOMETRY,
  type FaceFraming,
  type FaceOcclusion,
  type FacePhotometry,
  type FaceRenderRequest,
  type HeadPose,
} from './face-render-request';
export { sampleFaceIdentity, type FaceIdentity, type HairStyle, type Rgb } from './face-identity';
export { ANIMATED_AUS, type AuIntensities } from './face-geometry';
