/**
 * Zero-shot AU → expression scoring: expression probabilities from AU probabilities through an
 * expression × AU prior, with a naive-Bayes model.
 */
import { resolveAuList, type AuId, type AuList } from './aus';
import type { Expression } from './labels';
import { priorMatrix, type PriorMatrix, type PriorMatrixOptions } from './priors';

/** How per-frame evidence of a sequence is combined into one clip score. */
export type FrameAggregation =
  /** s_e = log π_e + (1/T) Σ_t ℓ_{t,e}: the mean per-frame log-likelihood (default). */
  | 'mean-log-likelihood'
  /** p_e = (1/T) Σ_t p_{t,e}: the mean of per-frame posteriors. */
  | 'mean-probability';

/** Per-call options of {@link scoreExpressions}. */
export interface ScoreExpressionsOptions {
  /** AU names of the input columns (an AU set name or names). */
  readonly aus: AuList;
  /** The prior: a {@link PriorMatrix} or options for {@link priorMatrix}. Default `priorMatrix({ source: 'dfew' })`. */
  readonly prior?: PriorMatrix | PriorMatrixOptions;
  /** Class prior π_e (positive, any scale; normalised to sum 1). Default uniform. */
  readonly classPrior?: ArrayLike<number>;
  /** Prior entries are clamped to [ε, 1 − ε] so binary prototypes stay finite. Default 0.01; 0 < ε < 0.5. */
  readonly epsilon?: number;
  /** Aggregation over frames for a sequence. Default `'mean-log-likelihood'`. */
  readonly aggregate?: FrameAggregation;
  /**
   * AUs in the input but not the prior, or in the prior but not the input: `'error'` (default)
   * refuses; `'ignore'` leaves them out of the sum and lists them in the result.
   */
  readonly unmatchedAus?: 'error' | 'ignore';
}

/** Expression scores of one vector or one sequence of AU probabilities. */
export interface ExpressionScores {
  /** Row labels of the prior, in score order. */
  readonly labels: readonly string[];
  /** Canonical meaning of each label. */
  readonly expressions: readonly Expression[];
  /** Clip-level log-likelihood ℓ_e (mean over frames for a sequence). */
  readonly logLikelihood: Float64Array;
  /** Posterior P(e | AUs) in label order (sums to 1). */
  readonly probabilities: Float64Array;
  /** Index of the most probable label. */
  readonly topIndex: number;
  /** The most probable label. */
  readonly topLabel: string;
  /** Number of frames T (1 for a single vector). */
  readonly numFrames: number;
  /** Row-major `[T, E]` per-frame posteriors. */
  readonly frameProbabilities: Float64Array;
  /** AUs that entered the score, in the prior's order. */
  readonly usedAus: readonly AuId[];
  /** Prior AUs absent from the input (left out, only with `unmatchedAus: 'ignore'`). */
  readonly missingAus: readonly AuId[];
  /** Input AUs absent from the prior (left out, only with `unmatchedAus: 'ignore'`). */
  readonly unusedAus: readonly AuId[];
  /** Name of the prior's source. */
  readonly priorSource: string;
}

function logSoftmax(scores: Float64Array): Float64Array {
  const max = Math.max(...scores);
  let sum = 0;
  for (const s of scores) sum += Math.exp(s - max);
  const logZ = max + Math.log(sum);
  return scores.map((s) => s - logZ);
}

/**
 * Expression scores from AU probabilities through a prior, under a naive-Bayes model: AUs are
 * independent given the expression e, with P(AU_j = 1 | e) = W̃[e, j] = clamp(W[e, j], ε, 1 − ε)
 * taken from the prior W. Soft AU evidence q_j ∈ [0, 1] enters as the expected log-likelihood
 *
 *     ℓ_e = Σ_j [ q_j · log W̃[e, j] + (1 − q_j) · log(1 − W̃[e, j]) ]
 *     P(e | q) = softmax_e( log π_e + ℓ_e ).
 *
 * For a sequence `[T, nAU]` (row-major), `'mean-log-likelihood'` uses ℓ_e = (1/T) Σ_t ℓ_{t,e} (a
 * geometric mean of frame likelihoods, so clip length does not sharpen the posterior) and
 * `'mean-probability'` averages the per-frame posteriors. This is the zero-shot baseline: no training,
 * only the AU detector's outputs (e.g. OpenFace `AUxx_c` or `AUxx_r / 5`) and a prior table
 * (AU-DFER's DFEW prior by default; `au-dfer.md`). Prior entries must lie in [0, 1]: the anomalous
 * `ferv39k-former-dfer` table needs `normalize: 'row-max'` first.
 *
 * @param auProbs - AU probabilities in [0, 1], one vector (length nAU) or T frames (length T·nAU).
 * @throws Error for values outside [0, 1] or NaN (naming frame and AU), a length that is not a
 *   multiple of nAU, prior entries outside [0, 1], unmatched AUs without `'ignore'`, or a bad class prior.
 */
