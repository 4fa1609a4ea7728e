/**
 * Statistics and weights computed from binary AU labels (and expression labels): AU base rates,
 * AU-DFER pos-weights, AU-detection class weights, AU co-occurrence and P(AU | expression).
 */
import { resolveAuList, type AuId, type AuList } from './aus';
import { getExpression, resolveExpressions, resolveLabelList, type LabelList } from './labels';
import type { PriorSourceDefinition } from './priors';

/**
 * Binary AU targets of N samples (frames or clips): either one row per sample (arrays or typed
 * arrays, all of the same length) or a flat row-major buffer with its number of AUs (e.g.
 * `ClipSample.aus` of `@dfer/datasets`). Every value must be exactly 0 or 1.
 */
export type AuTargets =
  readonly ArrayLike<number>[] | { readonly data: ArrayLike<number>; readonly numAus: number };

/** Validated targets as a flat 0/1 buffer. */
interface FlatTargets {
  readonly data: Uint8Array;
  readonly rows: number;
  readonly cols: number;
}

function checkBinary(v: number, where: string): 0 | 1 {
  if (v === 0 || v === 1) return v;
  throw new Error(
    `auTargets${where}: value ${v} is not binary; expected every AU target to be exactly 0 or 1`,
  );
}

function flattenTargets(targets: AuTargets, expectedAus?: number): FlatTargets {
  let flat: FlatTargets;
  if (Array.isArray(targets)) {
    const rowsArr = targets as readonly ArrayLike<number>[];
    if (rowsArr.length === 0)
      throw new Error('auTargets: is empty; expected at least one row of 0/1 AU values');
    const cols = rowsArr[0]?.length ?? 0;
    if (cols === 0) throw new Error('auTargets[0]: has no values; expected one 0/1 value per AU');
    const data = new Uint8Array(rowsArr.length * cols);
    rowsArr.forEach((row, i) => {
      if (row === null || typeof row !== 'object' || row.length !== cols) {
        throw new Error(
          `auTargets[${i}]: has length ${row?.length}; expected ${cols} values (the length of row 0), one per AU`,
        );
      }
      for (let j = 0; j < cols; j++) data[i * cols + j] = checkBinary(row[j] as number, `[${i}][${j}]`);
    });
    flat = { data, rows: rowsArr.length, cols };
  } else if (targets !== null && typeof targets === 'object' && 'data' in targets && 'numAus' in targets) {
    const { data: src, numAus } = targets;
    if (!Number.isInteger(numAus) || numAus <= 0)
      throw new Error(`auTargets.numAus: ${numAus} is not a positive integer`);
    if (src.length === 0 || src.length % numAus !== 0) {
      throw new Error(
        `auTargets.data: length ${src.length} is not a positive multiple of numAus = ${numAus}`,
      );
    }
    const data = new Uint8Array(src.length);
    for (let k = 0; k < src.length; k++) {
      data[k] = checkBinary(
        src[k] as number,
        `.data[${k}] (row ${Math.floor(k / numAus)}, AU ${k % numAus})`,
      );
    }
    flat = { data, rows: src.length / numAus, cols: numAus };
  } else {
    throw new Error('auTargets: expected an array of 0/1 rows or { data, numAus }');
  }
  if (expectedAus !== undefined && flat.cols !== expectedAus) {
    throw new Error(
      `auTargets: rows have ${flat.cols} values; expected ${expectedAus} (one per AU of options.aus)`,
    );
  }
  return flat;
}

function validateLabels(exprLabels: ArrayLike<number>, rows: number, numClasses: number): Int32Array {
  if (exprLabels === null || typeof exprLabels !== 'object' || exprLabels.length !== rows) {
    throw new Error(
      `exprLabels: has length ${exprLabels?.length}; expected ${rows} (one expression index per row of auTargets)`,
    );
  }
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const y = exprLabels[i] as number;
    if (!Number.isInteger(y) || y < 0 || y >= numClasses) {
      throw new Error(`exprLabels[${i}]: ${y} is not an integer class index in [0, ${numClasses - 1}]`);
    }
    out[i] = y;
  }
  return out;
}

function resolveNumClasses(options: { readonly numClasses?: number; readonly labels?: LabelList }): {
  numClasses: number;
  labelNames?: readonly string[];
} {
  if (options.labels !== undefined) {
    const labelNames = resolveLabelList(options.labels, 'options.labels');
    if (options.numClasses !== undefined && options.numClasses !== labelNames.length) {
      throw new Error(
        `options.numClasses: ${options.numClasses} differs from the ${labelNames.length} names of options.labels`,
      );
    }
    return { numClasses: labelNames.length, labelNames };
  }
  if (options.numClasses === undefined || !Number.isInteger(options.numClasses) || options.numClasses <= 0) {
    throw new Error(
      `options: expected options.labels (a label set such as 'dfew' or label names) or options.numClasses (a positive integer); got numClasses = ${options.numClasses}`,
    );
  }
  return { numClasses: options.numClasses };
}

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

