/**
 * @dfer/datasets — what a DFER experiment needs: the `ClipDataset` contract, the real-dataset adapters
 * (split lists, DFEW CSVs, frame folders, videos, OpenFace AU labels), the dataset registry, seeded clip
 * samplers, train/test clip transforms, the loader (batches, prefetch, worker threads) and the seeded
 * random source. Tensor-free: plain typed arrays, so it runs without tfjs. Importing it loads no native
 * module: sharp and `@napi-rs/canvas` are required on first use.
 *
 * The rest sits behind entry points named after what they hold:
 * - `@dfer/datasets/synthetic`: the synthetic FACS face-video generator, the BP4D-style AU variant,
 *   identity-disjoint folds and the face renderer;
 * - `@dfer/datasets/media`: image and video decoding, frame-folder listing, the ffmpeg binary;
 * - `@dfer/datasets/annotations`: readers of split lists, DFEW label CSVs, OpenFace / clip AU CSVs and
 *   BP4D AU label lists.
 */
export type { ClipDataset, ClipGetOptions, ClipSample, VideoRecord } from './clip-dataset';
export { DatasetInputError, type BadInputPolicy, type SkippedItem } from './data-errors';
export {
  createDataset,
  listDatasets,
  registerDataset,
  type DatasetConfig,
  type DatasetFactory,
} from './dataset-registry';
export {
  createFrameFolderDataset,
  createSplitListDataset,
  type FrameFolderClip,
  type FrameFolderDataset,
  type FrameFolderDatasetConfig,
  type SplitListDatasetConfig,
} from './real/frame-folder-dataset';
export { createDfewCsvDataset, type DfewCsvDatasetConfig } from './real/dfew-dataset';
export { createVideoDataset, type VideoDatasetConfig, type VideoFileClip } from './real/video-dataset';
export { createOpenFaceAuDataset, type OpenFaceAuDatasetConfig } from './real/openface-au-dataset';
export type { FrameSampleOptions, FrameSampler, SamplingMode } from './samplers/frame-sampler';
export { uniformSegments, uniform, instances } from './samplers/segment-samplers';
export { multiClip, type MultiClipConfig } from './samplers/multi-clip';
export { keyExpression } from './samplers/key-expression';
export { stridedWindow } from './samplers/strided-window';
export {
  createClipTransform,
  createTrainTransform,
  createTestTransform,
  type ClipInputSpec,
  type ClipTransform,
  type ClipTransformStep,
  type TrainTransformConfig,
} from './transforms/clip-transform';
export {
  createClipLoader,
  type ClipBatch,
  type ClipLoader,
  type ClipLoaderConfig,
  type EpochReport,
} from './loader/clip-loader';
export {
  createWorkerClipDataset,
  type WorkerClipDataset,
  type WorkerClipDatasetConfig,
} from './loader/worker-dataset';
export { createRandomSource, deriveSeed, type RandomSource } from './random';
