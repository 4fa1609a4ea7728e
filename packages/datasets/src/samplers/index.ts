export type { FrameSampleOptions, FrameSampler, SamplingMode } from './frame-sampler';
export { uniformSegments, uniform, instances } from './segment-samplers';
export { multiClip, type MultiClipConfig } from './multi-clip';
export { keyExpression } from './key-expression';
export { stridedWindow } from './strided-window';
