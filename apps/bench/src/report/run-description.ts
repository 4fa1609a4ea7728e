import { DFEW_CLASS_COUNTS } from '@dfer/datasets/synthetic';
import { LABEL_SETS } from '@dfer/au-knowledge';
import { TRAIN_NOISE_DATA } from '../matrix/train-noise-data';
import { isClassificationRun, type BenchResults, type RunRecord } from '../results/schema';
import { aggregateRuns, formatNoiseRate } from './aggregate';

/**
 * What a results file says about how its runs were made, per profile: the profile's description (from the
 * file's `profiles` block), and per experiment the data node, the training settings, the engine and the
 * initial weights of the records' configs; and whether the numbers can count as evidence at all.
 */

/** One experiment of a profile, described from its run records. */
export interface ExperimentRunDescription {
  readonly experiment: RunRecord['experiment'];
  readonly runs: number;
  readonly seeds: readonly number[];
  readonly models: readonly string[];
  /** Methods or arms. */
  readonly arms: readonly string[];
  /** The data node(s) in words (training-label noise described apart, RDFER). */
  readonly data: readonly string[];
  /** Epochs, learning rate, batch size (each value that occurs). */
  readonly training: string;
  /** Engines the runs used (`engine.backend`). */
  readonly engines: readonly string[];
  /** Where the weights start: the pretrained file shared by every arm, or the initialisation. */
  readonly initialisation: string;
  /**
   * Expression-recognition experiments: how many runs reached test UAR ≥ 2 × chance (2 / number of classes
   * with test clips, per run) and the lowest run; null for AU detection.
   */
  readonly aboveTwiceChance: string | null;
}

/** One profile of a results file. */
export interface ProfileRunDescription {
  readonly profile: string;
  /** From the file's `profiles` block; null when the file does not record it. */
  readonly description: string | null;
  readonly experiments: readonly ExperimentRunDescription[];
  /** Why the profile's numbers are not evidence (smoke profile, or every cell near chance); null otherwise. */
  readonly notEvidence: string | null;
}

/** Profile names that mark a smoke run (containing `smoke`): their numbers are never evidence. */
export const SMOKE_PROFILE_PATTERN = /smoke/i;

function plain(value: unknown): string {
  if (Array.isArray(value)) return value.map(plain).join('×');
  if (value !== null && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k} ${plain(v)}`)
      .join(', ');
  }
  return String(value);
}

const NUISANCE_KEYS = ['nuisance', 'hardRate', 'distractorRate', 'speechRate', 'blinkRate', 'occlusionRate'];
const SHOWN_KEYS = new Set([
  'type',
  'numClips',
  'numIdentities',
  'size',
  'numFrames',
  'classProportions',
  'labels',
  ...NUISANCE_KEYS,
]);
const NOISE_KEYS = new Set(['trainLabelNoise', 'labelNoise']);

function classProportionsText(
  data: Record<string, unknown>,
  classNames: readonly string[] | null,
): string | null {
  const share = (counts: readonly number[], names: readonly string[]) => {
    const total = counts.reduce((a, b) => a + b, 0);
    return names.map((n, i) => `${n} ${((counts[i]! / total) * 100).toFixed(1)} %`).join(', ');
  };
  const p = data['classProportions'];
  if (Array.isArray(p) && classNames && p.length === classNames.length)
    return share(p as number[], classNames);
  const synthetic = data['type'] === 'synthetic_dfer' || data['type'] === TRAIN_NOISE_DATA;
  if (!synthetic) return null;
  const labels = data['labels'];
  if (labels === undefined || labels === 'dfew') {
    return `DFEW's (default): ${share(DFEW_CLASS_COUNTS, LABEL_SETS.dfew)}`;
  }
  return 'uniform (default for a label set other than DFEW)';
}

