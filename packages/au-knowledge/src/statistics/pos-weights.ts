/** AU-DFER pos-weights N_neg / N_pos (global, distinct per expression, minority), with the degenerate cells. */
import { getExpression, type LabelList, resolveExpressions } from '../labels';
import { type AuTargets, flattenTargets, resolveNumClasses, validateLabels } from './au-targets';

/** The AU-DFER pos-weight variants (`posw_option` of the authors' code). */
export type PosWeightMode = 'global' | 'distinct' | 'minor';

/** Per-call options of {@link posWeights}. */
export interface PosWeightsOptions {
  /** `'global'` (default), `'distinct'` or `'minor'`. */
  readonly mode?: PosWeightMode;
  /** Expression label names in index order (a label set name or names). Either this or `numClasses`. */
  readonly labels?: LabelList;
  /** Number of expression classes K. Either this or `labels`. */
  readonly numClasses?: number;
  /**
   * For `'minor'`: the minority classes, as indices or label names (names need `labels`; matched by
   * meaning). AU-DFER uses surprise, disgust and fear on DFEW / FERV39K.
   */
  readonly minorityClasses?: readonly (number | string)[];
  /**
   * Weight used where N_pos / N_neg is undefined or zero: an AU never present (N_pos = 0) or always
   * present (N_neg = 0) in its group. Default 1 (the unweighted BCE). Such cells are reported in
   * {@link PosWeights.degenerate}.
   */
  readonly degenerateValue?: number;
}

/** One pos-weight cell where N_neg / N_pos could not be used. */
export interface DegeneratePosWeight {
  /** Class row (for `'global'`: every row, reported once with `classIndex` -1). */
  readonly classIndex: number;
  /** AU column. */
  readonly auIndex: number;
  /** N_pos of the group. */
  readonly positives: number;
  /** N_neg of the group. */
  readonly negatives: number;
}

/** Pos-weights as a `[K, nAU]` table: row y is the pos-weight vector for samples of expression y. */
export interface PosWeights {
  readonly mode: PosWeightMode;
  /** K (rows). */
  readonly numClasses: number;
  /** Number of AUs (columns). */
  readonly numAus: number;
  /** Row-major `[K, nAU]` float64 pos-weights; for `'global'` every row is the same vector. */
  readonly values64: Float64Array;
  /** The same in float32 (for tensors). */
  readonly values: Float32Array;
  /** Global N_neg / N_pos per AU over all samples (the `'global'` vector), with the same degenerate rule. */
  readonly global: Float64Array;
  /** Minority class indices used (`'minor'` only; empty otherwise). */
  readonly minorityClasses: readonly number[];
  /** Cells where the degenerate rule applied (each reported once). */
  readonly degenerate: readonly DegeneratePosWeight[];
  /** The value written in degenerate cells. */
  readonly degenerateValue: number;
}

/**
 * AU-DFER pos-weights p = N_neg / N_pos per AU (`au-dfer.md`, "Pos-weight variants"):
 * - `'global'`: one vector over all samples, p_j = N_neg,j / N_pos,j.
 * - `'distinct'`: one vector per expression e, counted among samples of e only.
 * - `'minor'`: rows of majority classes are 1; rows of `minorityClasses` are their `'distinct'` rows.
 *
 * Degenerate rule: where N_pos = 0 (AU never present in the group, ratio undefined) or N_neg = 0
 * (always present, ratio 0, which would erase the positive term), the weight is `degenerateValue`
 * (default 1, plain BCE) and the cell is reported in `degenerate`. A class with no sample in
 * `'distinct'`/`'minor'` mode is degenerate in every AU.
 *
 * @throws Error for bad targets, labels out of range, unknown minority classes, or missing `labels`/`numClasses`.
 */
export function posWeights(
  auTargets: AuTargets,
  exprLabels: ArrayLike<number>,
  options: PosWeightsOptions = {},
): PosWeights {
  const mode = options.mode ?? 'global';
  if (!['global', 'distinct', 'minor'].includes(mode)) {
    throw new Error(`options.mode: ${JSON.stringify(mode)} is not one of 'global', 'distinct', 'minor'`);
  }
  const degenerateValue = options.degenerateValue ?? 1;
  if (!Number.isFinite(degenerateValue) || degenerateValue < 0) {
    throw new Error(`options.degenerateValue: ${degenerateValue} is not a finite non-negative number`);
  }
  const { numClasses, labelNames } = resolveNumClasses(options);
  const { data, rows, cols } = flattenTargets(auTargets);
  const labels = validateLabels(exprLabels, rows, numClasses);

  let minority: number[] = [];
  if (mode === 'minor') {
    if (options.minorityClasses === undefined || options.minorityClasses.length === 0) {
      throw new Error(
        "options.minorityClasses: required for mode 'minor'; expected class indices or label names (e.g. ['surprise', 'disgust', 'fear'])",
      );
    }
    const meanings = labelNames === undefined ? undefined : resolveExpressions(labelNames, 'options.labels');
    minority = options.minorityClasses.map((c, i) => {
      if (typeof c === 'number') {
        if (!Number.isInteger(c) || c < 0 || c >= numClasses) {
          throw new Error(
            `options.minorityClasses[${i}]: ${c} is not a class index in [0, ${numClasses - 1}]`,
          );
        }
        return c;
      }
      if (meanings === undefined) {
        throw new Error(
          `options.minorityClasses[${i}]: label name ${JSON.stringify(c)} needs options.labels to resolve it`,
        );
      }
      const meaning = getExpression(c, `options.minorityClasses[${i}]`);
      const idx = meanings.indexOf(meaning);
      if (idx === -1) {
        throw new Error(
          `options.minorityClasses[${i}]: ${JSON.stringify(c)} is not one of options.labels (${(labelNames ?? []).join(', ')})`,
        );
      }
      return idx;
    });
  }

  const posByClass = new Float64Array(numClasses * cols);
  const countByClass = new Float64Array(numClasses);
  for (let i = 0; i < rows; i++) {
    const y = labels[i] as number;
    countByClass[y] = (countByClass[y] as number) + 1;
    for (let j = 0; j < cols; j++)
      posByClass[y * cols + j] = (posByClass[y * cols + j] as number) + (data[i * cols + j] as number);
  }
  const degenerate: DegeneratePosWeight[] = [];
  const ratio = (
    pos: number,
    total: number,
    classIndex: number,
    auIndex: number,
    report: boolean,
  ): number => {
    const neg = total - pos;
    if (pos === 0 || neg === 0) {
      if (report) degenerate.push({ classIndex, auIndex, positives: pos, negatives: neg });
      return degenerateValue;
    }
    return neg / pos;
  };
  const global = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    let pos = 0;
    for (let k = 0; k < numClasses; k++) pos += posByClass[k * cols + j] as number;
    global[j] = ratio(pos, rows, -1, j, mode === 'global');
  }
  const values64 = new Float64Array(numClasses * cols);
  for (let k = 0; k < numClasses; k++) {
    for (let j = 0; j < cols; j++) {
      let v: number;
      if (mode === 'global') v = global[j] as number;
      else if (mode === 'minor' && !minority.includes(k)) v = 1;
      else v = ratio(posByClass[k * cols + j] as number, countByClass[k] as number, k, j, true);
      values64[k * cols + j] = v;
    }
  }
  return {
    mode,
    numClasses,
    numAus: cols,
    values64,
    values: Float32Array.from(values64),
    global,
    minorityClasses: minority,
    degenerate,
    degenerateValue,
  };
}
