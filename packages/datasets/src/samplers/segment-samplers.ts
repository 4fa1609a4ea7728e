import { assertPositiveInteger, checkSampleCall, segmentIndices, type FrameSampler } from './frame-sampler';

/**
 * Former-DFER's sampler: `numSegments` equal segments, `framesPerSegment` consecutive frames from each
 * (Former-DFER uses 8 × 2 = 16 frames; see `reference/former-dfer.md`, training recipe).
 *
 * Start of segment s over the `span = max(1, N − D + 1)` valid starts, `tick = span / S`:
 * - test: `⌊tick·(s + ½)⌋` (Former-DFER's `int(tick/2 + tick·x)`, deterministic);
 * - train: `⌊tick·(s + u_s)⌋`, `u_s ~ U[0, 1)` — a random start inside each segment (continuous-bin
 *   form of TSN's `s·⌊span/S⌋ + randint(⌊span/S⌋)`, which also covers videos with `span < S`).
 * Frames past the end are clamped to the last frame (short-video policy of {@link FrameSampler}).
 */
export function uniformSegments(numSegments: number, framesPerSegment: number): FrameSampler {
  assertPositiveInteger(numSegments, 'uniformSegments: numSegments');
  assertPositiveInteger(framesPerSegment, 'uniformSegments: framesPerSegment');
  const name = `uniformSegments(${numSegments}, ${framesPerSegment})`;
  return {
    name,
    layout: [1, numSegments * framesPerSegment],
    length: numSegments * framesPerSegment,
    sample(numFrames, options) {
      const rng = checkSampleCall(name, numFrames, options);
      return segmentIndices(numFrames, numSegments, framesPerSegment, () =>
        rng === undefined ? 0.5 : rng.next(),
      );
    },
  };
}

/**
 * `numFrames` single frames spread uniformly over the video (DFER-CLIP's 16-frame protocol): the
 * same rule as {@link uniformSegments} with one frame per segment, i.e. frame
 * `⌊N·(s + ½)/n⌋` in test mode and `⌊N·(s + u_s)/n⌋`, `u_s ~ U[0, 1)`, in train mode.
 */
export function uniform(numFrames: number): FrameSampler {
  assertPositiveInteger(numFrames, 'uniform: numFrames');
  const inner = uniformSegments(numFrames, 1);
  return { ...inner, name: `uniform(${numFrames})` };
}

/**
 * M3DFEL's multi-instance sampler (`reference/m3dfel.md` §2): `numInstances · instanceLength` frames
 * spread uniformly over the video as in {@link uniform}, grouped into `numInstances` contiguous
 * instances (instance k = sampled frames `k·L … k·L + L − 1`); `layout = [numInstances, instanceLength]`.
 *
 * Deviation from the authors' loader: M3DFEL jitters frames at test time too
 * (`idx = int(N·i/16) + int(U·16)`); here test mode is deterministic (bin centres), train mode
 * jitters inside each bin.
 */
export function instances(numInstances: number, instanceLength: number): FrameSampler {
  assertPositiveInteger(numInstances, 'instances: numInstances');
  assertPositiveInteger(instanceLength, 'instances: instanceLength');
  const inner = uniformSegments(numInstances * instanceLength, 1);
  return {
    ...inner,
    name: `instances(${numInstances}, ${instanceLength})`,
    layout: [numInstances, instanceLength],
  };
}
