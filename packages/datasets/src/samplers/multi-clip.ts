import { assertPositiveInteger, checkSampleCall, segmentIndices, type FrameSampler } from './frame-sampler';
import { uniformSegments } from './segment-samplers';

/** Build-time options of {@link multiClip}. */
export interface MultiClipConfig {
  /** Segments per clip (default 8). */
  readonly numSegments?: number;
  /** Consecutive frames per segment (default 2, Former-DFER's 8 × 2). */
  readonly framesPerSegment?: number;
}

/**
 * `numClips` clips of the same video, for RDFER's clip-agreement weighting (`reference/rdfer.md` §1).
 * Each clip is a segment sample (`numSegments × framesPerSegment`, as in {@link uniformSegments});
 * `layout = [numClips, numSegments · framesPerSegment]`.
 * - train: every clip draws its own start `⌊tick·(s + u_{k,s})⌋`, `u ~ U[0, 1)`, independently;
 * - test: deterministic, clip k starts segment s at `⌊tick·(s + (k + ½)/K)⌋`, so the K clips sit at
 *   K evenly spaced phases inside every segment (with K = 1 this is the test rule of `uniformSegments`).
 */
export function multiClip(numClips: number, config: MultiClipConfig = {}): FrameSampler {
  assertPositiveInteger(numClips, 'multiClip: numClips');
  const numSegments = config.numSegments ?? 8;
  const framesPerSegment = config.framesPerSegment ?? 2;
  const inner = uniformSegments(numSegments, framesPerSegment);
  const name = `multiClip(${numClips}, ${numSegments}×${framesPerSegment})`;
  return {
    name,
    layout: [numClips, inner.length],
    length: numClips * inner.length,
    sample(numFrames, options) {
      const rng = checkSampleCall(name, numFrames, options);
      const out: number[] = [];
      for (let k = 0; k < numClips; k++) {
        if (rng !== undefined) {
          out.push(...inner.sample(numFrames, { mode: 'train', rng }));
          continue;
        }
        out.push(...segmentIndices(numFrames, numSegments, framesPerSegment, () => (k + 0.5) / numClips));
      }
      return out;
    },
  };
}
