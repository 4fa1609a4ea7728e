export type { ClipArray } from './clip-array';
export {
  resizeClip,
  cropClip,
  flipClipHorizontally,
  randomResizedCropBox,
  type CropBox,
  type RandomResizedCropOptions,
} from './geometry';
export {
  adjustBrightness,
  adjustContrast,
  adjustSaturation,
  adjustHue,
  normalizeClip,
  type NormalizationSpec,
} from './colour';
export {
  createClipTransform,
  createTrainTransform,
  createTestTransform,
  drawColorJitterParams,
  jitterClipColour,
  type ClipTransform,
  type ClipTransformStep,
  type ClipInputSpec,
  type ColorJitterOptions,
  type ColorJitterParams,
  type TrainTransformConfig,
} from './clip-transform';
