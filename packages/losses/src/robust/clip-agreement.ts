/**
 * Clip agreement (RDFER idea 1, `reference/rdfer.md` §"The three ideas"): K clips of the same video are
 * predicted separately; how well the K predictions agree separates *hard* samples (the clips disagree)
 * from *likely-noisy* ones (the clips agree, confidently, on a class other than the label).
 *
 * The paper gives no formula (the reference says so); every formula and threshold below is our design,
 * following the reference's suggested design, and each is a parameter. Pure functions of typed arrays:
 * no tensors, so they run in a data loader, a worker or a browser.
 */
import { describeValue } from '../validate';

/** Which agreement score drives the partition (see {@link clipAgreementScores}). */
export type AgreementMeasure = 'argmax' | 'entropy' | 'cosine';

/** The agreement measures, in a fixed order (configs and error messages). */
export const AGREEMENT_MEASURES: readonly AgreementMeasure[] = ['argmax', 'entropy', 'cosine'];

/** What happens to a likely-noisy sample once the warm-up is over. */
export type NoisyTreatment = 'downweight' | 'relabel';

/** The noisy-sample treatments, in a fixed order. */
export const NOISY_TREATMENTS: readonly NoisyTreatment[] = ['downweight', 'relabel'];

/** Partition codes of {@link ClipAgreementAnalysis.partition}. */
export const SAMPLE_PARTITION = Object.freeze({ easy: 0, hard: 1, noisy: 2 } as const);

/** Name of a partition. */
export type SamplePartitionName = keyof typeof SAMPLE_PARTITION;

/** Shape of a per-clip prediction array: N videos × K clips × C classes, row-major. */
export interface ClipPredictionShape {
  /** Videos (samples). */
  samples: number;
  /** Clips per video, K ≥ 1 (the agreement scores need K ≥ 2 to be informative). */
  clips: number;
  /** Classes, C ≥ 2. */
  classes: number;
}

/** Per-sample agreement scores of {@link clipAgreementScores}, each in [0, 1] (1 = full agreement). */
export interface ClipAgreementScores {
  /** Mean pairwise argmax agreement `A_argmax`, `[N]`. */
  argmax: Float32Array;
  /** `A_entropy = 1 − H(p̄)/ln C`, `[N]`. */
  entropy: Float32Array;
  /** Mean pairwise cosine `A_cos` of the clips' probability vectors, `[N]`. */
  cosine: Float32Array;
  /** Mean prediction `p̄ = (1/K) Σ_k p_k`, `[N, C]` row-major. */
  meanProbs: Float32Array;
  /** `ŷ = argmax_c p̄_c` (lowest index on ties), `[N]`. */
  predicted: Int32Array;
}

/** Options of {@link analyseClipAgreement}; every field has a documented default (ours, not the paper's). */
export interface ClipAgreementOptions {
  /**
   * Score the partition reads (default `'cosine'`: it measures agreement alone; `'entropy'` also falls
   * with a merely moderate confidence, so with many classes its thresholds must be set lower).
   */
  measure?: AgreementMeasure;
  /** Samples with agreement below this are hard (default 0.5). */
  hardBelow?: number;
  /** A sample can be likely-noisy only with agreement ≥ this (default 0.7). */
  noisyAbove?: number;
  /**
   * …and with margin `p̄_ŷ − p̄_y` ≥ this (default 0.5, the relabel rule of the lab's code:
   * relabel when p_max − p_label > 0.5, `reference/rdfer.md` "noisy-label option").
   */
  noisyMargin?: number;
  /** Hard up-weighting γ in `w = 1 + γ·(1 − a)` (default 1). */
  hardGamma?: number;
  /** Likely-noisy treatment (default `'downweight'`). */
  noisyTreatment?: NoisyTreatment;
  /** Weight of a likely-noisy sample with `'downweight'` (default 0.1; 0 drops it). */
  noisyWeight?: number;
  /** Epochs (0-based count) before weights and relabelling apply (default 5). */
  warmupEpochs?: number;
  /** The current epoch, 0-based (default 0). Below `warmupEpochs` every weight is 1 and nothing is relabelled. */
  epoch?: number;
}

/** Every option of {@link ClipAgreementOptions} with its default filled in. */
export type ResolvedClipAgreementOptions = Required<ClipAgreementOptions>;

/** The defaults of {@link ClipAgreementOptions} (our choices; the paper is silent). */
export const CLIP_AGREEMENT_DEFAULTS: Readonly<ResolvedClipAgreementOptions> = Object.freeze({
  measure: 'cosine',
  hardBelow: 0.5,
  noisyAbove: 0.7,
  noisyMargin: 0.5,
  hardGamma: 1,
  noisyTreatment: 'downweight',
  noisyWeight: 0.1,
  warmupEpochs: 5,
  epoch: 0,
});

