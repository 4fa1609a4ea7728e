/** Empirical P(AU | expression) from labelled samples, as a prior table with its counts. */
import { resolveAuList, type AuList } from '../aus';
import { type LabelList, resolveExpressions, resolveLabelList } from '../labels';
import type { PriorSourceDefinition } from '../priors';
import { type AuTargets, flattenTargets, validateLabels } from './au-targets';

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
