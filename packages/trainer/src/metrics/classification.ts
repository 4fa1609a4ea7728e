/**
 * Classification metrics for single-label expression recognition.
 *
 * - WAR (weighted average recall) = overall accuracy = Σ_c TP_c / N.
 * - UAR (unweighted average recall) = (1/C') Σ_c recall_c over the C' classes present in the ground truth
 *   (a class with no test sample has no recall and is excluded from the mean; it is reported as `null`).
 * - precision_c = TP_c / (TP_c + FP_c), `0` when the class is never predicted but present, `null` when the
 *   class is neither predicted nor present.
 * - F1_c = 2·P·R / (P + R) (0 when P + R = 0); macro-F1 = mean of F1_c over classes present in the truth.
 *
 * Source: the DFER convention (`../shared/reference/dfer-benchmarks.md`: WAR = accuracy, UAR = mean per-class
 * recall) and scikit-learn's definitions of precision/recall/F1.
 */

/** Per-class and overall metrics of a set of predictions. */
export interface ClassificationReport {
  /** Number of scored samples. */
  readonly count: number;
  /** Overall accuracy (weighted average recall). */
  readonly war: number;
  /** Mean recall over the classes present in the ground truth. */
  readonly uar: number;
  /** Mean F1 over the classes present in the ground truth. */
  readonly macroF1: number;
  /** Class names in index order. */
  readonly classNames: readonly string[];
  /** `recall[c]`, `null` when class c has no sample. */
  readonly recall: readonly (number | null)[];
  /** `precision[c]`, `null` when class c is neither present nor predicted. */
  readonly precision: readonly (number | null)[];
  /** `f1[c]`, `null` when class c is neither present nor predicted. */
  readonly f1: readonly (number | null)[];
  /** Number of samples of each class in the ground truth. */
  readonly support: readonly number[];
  /** `confusion[t][p]` = number of samples of true class t predicted as p. */
  readonly confusion: readonly (readonly number[])[];
}

function checkLabels(name: string, values: ArrayLike<number>, numClasses: number): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new RangeError(`${name}[${i}] = ${v}: expected an integer class index in [0, ${numClasses - 1}]`);
    }
  }
}

/** `confusion[t][p]`: counts of true class t predicted as p. */
export function confusionMatrix(
  trueLabels: ArrayLike<number>,
  predictedLabels: ArrayLike<number>,
  numClasses: number,
): number[][] {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`numClasses = ${numClasses}: expected a positive integer`);
  }
  if (trueLabels.length !== predictedLabels.length) {
    throw new RangeError(
      `trueLabels has ${trueLabels.length} entries but predictedLabels has ${predictedLabels.length}: expected equal lengths`,
    );
  }
  checkLabels('trueLabels', trueLabels, numClasses);
  checkLabels('predictedLabels', predictedLabels, numClasses);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < trueLabels.length; i++) m[trueLabels[i]!]![predictedLabels[i]!]! += 1;
  return m;
}

/** Full classification report (see the module documentation for the formulas). */
export function classificationReport(
  trueLabels: ArrayLike<number>,
  predictedLabels: ArrayLike<number>,
  classNames: readonly string[],
): ClassificationReport {
  const C = classNames.length;
  const confusion = confusionMatrix(trueLabels, predictedLabels, C);
  const count = trueLabels.length;
  if (count === 0) throw new RangeError('trueLabels is empty: expected at least one scored sample');
  const support = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const predicted = classNames.map((_, p) => confusion.reduce((a, row) => a + row[p]!, 0));
  const tp = classNames.map((_, c) => confusion[c]![c]!);
  const recall = tp.map((t, c) => (support[c]! > 0 ? t / support[c]! : null));
  const precision = tp.map((t, c) => (predicted[c]! > 0 ? t / predicted[c]! : support[c]! > 0 ? 0 : null));
  const f1 = recall.map((r, c) => {
    const p = precision[c];
    if (p === null || p === undefined) return null;
    const rr = r ?? 0;
    return p + rr > 0 ? (2 * p * rr) / (p + rr) : 0;
  });
  const present = support.map((s) => s > 0);
  const presentCount = present.filter(Boolean).length;
  const war = tp.reduce((a, b) => a + b, 0) / count;
  const uar = recall.reduce<number>((a, r) => a + (r ?? 0), 0) / presentCount;
  const macroF1 = f1.reduce<number>((a, f, c) => a + (present[c] ? (f ?? 0) : 0), 0) / presentCount;
  return { count, war, uar, macroF1, classNames, recall, precision, f1, support, confusion };
}

/** Index of the largest value of each row of a `[N, C]` row-major score array. Ties: the first. */
export function argmaxRows(scores: ArrayLike<number>, numClasses: number): Int32Array {
  if (scores.length % numClasses !== 0) {
    throw new RangeError(
      `scores has ${scores.length} values: expected a multiple of numClasses = ${numClasses}`,
    );
  }
  const n = scores.length / numClasses;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++)
      if (scores[i * numClasses + c]! > scores[i * numClasses + best]!) best = c;
    out[i] = best;
  }
  return out;
}