/** Weighting rule of {@link auClassWeights} (`au-detection.md`, "Class weights from AU base rates"). */
export type AuClassWeightMethod = 'jaa' | 'power' | 'log' | 'effective-number' | 'pos-weight';

/** Per-call options of {@link auClassWeights}. */
export interface AuClassWeightsOptions {
  /** Default `'jaa'`. */
  readonly method?: AuClassWeightMethod;
  /** Exponent α of `'power'`, 0 < α ≤ 1. Default 0.5. */
  readonly alpha?: number;
  /** Constant c of `'log'`, c > 0. Default 1. */
  readonly c?: number;
  /** β of `'effective-number'`, 0 < β < 1. Default 0.999. */
  readonly beta?: number;
}

/**
 * Per-AU class weights from AU base rates r_i, renormalised to mean 1 (`au-detection.md`):
 * - `'jaa'` (JAA-Net): w_i = (1/r_i) / Σ_j (1/r_j) · n_AU.
 * - `'power'`: w_i ∝ (1/r_i)^α, 0 < α ≤ 1 (α = 1 is `'jaa'`).
 * - `'log'`: w_i ∝ log(1 + c / r_i).
 * - `'effective-number'` (Cui et al., CVPR 2019): w_i ∝ (1 − β) / (1 − β^{n_i}), n_i = positive count
 *   (needs an {@link AuBaseRates} with counts).
 * - `'pos-weight'`: w_i ∝ (1 − r_i) / r_i.
 * Every method ends with w_i ← n_AU · u_i / Σ_j u_j, so the weights average to 1.
 *
 * Rule for degenerate AUs: a base rate of 0 (AU never present) has no finite weight and raises an
 * error naming the AU; with `'pos-weight'`, all rates equal to 1 leave nothing to normalise and raise.
 *
 * @param baseRates - an {@link AuBaseRates} (from {@link auBaseRates}) or plain rates r_i in (0, 1].
 */
export function auClassWeights(
  baseRates: AuBaseRates | ArrayLike<number>,
  options: AuClassWeightsOptions = {},
): Float64Array {
  const method = options.method ?? 'jaa';
  const isStats =
    typeof baseRates === 'object' && baseRates !== null && 'rates' in baseRates && 'positives' in baseRates;
  const rates = isStats ? (baseRates as AuBaseRates).rates : (baseRates as ArrayLike<number>);
  if (rates === null || typeof rates !== 'object' || rates.length === 0) {
    throw new Error('baseRates: expected auBaseRates(...) output or a non-empty array of rates in (0, 1]');
  }
  for (let i = 0; i < rates.length; i++) {
    const r = rates[i] as number;
    if (!(r > 0 && r <= 1)) {
      throw new Error(
        `baseRates[${i}]: rate ${r} is not in (0, 1]; an AU that is never present has no finite class weight`,
      );
    }
  }
  const n = rates.length;
  const raw = new Float64Array(n);
  switch (method) {
    case 'jaa':
      for (let i = 0; i < n; i++) raw[i] = 1 / (rates[i] as number);
      break;
    case 'power': {
      const alpha = options.alpha ?? 0.5;
      if (!(alpha > 0 && alpha <= 1)) throw new Error(`options.alpha: ${alpha} is not in (0, 1]`);
      for (let i = 0; i < n; i++) raw[i] = Math.pow(1 / (rates[i] as number), alpha);
      break;
    }
    case 'log': {
      const c = options.c ?? 1;
      if (!(c > 0 && Number.isFinite(c))) throw new Error(`options.c: ${c} is not a finite positive number`);
      for (let i = 0; i < n; i++) raw[i] = Math.log1p(c / (rates[i] as number));
      break;
    }
    case 'effective-number': {
      if (!isStats) {
        throw new Error(
          "baseRates: method 'effective-number' needs positive counts; pass the output of auBaseRates(...), not plain rates",
        );
      }
      const beta = options.beta ?? 0.999;
      if (!(beta > 0 && beta < 1)) throw new Error(`options.beta: ${beta} is not in (0, 1)`);
      const counts = (baseRates as AuBaseRates).positives;
      for (let i = 0; i < n; i++) raw[i] = (1 - beta) / -Math.expm1((counts[i] as number) * Math.log(beta));
      break;
    }
    case 'pos-weight':
      for (let i = 0; i < n; i++) raw[i] = (1 - (rates[i] as number)) / (rates[i] as number);
      break;
    default:
      throw new Error(
        `options.method: ${JSON.stringify(method)} is not one of 'jaa', 'power', 'log', 'effective-number', 'pos-weight'`,
      );
  }
  const sum = raw.reduce((a, b) => a + b, 0);
  if (!(sum > 0))
    throw new Error(
      `baseRates: every raw '${method}' weight is 0 (all rates are 1); cannot normalise to mean 1`,
    );
  return raw.map((u) => (n * u) / sum);
}

