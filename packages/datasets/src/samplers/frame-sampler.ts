import type { RandomSource } from '../random';

/** Whether a sampler draws with jitter (`train`) or deterministically (`test`). */
export type SamplingMode = 'train' | 'test';

/** Per-call options of {@link FrameSampler.sample}. */
export interface FrameSampleOptions {
  /** `train` jitters positions using `rng`; `test` is deterministic. */
  readonly mode: SamplingMode;
  /** Required in `train` mode. */
  readonly rng?: RandomSource;
}

/**
 * Chooses which frames of a video to decode. The result is a flat list of 0-based frame indices of
 * length `clips × framesPerClip`, clip-major; `layout` says how it is grouped.
 *
 * Policy for videos shorter than the clip (`numFrames < framesPerClip`): positions are still spread
 * over the whole video (segment starts stay in temporal order), so some frames repeat; nothing is zero-padded and no
 * video is dropped. A video with 0 frames is an error.
 */
export interface FrameSampler {
  /** e.g. `uniformSegments(8, 2)`. */
  readonly name: string;
  /** `[clips, framesPerClip]`; most samplers return one clip. */
  readonly layout: readonly [number, number];
  /** Total number of indices returned: `layout[0] · layout[1]`. */
  readonly length: number;
  sample(numFrames: number, options: FrameSampleOptions): number[];
}

/** Throws unless `value` is a positive integer. */
export function assertPositiveInteger(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${what} must be a positive integer, got ${value}`);
}

/** Checks `numFrames` and the mode/rng pair; returns the rng in train mode. */
export function checkSampleCall(
  name: string,
  numFrames: number,
  options: FrameSampleOptions,
): RandomSource | undefined {
  if (!Number.isInteger(numFrames) || numFrames < 1) {
    throw new RangeError(
      `${name}: numFrames must be a positive integer (the video has no frame to sample), got ${numFrames}`,
    );
  }
  if (options.mode !== 'train' && options.mode !== 'test') {
    throw new RangeError(`${name}: options.mode must be 'train' or 'test', got ${String(options.mode)}`);
  }
  if (options.mode === 'train') {
    if (options.rng === undefined) throw new TypeError(`${name}: options.rng is required in train mode`);
    return options.rng;
  }
  return undefined;
}

/**
 * Segment sampling (TSN, as in Former-DFER's loader), with the position inside each segment given by
 * `position(s) ∈ [0, 1)`: the `span = max(1, N − D + 1)` valid start frames are cut into `S` equal
 * bins of width `tick = span / S`; segment `s` starts at `⌊tick·(s + position(s))⌋` and takes `D`
 * consecutive frames, each clamped to `N − 1`. With `position = 0.5` this is Former-DFER's test rule
 * `int(tick/2 + tick·s)` exactly.
 */
export function segmentIndices(
  numFrames: number,
  numSegments: number,
  framesPerSegment: number,
  position: (segment: number) => number,
): number[] {
  const span = Math.max(1, numFrames - framesPerSegment + 1);
  const tick = span / numSegments;
  const out: number[] = [];
  for (let s = 0; s < numSegments; s++) {
    const start = Math.min(span - 1, Math.floor(tick * (s + position(s))));
    for (let d = 0; d < framesPerSegment; d++) out.push(Math.min(numFrames - 1, start + d));
  }
  return out;
}
