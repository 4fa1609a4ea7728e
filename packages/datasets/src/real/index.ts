export { DatasetInputError, type BadInputPolicy, type SkippedItem } from './data-errors';
export { isPathInside } from './path-inside';
export { TEXT_FILE_MAX_BYTES, type TextFileOptions } from './text-lines';
export {
  readSplitList,
  countLabels,
  SPLIT_LIST_FORMATS,
  type SplitEntry,
  type SplitList,
  type SplitListFormat,
  type SplitListOptions,
} from './split-list';
export {
  readDfewLabelCsv,
  type DfewLabelCsv,
  type DfewLabelCsvOptions,
  type DfewLabelEntry,
} from './dfew-csv';
export {
  readOpenFaceCsv,
  selectAuColumns,
  clipAuTargets,
  type OpenFaceTrack,
  type OpenFaceCsvOptions,
  type ClipAuTargetOptions,
  type ClipAuTargets,
} from './openface-csv';
export { readClipAuCsv, type ClipAuCsv, type ClipAuCsvOptions } from './clip-au-csv';
export { readAuEstimateCsv, type AuEstimateTrack } from './au-estimate-csv';
export { readBp4dAuLabels, type Bp4dAuLabels } from './bp4d-labels';
export {
  decodeImage,
  DEFAULT_IMAGE_FORMATS,
  DEFAULT_MAX_PIXELS,
  IMAGE_FILE_MAX_BYTES,
  type DecodedImage,
  type DecodeImageOptions,
  type ImageFormat,
} from './image-decoding';
export { resolveFfmpeg, locateFfmpeg, type FfmpegBinary, type FfmpegSearchOptions } from './ffmpeg-binary';
export {
  probeVideo,
  decodeVideo,
  DEFAULT_VIDEO_FORMATS,
  DEFAULT_MAX_TOTAL_PIXELS,
  defaultVideoTimeoutMs,
  type VideoInfo,
  type VideoDecodeOptions,
  type DecodeVideoOptions,
  type DecodedVideo,
} from './video-decoding';
export {
  createFrameFolderDataset,
  createSplitListDataset,
  listFrameFiles,
  type FrameFolderClip,
  type FrameFolderDataset,
  type FrameFolderDatasetConfig,
  type SplitListDatasetConfig,
} from './frame-folder-dataset';
export { createVideoDataset, type VideoDatasetConfig, type VideoFileClip } from './video-dataset';
export { createOpenFaceAuDataset, type OpenFaceAuDatasetConfig } from './openface-au-dataset';
export { createDfewCsvDataset, type DfewCsvDatasetConfig } from './dfew-dataset';