export function scoreExpressions(
  auProbs: ArrayLike<number>,
  options: ScoreExpressionsOptions,
): ExpressionScores {
  if (options === undefined || options.aus === undefined) {
    throw new Error(
      "options.aus: required; the AU names of auProbs' columns (an AU set name such as 'openface18' or AU names)",
    );
  }
  const inputAus = resolveAuList(options.aus, 'options.aus');
  const prior: PriorMatrix =
    options.prior !== undefined && 'values64' in options.prior
      ? options.prior
      : priorMatrix(options.prior ?? { source: 'dfew' });
  const epsilon = options.epsilon ?? 0.01;
  if (!(epsilon > 0 && epsilon < 0.5)) throw new Error(`options.epsilon: ${epsilon} is not in (0, 0.5)`);
  const aggregate = options.aggregate ?? 'mean-log-likelihood';
  if (aggregate !== 'mean-log-likelihood' && aggregate !== 'mean-probability') {
    throw new Error(
      `options.aggregate: ${JSON.stringify(aggregate)} is not one of 'mean-log-likelihood', 'mean-probability'`,
    );
  }
  prior.values64.forEach((w, k) => {
    if (!(w >= 0 && w <= 1)) {
      const r = Math.floor(k / prior.cols);
      throw new Error(
        `options.prior: entry (${prior.labels[r]}, ${prior.aus[k % prior.cols]}) of '${prior.source}' is ${w}; the naive-Bayes model needs probabilities in [0, 1] (try normalize: 'row-max')`,
      );
    }
  });
  const nIn = inputAus.length;
  if (auProbs === null || typeof auProbs !== 'object' || auProbs.length === 0 || auProbs.length % nIn !== 0) {
    throw new Error(
      `auProbs: length ${auProbs?.length} is not a positive multiple of the ${nIn} AUs of options.aus (${inputAus.join(', ')})`,
    );
  }
  const numFrames = auProbs.length / nIn;
  for (let k = 0; k < auProbs.length; k++) {
    const q = auProbs[k] as number;
    if (!(q >= 0 && q <= 1)) {
      throw new Error(
        `auProbs[${k}] (frame ${Math.floor(k / nIn)}, ${inputAus[k % nIn]}): ${q} is not a probability in [0, 1]`,
      );
    }
  }

  const usedAus = prior.aus.filter((a) => inputAus.includes(a));
  const missingAus = prior.aus.filter((a) => !inputAus.includes(a));
  const unusedAus = inputAus.filter((a) => !prior.aus.includes(a));
  if ((missingAus.length > 0 || unusedAus.length > 0) && (options.unmatchedAus ?? 'error') === 'error') {
    throw new Error(
      `options.aus: AUs do not match prior '${prior.source}' (input lacks ${missingAus.join(', ') || 'none'}; prior lacks ${unusedAus.join(', ') || 'none'}); pass unmatchedAus: 'ignore' to leave them out`,
    );
  }
  if (usedAus.length === 0)
    throw new Error(`options.aus: no AU in common with prior '${prior.source}' (${prior.aus.join(', ')})`);

  const numLabels = prior.rows;
  const logPi = new Float64Array(numLabels).fill(-Math.log(numLabels));
  if (options.classPrior !== undefined) {
    const pi = options.classPrior;
    if (pi.length !== numLabels)
      throw new Error(
        `options.classPrior: has length ${pi.length}; expected ${numLabels} (one per prior row: ${prior.labels.join(', ')})`,
      );
    let sum = 0;
    for (let e = 0; e < numLabels; e++) {
      const v = pi[e] as number;
      if (!(v > 0 && Number.isFinite(v)))
        throw new Error(`options.classPrior[${e}]: ${v} is not a finite positive number`);
      sum += v;
    }
    for (let e = 0; e < numLabels; e++) logPi[e] = Math.log((pi[e] as number) / sum);
  }

  const pairs = usedAus.map((a) => ({ input: inputAus.indexOf(a), col: prior.aus.indexOf(a) }));
  const logW = new Float64Array(numLabels * pairs.length);
  const log1mW = new Float64Array(numLabels * pairs.length);
  for (let e = 0; e < numLabels; e++) {
    pairs.forEach(({ col }, j) => {
      const w = Math.min(1 - epsilon, Math.max(epsilon, prior.values64[e * prior.cols + col] as number));
      logW[e * pairs.length + j] = Math.log(w);
      log1mW[e * pairs.length + j] = Math.log1p(-w);
    });
  }
  const meanLl = new Float64Array(numLabels);
  const frameProbabilities = new Float64Array(numFrames * numLabels);
  const meanProb = new Float64Array(numLabels);
  const frameScores = new Float64Array(numLabels);
  for (let t = 0; t < numFrames; t++) {
    for (let e = 0; e < numLabels; e++) {
      let ll = 0;
      pairs.forEach(({ input }, j) => {
        const q = auProbs[t * nIn + input] as number;
        ll += q * (logW[e * pairs.length + j] as number) + (1 - q) * (log1mW[e * pairs.length + j] as number);
      });
      meanLl[e] = (meanLl[e] as number) + ll / numFrames;
      frameScores[e] = (logPi[e] as number) + ll;
    }
    const lp = logSoftmax(frameScores);
    for (let e = 0; e < numLabels; e++) {
      const p = Math.exp(lp[e] as number);
      frameProbabilities[t * numLabels + e] = p;
      meanProb[e] = (meanProb[e] as number) + p / numFrames;
    }
  }
  const probabilities =
    aggregate === 'mean-probability'
      ? meanProb
      : logSoftmax(meanLl.map((ll, e) => ll + (logPi[e] as number))).map(Math.exp);
  let topIndex = 0;
  probabilities.forEach((p, e) => {
    if (p > (probabilities[topIndex] as number)) topIndex = e;
  });
  return {
    labels: prior.labels,
    expressions: prior.expressions,
    logLikelihood: meanLl,
    probabilities,
    topIndex,
    topLabel: prior.labels[topIndex] as string,
    numFrames,
    frameProbabilities,
    usedAus,
    missingAus,
    unusedAus,
    priorSource: prior.source,
  };
}
