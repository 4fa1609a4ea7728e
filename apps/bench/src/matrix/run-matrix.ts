import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { initEngine } from '@dfer/runtime';
import {
  runAuDetectionExperiment,
  runExperiment,
  type AuDetectionExperimentResult,
  type ExperimentConfigInput,
  type ExperimentResult,
  type RunAuDetectionOptions,
  type RunExperimentOptions,
} from '@dfer/trainer';
import { renderDashboardHtml } from '../report/dashboard';
import { renderReportMarkdown } from '../report/markdown';
import { createEmptyResults, readBenchResults, writeBenchResults } from '../results/results-file';
import type { BenchResults, RunRecord } from '../results/schema';
import { expandProfile, type BenchCell, type ProfileConfig } from './profiles';
import { collectVersions, createAuDetectionRunRecord, createRunRecord } from './run-record';

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
    config: ExperimentConfigInput,
    options: RunExperimentOptions,
  ) => Promise<ExperimentResult>;
  /**
   * The AU-detection entry point (tests pass a stand-in; default `runAuDetectionExperiment` of
   * `@dfer/trainer`, run after `initEngine` with the profile's engine).
   */
  readonly runAuDetection?: (
    config: Record<string, unknown>,
    options: RunAuDetectionOptions,
  ) => Promise<{ result: AuDetectionExperimentResult; engine: { backend: string; reason: string } }>;
  /**
   * Folder the AU-detection data paths (e.g. `bp4d/BP4D_combine_1_2_AUOccur.txt`) are resolved against
   * (default: the `DFER_SHARED_DATA` environment variable, else the working directory).
   */
  readonly dataDir?: string;
}

/** `runAuDetectionExperiment` on the profile's engine (the AU runner does not choose one itself). */
async function runAuDetectionOnEngine(
  backend: ProfileConfig['engine'],
  config: Record<string, unknown>,
  options: RunAuDetectionOptions,
): Promise<{ result: AuDetectionExperimentResult; engine: { backend: string; reason: string } }> {
  const engine = await initEngine({ backend });
  const result = await runAuDetectionExperiment(config, options);
  return { result, engine: { backend: engine.backend, reason: engine.reason } };
}

function describeRecord(record: RunRecord): string {
  if (record.experiment === 'au_detection')
    return `mean F1 ${(record.summary.meanF1.mean * 100).toFixed(1)} %`;
  const base = `UAR ${(record.summary.uar.mean * 100).toFixed(1)} %, WAR ${(record.summary.war.mean * 100).toFixed(1)} %`;
  const nd = record.summary.noisyDetection;
  if (!nd) return base;
  const pct = (m: { mean: number } | null) => (m ? `${(m.mean * 100).toFixed(1)} %` : 'n/a');
  return `${base}, noisy detection P ${pct(nd.precision)} R ${pct(nd.recall)}`;
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
 * Run a profile's cells (DFER matrix, RDFER noise block, AU-detection block; see `expandProfile`), resumably: `results.json` of `outDir` is read first and every run id already in it
 * is skipped (reported); after each finished run the results, report and dashboard are rewritten (results
 * atomically), so an interrupted bench loses at most the run in progress.
 */
export async function runMatrix(
  profile: ProfileConfig,
  options: RunMatrixOptions,
): Promise<RunMatrixSummary> {
  const report = options.report ?? ((line: string) => process.stderr.write(`${line}\n`));
  const run = options.runExperiment ?? runExperiment;
  const runAu =
    options.runAuDetection ??
    ((config: Record<string, unknown>, o: RunAuDetectionOptions) =>
      runAuDetectionOnEngine(profile.engine, config, o));
  const paths = benchOutputPaths(options.outDir);
  mkdirSync(resolve(options.outDir), { recursive: true });
  let results = existsSync(paths.results) ? readBenchResults(paths.results) : createEmptyResults();
  const all: BenchCell[] = expandProfile(profile);
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
    let record: RunRecord;
    if (cell.experiment === 'au_detection') {
      const dataDir = options.dataDir ?? process.env['DFER_SHARED_DATA'] ?? process.cwd();
      const { result, engine } = await runAu(cell.config, {
        dataDir,
        onEpoch: (e) => report(`  seed ${e.seed} fold ${e.fold} epoch ${e.epoch}: loss ${e.loss.toFixed(4)}`),
      });
      record = createAuDetectionRunRecord(
        result,
        {
          id: cell.id,
          profile: profile.name,
          dataset: cell.dataset,
          model: cell.model,
          preset: cell.preset,
          method: cell.method,
          seed: cell.seed,
          arm: cell.arm,
          engine,
          startedAt,
          durationSeconds: (performance.now() - t0) / 1000,
        },
        versions,
      );
    } else {
      const result = await run(cell.config, { outputDir: runDir, report: (line) => report(`  ${line}`) });
      record = createRunRecord(
        result,
        {
          id: cell.id,
          profile: profile.name,
          dataset: cell.dataset,
          model: cell.model,
          preset: cell.preset,
          method: cell.method,
          seed: cell.seed,
          experiment: cell.experiment,
          startedAt,
          durationSeconds: (performance.now() - t0) / 1000,
          ...(cell.experiment === 'rdfer' ? { noise: cell.noise } : {}),
        },
        versions,
      );
    }
    const durationSeconds = record.durationSeconds;
    results = { ...results, runs: [...results.runs, record] };
    writeBenchResults(paths.results, results);
    writeReports(results, paths);
    ran.push(cell.id);
    report(`  done in ${durationSeconds.toFixed(0)} s: ${describeRecord(record)}`);
  }
  if (ran.length === 0) {
    writeBenchResults(paths.results, results);
    writeReports(results, paths);
  }
  return { paths, planned: cells.length, skipped, ran, results };
}
