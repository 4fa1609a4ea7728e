import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runExperiment, type ExperimentResult, type RunExperimentOptions } from '@dfer/trainer';
import { renderDashboardHtml } from '../report/dashboard';
import { renderReportMarkdown } from '../report/markdown';
import { createEmptyResults, readBenchResults, writeBenchResults } from '../results/results-file';
import type { BenchResults } from '../results/schema';
import { datasetLabel, expandProfile, type MatrixCell, type ProfileConfig } from './profiles';
import { collectVersions, createRunRecord } from './run-record';

/** The three files a bench run writes. */
export interface BenchOutputPaths {
  readonly results: string;
  readonly report: string;
  readonly dashboard: string;
}

/** Paths of `results.json`, `report.md` and `dashboard.html` in `outDir`. */
export function benchOutputPaths(outDir: string): BenchOutputPaths {
  const dir = resolve(outDir);
  return {
    results: join(dir, 'results.json'),
    report: join(dir, 'report.md'),
    dashboard: join(dir, 'dashboard.html'),
  };
}

/** Write `report.md` and `dashboard.html` next to a results file (the results themselves are written by the caller). */
export function writeReports(results: BenchResults, paths: BenchOutputPaths): void {
  writeFileSync(paths.report, renderReportMarkdown(results));
  writeFileSync(paths.dashboard, renderDashboardHtml(results));
}

/** Per-call options of {@link runMatrix}. */
export interface RunMatrixOptions {
  /** Output folder (results.json, report.md, dashboard.html, per-run logs under `runs/`). */
  readonly outDir: string;
  /** Progress lines (default: stderr). */
  readonly report?: (line: string) => void;
  /** Run only cells whose id contains one of these substrings. */
  readonly only?: readonly string[];
  /** The trainer entry point (tests pass a small stand-in; default `runExperiment` of `@dfer/trainer`). */
  readonly runExperiment?: (
    config: MatrixCell['config'],
    options: RunExperimentOptions,
  ) => Promise<ExperimentResult>;
}

/** What {@link runMatrix} did. */
export interface RunMatrixSummary {
  readonly paths: BenchOutputPaths;
  /** Cells of the profile (after `only`). */
  readonly planned: number;
  /** Ids already in results.json, not run again. */
  readonly skipped: readonly string[];
  /** Ids run now. */
  readonly ran: readonly string[];
  readonly results: BenchResults;
}

/**
 * Run a profile's matrix, resumably: `results.json` of `outDir` is read first and every run id already in it
 * is skipped (reported); after each finished run the results, report and dashboard are rewritten (results
 * atomically), so an interrupted bench loses at most the run in progress.
 */
export async function runMatrix(
  profile: ProfileConfig,
  options: RunMatrixOptions,
): Promise<RunMatrixSummary> {
  const report = options.report ?? ((line: string) => process.stderr.write(`${line}\n`));
  const run = options.runExperiment ?? runExperiment;
  const paths = benchOutputPaths(options.outDir);
  mkdirSync(resolve(options.outDir), { recursive: true });
  let results = existsSync(paths.results) ? readBenchResults(paths.results) : createEmptyResults();
  const all = expandProfile(profile);
  const cells = options.only?.length ? all.filter((c) => options.only!.some((s) => c.id.includes(s))) : all;
  if (options.only?.length && cells.length === 0) {
    throw new RangeError(
      `--only ${options.only.join(',')}: matches none of the ${all.length} runs of profile "${profile.name}"`,
    );
  }
  const done = new Set(results.runs.map((r) => r.id));
  const skipped = cells.filter((c) => done.has(c.id)).map((c) => c.id);
  if (skipped.length)
    report(`resuming: ${skipped.length} of ${cells.length} run(s) already in ${paths.results}, not repeated`);
  const versions = collectVersions();
  const ran: string[] = [];
  const todo = cells.filter((c) => !done.has(c.id));
  for (const [i, cell] of todo.entries()) {
    report(`[${i + 1}/${todo.length}] ${cell.id}`);
    const startedAt = new Date();
    const t0 = performance.now();
    const runDir = join(resolve(options.outDir), 'runs', cell.id.replace(/[^A-Za-z0-9_.+-]+/g, '__'));
    const result = await run(cell.config, { outputDir: runDir, report: (line) => report(`  ${line}`) });
    const durationSeconds = (performance.now() - t0) / 1000;
    const record = createRunRecord(
      result,
      {
        id: cell.id,
        profile: profile.name,
        dataset: datasetLabel(profile.data),
        model: cell.model,
        preset: profile.preset,
        method: cell.method,
        seed: cell.seed,
        experiment: 'dfer',
        startedAt,
        durationSeconds,
      },
      versions,
    );
    results = { ...results, runs: [...results.runs, record] };
    writeBenchResults(paths.results, results);
    writeReports(results, paths);
    ran.push(cell.id);
    report(
      `  done in ${durationSeconds.toFixed(0)} s: UAR ${(record.summary.uar.mean * 100).toFixed(1)} %, WAR ${(record.summary.war.mean * 100).toFixed(1)} %`,
    );
  }
  if (ran.length === 0) {
    writeBenchResults(paths.results, results);
    writeReports(results, paths);
  }
  return { paths, planned: cells.length, skipped, ran, results };
}