/** What {@link analyseClipAgreement} returns, per sample. */
export interface ClipAgreementAnalysis extends ClipAgreementScores {
  /** The score the partition used (one of the three above), `[N]`. */
  agreement: Float32Array;
  /** Margin `p̄_ŷ − p̄_y` ≥ 0 of the predicted class over the label, `[N]`. */
  margin: Float32Array;
  /** {@link SAMPLE_PARTITION} code per sample, `[N]` (computed during warm-up too, for analysis). */
  partition: Uint8Array;
  /** Loss weight per sample, `[N]` (all 1 during warm-up). */
  weights: Float32Array;
  /** Training label per sample: the given label, or `ŷ` for a relabelled likely-noisy sample, `[N]`. */
  relabel: Int32Array;
  /** Counts per partition and of relabelled samples. */
  counts: { easy: number; hard: number; noisy: number; relabelled: number };
  /** Whether the warm-up is over (weights and relabelling applied). */
  active: boolean;
  /** The options used, defaults filled in. */
  options: Readonly<ResolvedClipAgreementOptions>;
}

function fail(where: string, message: string): never {
  throw new RangeError(`${where}: ${message}`);
}

/** Checks `{ samples, clips, classes }` and that `values` holds exactly N·K·C finite numbers. */
function checkShape(
  where: string,
  name: string,
  values: ArrayLike<number>,
  shape: ClipPredictionShape,
): void {
  if (shape === null || typeof shape !== 'object') {
    fail(where, `shape must be { samples, clips, classes }, got ${describeValue(shape)}`);
  }
  const { samples, clips, classes } = shape;
  for (const [key, v, min] of [
    ['samples', samples, 1],
    ['clips', clips, 1],
    ['classes', classes, 2],
  ] as const) {
    if (!Number.isInteger(v) || v < min) {
      fail(where, `shape.${key} must be an integer ≥ ${min}, got ${describeValue(v)}`);
    }
  }
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    fail(where, `${name} must be a Float32Array [N, K, C], got ${describeValue(values)}`);
  }
  const expected = samples * clips * classes;
  if (values.length !== expected) {
    fail(
      where,
      `${name} has ${values.length} values but [N=${samples}, K=${clips}, C=${classes}] needs ${expected} (row-major)`,
    );
  }
}

/**
 * Softmax of per-clip logits: `p_{n,k,c} = exp(z_{n,k,c} − m) / Σ_j exp(z_{n,k,j} − m)`, m the row max.
 *
 * @param logits - `[N, K, C]` row-major (e.g. the model's logits for N·K clips, video-major).
 * @returns probabilities `[N, K, C]` (float64 arithmetic, stored as float32).
 * @throws when the length does not match the shape or a logit is not finite (index named).
 */
export function softmaxClipLogits(logits: ArrayLike<number>, shape: ClipPredictionShape): Float32Array {
  const where = 'softmaxClipLogits';
  checkShape(where, 'logits', logits, shape);
  const c = shape.classes;
  const out = new Float32Array(logits.length);
  for (let row = 0; row < logits.length / c; row++) {
    let max = -Infinity;
    for (let j = 0; j < c; j++) {
      const v = logits[row * c + j] as number;
      if (!Number.isFinite(v)) fail(where, `logits[${row * c + j}] = ${v} is not finite`);
      if (v > max) max = v;
    }
    let sum = 0;
    for (let j = 0; j < c; j++) sum += Math.exp((logits[row * c + j] as number) - max);
    for (let j = 0; j < c; j++) out[row * c + j] = Math.exp((logits[row * c + j] as number) - max) / sum;
  }
  return out;
}

/** Checks per-clip probabilities: finite, in [0, 1], each row summing to 1 within 1e-3. */
function checkProbabilities(where: string, probs: ArrayLike<number>, shape: ClipPredictionShape): void {
  checkShape(where, 'probs', probs, shape);
  const c = shape.classes;
  for (let row = 0; row < probs.length / c; row++) {
    let sum = 0;
    for (let j = 0; j < c; j++) {
      const v = probs[row * c + j] as number;
      if (!(v >= 0 && v <= 1)) fail(where, `probs[${row * c + j}] = ${v} is not a probability in [0, 1]`);
      sum += v;
    }
    if (Math.abs(sum - 1) > 1e-3) {
      const n = Math.floor(row / shape.clips);
      fail(
        where,
        `probs of sample ${n}, clip ${row % shape.clips} sum to ${sum}, expected 1 (pass softmaxClipLogits(logits) for logits)`,
      );
    }
  }
}

function argmaxRow(values: ArrayLike<number>, offset: number, length: number): number {
  let best = 0;
  for (let j = 1; j < length; j++) {
    if ((values[offset + j] as number) > (values[offset + best] as number)) best = j;
  }
  return best;
}

