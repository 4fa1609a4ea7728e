/** Building blocks of the claim evaluators: per-seed metrics, paired claim rows, minority classes, grouping. */
import { LABEL_SETS } from '@dfer/au-knowledge';
import { DFEW_CLASS_COUNTS } from '@dfer/datasets/synthetic';
import { TRAIN_NOISE_DATA } from '../matrix/train-noise-data';
import { type ClassificationRunRecord } from '../results/schema';
import { meanAndSampleStd, minorityFirstOrder } from './aggregate';
import { MINORITY_CLASS_COUNT, type ClaimMetric, type ClaimRow, type MinorityClasses } from './claim-types';
import { pairedEffect, verdictOf, type PairedComparison } from './paired';

export function meanOf(values: readonly (number | null | undefined)[]): number | null {
  const defined = values.filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v));
  return defined.length ? meanAndSampleStd(defined).mean : null;
}

/** A run's value of a metric: mean over its folds (folds where it is undefined left out); null if never defined. */
export function perSeed<R>(
  runs: ReadonlyMap<number, R>,
  value: (run: R) => number | null,
): Map<number, number | null> {
  return new Map([...runs].map(([seed, run]) => [seed, value(run)]));
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');
}

/**
 * The minority classes of an expression-recognition run: the `count` classes with the smallest training
 * support. Training support is not recorded per run, so it is ranked by (in order): the data node's
 * `classProportions`; DFEW's class counts (`DFEW_CLASS_COUNTS`) when the data is the synthetic generator with
 * its default DFEW label set, whose class proportions they are; else the test support summed over `runs`
 * (said so in `source`). Ties go to the lower class index.
 */
export function minorityClassesOf(
  runs: readonly ClassificationRunRecord[],
  count = MINORITY_CLASS_COUNT,
): MinorityClasses {
  const first = runs[0];
  if (!first) throw new RangeError('minorityClassesOf: runs is empty; expected at least one run');
  const names = first.classNames;
  const data = (first.config['data'] ?? {}) as Record<string, unknown>;
  const proportions = data['classProportions'];
  let ranking: readonly number[];
  let source: string;
  const labels = data['labels'];
  const synthetic = data['type'] === 'synthetic_dfer' || data['type'] === TRAIN_NOISE_DATA;
  const dfewNames: readonly string[] = LABEL_SETS.dfew;
  if (Array.isArray(proportions) && proportions.length === names.length) {
    ranking = proportions as number[];
    source = "the data node's classProportions";
  } else if (
    synthetic &&
    (labels === undefined || labels === 'dfew') &&
    sameLabels(names, dfewNames) &&
    DFEW_CLASS_COUNTS.length === dfewNames.length
  ) {
    ranking = names.map((n) => DFEW_CLASS_COUNTS[dfewNames.indexOf(n)]!);
    source = "DFEW's class counts (the synthetic data's default class proportions)";
  } else {
    ranking = names.map((_, c) =>
      runs.reduce((a, r) => a + r.folds.reduce((b, f) => b + f.support[c]!, 0), 0),
    );
    source = 'test support summed over folds and seeds (training support is not recorded)';
  }
  const indices = minorityFirstOrder(ranking).slice(0, Math.min(count, names.length));
  return { indices, names: indices.map((c) => names[c]!), source };
}

/** Mean test recall of the given classes in one run: per fold over the classes with test clips, then over folds. */
export function minorityRecall(run: ClassificationRunRecord, classes: readonly number[]): number | null {
  return meanOf(run.folds.map((f) => meanOf(classes.map((c) => (f.support[c]! > 0 ? f.recall[c] : null)))));
}

export function metric(
  label: string,
  kind: ClaimMetric['kind'],
  values: readonly { seed: number; value: number }[],
  leftOut: readonly number[],
): ClaimMetric {
  return { label, kind, values, effect: pairedEffect(values.map((v) => v.value)), leftOut };
}

export function differenceMetric(label: string, comparison: PairedComparison): ClaimMetric {
  return metric(
    label,
    'difference',
    comparison.pairs.map((p) => ({ seed: p.seed, value: p.difference })),
    [...comparison.armOnlySeeds, ...comparison.referenceOnlySeeds, ...comparison.undefinedSeeds].sort(
      (a, b) => a - b,
    ),
  );
}

export function claimRow(
  base: Omit<ClaimRow, 'effect' | 'verdict' | 'comparison' | 'also'>,
  comparison: PairedComparison,
  also: readonly ClaimMetric[] = [],
): ClaimRow {
  const effect = pairedEffect(comparison.pairs.map((p) => p.difference));
  return { ...base, comparison, effect, verdict: verdictOf(effect), also };
}

/** Runs of one arm by seed; a second run of the same arm and seed is an error naming both ids. */
export function bySeed<R extends { id: string; seed: number }>(runs: readonly R[]): Map<number, R> {
  const out = new Map<number, R>();
  for (const run of runs) {
    const other = out.get(run.seed);
    if (other) {
      throw new RangeError(
        `runs "${other.id}" and "${run.id}" are the same arm and seed of one comparison; expected one run per seed`,
      );
    }
    out.set(run.seed, run);
  }
  return out;
}

export function groupBy<R>(items: readonly R[], key: (item: R) => string): Map<string, R[]> {
  const out = new Map<string, R[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}

export function foldMean(
  run: ClassificationRunRecord,
  pick: (f: ClassificationRunRecord['folds'][number]) => number,
): number {
  return meanOf(run.folds.map(pick))!;
}
