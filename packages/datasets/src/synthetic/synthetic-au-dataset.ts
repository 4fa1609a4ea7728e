/**
 * The BP4D-style synthetic AU-detection dataset: face videos whose per-frame AU occurrences are
 * windows of real frame-level AU labels (e.g. BP4D's 12 AUs), so the AU base rates, co-occurrences
 * and temporal runs are those of the real data, while the faces are synthetic.
 */
import { EXPRESSIONS, priorMatrix, type PriorSourceName } from '@dfer/au-knowledge';

import type { ClipDataset, ClipGetOptions, ClipSample, VideoRecord } from '../clip-dataset';
import { createRandomSource, deriveSeed, randomInt, randomUniform, shuffledIndices } from '../random';
import {
  DEFAULT_NUISANCE,
  planFrame,
  sampleClipPlan,
  type ClipPlan,
  type ClipPlanConfig,
  type SyntheticNuisanceConfig,
} from './clip-plan';
import type { ExpressionProfile } from './expression-profile';
import { ANIMATED_AUS } from './face-geometry';
import { sampleFaceIdentity, type FaceIdentity } from './face-identity';
import { renderFaceFrame } from './face-renderer';

/** Frame-level binary AU labels to sample from (`readBp4dAuLabels` returns one). */
export interface AuOccurrenceSource {
  /** AU ids of the columns (e.g. `AU_SETS.bp4d12`). */
  readonly auNames: readonly string[];
  /** Row-major `[frames, auNames.length]` 0/1 occurrences, consecutive frames in order. */
  readonly labels: ArrayLike<number>;
}

/** Build-time options of {@link createSyntheticAuDataset}. */
export interface SyntheticAuConfig {
  /** The real AU labels whose windows drive the clips (required). */
  readonly source: AuOccurrenceSource;
  /** Seed; same seed and config → byte-identical frames. Default 0. */
  readonly seed?: number;
  /** Number of clips. Default 500. */
  readonly numClips?: number;
  /** Number of identities. Default 50. */
  readonly numIdentities?: number;
  /** Native `[height, width]`. Default `[64, 64]`. */
  readonly size?: readonly [number, number];
  /** Frames per clip `[min, max]`. Default `[16, 32]`. */
  readonly numFrames?: readonly [number, number];
  /** Frame rate of blinks and speech. Default 25. */
  readonly fps?: number;
  /** Fraction of clips with speech-like mouth motion (AU25/AU26, not targets of BP4D). Default 0.2. */
  readonly speechRate?: number;
  /** Blinks per second. Default 0.3. */
  readonly blinkRate?: number;
  /** Fraction of clips with an occluder. Default 0.05. */
  readonly occlusionRate?: number;
  /** Pose, framing and photometric jitter ranges. */
  readonly nuisance?: SyntheticNuisanceConfig;
  /**
   * Binary prior table of `@dfer/au-knowledge` that labels each clip with an expression for the auxiliary
   * FER task (see {@link labelAuClipExpression}). Default `'facs-emfacs'`.
   */
  readonly expressionPrior?: Extract<PriorSourceName, 'facs-emfacs' | 'facs-manual' | 'du2014'>;
  /** Smallest prototype coverage that names an expression; below it the clip is `'neutral'`. Default 0.5. */
  readonly expressionThreshold?: number;
}

/** The expression rule of {@link labelAuClipExpression}: prototypes restricted to the dataset's AUs. */
export interface AuExpressionRule {
  /** Label names: `'neutral'` first, then every expression whose prototype has ≥ 1 of the AUs. */
  readonly labelNames: readonly string[];
  /** `[labelNames.length − 1, auNames.length]` 0/1 prototype rows (no row for `'neutral'`). */
  readonly prototypes: Float64Array;
  readonly numAus: number;
  readonly threshold: number;
}

/**
 * Builds the expression rule for AU columns `auNames` from a binary prior table of `@dfer/au-knowledge`
 * (`facs-emfacs` by default; AUs the table lacks count as 0). Expressions with no prototype AU among
 * `auNames` are left out (they could never be chosen).
 */
