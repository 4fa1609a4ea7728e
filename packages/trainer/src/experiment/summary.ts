import type { ClassificationReport } from '../metrics/classification';

/** Mean and sample standard deviation (n − 1; 0 for a single value). */
export interface MeanStd {
  readonly mean: number;
  readonly std: number;
  readonly n: number;
}

/** Mean ± sample std of a list of numbers. */
export function meanStd(values: readonly number[]): MeanStd {
  const n = values.length;
  if (n === 0) throw new RangeError('meanStd: no values');
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance), n };
}

/** Mean ± std over folds of WAR, UAR, macro-F1 and each class's recall (folds without the class skipped). */
export function summariseReports(reports: readonly ClassificationReport[]): {
  war: MeanStd;
  uar: MeanStd;
  macroF1: MeanStd;
  recall: (MeanStd | null)[];
} {
  const classes = reports[0]!.classNames.length;
  return {
    war: meanStd(reports.map((r) => r.war)),
    uar: meanStd(reports.map((r) => r.uar)),
    macroF1: meanStd(reports.map((r) => r.macroF1)),
    recall: Array.from({ length: classes }, (_, c) => {
      const values = reports
        .map((r) => r.recall[c])
        .filter((v): v is number => v !== null && v !== undefined);
      return values.length ? meanStd(values) : null;
    }),
  };
}
