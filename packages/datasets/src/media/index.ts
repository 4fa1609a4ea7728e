/**
 * @dfer/datasets/media — decoding: JPEG/PNG frames with sharp (required on the first decode), videos with
 * ffmpeg (the binary of `@ffmpeg-installer/ffmpeg`, else a system one; found on first use), and the frame
 * files of a clip folder in natural order. Every input is bounded (bytes, pixels, time) and a damaged one
 * is a `DatasetInputError` naming the file.
 */
export {
  decodeImage,
  DEFAULT_IMAGE_FORMATS,
  DEFAULT_MAX_PIXELS,
  IMAGE_FILE_MAX_BYTES,
  type DecodedImage,
  type DecodeImageOptions,
  type ImageFormat,
} from './image-decoding';
export {
  probeVideo,
  decodeVideo,
  DEFAULT_VIDEO_FORMATS,
  DEFAULT_MAX_TOTAL_PIXELS,
  defaultVideoTimeoutMs,
  type DecodedVideo,
  type DecodeVideoOptions,
  type ProbeVideoOptions,
  type VideoInfo,
} from './video-decoding';
export { openVideoFrames, type VideoFrame, type VideoFrames, type VideoFramesOptions } from './video-stream';
export { resolveFfmpeg, type FfmpegBinary, type FfmpegSearchOptions } from './ffmpeg-binary';
export { listFrameFiles } from './frame-files';
