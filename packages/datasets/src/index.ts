export type { ClipDataset, ClipGetOptions, ClipSample, VideoRecord } from './clip-dataset';
export * from './real';
export * from './synthetic';
export * from './samplers';
export { createRandomSource, deriveSeed, shuffledIndices, type RandomSource } from './random';
export * from './transforms';
export * from './loader';
export {
  createDataset,
  listDatasets,
  registerDataset,
  type DatasetConfig,
  type DatasetFactory,
} from './dataset-registry';
