import {
  isClassificationRun,
  type AuDetectionRunRecord,
  type BenchResults,
  type ClassificationRunRecord,
  type MeanStdValue,
} from '../results/schema';

/**
 * Groups of runs shown as one row of the report: same experiment, dataset, model, preset, method and (RDFER)
 * training-label noise rate, over seeds and folds. AU-detection runs are aggregated by `aggregateAuRuns`.
 */
export interface AggregateRow {
  readonly key: string;
  readonly experiment: string;
  readonly dataset: string;
  readonly model: string;
  readonly preset: string;
  readonly method: string;
  readonly classNames: readonly string[];
  /** Run ids of the group. */
  readonly runIds: readonly string[];
  readonly seeds: readonly number[];
  /** Mean ± sample std over every fold of every seed (n = folds × seeds). */
  readonly war: MeanStdValue;
  readonly uar: MeanStdValue;
  readonly macroF1: MeanStdValue;
  /** Per-class recall, mean ± std over the folds where the class has test clips; null when it never has. */
  readonly recall: readonly (MeanStdValue | null)[];
  /** Test clips per class, summed over folds and seeds. */
  readonly support: readonly number[];
  /** Confusion counts summed over folds and seeds: `confusion[t][p]`. */
  readonly confusion: readonly (readonly number[])[];
  /** Selection rules of the runs (normally one: `validation`). */
  readonly selections: readonly string[];
  readonly backends: readonly string[];
  /** RDFER runs: nominal training-label noise rate (0–1); null for runs without a `noise` section. */
  readonly noiseRate: number | null;
  /**
   * RDFER runs with clip agreement: noisy-sample detection precision / recall / F1, mean ± sample std over the
   * folds where each is defined (null when never defined); null for rows without noisy detection.
   */
  readonly noisyDetection: {
    readonly precision: MeanStdValue | null;
    readonly recall: MeanStdValue | null;
    readonly f1: MeanStdValue | null;
    /** Counts summed over the folds with a detection: flagged clips, flagged and truly noisy, truly noisy, scored. */
    readonly flagged: number;
    readonly truePositives: number;
    readonly noisy: number;
    readonly samples: number;
  } | null;
}

/**
 * Mean and sample standard deviation: mean = Σx/n, std = sqrt(Σ(x − mean)² / (n − 1)), 0 when n = 1
 * (the same convention as the trainer's `meanStd`).
 */
export function meanAndSampleStd(values: readonly number[]): MeanStdValue {
  const n = values.length;
  if (n === 0) throw new RangeError('meanAndSampleStd: values is empty; expected at least one number');
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance), n };
}

/** Order in which methods are listed (others follow in order of appearance). */
export const METHOD_ORDER = [
  'ce',
  'ce+au_global',
  'ce+au_distinct',
  'ce+au_minor',
  'focal',
  'class_balanced',
  'rdfer',
  'clip_agreement',
] as const;

function groupKey(run: ClassificationRunRecord): string {
  return [run.experiment, run.dataset, run.model, run.preset, run.method, run.noise?.rate ?? ''].join('|');
}

function meanStdOrNull(values: readonly (number | null | undefined)[]): MeanStdValue | null {
  const defined = values.filter((v): v is number => v !== null && v !== undefined);
  return defined.length ? meanAndSampleStd(defined) : null;
}

/**
 * Aggregate the expression-recognition runs (`dfer`, `rdfer`) of a results file into report rows (models in
 * order of appearance, methods in {@link METHOD_ORDER}, then by noise rate); AU-detection runs are left to
 * `aggregateAuRuns`.
 */
export function aggregateRuns(results: Pick<BenchResults, 'runs'>): AggregateRow[] {
  const groups = new Map<string, ClassificationRunRecord[]>();
  const classificationRuns = results.runs.filter(isClassificationRun);
  for (const run of classificationRuns) {
    const key = groupKey(run);
    const list = groups.get(key) ?? [];
    list.push(run);
    groups.set(key, list);
  }
  const modelOrder = [...new Set(classificationRuns.map((r) => r.model))];
  const methodRank = (m: string): number => {
    const i = (METHOD_ORDER as readonly string[]).indexOf(m);
    return i >= 0 ? i : METHOD_ORDER.length;
  };
  const rows: AggregateRow[] = [];
  for (const [key, runs] of groups) {
    const first = runs[0]!;
    const C = first.classNames.length;
    for (const run of runs) {
      if (run.classNames.join(',') !== first.classNames.join(',')) {
        throw new RangeError(
          `runs "${first.id}" and "${run.id}" are in one group but have different classNames; expected the same label set`,
        );
      }
    }
    const folds = runs.flatMap((r) => r.folds);
    const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
    const support = new Array<number>(C).fill(0);
    for (const fold of folds) {
      for (let t = 0; t < C; t++) {
        support[t]! += fold.support[t]!;
        for (let p = 0; p < C; p++) confusion[t]![p]! += fold.confusion[t]![p]!;
      }
    }
    rows.push({
      key,
      experiment: first.experiment,
      dataset: first.dataset,
      model: first.model,
      preset: first.preset,
      method: first.method,
      classNames: first.classNames,
      runIds: runs.map((r) => r.id),
      seeds: [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b),
      war: meanAndSampleStd(folds.map((f) => f.war)),
      uar: meanAndSampleStd(folds.map((f) => f.uar)),
      macroF1: meanAndSampleStd(folds.map((f) => f.macroF1)),
      recall: Array.from({ length: C }, (_, c) => {
        const values = folds
          .map((f) => f.recall[c])
          .filter((v): v is number => v !== null && v !== undefined);
        return values.length ? meanAndSampleStd(values) : null;
      }),
      support,
      confusion,
      selections: [...new Set(runs.map((r) => r.selection))],
      backends: [...new Set(runs.map((r) => r.engine.backend))],
      noiseRate: first.noise?.rate ?? null,
      noisyDetection: folds.some((f) => f.noisyDetection)
        ? {
            precision: meanStdOrNull(folds.map((f) => f.noisyDetection?.precision)),
            recall: meanStdOrNull(folds.map((f) => f.noisyDetection?.recall)),
            f1: meanStdOrNull(folds.map((f) => f.noisyDetection?.f1)),
            flagged: folds.reduce((n, f) => n + (f.noisyDetection?.flagged ?? 0), 0),
            truePositives: folds.reduce((n, f) => n + (f.noisyDetection?.truePositives ?? 0), 0),
            noisy: folds.reduce((n, f) => n + (f.noisyDetection?.noisy ?? 0), 0),
            samples: folds.reduce((n, f) => n + (f.noisyDetection?.samples ?? 0), 0),
          }
        : null,
    });
  }
  rows.sort(
    (a, b) =>
      a.experiment.localeCompare(b.experiment) ||
      a.dataset.localeCompare(b.dataset) ||
      modelOrder.indexOf(a.model) - modelOrder.indexOf(b.model) ||
      methodRank(a.method) - methodRank(b.method) ||
      a.method.localeCompare(b.method) ||
      (a.noiseRate ?? -1) - (b.noiseRate ?? -1),
  );
  return rows;
}