export function createAuExpressionRule(
  auNames: readonly string[],
  prior: SyntheticAuConfig['expressionPrior'] = 'facs-emfacs',
  threshold = 0.5,
): AuExpressionRule {
  const m = priorMatrix({ source: prior, aus: auNames, fill: 0 });
  const keep: number[] = [];
  for (let r = 0; r < m.rows; r++) {
    let any = false;
    for (let j = 0; j < m.cols; j++) if ((m.values64[r * m.cols + j] as number) > 0) any = true;
    if (any) keep.push(r);
  }
  // rows in the canonical EXPRESSIONS order, so label indices do not depend on the table's row order
  keep.sort(
    (a, b) =>
      EXPRESSIONS.indexOf(m.expressions[a] as (typeof EXPRESSIONS)[number]) -
      EXPRESSIONS.indexOf(m.expressions[b] as (typeof EXPRESSIONS)[number]),
  );
  const prototypes = new Float64Array(keep.length * m.cols);
  keep.forEach((r, k) => prototypes.set(m.values64.subarray(r * m.cols, (r + 1) * m.cols), k * m.cols));
  return {
    labelNames: ['neutral', ...keep.map((r) => m.expressions[r] as string)],
    prototypes,
    numAus: m.cols,
    threshold,
  };
}

/**
 * The expression label of a clip from its AU occurrences (the auxiliary FER target of AU-MTL).
 *
 * With a_j the fraction of the clip's frames where AU j is present and P_ej ∈ {0, 1} the prototype of
 * expression e restricted to the dataset's AUs, the coverage is s_e = Σ_j P_ej·a_j / Σ_j P_ej. The label
 * is argmax_e s_e (ties: the expression with more prototype AUs, then the earlier one in `labelNames`) when
 * that maximum is ≥ `threshold`, else `'neutral'` (index 0). The AUs themselves are the real label rows,
 * so the expression labels inherit BP4D's imbalance and co-occurrence rather than shaping them.
 *
 * @param presences - `[T, numAus]` 0/1 row-major.
 * @returns the label index into `rule.labelNames`.
 */
export function labelAuClipExpression(rule: AuExpressionRule, presences: ArrayLike<number>): number {
  const n = rule.numAus;
  if (n === 0 || presences.length === 0 || presences.length % n !== 0) {
    throw new RangeError(
      `labelAuClipExpression: presences must be a non-empty multiple of ${n} values, got length ${presences.length}`,
    );
  }
  const T = presences.length / n;
  const a = new Float64Array(n);
  for (let t = 0; t < T; t++)
    for (let j = 0; j < n; j++) a[j] = (a[j] as number) + (presences[t * n + j] as number) / T;
  let best = 0;
  let bestScore = -1;
  let bestSize = 0;
  const rows = rule.labelNames.length - 1;
  for (let e = 0; e < rows; e++) {
    let num = 0;
    let size = 0;
    for (let j = 0; j < n; j++) {
      const p = rule.prototypes[e * n + j] as number;
      num += p * (a[j] as number);
      size += p;
    }
    const s = num / size;
    if (s > bestScore + 1e-12 || (Math.abs(s - bestScore) <= 1e-12 && size > bestSize)) {
      best = e + 1;
      bestScore = s;
      bestSize = size;
    }
  }
  return bestScore >= rule.threshold ? best : 0;
}

/** Ground truth of one AU-detection clip. */
export interface SyntheticAuClipInfo {
  readonly id: string;
  readonly identity: number;
  readonly subject: string;
  readonly numFrames: number;
  /** Row of the source where the clip's window starts (frame t uses row sourceStart + t). */
  readonly sourceStart: number;
  /** `[numFrames, auNames.length]` 0/1: the source rows, unchanged. */
  readonly auPresences: Uint8Array;
  /** `[numFrames, auNames.length]` rendered intensities (FACS 0–5; > 0 exactly where present). */
  readonly auIntensities: Float32Array;
}

/**
 * The AU-detection dataset. The targets are `ClipSample.aus`; `label` is the auxiliary expression label of
 * {@link labelAuClipExpression} (over the clip's full window), in `labelNames` order.
 */
export interface SyntheticAuDataset extends ClipDataset {
  readonly auNames: readonly string[];
  readonly size: readonly [number, number];
  getClipInfo(index: number): SyntheticAuClipInfo;
}