/** A data node in words: type, clips, identities, frame size, frames, class proportions, nuisances, other options. */
export function describeDataNode(
  data: Record<string, unknown>,
  classNames: readonly string[] | null,
): string {
  const given = (key: string, text: (v: unknown) => string) =>
    data[key] === undefined ? 'default' : text(data[key]);
  const parts = [
    `\`${String(data['type'])}\``,
    `clips: ${given('numClips', String)}`,
    `identities: ${given('numIdentities', String)}`,
    `frame size: ${given('size', (v) => (Array.isArray(v) ? v.join('×') : String(v)))}`,
    `frames per clip: ${given('numFrames', (v) => (Array.isArray(v) ? (v[0] === v[1] ? String(v[0]) : `${String(v[0])}–${String(v[1])}`) : String(v)))}`,
  ];
  const proportions = classProportionsText(data, classNames);
  if (proportions) parts.push(`class proportions: ${proportions}`);
  const labels = data['labels'];
  if (labels !== undefined)
    parts.push(`labels: ${Array.isArray(labels) ? labels.join(', ') : plain(labels)}`);
  const nuisances = NUISANCE_KEYS.filter((k) => data[k] !== undefined).map((k) => `${k} ${plain(data[k])}`);
  const synthetic = data['type'] === 'synthetic_dfer' || data['type'] === TRAIN_NOISE_DATA;
  if (nuisances.length) parts.push(`nuisances: ${nuisances.join('; ')}`);
  else if (synthetic) parts.push('nuisances: the generator defaults');
  const other = Object.keys(data)
    .filter((k) => !SHOWN_KEYS.has(k) && !NOISE_KEYS.has(k))
    .map((k) => `${k} ${plain(data[k])}`);
  if (other.length) parts.push(`other options: ${other.join('; ')}`);
  return parts.join('; ');
}

function distinct<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function dataNodeOf(run: RunRecord): Record<string, unknown> {
  return (run.config['data'] ?? {}) as Record<string, unknown>;
}

function trainingText(runs: readonly RunRecord[]): string {
  const epochs: unknown[] = [];
  const lr: unknown[] = [];
  const batch: unknown[] = [];
  for (const run of runs) {
    const c = run.config as Record<string, Record<string, unknown> | unknown>;
    const train = (c['train'] ?? {}) as Record<string, unknown>;
    const optim = (c['optim'] ?? {}) as Record<string, unknown>;
    epochs.push(train['epochs'] ?? c['epochs']);
    batch.push(train['batchSize'] ?? c['batchSize']);
    lr.push(optim['lr']);
  }
  const list = (values: unknown[]) =>
    distinct(values.map((v) => (v === undefined ? 'not recorded' : String(v)))).join(' / ');
  return `${list(epochs)} epochs, lr ${list(lr)}, batch ${list(batch)}`;
}

/**
 * The run's `model.pretrained.path` as the report shows it: from `apps/` on when the file lies in the
 * repository's apps (the shipped backbones), so published reports do not carry the path of the machine that
 * ran them; other paths as recorded.
 */
function pretrainedPath(run: RunRecord): string | null {
  const model = (run.config['model'] ?? {}) as Record<string, unknown>;
  const p = model['pretrained'] as { path?: unknown } | undefined;
  if (typeof p?.path !== 'string') return null;
  const at = p.path.replace(/\\/g, '/').lastIndexOf('/apps/bench/pretrained/');
  return at >= 0 ? p.path.slice(at + 1) : p.path;
}

