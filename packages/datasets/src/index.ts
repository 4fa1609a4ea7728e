export type { ClipDataset, ClipGetOptions, ClipSample, VideoRecord } from './clip-dataset';
export * from './real';
export * from './synthetic';