const STREAM_IDENTITY = 11;
const STREAM_CLIP = 12;
const STREAM_NOISE_PIXELS = 13;
const STREAM_IDENTITY_ASSIGN = 14;
const STREAM_WINDOW = 15;

/** A profile without expressions: clip plans then only carry nuisance (blinks, speech, pose, light). */
const NO_EXPRESSION: ExpressionProfile = {
  labels: ['none'],
  aus: [],
  weights: new Float64Array(0),
  emptyLabels: ['none'],
  source: 'none',
};

function fail(field: string, expected: string, got: unknown): never {
  throw new RangeError(`createSyntheticAuDataset: ${field} must be ${expected}, got ${String(got)}`);
}

function int(field: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) fail(field, `an integer in [${lo}, ${hi}]`, v);
  return v;
}

function num(field: string, v: number, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi)
    fail(field, `a number in [${lo}, ${hi}]`, v);
  return v;
}

interface Window {
  readonly plan: ClipPlan;
  readonly start: number;
  readonly peaks: Float64Array;
}

class SyntheticAuDatasetImpl implements SyntheticAuDataset {
  readonly length: number;
  readonly labelNames: readonly string[];
  private readonly expressionRule: AuExpressionRule;
  readonly auNames: readonly string[];
  readonly size: readonly [number, number];
  private readonly labels: Uint8Array;
  private readonly sourceRows: number;
  private readonly identities: Int32Array;
  private readonly identityCache = new Map<number, FaceIdentity>();
  private readonly planConfig: ClipPlanConfig;
  private readonly seed: number;

  constructor(config: SyntheticAuConfig) {
    const src = config.source;
    if (src === undefined || !Array.isArray(src.auNames) || src.labels === undefined) {
      fail('source', '{ auNames, labels } (e.g. from readBp4dAuLabels)', src);
    }
    src.auNames.forEach((au, j) => {
      if (!(ANIMATED_AUS as readonly string[]).includes(au)) {
        fail(`source.auNames[${j}]`, `an animated AU (${ANIMATED_AUS.join(', ')})`, au);
      }
    });
    const nAu = src.auNames.length;
    if (nAu === 0 || src.labels.length === 0 || src.labels.length % nAu !== 0) {
      fail(
        'source.labels',
        `a non-empty multiple of ${nAu} values (rows × auNames)`,
        `length ${src.labels.length}`,
      );
    }
    this.labels = new Uint8Array(src.labels.length);
    for (let k = 0; k < src.labels.length; k++) {
      const v = src.labels[k];
      if (v !== 0 && v !== 1)
        fail(`source.labels[${k}] (row ${Math.floor(k / nAu)}, ${src.auNames[k % nAu]})`, '0 or 1', v);
      this.labels[k] = v;
    }
    this.sourceRows = src.labels.length / nAu;
    this.auNames = [...src.auNames];
    const prior = config.expressionPrior ?? 'facs-emfacs';
    if (!['facs-emfacs', 'facs-manual', 'du2014'].includes(prior)) {
      fail('expressionPrior', "'facs-emfacs', 'facs-manual' or 'du2014'", prior);
    }
    this.expressionRule = createAuExpressionRule(
      this.auNames,
      prior,
      num('expressionThreshold', config.expressionThreshold ?? 0.5, 0, 1),
    );
    this.labelNames = this.expressionRule.labelNames;
    this.seed = int('seed', config.seed ?? 0, -(2 ** 53), 2 ** 53);
    this.length = int('numClips', config.numClips ?? 500, 1, 1e7);
    const numIdentities = int('numIdentities', config.numIdentities ?? 50, 1, 1e7);
    const size = config.size ?? [64, 64];
    this.size = [int('size[0] (height)', size[0], 8, 2048), int('size[1] (width)', size[1], 8, 2048)];
    const frames = config.numFrames ?? [16, 32];
    const minF = int('numFrames[0]', frames[0], 8, 100000);
    const maxF = int(`numFrames[1] (≤ the ${this.sourceRows} source rows)`, frames[1], minF, this.sourceRows);
    this.planConfig = {
      numFrames: [minF, maxF],
      fps: num('fps', config.fps ?? 25, 1, 1000),
      hardRate: 0,
      distractorRate: 0,
      speechRate: num('speechRate', config.speechRate ?? 0.2, 0, 1),
      blinkRate: num('blinkRate', config.blinkRate ?? 0.3, 0, 10),
      occlusionRate: num('occlusionRate', config.occlusionRate ?? 0.05, 0, 1),
      nuisance: { ...DEFAULT_NUISANCE, ...(config.nuisance ?? {}) },
    };
    const perm = shuffledIndices(
      this.length,
      createRandomSource(deriveSeed(this.seed, STREAM_IDENTITY_ASSIGN)),
    );
    this.identities = new Int32Array(this.length);
    perm.forEach((p, k) => (this.identities[p] = k % numIdentities));
  }

