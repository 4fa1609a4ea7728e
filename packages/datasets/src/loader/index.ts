export {
  createClipLoader,
  type ClipLoader,
  type ClipLoaderConfig,
  type ClipBatch,
  type EpochReport,
} from './clip-loader';
export {
  createWorkerClipDataset,
  type WorkerClipDataset,
  type WorkerClipDatasetConfig,
} from './worker-dataset';
