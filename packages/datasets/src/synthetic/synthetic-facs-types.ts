/** Types of the synthetic FACS video dataset: its config, clip ground truth, statistics and the dataset interface. */
import { type AuList, type LabelList, type PriorMatrix } from '@dfer/au-knowledge';
import type { ClipDataset, ClipGetOptions, ClipSample } from '../clip-dataset';
import { type ClipDifficulty, type SyntheticNuisanceConfig } from './clip-plan';
import { type ExpressionProfile } from './expression-profile';

/**
 * Clip counts of DFEW's 7-class single-label benchmark (11,697 clips) in `LABEL_SETS.dfew` order:
 * happy 2,445, sad 1,894, neutral 2,669, angry 2,173, surprise 1,469, disgust 145, fear 902
 * (`../shared/reference/dfer-benchmarks.md`). The default class distribution of the synthetic data.
 */
export const DFEW_CLASS_COUNTS: readonly number[] = [2445, 1894, 2669, 2173, 1469, 145, 902];

/** Label noise: which given labels differ from the true ones, and how. */
export interface SyntheticLabelNoiseConfig {
  /** Fraction of clips whose given label is wrong; exactly round(rate · numClips) clips. */
  readonly rate: number;
  /**
   * `'uniform'` (default): the wrong label is uniform over the other classes. `'pair'`: it is the
   * class whose apex profile is nearest (squared Euclidean distance of profile rows) — systematic
   * confusion. A matrix `[E][E]` (zero diagonal, positive row sums): the wrong label of a class-e clip
   * is drawn with probabilities ∝ row e.
   */
  readonly pattern?: 'uniform' | 'pair' | readonly (readonly number[])[];
}

/** Build-time options of {@link createSyntheticFacsDataset}. Every field is optional. */
export interface SyntheticFacsConfig {
  /** Seed of everything; same seed and config → byte-identical frames. Default 0. */
  readonly seed?: number;
  /** Number of clips. Default 700. */
  readonly numClips?: number;
  /** Number of distinct identities (clips are spread evenly over them). Default 70. */
  readonly numIdentities?: number;
  /** Native frame size `[height, width]`. Default `[64, 64]`. */
  readonly size?: readonly [number, number];
  /** Frames per clip, inclusive range `[min, max]`. Default `[24, 40]`. */
  readonly numFrames?: readonly [number, number];
  /** Frame rate for blink and speech timing. Default 25. */
  readonly fps?: number;
  /** Expression labels (label set name or names). Default `'dfew'`. */
  readonly labels?: LabelList;
  /**
   * Prior from which apex AU profiles are derived (see `createExpressionProfile`; the profile is
   * computed over all of its rows, then the rows of `labels` are picked by meaning). Default
   * `priorMatrix({ source: 'dfew', aus: 'openface18' })` of `@dfer/au-knowledge`.
   */
  readonly prior?: PriorMatrix;
  /** AU columns of the ground truth (`ClipSample.aus`, `meta.auIntensities`). Default `'openface18'`. */
  readonly auNames?: AuList;
  /**
   * Relative class frequencies (any positive scale), one per label. Default: DFEW's real proportions
   * ({@link DFEW_CLASS_COUNTS}) for the DFEW label set, uniform for any other label list. Class counts
   * are exact: largest-remainder rounding of numClips · p.
   */
  readonly classProportions?: readonly number[];
  /** Label noise. Default none. */
  readonly labelNoise?: SyntheticLabelNoiseConfig;
  /** Fraction of hard clips (half subtle, half short). Default 0.15. */
  readonly hardRate?: number;
  /** Fraction of clips with a distractor segment of another expression. Default 0.1. */
  readonly distractorRate?: number;
  /** Fraction of clips with speech-like mouth movement. Default 0.2. */
  readonly speechRate?: number;
  /** Blinks per second. Default 0.3. */
  readonly blinkRate?: number;
  /** Fraction of clips with an occluder. Default 0.05. */
  readonly occlusionRate?: number;
  /** Head pose, framing and photometric jitter ranges. */
  readonly nuisance?: SyntheticNuisanceConfig;
  /** An AU is present in a frame when its intensity ≥ this (FACS 0–5 scale). Default 1 (level A). */
  readonly presenceThreshold?: number;
  /** When set, rendered frames are cached in this folder (raw RGB bytes, one file per frame). */
  readonly cacheDir?: string;
  /**
   * Rendered frames are kept in memory up to this many MiB (least recently used dropped first), so later
   * epochs do not render them again; shared by all subsets of the dataset. Rendering is deterministic, so
   * the cache changes speed only. Default 64; 0 turns it off.
   */
  readonly memoryCacheMiB?: number;
}

