/**
 * The synthetic FACS video dataset: seeded procedural face videos driven by AU intensities, with
 * full ground truth (per-frame AU intensities and presences, true and given labels, identities, the
 * key-expression and distractor segments). Implements {@link ClipDataset}; only the requested frames
 * are rendered.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  LABEL_SETS,
  priorMatrix,
  resolveAuList,
  resolveLabelList,
  type AuList,
  type LabelList,
  type PriorMatrix,
} from '@dfer/au-knowledge';
import type { ClipDataset, ClipGetOptions, ClipSample, VideoRecord } from '../clip-dataset';
import { createRandomSource, deriveSeed, randomInt, shuffledIndices } from '../random';
import {
  DEFAULT_NUISANCE,
  planFrame,
  sampleClipPlan,
  segmentActivation,
  type ClipDifficulty,
  type ClipPlan,
  type ClipPlanConfig,
  type SyntheticNuisanceConfig,
} from './clip-plan';
import { createExpressionProfile, type ExpressionProfile } from './expression-profile';
import { ANIMATED_AUS } from './face-geometry';
import { sampleFaceIdentity, type FaceIdentity } from './face-identity';
import { renderFaceFrame } from './face-renderer';

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

/** Random streams (first key of `deriveSeed`). */
const STREAM_LABELS = 1;
const STREAM_IDENTITY = 2;
const STREAM_CLIP = 3;
const STREAM_NOISE_PIXELS = 4;
const STREAM_LABEL_NOISE = 5;
const STREAM_IDENTITY_ASSIGN = 6;

/** Version of the rendering; part of the cache key so that caches of older renderers are not reused. */
const RENDERER_VERSION = 1;

interface ResolvedConfig {
  readonly seed: number;
  readonly numClips: number;
  readonly numIdentities: number;
  readonly size: readonly [number, number];
  readonly labels: readonly string[];
  readonly auNames: readonly string[];
  readonly classProportions: readonly number[];
  readonly noiseRate: number;
  readonly noisePattern: 'uniform' | 'pair' | readonly (readonly number[])[];
  readonly presenceThreshold: number;
  readonly cacheDir?: string;
  readonly memoryCacheBytes: number;
  readonly plan: ClipPlanConfig;
}

function checkNumber(name: string, v: number, lo: number, hi: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
    throw new RangeError(
      `createSyntheticFacsDataset: ${name} must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${String(v)}`,
    );
  }
  return v;
}