/**
 * The three agreement scores of K per-clip predictions `p_1 … p_K` of one video (our formulas; the paper
 * states none — `reference/rdfer.md` suggests these three):
 *
 * - argmax agreement `A_argmax = (2 / (K(K−1))) Σ_{i<j} [argmax p_i = argmax p_j]` (1 when K = 1);
 * - entropy agreement `A_entropy = 1 − H(p̄) / ln C`, `H(p̄) = −Σ_c p̄_c ln p̄_c` (0·ln 0 = 0), with the mean
 *   prediction `p̄ = (1/K) Σ_k p_k`: 1 for a one-hot p̄, 0 for the uniform one. It is low both when the
 *   clips disagree and when they agree on an uncertain prediction;
 * - cosine agreement `A_cos = (2 / (K(K−1))) Σ_{i<j} p_i·p_j / (‖p_i‖ ‖p_j‖)` (1 when K = 1), in [0, 1]
 *   since probabilities are non-negative.
 *
 * @param probs - per-clip class probabilities `[N, K, C]` row-major (rows sum to 1).
 * @throws when the length does not match the shape or a row is not a probability vector.
 */
export function clipAgreementScores(
  probs: ArrayLike<number>,
  shape: ClipPredictionShape,
): ClipAgreementScores {
  checkProbabilities('clipAgreementScores', probs, shape);
  const { samples: n, clips: k, classes: c } = shape;
  const argmax = new Float32Array(n);
  const entropy = new Float32Array(n);
  const cosine = new Float32Array(n);
  const meanProbs = new Float32Array(n * c);
  const predicted = new Int32Array(n);
  const pairs = (k * (k - 1)) / 2;
  const mean = new Float64Array(c);
  const clipArgmax = new Int32Array(k);
  const norms = new Float64Array(k);
  for (let s = 0; s < n; s++) {
    const base = s * k * c;
    mean.fill(0);
    for (let i = 0; i < k; i++) {
      clipArgmax[i] = argmaxRow(probs, base + i * c, c);
      let sq = 0;
      for (let j = 0; j < c; j++) {
        const v = probs[base + i * c + j] as number;
        mean[j] = (mean[j] as number) + v / k;
        sq += v * v;
      }
      norms[i] = Math.sqrt(sq);
    }
    let same = 0;
    let cos = 0;
    for (let i = 0; i < k; i++) {
      for (let i2 = i + 1; i2 < k; i2++) {
        if (clipArgmax[i] === clipArgmax[i2]) same++;
        let dot = 0;
        for (let j = 0; j < c; j++) {
          dot += (probs[base + i * c + j] as number) * (probs[base + i2 * c + j] as number);
        }
        cos += dot / ((norms[i] as number) * (norms[i2] as number));
      }
    }
    argmax[s] = pairs === 0 ? 1 : same / pairs;
    cosine[s] = pairs === 0 ? 1 : cos / pairs;
    let h = 0;
    for (let j = 0; j < c; j++) {
      const p = mean[j] as number;
      if (p > 0) h -= p * Math.log(p);
      meanProbs[s * c + j] = p;
    }
    entropy[s] = Math.min(1, Math.max(0, 1 - h / Math.log(c)));
    predicted[s] = argmaxRow(mean, 0, c);
  }
  return { argmax, entropy, cosine, meanProbs, predicted };
}

/**
 * Fills in and checks the options of {@link analyseClipAgreement} without changing the caller's object.
 *
 * @throws naming the option and what was expected; an unknown option name lists the valid ones.
 */