/** Label of a report row: `model · method`, plus the training-label noise for RDFER rows (`… · noise 20 %`). */
export function formatRowLabel(row: Pick<AggregateRow, 'model' | 'method' | 'noiseRate'>): string {
  const base = `${row.model} · ${row.method}`;
  return row.noiseRate === null ? base : `${base} · noise ${formatNoiseRate(row.noiseRate)} %`;
}

/** A noise rate in percent without trailing zeros (0.2 → `20`, 0.125 → `12.5`). */
export function formatNoiseRate(rate: number): string {
  return String(Math.round(rate * 1000) / 10);
}

/** Class indices ordered minority first (ascending test support, ties by index). */
export function minorityFirstOrder(support: readonly number[]): number[] {
  return support
    .map((s, i) => ({ s, i }))
    .sort((a, b) => a.s - b.s || a.i - b.i)
    .map((x) => x.i);
}

/** One row of the AU-detection section: one dataset × model × arm over seeds (and folds). */
export interface AuAggregateRow {
  readonly key: string;
  readonly dataset: string;
  readonly model: string;
  readonly preset: string;
  /** Arm name (shipped config name). */
  readonly method: string;
  readonly arm: AuDetectionRunRecord['arm'];
  readonly auNames: readonly string[];
  readonly level: AuDetectionRunRecord['level'];
  readonly runIds: readonly string[];
  readonly seeds: readonly number[];
  /** Average F1 at the fixed threshold, mean ± sample std over every fold of every seed. */
  readonly meanF1: MeanStdValue;
  /** Per-AU F1, mean ± sample std over the folds where it is defined; null when it never is. */
  readonly f1: readonly (MeanStdValue | null)[];
  /** Average F1 at the tuned per-AU thresholds (null when no run tuned them). */
  readonly tunedMeanF1: MeanStdValue | null;
  /** Positive test targets per AU, summed over folds and seeds. */
  readonly support: readonly number[];
  readonly backends: readonly string[];
}

/**
 * Aggregate the AU-detection runs of a results file: one row per dataset × model × preset × arm, in order of
 * appearance; mean F1 = mean over folds × seeds of each fold's average F1 (the mean of its defined per-AU F1).
 */
export function aggregateAuRuns(results: Pick<BenchResults, 'runs'>): AuAggregateRow[] {
  const groups = new Map<string, AuDetectionRunRecord[]>();
  for (const run of results.runs) {
    if (run.experiment !== 'au_detection') continue;
    const key = [run.dataset, run.model, run.preset, run.method].join('|');
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return [...groups].map(([key, runs]) => {
    const first = runs[0]!;
    for (const run of runs) {
      if (run.auNames.join(',') !== first.auNames.join(',')) {
        throw new RangeError(
          `runs "${first.id}" and "${run.id}" are in one group but have different auNames; expected the same AUs`,
        );
      }
    }
    const folds = runs.flatMap((r) => r.folds);
    const tuned = folds.map((f) => f.tuned?.meanF1);
    return {
      key,
      dataset: first.dataset,
      model: first.model,
      preset: first.preset,
      method: first.method,
      arm: first.arm,
      auNames: first.auNames,
      level: first.level,
      runIds: runs.map((r) => r.id),
      seeds: [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b),
      meanF1: meanAndSampleStd(folds.map((f) => f.meanF1)),
      f1: first.auNames.map((_, a) => meanStdOrNull(folds.map((f) => f.f1[a]))),
      tunedMeanF1: meanStdOrNull(tuned),
      support: first.auNames.map((_, a) => folds.reduce((n, f) => n + f.support[a]!, 0)),
      backends: [...new Set(runs.map((r) => r.engine.backend))],
    };
  });
}