function resolveConfig(config: SyntheticFacsConfig): ResolvedConfig {
  const seed = checkNumber('seed', config.seed ?? 0, -(2 ** 53), 2 ** 53, true);
  const numClips = checkNumber('numClips', config.numClips ?? 700, 1, 1e7, true);
  const numIdentities = checkNumber('numIdentities', config.numIdentities ?? 70, 1, 1e7, true);
  const size = config.size ?? [64, 64];
  if (!Array.isArray(size) || size.length !== 2)
    throw new RangeError('createSyntheticFacsDataset: size must be [height, width]');
  checkNumber('size[0] (height)', size[0], 8, 2048, true);
  checkNumber('size[1] (width)', size[1], 8, 2048, true);
  const numFrames = config.numFrames ?? [24, 40];
  if (!Array.isArray(numFrames) || numFrames.length !== 2) {
    throw new RangeError('createSyntheticFacsDataset: numFrames must be [min, max]');
  }
  const distractorRate = checkNumber('distractorRate', config.distractorRate ?? 0.1, 0, 1);
  const minFrames = distractorRate > 0 ? 16 : 8;
  checkNumber(
    `numFrames[0] (min frames${distractorRate > 0 ? '; at least 16 when distractorRate > 0' : ''})`,
    numFrames[0],
    minFrames,
    100000,
    true,
  );
  checkNumber('numFrames[1] (max frames, ≥ min)', numFrames[1], numFrames[0], 100000, true);
  const labels = resolveLabelList(config.labels ?? 'dfew', 'labels');
  const auNames = resolveAuList(config.auNames ?? 'openface18', 'auNames');
  auNames.forEach((au, i) => {
    if (!(ANIMATED_AUS as readonly string[]).includes(au)) {
      throw new RangeError(
        `createSyntheticFacsDataset: auNames[${i}] = ${au} is not animated; animated AUs: ${ANIMATED_AUS.join(', ')}`,
      );
    }
  });
  const isDfew = labels.length === LABEL_SETS.dfew.length && labels.every((l, i) => l === LABEL_SETS.dfew[i]);
  const classProportions = config.classProportions ?? (isDfew ? DFEW_CLASS_COUNTS : labels.map(() => 1));
  if (classProportions.length !== labels.length) {
    throw new RangeError(
      `createSyntheticFacsDataset: classProportions has ${classProportions.length} entries; expected ${labels.length} (one per label: ${labels.join(', ')})`,
    );
  }
  classProportions.forEach((p, i) =>
    checkNumber(`classProportions[${i}] (${labels[i]})`, p, 0, Number.MAX_VALUE),
  );
  if (!classProportions.some((p) => p > 0))
    throw new RangeError('createSyntheticFacsDataset: classProportions are all 0');
  const noise = config.labelNoise ?? { rate: 0 };
  const noiseRate = checkNumber('labelNoise.rate', noise.rate, 0, 1);
  const noisePattern = noise.pattern ?? 'uniform';
  if (typeof noisePattern === 'string') {
    if (noisePattern !== 'uniform' && noisePattern !== 'pair') {
      throw new RangeError(
        `createSyntheticFacsDataset: labelNoise.pattern must be 'uniform', 'pair' or a matrix, got ${JSON.stringify(noisePattern)}`,
      );
    }
  } else {
    if (noisePattern.length !== labels.length) {
      throw new RangeError(
        `createSyntheticFacsDataset: labelNoise.pattern has ${noisePattern.length} rows; expected ${labels.length}`,
      );
    }
    noisePattern.forEach((row, e) => {
      if (row.length !== labels.length) {
        throw new RangeError(
          `createSyntheticFacsDataset: labelNoise.pattern[${e}] has ${row.length} entries; expected ${labels.length}`,
        );
      }
      row.forEach((v, f) => checkNumber(`labelNoise.pattern[${e}][${f}]`, v, 0, Number.MAX_VALUE));
      if (row[e] !== 0)
        throw new RangeError(
          `createSyntheticFacsDataset: labelNoise.pattern[${e}][${e}] must be 0 (a wrong label differs from the true one)`,
        );
      if (!row.some((v) => v > 0))
        throw new RangeError(
          `createSyntheticFacsDataset: labelNoise.pattern[${e}] (${labels[e]}) has no positive entry`,
        );
    });
  }
  const nuisance = { ...DEFAULT_NUISANCE, ...(config.nuisance ?? {}) };
  for (const [k, v] of Object.entries(nuisance)) {
    if (k === 'faceScale') checkNumber(`nuisance.${k}`, v, 0.25, 4);
    else checkNumber(`nuisance.${k}`, v, 0, k === 'brightness' || k === 'noiseStd' ? 255 : 90);
  }
  return {
    seed,
    numClips,
    numIdentities,
    size: [size[0], size[1]],
    labels,
    auNames,
    classProportions,
    noiseRate,
    noisePattern,
    presenceThreshold: checkNumber('presenceThreshold', config.presenceThreshold ?? 1, 0, 5),
    ...(config.cacheDir === undefined ? {} : { cacheDir: config.cacheDir }),
    memoryCacheBytes: checkNumber('memoryCacheMiB', config.memoryCacheMiB ?? 64, 0, 2 ** 20) * 2 ** 20,
    plan: {
      numFrames: [numFrames[0], numFrames[1]],
      fps: checkNumber('fps', config.fps ?? 25, 1, 1000),
      hardRate: checkNumber('hardRate', config.hardRate ?? 0.15, 0, 1),
      distractorRate,
      speechRate: checkNumber('speechRate', config.speechRate ?? 0.2, 0, 1),
      blinkRate: checkNumber('blinkRate', config.blinkRate ?? 0.3, 0, 10),
      occlusionRate: checkNumber('occlusionRate', config.occlusionRate ?? 0.05, 0, 1),
      nuisance,
    },
  };
}

/**
 * Exact class counts for n items with proportions p: Hamilton's largest-remainder method —
 * floor(n·p_e/Σp) each, then one more to the classes with the largest remainders (ties: lower index).
 */
export function allocateClassCounts(n: number, proportions: readonly number[]): number[] {
  const total = proportions.reduce((a, b) => a + b, 0);
  const quotas = proportions.map((p) => (n * p) / total);
  const counts = quotas.map((q) => Math.floor(q));
  let left = n - counts.reduce((a, b) => a + b, 0);
  const order = quotas
    .map((q, i) => [q - Math.floor(q), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left === 0) break;
    counts[i] = (counts[i] as number) + 1;
    left--;
  }
  return counts;
}

