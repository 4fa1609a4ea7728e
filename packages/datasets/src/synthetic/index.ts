/**
 * The synthetic FACS video generator: seeded procedural face videos driven by the intensities of
 * facial Action Units, with full ground truth.
 */
export { createSyntheticFacsDataset } from './synthetic-facs-dataset';
export { allocateClassCounts } from './synthetic-facs-config';
export {
  DFEW_CLASS_COUNTS,
  type SyntheticFacsConfig,
  type SyntheticFacsDataset,
  type SyntheticFacsStats,
  type SyntheticClipInfo,
  type SyntheticFacsClipMeta,
  type SyntheticFacsClipSample,
  type SyntheticSegment,
  type SyntheticLabelNoiseConfig,
} from './synthetic-facs-types';
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
export {
  createExpressionProfile,
  sampleApexIntensities,
  MAX_AU_INTENSITY,
  type ExpressionProfile,
  type ExpressionProfileConfig,
} from './expression-profile';
export {
  DEFAULT_NUISANCE,
  NO_NUISANCE,
  segmentActivation,
  type ClipDifficulty,
  type SyntheticNuisanceConfig,
} from './clip-plan';
export {
  ANIMATED_AUS,
  computeFaceLandmarks,
  type AuIntensities,
  type FaceCreases,
  type FaceLandmarks,
  type FacePoint,
  type FaceState,
} from './face-geometry';
export { sampleFaceIdentity, type FaceIdentity, type HairStyle, type Rgb } from './face-identity';
export {
  renderFaceFrame,
  FRONTAL_FRAMING,
  CLEAN_PHOTOMETRY,
  type FaceFraming,
  type FaceOcclusion,
  type FacePhotometry,
  type FaceRenderRequest,
  type HeadPose,
} from './face-renderer';
