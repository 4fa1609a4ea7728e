/**
 * AU-detection evaluation beyond {@link auDetectionReport}: per-AU threshold tuning on a validation split
 * and mean ± std summaries over seeds/folds.
 */
import { auDetectionReport, type AuDetectionReport } from '../metrics/au';
import { meanStd, type MeanStd } from '../experiment/summary';

/** The thresholds tried by {@link tuneAuThresholds} by default: 0.05, 0.10, …, 0.95. */
export const DEFAULT_THRESHOLD_GRID: readonly number[] = Array.from(
  { length: 19 },
  (_, i) => Math.round((i + 1) * 5) / 100,
);

/**
 * Per-AU decision thresholds tuned on validation data: for each AU a, t_a = argmax_{t ∈ grid} F1_a(t), with
 * F1 = 2·TP / (2·TP + FP + FN) at "predict 1 when p ≥ t". Ties go to the threshold closest to 0.5 (then the
 * smaller); an AU whose F1 is undefined at every threshold (no positive target and no positive prediction)
 * keeps 0.5. The result is applied to the test split and reported separately from the F1 at 0.5.
 *
 * @param probabilities - `[N, A]` row-major probabilities.
 * @param targets - `[N, A]` row-major 0/1 targets.
 */
export function tuneAuThresholds(
  probabilities: ArrayLike<number>,
  targets: ArrayLike<number>,
  auNames: readonly string[],
  grid: readonly number[] = DEFAULT_THRESHOLD_GRID,
): number[] {
  if (grid.length === 0 || grid.some((t) => !(t > 0 && t < 1))) {
    throw new RangeError(
      `tuneAuThresholds: grid must be non-empty thresholds in (0, 1), got [${grid.join(', ')}]`,
    );
  }
  const best = auNames.map(() => ({ t: 0.5, f1: -1 }));
  for (const t of grid) {
    const r = auDetectionReport(probabilities, targets, auNames, t);
    r.f1.forEach((f, a) => {
      if (f === null) return;
      const b = best[a]!;
      const closer =
        Math.abs(t - 0.5) < Math.abs(b.t - 0.5) || (Math.abs(t - 0.5) === Math.abs(b.t - 0.5) && t < b.t);
      if (f > b.f1 || (f === b.f1 && closer)) best[a] = { t, f1: f };
    });
  }
  return best.map((b) => b.t);
}

/** Mean ± std of AU reports (over seeds or folds). */
export interface AuReportSummary {
  readonly auNames: readonly string[];
  /** Average F1 (the mean of per-AU F1 of each run) over runs. */
  readonly meanF1: MeanStd;
  /** Per-AU F1 over the runs where it is defined (`null` when undefined in every run). */
  readonly f1: readonly (MeanStd | null)[];
  readonly precision: readonly (MeanStd | null)[];
  readonly recall: readonly (MeanStd | null)[];
}

/** Mean and sample std (n − 1) of each AU metric over runs (runs where a metric is undefined are left out). */
export function summariseAuReports(reports: readonly AuDetectionReport[]): AuReportSummary {
  if (reports.length === 0) throw new RangeError('summariseAuReports: no reports');
  const auNames = reports[0]!.auNames;
  reports.forEach((r, k) => {
    if (r.auNames.join(',') !== auNames.join(',')) {
      throw new RangeError(
        `summariseAuReports: report ${k} has AUs [${r.auNames.join(', ')}], expected [${auNames.join(', ')}]`,
      );
    }
  });
  const per = (pick: (r: AuDetectionReport) => readonly (number | null)[]): (MeanStd | null)[] =>
    auNames.map((_, a) => {
      const v = reports.map((r) => pick(r)[a]).filter((x): x is number => x !== null && x !== undefined);
      return v.length > 0 ? meanStd(v) : null;
    });
  return {
    auNames,
    meanF1: meanStd(reports.map((r) => r.meanF1)),
    f1: per((r) => r.f1),
    precision: per((r) => r.precision),
    recall: per((r) => r.recall),
  };
}