  private check(index: number, what: string): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(
        `${what}: index ${String(index)} is out of range (dataset has ${this.length} clips)`,
      );
    }
  }

  private identity(i: number): FaceIdentity {
    const idx = this.identities[i] as number;
    let id = this.identityCache.get(idx);
    if (id === undefined) {
      const full = sampleFaceIdentity(createRandomSource(deriveSeed(this.seed, STREAM_IDENTITY, idx)));
      // The resting expression must not show a target AU that the labels say is absent.
      const restingAus = Object.fromEntries(
        Object.entries(full.restingAus).filter(([au]) => !this.auNames.includes(au)),
      );
      id = { ...full, restingAus };
      this.identityCache.set(idx, id);
    }
    return id;
  }

  private window(i: number): Window {
    const plan = sampleClipPlan(
      createRandomSource(deriveSeed(this.seed, STREAM_CLIP, i)),
      0,
      NO_EXPRESSION,
      this.planConfig,
    );
    const rng = createRandomSource(deriveSeed(this.seed, STREAM_WINDOW, i));
    const start = randomInt(rng, this.sourceRows - plan.numFrames + 1);
    const peaks = new Float64Array(this.auNames.length);
    for (let j = 0; j < peaks.length; j++) peaks[j] = randomUniform(rng, 2, 5);
    return { plan, start, peaks };
  }

  /**
   * Intensity of AU j at frame t: I = peak_j · o · (0.7 + 0.3·h(min(1, r/3))) where o ∈ {0, 1} is the
   * source occurrence, r the number of consecutive present frames before t within the clip
   * (a short onset ramp), h the smoothstep x²(3 − 2x), and peak_j ~ U(2, 5) per clip.
   */
  private targetAus(
    w: Window,
    t: number,
    aus: Record<string, number>,
    intensities: Float32Array,
    presences: Uint8Array,
    offset: number,
  ): void {
    const n = this.auNames.length;
    for (let j = 0; j < n; j++) {
      const on = this.labels[(w.start + t) * n + j] as number;
      let run = 0;
      while (on === 1 && run < 3 && t - run - 1 >= 0 && this.labels[(w.start + t - run - 1) * n + j] === 1)
        run++;
      const x = Math.min(1, run / 3);
      const v = on === 1 ? (w.peaks[j] as number) * (0.7 + 0.3 * x * x * (3 - 2 * x)) : 0;
      aus[this.auNames[j] as string] = v;
      intensities[offset + j] = v;
      presences[offset + j] = on;
    }
  }

  private expressionLabel(w: Window): number {
    const n = this.auNames.length;
    return labelAuClipExpression(
      this.expressionRule,
      this.labels.subarray(w.start * n, (w.start + w.plan.numFrames) * n),
    );
  }

  record(index: number): VideoRecord {
    this.check(index, 'record');
    return {
      id: `synau-${String(index).padStart(6, '0')}`,
      numFrames: this.window(index).plan.numFrames,
      label: this.expressionLabel(this.window(index)),
      subject: `identity-${String(this.identities[index]).padStart(4, '0')}`,
    };
  }

  getClipInfo(index: number): SyntheticAuClipInfo {
    this.check(index, 'getClipInfo');
    const w = this.window(index);
    const T = w.plan.numFrames;
    const n = this.auNames.length;
    const auIntensities = new Float32Array(T * n);
    const auPresences = new Uint8Array(T * n);
    for (let t = 0; t < T; t++) this.targetAus(w, t, {}, auIntensities, auPresences, t * n);
    const rec = this.record(index);
    return {
      id: rec.id,
      identity: this.identities[index] as number,
      subject: rec.subject as string,
      numFrames: T,
      sourceStart: w.start,
      auPresences,
      auIntensities,
    };
  }

  get(index: number, options: ClipGetOptions = {}): Promise<ClipSample> {
    try {
      return Promise.resolve(this.render(index, options));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private render(index: number, options: ClipGetOptions): ClipSample {
    this.check(index, 'get');
    const w = this.window(index);
    const T0 = w.plan.numFrames;
    const id = `synau-${String(index).padStart(6, '0')}`;
    const frameIndices = options.frameIndices ?? Array.from({ length: T0 }, (_, t) => t);
    if (!Array.isArray(frameIndices) || frameIndices.length === 0) {
      throw new RangeError(`get(${index}): options.frameIndices must be a non-empty array of frame indices`);
    }
    frameIndices.forEach((t, k) => {
      if (!Number.isInteger(t) || t < 0 || t >= T0) {
        throw new RangeError(
          `get(${index}): options.frameIndices[${k}] = ${String(t)} is not a frame of clip ${id} (0..${T0 - 1})`,
        );
      }
    });
    const [h, wd] = options.size ?? this.size;
    if (!Number.isInteger(h) || !Number.isInteger(wd) || h < 8 || wd < 8 || h > 2048 || wd > 2048) {
      throw new RangeError(
        `get(${index}): options.size must be [height, width] integers in [8, 2048], got [${String(h)}, ${String(wd)}]`,
      );
    }
    const T = frameIndices.length;
    const n = this.auNames.length;
    const frameLen = h * wd * 3;
    const frames = new Float32Array(T * frameLen);
    const bytes = new Uint8Array(frameLen);
    const auIntensities = new Float32Array(T * n);
    const aus = new Uint8Array(T * n);
    const identity = this.identity(index);
    for (let k = 0; k < T; k++) {
      const t = frameIndices[k] as number;
      const f = planFrame(w.plan, t, identity, NO_EXPRESSION, this.planConfig.fps);
      this.targetAus(w, t, f.aus, auIntensities, aus, k * n);
      renderFaceFrame(
        {
          identity,
          aus: f.aus,
          framing: f.framing,
          photometry: w.plan.photometry,
          ...(f.occlusion === undefined ? {} : { occlusion: f.occlusion }),
          gaze: w.plan.gaze,
          noiseSeed: deriveSeed(this.seed, STREAM_NOISE_PIXELS, index, t),
        },
        wd,
        h,
        bytes,
      );
      const base = k * frameLen;
      for (let p = 0; p < frameLen; p++) frames[base + p] = (bytes[p] as number) / 255;
    }
    return {
      id,
      frames,
      shape: [T, h, wd, 3],
      label: this.expressionLabel(w),
      frameIndices: [...frameIndices],
      aus,
      meta: {
        identity: this.identities[index] as number,
        subject: `identity-${String(this.identities[index]).padStart(4, '0')}`,
        sourceStart: w.start,
        auIntensities,
      },
    };
  }
}

/**
 * Builds the BP4D-style synthetic AU-detection dataset: each clip takes a random window of
 * consecutive rows of `source` (uniform start) as its per-frame AU occurrences, so base rates,
 * co-occurrences and temporal runs follow the real labels. A present AU j is shown at intensity
 * I = peak_j · (0.7 + 0.3·h(min(1, r/3))) with peak_j ~ U(2, 5) per clip, r the number of consecutive
 * present frames before it in the clip and h(x) = x²(3 − 2x) (a short onset ramp); absent AUs are 0,
 * and the identity's resting expression is limited to non-target AUs. Blinks, optional speech (AUs
 * outside the targets), head motion, lighting, blur, noise and occlusion are added as nuisance.
 *
 * @example
 * const bp4d = readBp4dAuLabels('BP4D_combine_1_2_AUOccur.txt');
 * const ds = createSyntheticAuDataset({ source: bp4d, numClips: 300 });
 * @throws RangeError naming the config field for bad options or labels.
 */
export function createSyntheticAuDataset(config: SyntheticAuConfig): SyntheticAuDataset {
  return new SyntheticAuDatasetImpl(config);
}