/**
 * Frames kept in memory up to a byte budget, least recently used dropped first (a Map keeps insertion
 * order; a recalled frame moves to the end).
 */
class FrameMemory {
  private readonly frames = new Map<string, Uint8Array>();
  private bytes = 0;

  constructor(private readonly budget: number) {}

  /** Copies the frame stored under `key` into `out`; false when there is none. */
  recall(key: string, out: Uint8Array): boolean {
    const frame = this.frames.get(key);
    if (frame === undefined) return false;
    this.frames.delete(key);
    this.frames.set(key, frame);
    out.set(frame);
    return true;
  }

  /** Stores a copy of `frame` under `key` when it fits the budget, dropping the oldest frames as needed. */
  remember(key: string, frame: Uint8Array): void {
    if (frame.length > this.budget) return;
    this.frames.set(key, frame.slice());
    this.bytes += frame.length;
    for (const [oldKey, old] of this.frames) {
      if (this.bytes <= this.budget) break;
      this.frames.delete(oldKey);
      this.bytes -= old.length;
    }
  }
}

/** Shared, immutable state of a dataset and all of its subsets. */
class SyntheticCore {
  readonly trueLabels: Int32Array;
  readonly givenLabels: Int32Array;
  readonly identities: Int32Array;
  readonly profile: ExpressionProfile;
  private readonly identityCache = new Map<number, FaceIdentity>();
  private readonly cacheRoot?: string;
  /** Rendered frames by `clip:frame:HxW`. */
  private readonly frameMemory: FrameMemory;
  private readonly floatLut = new Float32Array(256);

  constructor(
    readonly cfg: ResolvedConfig,
    prior: PriorMatrix | undefined,
  ) {
    this.profile = createExpressionProfile({
      prior: prior ?? priorMatrix({ source: 'dfew', aus: 'openface18' }),
      labels: cfg.labels,
    });
    if (
      this.profile.labels.length !== cfg.labels.length ||
      this.profile.labels.some((l, i) => l !== cfg.labels[i])
    ) {
      throw new RangeError(
        `createSyntheticFacsDataset: profile rows (${this.profile.labels.join(', ')}) must be the labels (${cfg.labels.join(', ')}) in the same order`,
      );
    }
    for (let i = 0; i < 256; i++) this.floatLut[i] = i / 255;
    this.frameMemory = new FrameMemory(cfg.memoryCacheBytes);
    const n = cfg.numClips;
    // True labels: exact counts, shuffled.
    const counts = allocateClassCounts(n, cfg.classProportions);
    const ordered: number[] = [];
    counts.forEach((c, e) => {
      for (let k = 0; k < c; k++) ordered.push(e);
    });
    const perm = shuffledIndices(n, createRandomSource(deriveSeed(cfg.seed, STREAM_LABELS)));
    this.trueLabels = new Int32Array(n);
    perm.forEach((p, k) => (this.trueLabels[p] = ordered[k] as number));
    // Identities: each gets floor(n/I) or ceil(n/I) clips.
    const idPerm = shuffledIndices(n, createRandomSource(deriveSeed(cfg.seed, STREAM_IDENTITY_ASSIGN)));
    this.identities = new Int32Array(n);
    idPerm.forEach((p, k) => (this.identities[p] = k % cfg.numIdentities));
    // Given labels: exactly round(rate·n) wrong ones.
    this.givenLabels = Int32Array.from(this.trueLabels);
    const noiseRng = createRandomSource(deriveSeed(cfg.seed, STREAM_LABEL_NOISE));
    const noisy = shuffledIndices(n, noiseRng).slice(0, Math.round(cfg.noiseRate * n));
    const E = cfg.labels.length;
    if (noisy.length > 0 && E < 2)
      throw new RangeError('createSyntheticFacsDataset: label noise needs at least 2 labels');
    const nearest = this.nearestProfiles();
    for (const i of noisy) {
      const y = this.trueLabels[i] as number;
      const pattern = cfg.noisePattern;
      let wrong: number;
      if (pattern === 'uniform') {
        wrong = randomInt(noiseRng, E - 1);
        if (wrong >= y) wrong++;
      } else if (pattern === 'pair') {
        wrong = nearest[y] as number;
      } else {
        const row = pattern[y] as readonly number[];
        // Inverse-CDF draw ∝ row; the last positive entry absorbs rounding at the top end.
        let u = noiseRng.next() * row.reduce((a, b) => a + b, 0);
        wrong = -1;
        for (let f = 0; f < row.length; f++) {
          const v = row[f] as number;
          if (v <= 0) continue;
          wrong = f;
          u -= v;
          if (u < 0) break;
        }
      }
      this.givenLabels[i] = wrong;
    }
    if (cfg.cacheDir !== undefined) {
      const key = createHash('sha256')
        .update(
          JSON.stringify({
            v: RENDERER_VERSION,
            cfg: { ...cfg, cacheDir: undefined, memoryCacheBytes: undefined },
            profile: Array.from(this.profile.weights),
          }),
        )
        .digest('hex')
        .slice(0, 16);
      this.cacheRoot = join(cfg.cacheDir, `synthetic-facs-${key}`);
    }
  }

