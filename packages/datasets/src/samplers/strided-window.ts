import { assertPositiveInteger, checkSampleCall, type FrameSampler } from './frame-sampler';

/**
 * `numFrames` frames `stride` apart inside one window (MAE-DFER / VideoMAE: 16 frames, sampling rate 4;
 * `reference/mae-dfer.md`, frame sampling). The window spans `W = (n − 1)·stride + 1` frames; on a video
 * of N ≥ W frames it starts at `U{0 … N − W}` (train) or `⌊(N − W)/2⌋` (test, centred), and frame k is
 * `start + k·stride`. On a shorter video the frames are `min(k·stride, N − 1)`: every stride-th frame,
 * padded with the last frame, as MAE-DFER pads short videos.
 *
 * Deviation: MAE-DFER places 16 frames with `linspace(start, end, 16)` over a 64-frame window (spacing
 * 64/15 ≈ 4.27); here the spacing is exactly `stride`.
 */
export function stridedWindow(numFrames: number, stride: number): FrameSampler {
  assertPositiveInteger(numFrames, 'stridedWindow: numFrames');
  assertPositiveInteger(stride, 'stridedWindow: stride');
  const name = `stridedWindow(${numFrames}, ${stride})`;
  const window = (numFrames - 1) * stride + 1;
  return {
    name,
    layout: [1, numFrames],
    length: numFrames,
    sample(videoFrames, options) {
      const rng = checkSampleCall(name, videoFrames, options);
      const slack = videoFrames - window;
      let start = 0;
      if (slack > 0)
        start =
          rng === undefined ? Math.floor(slack / 2) : Math.min(slack, Math.floor(rng.next() * (slack + 1)));
      return Array.from({ length: numFrames }, (_, k) => Math.min(start + k * stride, videoFrames - 1));
    },
  };
}
