/**
 * Generative apex AU profiles per expression, derived from an expression × AU prior matrix of
 * `@dfer/au-knowledge`.
 */
import {
  priorMatrix,
  resolveExpressions,
  resolveLabelList,
  type LabelList,
  type PriorMatrix,
} from '@dfer/au-knowledge';
import { randomUniform, type RandomSource } from '../random';

/** Largest FACS intensity (level E). */
export const MAX_AU_INTENSITY = 5;

/** Apex AU profile of every expression: how strongly each AU belongs to it. */
export interface ExpressionProfile {
  /** Expression label names, in row order. */
  readonly labels: readonly string[];
  /** AU ids, in column order. */
  readonly aus: readonly string[];
  /** Row-major `[labels, aus]` weights s'_ej ∈ [0, 1] (see {@link createExpressionProfile}). */
  readonly weights: Float64Array;
  /** Labels whose row is all zero (no distinctive AU: e.g. neutral). */
  readonly emptyLabels: readonly string[];
  /** Name of the prior table the profile comes from. */
  readonly source: string;
}

/** Build-time options of {@link createExpressionProfile}. */
export interface ExpressionProfileConfig {
  /** The prior matrix (default: `priorMatrix({ source: 'dfew', labels: 'dfew', aus: 'openface18' })`). */
  readonly prior?: PriorMatrix;
  /**
   * Rows of the result, matched by meaning to the prior's rows (`'happiness'` finds `happy`), in this
   * order. The weights are computed over **all** rows of the prior first, so picking a subset of
   * labels does not change any expression's profile. Default: the prior's rows.
   */
  readonly labels?: LabelList;
}

/**
 * Turns a prior matrix W (rows expressions, columns AUs) into profile weights s'_ej ∈ [0, 1]:
 *
 * - `probability` priors (scores in (0, 1), e.g. AU-DFER's `dfew`): the column-centred log-odds
 *   s_ej = logit(W_ej) − (1/E)·Σ_e' logit(W_e'j) say how much more often AU j occurs with expression
 *   e than on average over the E expressions; then s'_ej = max(0, s_ej) / max_k s_ek, and a row whose
 *   maximum is ≤ 0 (nothing more likely than average: neutral) becomes all zero.
 * - `binary` priors (FACS prototypes): s'_ej = W_ej.
 * - `weight` priors: s'_ej = max(0, W_ej) / max_k W_ek.
 *
 * Prior tables: `../shared/reference/au-dfer.md` and `@dfer/au-knowledge` `PRIOR_SOURCES`.
 */
export function createExpressionProfile(config: ExpressionProfileConfig = {}): ExpressionProfile {
  const prior = config.prior ?? priorMatrix({ source: 'dfew', labels: 'dfew', aus: 'openface18' });
  const E = prior.rows;
  const J = prior.cols;
  const w = prior.values64;
  const weights = new Float64Array(E * J);
  if (prior.kind === 'probability') {
    const logit = new Float64Array(E * J);
    for (let i = 0; i < E * J; i++) {
      const p = w[i] as number;
      if (!(p > 0 && p < 1)) {
        throw new RangeError(
          `prior: '${prior.source}' is a probability table but entry ${i} (row ${Math.floor(i / J)}, column ${i % J}) is ${p}; expected 0 < p < 1`,
        );
      }
      logit[i] = Math.log(p / (1 - p));
    }
    for (let j = 0; j < J; j++) {
      let mean = 0;
      for (let e = 0; e < E; e++) mean += logit[e * J + j] as number;
      mean /= E;
      for (let e = 0; e < E; e++) weights[e * J + j] = Math.max(0, (logit[e * J + j] as number) - mean);
    }
  } else {
    for (let i = 0; i < E * J; i++) weights[i] = Math.max(0, w[i] as number);
  }
  const emptyLabels: string[] = [];
  for (let e = 0; e < E; e++) {
    let max = 0;
    for (let j = 0; j < J; j++) max = Math.max(max, weights[e * J + j] as number);
    if (max <= 1e-9) {
      emptyLabels.push(prior.labels[e] as string);
      for (let j = 0; j < J; j++) weights[e * J + j] = 0;
    } else if (prior.kind !== 'binary') {
      for (let j = 0; j < J; j++) weights[e * J + j] = (weights[e * J + j] as number) / max;
    }
  }
  if (config.labels === undefined) {
    return { labels: prior.labels, aus: prior.aus, weights, emptyLabels, source: prior.source };
  }
  const labels = resolveLabelList(config.labels, 'labels');
  const meanings = resolveExpressions(labels, 'labels');
  const rows = meanings.map((m, r) => {
    const e = prior.expressions.indexOf(m);
    if (e === -1) {
      throw new RangeError(
        `labels[${r}]: ${JSON.stringify(labels[r])} has no row in prior '${prior.source}' (rows: ${prior.labels.join(', ')})`,
      );
    }
    return e;
  });
  const picked = new Float64Array(rows.length * J);
  rows.forEach((e, r) => picked.set(weights.subarray(e * J, (e + 1) * J), r * J));
  return {
    labels,
    aus: prior.aus,
    weights: picked,
    emptyLabels: labels.filter((_, r) => emptyLabels.includes(prior.labels[rows[r] as number] as string)),
    source: prior.source,
  };
}

/**
 * Samples the apex AU intensities of one expression occurrence (FACS 0–5 scale, in `profile.aus`
 * order). For each AU j of expression e: it is active with probability √s'_ej, and then its
 * intensity is min(5, 5 · s'_ej · strength · u_j) with u_j ~ U(0.75, 1.25); inactive AUs are 0.
 * `strength` scales the whole expression (about 1 for a full expression, 0.3–0.5 for a subtle one).
 */
export function sampleApexIntensities(
  profile: ExpressionProfile,
  label: number,
  strength: number,
  rng: RandomSource,
): Float64Array {
  const J = profile.aus.length;
  if (!Number.isInteger(label) || label < 0 || label >= profile.labels.length) {
    throw new RangeError(`label: ${label} is not a row of the profile (0..${profile.labels.length - 1})`);
  }
  const out = new Float64Array(J);
  for (let j = 0; j < J; j++) {
    const s = profile.weights[label * J + j] as number;
    const active = rng.next() < Math.sqrt(s);
    const u = randomUniform(rng, 0.75, 1.25);
    if (active && s > 0) out[j] = Math.min(MAX_AU_INTENSITY, MAX_AU_INTENSITY * s * strength * u);
  }
  return out;
}