  /** For each label, the other label whose profile row is nearest in squared Euclidean distance. */
  private nearestProfiles(): number[] {
    const E = this.cfg.labels.length;
    const J = this.profile.aus.length;
    const w = this.profile.weights;
    return Array.from({ length: E }, (_, e) => {
      let best = -1;
      let bestD = Infinity;
      for (let f = 0; f < E; f++) {
        if (f === e) continue;
        let d = 0;
        for (let j = 0; j < J; j++) d += ((w[e * J + j] as number) - (w[f * J + j] as number)) ** 2;
        if (d < bestD) {
          bestD = d;
          best = f;
        }
      }
      return best;
    });
  }

  identity(idx: number): FaceIdentity {
    let id = this.identityCache.get(idx);
    if (id === undefined) {
      id = sampleFaceIdentity(createRandomSource(deriveSeed(this.cfg.seed, STREAM_IDENTITY, idx)));
      this.identityCache.set(idx, id);
    }
    return id;
  }

  plan(i: number): ClipPlan {
    return sampleClipPlan(
      createRandomSource(deriveSeed(this.cfg.seed, STREAM_CLIP, i)),
      this.trueLabels[i] as number,
      this.profile,
      this.cfg.plan,
    );
  }

  clipId(i: number): string {
    return `synfacs-${String(i).padStart(6, '0')}`;
  }

  subject(i: number): string {
    return `identity-${String(this.identities[i]).padStart(4, '0')}`;
  }

  /** Ground-truth AU intensities (in auNames order) of a frame state. */
  fillAus(
    aus: Record<string, number>,
    intensities: Float32Array,
    presences: Uint8Array,
    offset: number,
  ): void {
    const names = this.cfg.auNames;
    for (let k = 0; k < names.length; k++) {
      const v = aus[names[k] as string] ?? 0;
      intensities[offset + k] = v;
      presences[offset + k] = v >= this.cfg.presenceThreshold ? 1 : 0;
    }
  }

  info(i: number): SyntheticClipInfo {
    const plan = this.plan(i);
    const T = plan.numFrames;
    const nAu = this.cfg.auNames.length;
    const identity = this.identity(this.identities[i] as number);
    const auIntensities = new Float32Array(T * nAu);
    const auPresences = new Uint8Array(T * nAu);
    const keyActivation = new Float32Array(T);
    const distractorActivation = new Float32Array(T);
    const occluded = new Uint8Array(T);
    for (let t = 0; t < T; t++) {
      const f = planFrame(plan, t, identity, this.profile, this.cfg.plan.fps);
      this.fillAus(f.aus, auIntensities, auPresences, t * nAu);
      keyActivation[t] = f.mainActivation;
      distractorActivation[t] = f.distractorActivation;
      occluded[t] = f.occlusion === undefined ? 0 : 1;
    }
    const seg = (s: ClipPlan['main']): SyntheticSegment => ({
      label: s.label,
      start: s.start,
      apexStart: s.apexStart,
      apexEnd: s.apexEnd,
      end: s.end,
    });
    return {
      id: this.clipId(i),
      identity: this.identities[i] as number,
      subject: this.subject(i),
      numFrames: T,
      trueLabel: this.trueLabels[i] as number,
      label: this.givenLabels[i] as number,
      labelIsNoisy: this.trueLabels[i] !== this.givenLabels[i],
      difficulty: plan.difficulty,
      keySegment: seg(plan.main),
      distractors: plan.distractors.map(seg),
      auIntensities,
      auPresences,
      keyActivation,
      distractorActivation,
      occluded,
      ...(plan.speech === undefined ? {} : { speech: { start: plan.speech.start, end: plan.speech.end } }),
      blinks: plan.blinks.length,
    };
  }

