/**
 * Multi-label AU detection metrics: per-AU precision, recall and F1 at a threshold, and their averages
 * over AUs (the BP4D/DISFA convention: the reported "average F1" is the mean of per-AU F1 scores).
 * F1 = 2·TP / (2·TP + FP + FN); an AU with no positive and no predicted positive has F1 = `null`
 * (undefined) and is excluded from the average.
 */

/** Per-AU metrics. */
export interface AuDetectionReport {
  readonly auNames: readonly string[];
  readonly threshold: number | readonly number[];
  readonly precision: readonly (number | null)[];
  readonly recall: readonly (number | null)[];
  readonly f1: readonly (number | null)[];
  /** Number of positive targets per AU. */
  readonly support: readonly number[];
  /** Mean F1 over AUs with a defined F1. */
  readonly meanF1: number;
}

/**
 * @param probabilities - `[N, A]` row-major probabilities in [0, 1].
 * @param targets - `[N, A]` row-major 0/1 targets.
 * @param auNames - the A AU names, in column order.
 * @param threshold - one threshold for all AUs (default 0.5) or one per AU.
 */
export function auDetectionReport(
  probabilities: ArrayLike<number>,
  targets: ArrayLike<number>,
  auNames: readonly string[],
  threshold: number | readonly number[] = 0.5,
): AuDetectionReport {
  const A = auNames.length;
  if (probabilities.length !== targets.length || probabilities.length % A !== 0) {
    throw new RangeError(
      `probabilities (${probabilities.length}) and targets (${targets.length}) must both have N × ${A} values`,
    );
  }
  if (typeof threshold !== 'number' && threshold.length !== A) {
    throw new RangeError(`threshold has ${threshold.length} entries: expected one per AU (${A})`);
  }
  const N = probabilities.length / A;
  const tp = new Array<number>(A).fill(0);
  const fp = new Array<number>(A).fill(0);
  const fn = new Array<number>(A).fill(0);
  for (let i = 0; i < N; i++) {
    for (let a = 0; a < A; a++) {
      const t = targets[i * A + a]!;
      if (t !== 0 && t !== 1) throw new RangeError(`targets[${i}][${a}] = ${t}: expected 0 or 1`);
      const th = typeof threshold === 'number' ? threshold : threshold[a]!;
      const pred = probabilities[i * A + a]! >= th ? 1 : 0;
      if (pred && t) tp[a]! += 1;
      else if (pred) fp[a]! += 1;
      else if (t) fn[a]! += 1;
    }
  }
  const precision = tp.map((t, a) => (t + fp[a]! > 0 ? t / (t + fp[a]!) : null));
  const recall = tp.map((t, a) => (t + fn[a]! > 0 ? t / (t + fn[a]!) : null));
  const f1 = tp.map((t, a) => (2 * t + fp[a]! + fn[a]! > 0 ? (2 * t) / (2 * t + fp[a]! + fn[a]!) : null));
  const defined = f1.filter((f): f is number => f !== null);
  const meanF1 = defined.length ? defined.reduce((x, y) => x + y, 0) / defined.length : 0;
  return { auNames, threshold, precision, recall, f1, support: tp.map((t, a) => t + fn[a]!), meanF1 };
}
