/**
 * The dataset contract every adapter and the synthetic generator implement. Tensor-free: plain typed
 * arrays, so it runs without tfjs (in Node or a browser).
 */

/** Metadata of one video, available without decoding any frame. */
export interface VideoRecord {
  /** Stable identifier (e.g. DFEW clip number, file stem, synthetic `id-000123`). */
  readonly id: string;
  /** Number of frames of the whole video. */
  readonly numFrames: number;
  /** Expression label index in the dataset's `labelNames` order (the label given to the learner). */
  readonly label: number;
  /** Subject / identity, for identity-disjoint splits, when known. */
  readonly subject?: string;
}

/** One decoded clip. */
export interface ClipSample {
  readonly id: string;
  /** Pixels, `[T, H, W, C]` row-major (NHWC per frame), float32 in [0, 1] before normalisation. */
  readonly frames: Float32Array;
  /** `[T, H, W, C]`. */
  readonly shape: readonly [number, number, number, number];
  /** Expression label index (as given to the learner; may be noisy on synthetic data). */
  readonly label: number;
  /** Which frames of the video were decoded, in order (length T). */
  readonly frameIndices: readonly number[];
  /** Per-frame AU presences `[T, nAU]` (0/1) in the order of `ClipDataset.auNames`, when known. */
  readonly aus?: Uint8Array;
  /** Anything else the source knows (true label, AU intensities, identity, …). */
  readonly meta?: Readonly<Record<string, unknown>>;
}

/** Per-call options of {@link ClipDataset.get}. */
export interface ClipGetOptions {
  /** Frame indices to decode (from a sampler). Default: every frame of the video. */
  readonly frameIndices?: readonly number[];
  /** Output frame size `[height, width]`. Default: the dataset's native size. */
  readonly size?: readonly [number, number];
}

/** A dataset of labelled videos. */
export interface ClipDataset {
  /** Number of videos. */
  readonly length: number;
  /** Label names in index order (e.g. `LABEL_SETS.dfew` of `@dfer/au-knowledge`). */
  readonly labelNames: readonly string[];
  /** AU names of `ClipSample.aus` columns, when the dataset has AU labels. */
  readonly auNames?: readonly string[];
  /** Metadata of video `index` (0 ≤ index < length) without decoding. */
  record(index: number): VideoRecord;
  /** Decode the frames of video `index` chosen by `options.frameIndices`. */
  get(index: number, options?: ClipGetOptions): Promise<ClipSample>;
}