  private cachePath(i: number, t: number, h: number, w: number): string | undefined {
    return this.cacheRoot === undefined
      ? undefined
      : join(this.cacheRoot, `${h}x${w}`, this.clipId(i), `${t}.rgb`);
  }

  private frameBytes(
    i: number,
    t: number,
    plan: ClipPlan,
    identity: FaceIdentity,
    h: number,
    w: number,
    out: Uint8Array,
  ): ReturnType<typeof planFrame> {
    const f = planFrame(plan, t, identity, this.profile, this.cfg.plan.fps);
    const memoryKey = `${i}:${t}:${h}x${w}`;
    if (this.frameMemory.recall(memoryKey, out)) return f;
    const path = this.cachePath(i, t, h, w);
    if (path !== undefined) {
      let cached: Buffer | undefined;
      try {
        cached = readFileSync(path);
      } catch {
        cached = undefined;
      }
      if (cached !== undefined && cached.length === out.length) {
        out.set(cached);
        this.frameMemory.remember(memoryKey, out);
        return f;
      }
    }
    renderFaceFrame(
      {
        identity,
        aus: f.aus,
        framing: f.framing,
        photometry: plan.photometry,
        ...(f.occlusion === undefined ? {} : { occlusion: f.occlusion }),
        gaze: plan.gaze,
        noiseSeed: deriveSeed(this.cfg.seed, STREAM_NOISE_PIXELS, i, t),
      },
      w,
      h,
      out,
    );
    if (path !== undefined) {
      const dir = join(path, '..');
      mkdirSync(dir, { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, out);
      renameSync(tmp, path);
    }
    this.frameMemory.remember(memoryKey, out);
    return f;
  }

  get(i: number, options: ClipGetOptions): SyntheticFacsClipSample {
    const plan = this.plan(i);
    const T0 = plan.numFrames;
    const frameIndices = options.frameIndices ?? Array.from({ length: T0 }, (_, t) => t);
    if (!Array.isArray(frameIndices) || frameIndices.length === 0) {
      throw new RangeError(`get(${i}): options.frameIndices must be a non-empty array of frame indices`);
    }
    frameIndices.forEach((t, k) => {
      if (!Number.isInteger(t) || t < 0 || t >= T0) {
        throw new RangeError(
          `get(${i}): options.frameIndices[${k}] = ${String(t)} is not a frame of clip ${this.clipId(i)} (0..${T0 - 1})`,
        );
      }
    });
    const [h, w] = options.size ?? this.cfg.size;
    if (!Number.isInteger(h) || !Number.isInteger(w) || h < 8 || w < 8 || h > 2048 || w > 2048) {
      throw new RangeError(
        `get(${i}): options.size must be [height, width] integers in [8, 2048], got [${String(h)}, ${String(w)}]`,
      );
    }
    const T = frameIndices.length;
    const nAu = this.cfg.auNames.length;
    const frameLen = h * w * 3;
    const frames = new Float32Array(T * frameLen);
    const bytes = new Uint8Array(frameLen);
    const auIntensities = new Float32Array(T * nAu);
    const aus = new Uint8Array(T * nAu);
    const keyActivation = new Float32Array(T);
    const distractorActivation = new Float32Array(T);
    const occluded = new Uint8Array(T);
    const identity = this.identity(this.identities[i] as number);
    const lut = this.floatLut;
    for (let k = 0; k < T; k++) {
      const t = frameIndices[k] as number;
      const f = this.frameBytes(i, t, plan, identity, h, w, bytes);
      const base = k * frameLen;
      for (let p = 0; p < frameLen; p++) frames[base + p] = lut[bytes[p] as number] as number;
      this.fillAus(f.aus, auIntensities, aus, k * nAu);
      keyActivation[k] = segmentActivation(plan.main, t);
      distractorActivation[k] = f.distractorActivation;
      occluded[k] = f.occlusion === undefined ? 0 : 1;
    }
    return {
      id: this.clipId(i),
      frames,
      shape: [T, h, w, 3],
      label: this.givenLabels[i] as number,
      frameIndices: [...frameIndices],
      aus,
      meta: {
        trueLabel: this.trueLabels[i] as number,
        labelIsNoisy: this.trueLabels[i] !== this.givenLabels[i],
        identity: this.identities[i] as number,
        subject: this.subject(i),
        difficulty: plan.difficulty,
        auIntensities,
        keyActivation,
        distractorActivation,
        occluded,
        keySegment: {
          label: plan.main.label,
          start: plan.main.start,
          apexStart: plan.main.apexStart,
          apexEnd: plan.main.apexEnd,
          end: plan.main.end,
        },
        distractors: plan.distractors.map((d) => ({
          label: d.label,
          start: d.start,
          apexStart: d.apexStart,
          apexEnd: d.apexEnd,
          end: d.end,
        })),
      } satisfies SyntheticFacsClipMeta,
    };
  }
}

class SyntheticFacsDatasetView implements SyntheticFacsDataset {
  readonly length: number;
  readonly labelNames: readonly string[];
  readonly auNames: readonly string[];
  readonly size: readonly [number, number];
  readonly profile: ExpressionProfile;

