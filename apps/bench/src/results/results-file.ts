import { readFileSync } from 'node:fs';
import { atomicWriteFile, parseJsonText } from '@dfer/runtime';
import {
  BENCH_RESULTS_KIND,
  BENCH_RESULTS_READABLE_VERSIONS,
  BENCH_RESULTS_SCHEMA_VERSION,
  benchResultsSchema,
  isClassificationRun,
  type BenchResults,
  type PerfRecord,
  type RunRecord,
} from './schema';

/** Thrown when a results file is not valid JSON or does not match the schema; the message names the file and fields. */
export class ResultsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResultsFileError';
  }
}

/** An empty results file (no runs, no timings). */
export function createEmptyResults(createdAt: Date = new Date()): BenchResults {
  return {
    kind: BENCH_RESULTS_KIND,
    schemaVersion: BENCH_RESULTS_SCHEMA_VERSION,
    createdAt: createdAt.toISOString(),
    runs: [],
    perf: [],
    perfTargets: [],
    perfProfile: [],
  };
}

/**
 * Parse and validate the text of a results file. `source` (a path) is named in every error, with the dotted
 * path of each bad field.
 */
export function parseBenchResults(text: string, source = 'results.json'): BenchResults {
  let raw: unknown;
  try {
    raw = parseJsonText(text, source);
  } catch (error) {
    throw new ResultsFileError((error as Error).message);
  }
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const { kind, schemaVersion } = raw as { kind?: unknown; schemaVersion?: unknown };
    if (kind !== BENCH_RESULTS_KIND) {
      throw new ResultsFileError(
        `${source}: kind is ${JSON.stringify(kind)}; expected "${BENCH_RESULTS_KIND}" (a file written by \`bench run\` or \`bench perf\`)`,
      );
    }
    if (typeof schemaVersion !== 'number' || !BENCH_RESULTS_READABLE_VERSIONS.includes(schemaVersion)) {
      throw new ResultsFileError(
        `${source}: schemaVersion is ${JSON.stringify(schemaVersion)}; this bench reads versions ${BENCH_RESULTS_READABLE_VERSIONS.join(', ')}`,
      );
    }
  }
  const parsed = benchResultsSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `  - ${i.path.map(String).join('.') || '(root)'}: ${i.message}`,
    );
    throw new ResultsFileError(`${source}: does not match the bench results schema:\n${lines.join('\n')}`);
  }
  const seen = new Set<string>();
  for (const [i, run] of parsed.data.runs.entries()) {
    if (seen.has(run.id))
      throw new ResultsFileError(`${source}: runs.${i}.id "${run.id}" appears more than once`);
    seen.add(run.id);
    checkRunShapes(run, `${source}: runs.${i}`);
  }
  return parsed.data;
}

function checkRunShapes(run: RunRecord, where: string): void {
  if (!isClassificationRun(run)) {
    checkAuRunShapes(run, where);
    return;
  }
  const C = run.classNames.length;
  if (run.summary.recall.length !== C) {
    throw new ResultsFileError(
      `${where}.summary.recall has ${run.summary.recall.length} entries; expected ${C} (one per class)`,
    );
  }
  for (const [f, fold] of run.folds.entries()) {
    for (const key of ['recall', 'support', 'confusion'] as const) {
      if (fold[key].length !== C) {
        throw new ResultsFileError(
          `${where}.folds.${f}.${key} has ${fold[key].length} entries; expected ${C} (one per class)`,
        );
      }
    }
    for (const [t, row] of fold.confusion.entries()) {
      if (row.length !== C) {
        throw new ResultsFileError(
          `${where}.folds.${f}.confusion.${t} has ${row.length} entries; expected ${C}`,
        );
      }
    }
  }
}

function checkAuRunShapes(run: Exclude<RunRecord, { experiment: 'dfer' | 'rdfer' }>, where: string): void {
  const A = run.auNames.length;
  const lists: [string, readonly unknown[]][] = [['summary.f1', run.summary.f1]];
  for (const [f, fold] of run.folds.entries()) {
    for (const key of ['f1', 'precision', 'recall', 'support'] as const)
      lists.push([`folds.${f}.${key}`, fold[key]]);
    if (fold.tuned) {
      lists.push(
        [`folds.${f}.tuned.f1`, fold.tuned.f1],
        [`folds.${f}.tuned.thresholds`, fold.tuned.thresholds],
      );
    }
  }
  for (const [path, list] of lists) {
    if (list.length !== A) {
      throw new ResultsFileError(`${where}.${path} has ${list.length} entries; expected ${A} (one per AU)`);
    }
  }
}

/** Read and validate a results file. */
export function readBenchResults(path: string): BenchResults {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ResultsFileError(
      `${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  return parseBenchResults(text, path);
}

/** Write a results file atomically (validated first: an invalid object is never written). */
export function writeBenchResults(path: string, results: BenchResults): void {
  const text = `${JSON.stringify(results, null, 1)}\n`;
  parseBenchResults(text, path);
  atomicWriteFile(path, text);
}

/** What {@link mergeBenchResults} did. */
export interface MergeReport {
  readonly results: BenchResults;
  /** Run ids that appeared in more than one input; the later input's record was kept. */
  readonly replacedRuns: readonly string[];
  /** Timings that appeared in more than one input (same task, model, preset, engine, shape, metric, threads); later kept. */
  readonly replacedPerf: number;
}

function perfKey(p: PerfRecord): string {
  return JSON.stringify([
    p.task,
    p.model ?? '',
    p.preset ?? '',
    p.engine,
    p.shape ?? [],
    p.metric,
    p.threads ?? 1,
  ]);
}

/**
 * Merge several results files into one: runs are keyed by `id`, timings by what they measure. When a key
 * appears in several inputs the record of the later input wins, and the report lists every replaced key
 * (nothing is dropped silently). Profile descriptions are keyed by profile name (the later input's wins). The
 * merged file is a fixture if any input is.
 */
export function mergeBenchResults(
  inputs: readonly BenchResults[],
  createdAt: Date = new Date(),
): MergeReport {
  if (inputs.length === 0) throw new RangeError('mergeBenchResults: expected at least one results file');
  const runs = new Map<string, RunRecord>();
  const perf = new Map<string, PerfRecord>();
  const replacedRuns: string[] = [];
  let replacedPerf = 0;
  const targets = new Map<string, BenchResults['perfTargets'][number]>();
  let profile: BenchResults['perfProfile'] = [];
  let environment: BenchResults['perfEnvironment'];
  const profiles: NonNullable<BenchResults['profiles']> = {};
  for (const input of inputs) {
    Object.assign(profiles, input.profiles ?? {});
    for (const run of input.runs) {
      if (runs.has(run.id)) {
        replacedRuns.push(run.id);
        runs.delete(run.id);
      }
      runs.set(run.id, run);
    }
    for (const p of input.perf) {
      const key = perfKey(p);
      if (perf.has(key)) replacedPerf += 1;
      perf.set(key, p);
    }
    for (const t of input.perfTargets) targets.set(t.name, t);
    if (input.perfProfile.length) profile = input.perfProfile;
    if (input.perfEnvironment) environment = input.perfEnvironment;
  }
  const results: BenchResults = {
    ...createEmptyResults(createdAt),
    ...(inputs.some((i) => i.fixture) ? { fixture: true } : {}),
    runs: [...runs.values()],
    ...(Object.keys(profiles).length ? { profiles } : {}),
    perf: [...perf.values()],
    perfTargets: [...targets.values()],
    perfProfile: profile,
    ...(environment ? { perfEnvironment: environment } : {}),
  };
  return { results, replacedRuns, replacedPerf };
}
