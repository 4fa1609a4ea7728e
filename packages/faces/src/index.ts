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
export { MESH_POINTS } from './geometry/mesh-points';
export {
  GEOMETRY_FEATURES,
  measureFaceGeometry,
  type FaceGeometry,
  type GeometryFeature,
} from './geometry/face-geometry';
export {
  AU_GEOMETRY,
  GEOMETRY_AUS,
  NEUTRAL_TOLERANCE,
  createNeutralBaseline,
  estimateAus,
  type AuGeometryFormula,
  type NeutralBaseline,
  type NeutralBaselineConfig,
} from './geometry/au-estimates';
export { NEUTRAL_REFERENCE } from './geometry/neutral-reference';
export {
  boxIou,
  createFaceTracker,
  type FaceTracker,
  type FaceTrackerConfig,
  type TrackAssignment,
} from './tracking/face-tracker';
export {
  alignFace,
  eyeAlignmentTransform,
  warpFrame,
  DEFAULT_ALIGNMENT_TEMPLATE,
  type AffineMatrix,
  type AlignmentTarget,
  type AlignmentTemplate,
} from './alignment/align-face';
export { priorExpression } from './expression/prior-expression';
export {
  loadWindowExpressionModel,
  type WindowExpressionModel,
  type WindowModelSpec,
} from './expression/window-model';
export {
  analyzeImage,
  analyzeVideo,
  EXPRESSION_SOURCES,
  type AnalysisProgress,
  type AnalysisSummary,
  type AnalyzeOptions,
  type ExpressionSegment,
  type ExpressionSource,
  type FaceResult,
  type FaceSummary,
  type FaceThumbnail,
  type FrameResult,
  type ImageAnalysis,
  type VideoAnalysis,
} from './analysis/analyze';
export {
  createAnalysisWriter,
  framesCsvRows,
  summaryJson,
  FRAMES_CSV_COLUMNS,
  type AnalysisWriter,
} from './report/analysis-outputs';
export {
  createTimelineCollector,
  renderReportHtml,
  EXPRESSION_COLOURS,
  type FaceTimeline,
  type TimelineCollector,
} from './report/report-html';
export { prepareFaceClip, type PrepareClipOptions, type PreparedClip } from './analysis/prepare-clips';
