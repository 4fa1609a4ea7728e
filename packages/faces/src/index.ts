/**
 * @dfer/faces: from any video or photo of people to faces, landmarks, AU estimates and expressions.
 */
export type { RgbFrame, FaceBox, Point2 } from './types';
export {
  createFaceDetector,
  EXPRESSION_LABELS,
  MESH_POINT_COUNT,
  type DetectedFace,
  type FaceDetector,
  type FaceDetectorConfig,
} from './detection/face-detector';
export { readImageFrame } from './media/image-frame';