  constructor(
    private readonly core: SyntheticCore,
    private readonly indexMap: Int32Array | undefined,
  ) {
    this.length = indexMap === undefined ? core.cfg.numClips : indexMap.length;
    this.labelNames = core.cfg.labels;
    this.auNames = core.cfg.auNames;
    this.size = core.cfg.size;
    this.profile = core.profile;
  }

  private clip(index: number, what: string): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(
        `${what}: index ${String(index)} is out of range (dataset has ${this.length} clips)`,
      );
    }
    return this.indexMap === undefined ? index : (this.indexMap[index] as number);
  }

  record(index: number): VideoRecord {
    const i = this.clip(index, 'record');
    return {
      id: this.core.clipId(i),
      numFrames: this.core.plan(i).numFrames,
      label: this.core.givenLabels[i] as number,
      subject: this.core.subject(i),
    };
  }

  get(index: number, options: ClipGetOptions = {}): Promise<SyntheticFacsClipSample> {
    try {
      return Promise.resolve(this.core.get(this.clip(index, 'get'), options));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  getClipInfo(index: number): SyntheticClipInfo {
    return this.core.info(this.clip(index, 'getClipInfo'));
  }

  getStats(): SyntheticFacsStats {
    const E = this.labelNames.length;
    const trueLabelCounts = new Array<number>(E).fill(0);
    const labelCounts = new Array<number>(E).fill(0);
    const difficultyCounts: Record<ClipDifficulty, number> = { normal: 0, subtle: 0, short: 0 };
    const ids = new Set<number>();
    let noisyLabels = 0;
    let withDistractor = 0;
    let withSpeech = 0;
    let withOcclusion = 0;
    for (let k = 0; k < this.length; k++) {
      const i = this.clip(k, 'getStats');
      const y = this.core.trueLabels[i] as number;
      const g = this.core.givenLabels[i] as number;
      trueLabelCounts[y] = (trueLabelCounts[y] as number) + 1;
      labelCounts[g] = (labelCounts[g] as number) + 1;
      if (y !== g) noisyLabels++;
      ids.add(this.core.identities[i] as number);
      const plan = this.core.plan(i);
      difficultyCounts[plan.difficulty]++;
      if (plan.distractors.length > 0) withDistractor++;
      if (plan.speech !== undefined) withSpeech++;
      if (plan.occlusion !== undefined) withOcclusion++;
    }
    return {
      numClips: this.length,
      numIdentities: ids.size,
      trueLabelCounts,
      labelCounts,
      noisyLabels,
      difficultyCounts,
      withDistractor,
      withSpeech,
      withOcclusion,
    };
  }

  subset(indices: readonly number[]): SyntheticFacsDataset {
    const map = new Int32Array(indices.length);
    indices.forEach((idx, k) => (map[k] = this.clip(idx, `subset: indices[${k}]`)));
    return new SyntheticFacsDatasetView(this.core, map);
  }
}

/**
 * Builds the synthetic FACS video dataset. Nothing is rendered until `get` is called; labels,
 * identities and label noise are fixed at build time from `config.seed`.
 *
 * @example
 * const ds = createSyntheticFacsDataset({ seed: 1, numClips: 200, labelNoise: { rate: 0.1 } });
 * const clip = await ds.get(0, { frameIndices: [0, 4, 8, 12] }); // frames: Float32Array [4, 64, 64, 3]
 * @throws RangeError naming the config field for any bad option.
 */
export function createSyntheticFacsDataset(config: SyntheticFacsConfig = {}): SyntheticFacsDataset {
  const cfg = resolveConfig(config);
  return new SyntheticFacsDatasetView(new SyntheticCore(cfg, config.prior), undefined);
}