/** One model's starting weights: the pretrained file every arm shares, different files per arm, or the initialisation. */
function modelInitialisation(runs: readonly RunRecord[]): string {
  const paths = runs.map(pretrainedPath);
  const distinctPaths = distinct(paths);
  if (distinctPaths.length === 1 && distinctPaths[0] !== null) {
    return `every arm starts from the same pretrained weights \`${distinctPaths[0]!}\``;
  }
  if (distinctPaths.every((p) => p === null)) {
    const inits = distinct(
      runs.map((r) => {
        const model = (r.config['model'] ?? {}) as Record<string, unknown>;
        return typeof model['initialization'] === 'string' ? model['initialization'] : 'the model default';
      }),
    );
    return `no pretrained weights (initialisation: ${inits.join(' / ')})`;
  }
  const byArm = distinct(
    runs.map((r, i) => `${r.method}: ${paths[i] === null ? 'no pretrained weights' : `\`${paths[i]!}\``}`),
  );
  return `the arms start from DIFFERENT weights (${byArm.join('; ')})`;
}

/** Starting weights per model, models with the same description listed together. */
function initialisationText(runs: readonly RunRecord[]): string {
  const byText = new Map<string, string[]>();
  for (const model of distinct(runs.map((r) => r.model))) {
    const text = modelInitialisation(runs.filter((r) => r.model === model));
    byText.set(text, [...(byText.get(text) ?? []), model]);
  }
  if (byText.size === 1) return [...byText.keys()][0]!;
  return [...byText].map(([text, models]) => `${models.join(', ')}: ${text}`).join('; ');
}

function describeExperiment(runs: readonly RunRecord[]): ExperimentRunDescription {
  const first = runs[0]!;
  const classNames = isClassificationRun(first) ? first.classNames : null;
  const nodes = distinct(
    runs.map((r) => {
      const node = Object.fromEntries(Object.entries(dataNodeOf(r)).filter(([k]) => !NOISE_KEYS.has(k)));
      return JSON.stringify(node);
    }),
  );
  const data = nodes.map((n) => describeDataNode(JSON.parse(n) as Record<string, unknown>, classNames));
  const rates = distinct(runs.flatMap((r) => (isClassificationRun(r) && r.noise ? [r.noise.rate] : []))).sort(
    (a, b) => a - b,
  );
  if (rates.length) {
    const patterns = distinct(
      runs.flatMap((r) => (isClassificationRun(r) && r.noise ? [r.noise.pattern] : [])),
    );
    data.push(
      `training-label noise: ${rates.map((r) => `${formatNoiseRate(r)} %`).join(', ')} (${patterns.join(', ')}; test labels clean)`,
    );
  }
  return {
    experiment: first.experiment,
    runs: runs.length,
    seeds: distinct(runs.map((r) => r.seed)).sort((a, b) => a - b),
    models: distinct(runs.map((r) => r.model)),
    arms: distinct(runs.map((r) => r.method)),
    data,
    training: trainingText(runs),
    engines: distinct(runs.map((r) => r.engine.backend)),
    initialisation: initialisationText(runs),
    aboveTwiceChance: aboveTwiceChanceText(runs),
  };
}

/** Chance UAR: 1 / the number of classes with test clips (`support` summed over folds); null when none has any. */
function chanceUar(support: readonly number[]): number | null {
  const present = support.filter((s) => s > 0).length;
  return present > 0 ? 1 / present : null;
}

/** "18 of 18 runs (lowest: 31.2 %, quick/…/seed-1; chance 14.3 %)" for expression-recognition runs. */
export function aboveTwiceChanceText(runs: readonly RunRecord[]): string | null {
  const scored = runs.filter(isClassificationRun).flatMap((r) => {
    const support = r.folds[0]!.support.map((_, c) => r.folds.reduce((n, f) => n + f.support[c]!, 0));
    const chance = chanceUar(support);
    return chance === null ? [] : [{ id: r.id, uar: r.summary.uar.mean, chance }];
  });
  if (scored.length === 0) return null;
  const above = scored.filter((r) => r.uar >= 2 * r.chance).length;
  const lowest = scored.reduce((a, b) => (b.uar < a.uar ? b : a));
  return `${above} of ${scored.length} runs (lowest: ${(lowest.uar * 100).toFixed(1)} %, ${lowest.id}; chance ${(lowest.chance * 100).toFixed(1)} %)`;
}

function notEvidenceReason(profile: string, runs: readonly RunRecord[]): string | null {
  if (SMOKE_PROFILE_PATTERN.test(profile)) {
    return `profile \`${profile}\` is a smoke run (its name says so): it checks that the pipeline runs, its numbers are not evidence for or against any claim.`;
  }
  const rows = aggregateRuns({ runs: runs.filter(isClassificationRun) });
  if (rows.length === 0) return null;
  const nearChance = rows.every((r) => {
    const chance = chanceUar(r.support);
    return chance !== null && r.uar.mean < 2 * chance;
  });
  if (!nearChance) return null;
  return `every expression-recognition cell of profile \`${profile}\` has test UAR below 2 × chance (2 / number of classes with test clips): the models did not learn the task, so its numbers are not evidence for or against any claim.`;
}

/** Describe every profile of a results file (in order of appearance of its runs). */
export function describeRuns(results: Pick<BenchResults, 'runs' | 'profiles'>): ProfileRunDescription[] {
  const byProfile = new Map<string, RunRecord[]>();
  for (const run of results.runs) byProfile.set(run.profile, [...(byProfile.get(run.profile) ?? []), run]);
  return [...byProfile].map(([profile, runs]) => {
    const byExperiment = new Map<string, RunRecord[]>();
    for (const run of runs)
      byExperiment.set(run.experiment, [...(byExperiment.get(run.experiment) ?? []), run]);
    return {
      profile,
      description: results.profiles?.[profile]?.description ?? null,
      experiments: [...byExperiment.values()].map(describeExperiment),
      notEvidence: notEvidenceReason(profile, runs),
    };
  });
}
