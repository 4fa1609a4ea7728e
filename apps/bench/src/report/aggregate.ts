import type { BenchResults, MeanStdValue, RunRecord } from '../results/schema';

/**
 * Groups of runs shown as one row of the report: same experiment, dataset, model, preset and method, over
 * seeds and folds.
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
] as const;

function groupKey(run: RunRecord): string {
  return [run.experiment, run.dataset, run.model, run.preset, run.method].join('|');
}

/** Aggregate the runs of a results file into report rows (models in order of appearance, methods in {@link METHOD_ORDER}). */
export function aggregateRuns(results: Pick<BenchResults, 'runs'>): AggregateRow[] {
  const groups = new Map<string, RunRecord[]>();
  for (const run of results.runs) {
    const key = groupKey(run);
    const list = groups.get(key) ?? [];
    list.push(run);
    groups.set(key, list);
  }
  const modelOrder = [...new Set(results.runs.map((r) => r.model))];
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
    });
  }
  rows.sort(
    (a, b) =>
      a.experiment.localeCompare(b.experiment) ||
      a.dataset.localeCompare(b.dataset) ||
      modelOrder.indexOf(a.model) - modelOrder.indexOf(b.model) ||
      methodRank(a.method) - methodRank(b.method) ||
      a.method.localeCompare(b.method),
  );
  return rows;
}

/** Class indices ordered minority first (ascending test support, ties by index). */
export function minorityFirstOrder(support: readonly number[]): number[] {
  return support
    .map((s, i) => ({ s, i }))
    .sort((a, b) => a.s - b.s || a.i - b.i)
    .map((x) => x.i);
}