/**
 * JAA-Net class weights w_i = (1/r_i) / Σ_j (1/r_j) · n_AU (Shao et al., ECCV 2018; `au-detection.md`):
 * `auClassWeights(baseRates, { method: 'jaa' })`.
 */
export function jaaClassWeights(baseRates: AuBaseRates | ArrayLike<number>): Float64Array {
  return auClassWeights(baseRates, { method: 'jaa' });
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

/** Per-call options of {@link auGivenExpression}. */
export interface AuGivenExpressionOptions {
  /** Expression label names in index order (a label set name or names). */
  readonly labels: LabelList;
  /** AU names of the target columns (an AU set name or names). */
  readonly aus: AuList;
  /** Additive (Laplace) smoothing α ≥ 0. Default 0. */
  readonly smoothing?: number;
  /** Name of the resulting table. Default `'empirical'`. */
  readonly name?: string;
}

/** Empirical P(AU | expression) as a prior table, with its counts. */
export interface AuGivenExpression extends PriorSourceDefinition {
  /** Samples per class. */
  readonly classCounts: Float64Array;
  /** Row-major `[K, nAU]` positive counts per class. */
  readonly positives: Float64Array;
  /** The smoothing α used. */
  readonly smoothing: number;
}

/**
 * Empirical conditional P(AU j | expression e) = (n_ej + α) / (n_e + 2α) from labelled samples, where
 * n_e is the number of samples of e and n_ej those of e with AU j present (α = Laplace smoothing).
 * The result is a {@link PriorSourceDefinition}: pass it as `priorMatrix({ source })` or to
 * `scoreExpressions`.
 *
 * @throws Error for bad targets or labels, and (with α = 0) for a class without samples.
 */
export function auGivenExpression(
  auTargets: AuTargets,
  exprLabels: ArrayLike<number>,
  options: AuGivenExpressionOptions,
): AuGivenExpression {
  if (options === undefined || options.labels === undefined || options.aus === undefined) {
    throw new Error('options: expected { labels, aus } naming the expression classes and the AU columns');
  }
  const labelNames = resolveLabelList(options.labels, 'options.labels');
  const meanings = resolveExpressions(labelNames, 'options.labels');
  const aus = resolveAuList(options.aus, 'options.aus');
  const smoothing = options.smoothing ?? 0;
  if (!(smoothing >= 0 && Number.isFinite(smoothing)))
    throw new Error(`options.smoothing: ${smoothing} is not a finite number ≥ 0`);
  const { data, rows, cols } = flattenTargets(auTargets, aus.length);
  const labels = validateLabels(exprLabels, rows, labelNames.length);
  const k = labelNames.length;
  const positives = new Float64Array(k * cols);
  const classCounts = new Float64Array(k);
  for (let i = 0; i < rows; i++) {
    const y = labels[i] as number;
    classCounts[y] = (classCounts[y] as number) + 1;
    for (let j = 0; j < cols; j++)
      positives[y * cols + j] = (positives[y * cols + j] as number) + (data[i * cols + j] as number);
  }
  const tableRows: number[][] = [];
  for (let e = 0; e < k; e++) {
    const ne = classCounts[e] as number;
    if (ne + 2 * smoothing === 0) {
      throw new Error(
        `exprLabels: class ${e} (${labelNames[e]}) has no sample; P(AU | ${labelNames[e]}) is undefined (pass options.smoothing > 0)`,
      );
    }
    const row: number[] = [];
    for (let j = 0; j < cols; j++)
      row.push(((positives[e * cols + j] as number) + smoothing) / (ne + 2 * smoothing));
    tableRows.push(row);
  }
  return {
    name: options.name ?? 'empirical',
    labels: meanings,
    aus,
    rows: tableRows,
    provenance: `Empirical P(AU | expression) = (n_ej + ${smoothing}) / (n_e + ${2 * smoothing}) from ${rows} labelled samples.`,
    kind: 'probability',
    anomalous: false,
    classCounts,
    positives,
    smoothing,
  };
}