/** A frame segment of a clip (frame indices, inclusive). */
export interface SyntheticSegment {
  readonly label: number;
  readonly start: number;
  readonly apexStart: number;
  readonly apexEnd: number;
  readonly end: number;
}

/** Ground truth of one clip over all of its frames, available without rendering. */
export interface SyntheticClipInfo {
  readonly id: string;
  /** Identity index and its subject name (`identity-0007`). */
  readonly identity: number;
  readonly subject: string;
  readonly numFrames: number;
  /** The expression the clip shows. */
  readonly trueLabel: number;
  /** The label given to the learner (differs from `trueLabel` on noisy clips). */
  readonly label: number;
  readonly labelIsNoisy: boolean;
  readonly difficulty: ClipDifficulty;
  /** The key (main) expression segment: the position of the apex the label refers to. */
  readonly keySegment: SyntheticSegment;
  /** Segments of other expressions. */
  readonly distractors: readonly SyntheticSegment[];
  /** Per-frame AU intensities `[numFrames, auNames.length]`, FACS 0–5. */
  readonly auIntensities: Float32Array;
  /** Per-frame AU presences `[numFrames, auNames.length]` (intensity ≥ presenceThreshold). */
  readonly auPresences: Uint8Array;
  /** Per-frame activation (0–1) of the key expression. */
  readonly keyActivation: Float32Array;
  /** Per-frame largest activation (0–1) of a distractor. */
  readonly distractorActivation: Float32Array;
  /** Per-frame 1 where an occluder is in front of the face. */
  readonly occluded: Uint8Array;
  /** Speech segment, when any. */
  readonly speech?: { readonly start: number; readonly end: number };
  /** Number of blinks. */
  readonly blinks: number;
}

/** Counts over a synthetic dataset (or a subset of it). */
export interface SyntheticFacsStats {
  readonly numClips: number;
  /** Distinct identities among the clips. */
  readonly numIdentities: number;
  /** Clips per true label. */
  readonly trueLabelCounts: readonly number[];
  /** Clips per given label. */
  readonly labelCounts: readonly number[];
  /** Clips whose given label differs from the true one. */
  readonly noisyLabels: number;
  readonly difficultyCounts: Readonly<Record<ClipDifficulty, number>>;
  readonly withDistractor: number;
  readonly withSpeech: number;
  readonly withOcclusion: number;
}

/** `ClipSample.meta` of a synthetic clip: ground truth of the requested frames (length T, in order). */
export type SyntheticFacsClipMeta = {
  readonly trueLabel: number;
  readonly labelIsNoisy: boolean;
  readonly identity: number;
  readonly subject: string;
  readonly difficulty: ClipDifficulty;
  /** `[T, auNames.length]` intensities, FACS 0–5 (`ClipSample.aus` holds the presences). */
  readonly auIntensities: Float32Array;
  /** `[T]` activation 0–1 of the key expression. */
  readonly keyActivation: Float32Array;
  /** `[T]` largest activation 0–1 of a distractor. */
  readonly distractorActivation: Float32Array;
  /** `[T]` 1 where an occluder hides part of the face. */
  readonly occluded: Uint8Array;
  /** The key segment in frame indices of the whole video. */
  readonly keySegment: SyntheticSegment;
  readonly distractors: readonly SyntheticSegment[];
};

/** A decoded synthetic clip: a `ClipSample` whose `meta` is a {@link SyntheticFacsClipMeta}. */
export interface SyntheticFacsClipSample extends ClipSample {
  readonly aus: Uint8Array;
  readonly meta: SyntheticFacsClipMeta;
}

/** The synthetic dataset: a {@link ClipDataset} with full ground truth. */
export interface SyntheticFacsDataset extends ClipDataset {
  readonly labelNames: readonly string[];
  readonly auNames: readonly string[];
  /** Native `[height, width]`. */
  readonly size: readonly [number, number];
  /** The apex AU profiles in use. */
  readonly profile: ExpressionProfile;
  /** Decode the frames of clip `index` chosen by `options.frameIndices` (default: all). */
  get(index: number, options?: ClipGetOptions): Promise<SyntheticFacsClipSample>;
  /** Ground truth of clip `index` over all its frames (no rendering). */
  getClipInfo(index: number): SyntheticClipInfo;
  /** Counts of labels, noise, difficulty and events over the dataset. */
  getStats(): SyntheticFacsStats;
  /** A view on the clips `indices` (in that order), e.g. one fold of `createIdentityFolds`. */
  subset(indices: readonly number[]): SyntheticFacsDataset;
}
