/** AU base rates and AU co-occurrence of a set of binary AU targets. */
import { resolveAuList, type AuId, type AuList } from '../aus';
import { type AuTargets, flattenTargets } from './au-targets';

/** Per-call options of {@link auBaseRates}. */
export interface AuBaseRatesOptions {
  /** AU names of the columns; when given, the targets must have this many columns. */
  readonly aus?: AuList;
}

/** AU base rates of a set of binary targets. */
export interface AuBaseRates {
  /** Column AUs, when `options.aus` was given. */
  readonly aus?: readonly AuId[];
  /** Number of samples N. */
  readonly total: number;
  /** n_i: number of samples where AU i is present. */
  readonly positives: Float64Array;
  /** r_i = n_i / N. */
  readonly rates: Float64Array;
  /** Fraction of samples with no AU present. */
  readonly noAuFraction: number;
  /** Mean number of AUs present per sample, Σ_i n_i / N. */
  readonly meanAusPerSample: number;
}

/**
 * AU base rates: r_i = n_i / N, the fraction of samples (frames or clips) in which AU i is present
 * (`au-detection.md`, "Class weights from AU base rates").
 *
 * @throws Error for empty, ragged or non-binary targets (naming the row and column).
 */
export function auBaseRates(auTargets: AuTargets, options: AuBaseRatesOptions = {}): AuBaseRates {
  const aus = options.aus === undefined ? undefined : resolveAuList(options.aus, 'options.aus');
  const { data, rows, cols } = flattenTargets(auTargets, aus?.length);
  const positives = new Float64Array(cols);
  let none = 0;
  let totalOn = 0;
  for (let i = 0; i < rows; i++) {
    let on = 0;
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j] as number;
      positives[j] = (positives[j] as number) + v;
      on += v;
    }
    if (on === 0) none++;
    totalOn += on;
  }
  const rates = positives.map((n) => n / rows);
  const result = {
    total: rows,
    positives,
    rates,
    noAuFraction: none / rows,
    meanAusPerSample: totalOn / rows,
  };
  return aus === undefined ? result : { aus, ...result };
}

/** AU co-occurrence of a set of binary targets. */
export interface AuCooccurrence {
  /** Number of AUs n. */
  readonly numAus: number;
  /** Number of samples N. */
  readonly total: number;
  /** Row-major `[n, n]`: counts[i, j] = number of samples with AU i and AU j both present. */
  readonly counts: Float64Array;
  /** Row-major `[n, n]`: P(AU j | AU i) = counts[i, j] / counts[i, i]; 0 in rows of AUs never present. */
  readonly conditional: Float64Array;
  /** Indices of AUs never present (their `conditional` rows are undefined and written as 0). */
  readonly absentAus: readonly number[];
}

/**
 * AU co-occurrence counts n_ij = #{samples with AU i and AU j} and conditionals
 * P(AU j | AU i) = n_ij / n_ii (empirical frequencies).
 */
export function auCooccurrence(auTargets: AuTargets): AuCooccurrence {
  const { data, rows, cols } = flattenTargets(auTargets);
  const counts = new Float64Array(cols * cols);
  const on: number[] = [];
  for (let s = 0; s < rows; s++) {
    on.length = 0;
    for (let j = 0; j < cols; j++) if (data[s * cols + j] === 1) on.push(j);
    for (const i of on) for (const j of on) counts[i * cols + j] = (counts[i * cols + j] as number) + 1;
  }
  const conditional = new Float64Array(cols * cols);
  const absentAus: number[] = [];
  for (let i = 0; i < cols; i++) {
    const nii = counts[i * cols + i] as number;
    if (nii === 0) {
      absentAus.push(i);
      continue;
    }
    for (let j = 0; j < cols; j++) conditional[i * cols + j] = (counts[i * cols + j] as number) / nii;
  }
  return { numAus: cols, total: rows, counts, conditional, absentAus };
}