export function resolveClipAgreementOptions(
  options: ClipAgreementOptions = {},
  where = 'clip agreement',
): ResolvedClipAgreementOptions {
  if (options === null || typeof options !== 'object') {
    fail(where, `options must be an object, got ${describeValue(options)}`);
  }
  const valid = Object.keys(CLIP_AGREEMENT_DEFAULTS);
  for (const key of Object.keys(options)) {
    if (!valid.includes(key)) fail(where, `unknown option '${key}'; valid options: ${valid.join(', ')}`);
  }
  const o = { ...CLIP_AGREEMENT_DEFAULTS, ...stripUndefined(options) };
  if (!AGREEMENT_MEASURES.includes(o.measure)) {
    fail(
      where,
      `measure must be one of ${AGREEMENT_MEASURES.map((m) => `'${m}'`).join(', ')}, got ${describeValue(o.measure)}`,
    );
  }
  if (!NOISY_TREATMENTS.includes(o.noisyTreatment)) {
    fail(
      where,
      `noisyTreatment must be one of ${NOISY_TREATMENTS.map((m) => `'${m}'`).join(', ')}, got ${describeValue(o.noisyTreatment)}`,
    );
  }
  const ranges: Array<[keyof ResolvedClipAgreementOptions, number, number, boolean]> = [
    ['hardBelow', 0, 1, false],
    ['noisyAbove', 0, 1, false],
    ['noisyMargin', 0, 1, false],
    ['hardGamma', 0, 100, false],
    ['noisyWeight', 0, 1, false],
    ['warmupEpochs', 0, 1e9, true],
    ['epoch', 0, 1e9, true],
  ];
  for (const [key, min, max, integer] of ranges) {
    const v = o[key] as unknown;
    const ok =
      typeof v === 'number' &&
      Number.isFinite(v) &&
      v >= min &&
      v <= max &&
      (!integer || Number.isInteger(v));
    if (!ok) {
      fail(
        where,
        `${key} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${describeValue(v)}`,
      );
    }
  }
  if (o.noisyAbove < o.hardBelow) {
    fail(
      where,
      `noisyAbove (${o.noisyAbove}) must be ≥ hardBelow (${o.hardBelow}): a sample cannot be both hard and noisy`,
    );
  }
  return o;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Clip-agreement analysis of one batch: scores, partition, per-sample weights and training labels.
 *
 * With agreement `a` (the chosen {@link AgreementMeasure}), label `y`, mean prediction `p̄`,
 * `ŷ = argmax p̄` and margin `m = p̄_ŷ − p̄_y` (our partition; the paper gives none, `reference/rdfer.md`):
 *
 * - **likely-noisy** when `a ≥ noisyAbove` and `ŷ ≠ y` and `m ≥ noisyMargin`: the clips agree, confidently,
 *   on another class;
 * - **easy** when not noisy, `a ≥ hardBelow` and `ŷ = y`;
 * - **hard** otherwise: the clips disagree (`a < hardBelow`), or they agree on another class without the
 *   confidence that would call the label wrong.
 *
 * Weights (applied only when `epoch ≥ warmupEpochs`, else all 1): easy `w = 1`; hard
 * `w = 1 + γ·(1 − a)` (γ = `hardGamma`); likely-noisy `w = noisyWeight` with `'downweight'`, or `w = 1`
 * with the label replaced by `ŷ` with `'relabel'` (the lab code's relabel rule, `reference/rdfer.md`).
 * The partition is reported during warm-up too, for analysis.
 *
 * @param probs - per-clip probabilities `[N, K, C]` row-major (see {@link softmaxClipLogits}).
 * @param labels - the (possibly noisy) training label per sample, integers in `[0, C)`, length N.
 * @throws naming the argument, index or option that is invalid.
 */
export function analyseClipAgreement(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  shape: ClipPredictionShape,
  options: ClipAgreementOptions = {},
): ClipAgreementAnalysis {
  const where = 'analyseClipAgreement';
  const o = resolveClipAgreementOptions(options, where);
  const scores = clipAgreementScores(probs, shape);
  const { samples: n, classes: c } = shape;
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') {
    fail(where, `labels must be an array of N = ${n} class indices, got ${describeValue(labels)}`);
  }
  if (labels.length !== n) fail(where, `labels has ${labels.length} entries, expected N = ${n}`);
  const agreement = scores[o.measure];
  const margin = new Float32Array(n);
  const partition = new Uint8Array(n);
  const weights = new Float32Array(n);
  const relabel = new Int32Array(n);
  const active = o.epoch >= o.warmupEpochs;
  const counts = { easy: 0, hard: 0, noisy: 0, relabelled: 0 };
  for (let s = 0; s < n; s++) {
    const y = labels[s] as number;
    if (!Number.isInteger(y) || y < 0 || y >= c) {
      fail(where, `labels[${s}] = ${y} is not an integer class index in [0, ${c})`);
    }
    const yHat = scores.predicted[s] as number;
    const a = agreement[s] as number;
    const m = (scores.meanProbs[s * c + yHat] as number) - (scores.meanProbs[s * c + y] as number);
    margin[s] = m;
    relabel[s] = y;
    let w = 1;
    if (a >= o.noisyAbove && yHat !== y && m >= o.noisyMargin) {
      partition[s] = SAMPLE_PARTITION.noisy;
      counts.noisy++;
      if (o.noisyTreatment === 'relabel') {
        if (active) {
          relabel[s] = yHat;
          counts.relabelled++;
        }
      } else {
        w = o.noisyWeight;
      }
    } else if (a >= o.hardBelow && yHat === y) {
      partition[s] = SAMPLE_PARTITION.easy;
      counts.easy++;
    } else {
      partition[s] = SAMPLE_PARTITION.hard;
      counts.hard++;
      w = 1 + o.hardGamma * (1 - a);
    }
    weights[s] = active ? w : 1;
  }
  return { ...scores, agreement, margin, partition, weights, relabel, counts, active, options: o };
}
