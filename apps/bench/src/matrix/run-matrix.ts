import { closeSync, existsSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { atomicWriteFile } from '@dfer/runtime';
import { renderDashboardHtml } from '../report/dashboard';
import { renderReportMarkdown } from '../report/markdown';
import { withProfileDescription } from '../results/profile-description';
import { createEmptyResults, readBenchResults, writeBenchResults } from '../results/results-file';
import { runRecordSchema, type BenchResults, type RunRecord } from '../results/schema';
import {
  createInProcessCellExecutor,
  runBenchCellInChild,
  type BenchCellContext,
  type BenchCellExecutor,
} from './cell-executor';
import {
  cellLogPath,
  cellRunDir,
  describeRunRecord,
  type BenchCellJob,
  type RunAuDetectionFunction,
  type RunExperimentFunction,
} from './cell-job';
import { estimatePoolSeconds, formatDuration, formatPoolStatus, type BenchPoolStatus } from './pool-progress';
import { expandProfile, type BenchCell, type ProfileConfig } from './profiles';

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

/** Write `report.md` and `dashboard.html` next to a results file, each atomically (the results themselves are written by the caller). */
export function writeReports(results: BenchResults, paths: BenchOutputPaths): void {
  atomicWriteFile(paths.report, renderReportMarkdown(results));
  atomicWriteFile(paths.dashboard, renderDashboardHtml(results));
}

/** Values of a map keyed by cell index, in index (profile) order. */
export function inIndexOrder<T>(m: ReadonlyMap<number, T>): T[] {
  return [...m.entries()].sort(([a], [b]) => a - b).map(([, v]) => v);
}

/** The runs one call records into results.json (the local pool and the queue follower). */
export interface ResultsRecorder {
  /** Runs recorded by this call, by cell index. */
  readonly recorded: ReadonlyMap<number, RunRecord>;
  /** The file's runs followed by this call's, in the profile's order. */
  readonly results: BenchResults;
  /**
   * Adds the run of cell `i` and rewrites results.json (atomically), then report.md and dashboard.html; when
   * results.json cannot be written the run is not kept and the error is thrown.
   */
  record(i: number, record: RunRecord): void;
  /** Writes the three files when this call recorded nothing (so that they exist after every call). */
  finish(): void;
}

/** A {@link ResultsRecorder} over the runs already in `initial`. */
export function createResultsRecorder(initial: BenchResults, paths: BenchOutputPaths): ResultsRecorder {
  const recorded = new Map<number, RunRecord>();
  let results = initial;
  return {
    recorded,
    get results() {
      return results;
    },
    record(i, record) {
      recorded.set(i, record);
      const merged: BenchResults = { ...initial, runs: [...initial.runs, ...inIndexOrder(recorded)] };
      try {
        writeBenchResults(paths.results, merged);
      } catch (error) {
        recorded.delete(i);
        throw error;
      }
      results = merged;
      writeReports(results, paths);
    },
    finish() {
      if (recorded.size > 0) return;
      writeBenchResults(paths.results, results);
      writeReports(results, paths);
    },
  };
}

/** Per-call options of {@link runMatrix}. */
export interface RunMatrixOptions {
  /** Output folder (results.json, report.md, dashboard.html, per-run output and `bench.log` under `runs/`). */
  readonly outDir: string;
  /** Progress lines (default: stderr). */
  readonly report?: (line: string) => void;
  /** Run only cells whose id contains one of these substrings. */
  readonly only?: readonly string[];
  /**
   * Pool size: at most this many cells run at a time, each in its own worker process (default
   * `os.availableParallelism()`; never more than the cells to run). Ignored, and 1, when `runExperiment` or
   * `runAuDetection` is given.
   */
  readonly workers?: number;
  /**
   * Cores the pool may use (default `os.availableParallelism()`): when cells train on T > 1 threads
   * (`train.workers`), at most ⌊cores ÷ T⌋ run at a time, so that pool and data-parallel training together
   * never start more threads than cores; `workers` is lowered to that, with a line saying so.
   */
  readonly cores?: number;
  /**
   * The trainer entry point (tests pass a small stand-in; default `runExperiment` of `@dfer/trainer` in a
   * worker process). A function cannot be sent to another process, so with a stand-in the cells run in this
   * process, one at a time.
   */
  readonly runExperiment?: RunExperimentFunction;
  /**
   * The AU-detection entry point (tests pass a stand-in; default `runAuDetectionExperiment` of
   * `@dfer/trainer` after `initEngine` with the profile's engine, in a worker process). Given, the cells run in
   * this process, one at a time, as with `runExperiment`.
   */
  readonly runAuDetection?: RunAuDetectionFunction;
  /**
   * Runs one cell and returns its record (tests of the pool pass a stand-in; default: a fresh worker process
   * per cell, {@link runBenchCellInChild}). Called at most `workers` times at once.
   */
  readonly executeCell?: BenchCellExecutor;
  /** Called with the pool's counts and ETA whenever a cell starts or ends (e.g. a status line). */
  readonly onStatus?: (status: BenchPoolStatus) => void;
  /**
   * Interrupts the run: no further cell starts, running worker processes are killed, and `runMatrix` rejects
   * with an `AbortError` once the running cells have ended. Cells finished before stay in results.json (as
   * does a cell of an executor that ignores the signal and finishes anyway).
   */
  readonly signal?: AbortSignal;
  /**
   * Folder the AU-detection data paths (e.g. `bp4d/BP4D_combine_1_2_AUOccur.txt`) are resolved against
   * (default: the `DFER_SHARED_DATA` environment variable, else the working directory).
   */
  readonly dataDir?: string;
}

/** A cell that failed in a {@link runMatrix} call (it is not in results.json, so the next call retries it). */
export interface FailedBenchCell {
  readonly id: string;
  /** Why: the error of the trainer or of the worker process (exit code, signal, invalid record). */
  readonly error: string;
  /** The cell's log: its progress lines and its process's output (`<out>/runs/<id>/bench.log`). */
  readonly logPath: string;
}

/** What {@link runMatrix} did. */
export interface RunMatrixSummary {
  readonly paths: BenchOutputPaths;
  /** Cells of the profile (after `only`). */
  readonly planned: number;
  /** Ids already in results.json, not run again. */
  readonly skipped: readonly string[];
  /** Ids run now and recorded, in the profile's order. */
  readonly ran: readonly string[];
  /** Cells that failed now, in the profile's order (not recorded). */
  readonly failed: readonly FailedBenchCell[];
  /** The pool size used. */
  readonly workers: number;
  readonly results: BenchResults;
}

function abortError(message: string): Error {
  const error = new Error(message);
  error.name = 'AbortError';
  return error;
}

/**
 * The profile's cells (`expandProfile`) whose run id contains one of the `only` substrings (all cells when
 * `only` is absent or empty); a filter that matches none is an error naming the profile.
 */
export function selectProfileCells(profile: ProfileConfig, only?: readonly string[]): BenchCell[] {
  const all: BenchCell[] = expandProfile(profile);
  const cells = only?.length ? all.filter((c) => only.some((s) => c.id.includes(s))) : all;
  if (only?.length && cells.length === 0) {
    throw new RangeError(
      `--only ${only.join(',')}: matches none of the ${all.length} runs of profile "${profile.name}"`,
    );
  }
  return cells;
}

/** Threads one cell trains on: its config's `train.workers` (1 when unset; AU-detection cells train on 1). */
export function cellThreads(cell: BenchCell): number {
  if (cell.experiment === 'au_detection') return 1;
  const workers = (cell.config.train as { workers?: number } | undefined)?.workers;
  return typeof workers === 'number' && workers > 1 ? workers : 1;
}

/** Throws when a record sent back for a cell is not that cell's valid run record (the local pool and the queue both check). */
export function checkRecord(record: RunRecord, cell: BenchCell): void {
  const parsed = runRecordSchema.safeParse(record);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
    throw new Error(`invalid run record (${issues.join('; ')})`);
  }
  if (record.id !== cell.id) throw new Error(`the record's id is "${record.id}", not the cell's`);
}

/**
 * Run a profile's cells (DFER matrix, RDFER noise block, AU-detection block; see `expandProfile`) on a local
 * pool, resumably.
 *
 * - **Resume**: `results.json` of `outDir` is read first and every run id already in it is skipped (reported).
 * - **Pool**: the remaining cells start in the profile's order, at most `workers` at a time; each runs in a
 *   fresh worker process (`runBenchCellInChild`), so its metrics do not depend on the pool size or on the
 *   cells run before it. With `runExperiment` / `runAuDetection` stand-ins the cells run in this process, one
 *   at a time.
 * - **Records**: only this process writes results.json. After each finished cell its record is checked
 *   against the schema and merged in (runs of this call in the profile's order, after the runs already in the
 *   file), and results.json, report.md and dashboard.html are rewritten, each atomically; so an interrupted
 *   bench loses at most the cells in progress.
 * - **Failures**: a failed cell (trainer error, worker exit non-zero or killed, invalid record) is reported
 *   with its id and log path and left out of results.json (the next call retries it); the other cells go on.
 *   The summary lists the failed cells; `runMatrix` itself resolves.
 * - **Progress**: one line per start and end of a cell, `[bench] 5/18 done, 2 running, 11 left, ETA 4m10s —
 *   …` (ETA: {@link estimatePoolSeconds}); the cells' own progress lines go to `runs/<id>/bench.log` and, tagged
 *   `#<n>` (the cell's number in this call), to `report`.
 */
export async function runMatrix(
  profile: ProfileConfig,
  options: RunMatrixOptions,
): Promise<RunMatrixSummary> {
  const report = options.report ?? ((line: string) => process.stderr.write(`${line}\n`));
  const inProcess = options.runExperiment !== undefined || options.runAuDetection !== undefined;
  const execute: BenchCellExecutor =
    options.executeCell ??
    (inProcess
      ? createInProcessCellExecutor({
          ...(options.runExperiment ? { runExperiment: options.runExperiment } : {}),
          ...(options.runAuDetection ? { runAuDetection: options.runAuDetection } : {}),
        })
      : runBenchCellInChild);
  const requested = options.workers ?? availableParallelism();
  if (!Number.isInteger(requested) || requested < 1)
    throw new RangeError(`workers must be a positive integer, got ${requested}`);
  const signal = options.signal ?? new AbortController().signal;
  const paths = benchOutputPaths(options.outDir);
  mkdirSync(resolve(options.outDir), { recursive: true });
  const initial = withProfileDescription(
    existsSync(paths.results) ? readBenchResults(paths.results) : createEmptyResults(),
    profile,
  );
  const cells = selectProfileCells(profile, options.only);
  const done = new Set(initial.runs.map((r) => r.id));
  const skipped = cells.filter((c) => done.has(c.id)).map((c) => c.id);
  if (skipped.length)
    report(`resuming: ${skipped.length} of ${cells.length} run(s) already in ${paths.results}, not repeated`);
  const todo = cells.filter((c) => !done.has(c.id));
  const cores = options.cores ?? availableParallelism();
  const threadsPerCell = Math.max(1, ...todo.map(cellThreads));
  if (threadsPerCell > cores) {
    throw new RangeError(
      `train.workers ${threadsPerCell}: a cell would train on ${threadsPerCell} threads, more than the ${cores} core(s) of this machine`,
    );
  }
  // One-thread cells keep the pool size asked for; data-parallel cells share the cores.
  const maxPool = threadsPerCell > 1 ? Math.max(1, Math.floor(cores / threadsPerCell)) : requested;
  if (requested > maxPool && todo.length > maxPool) {
    report(
      `[bench] pool lowered from ${requested} to ${maxPool} worker(s): each cell trains on ${threadsPerCell} threads (train.workers) and ${requested} × ${threadsPerCell} would oversubscribe the ${cores} core(s)`,
    );
  }
  const workers =
    inProcess && !options.executeCell ? 1 : Math.min(requested, maxPool, Math.max(1, todo.length));
  const dataDir = resolve(options.dataDir ?? process.env['DFER_SHARED_DATA'] ?? process.cwd());

  const recorder = createResultsRecorder(initial, paths);
  const recorded = recorder.recorded;
  const failed = new Map<number, FailedBenchCell>();
  const running = new Map<number, number>();
  const finished: { kind: string; seconds: number }[] = [];
  let next = 0;

  const status = (): BenchPoolStatus => {
    const now = performance.now();
    const pending = [
      ...[...running.entries()].map(([i, t0]) => ({
        kind: todo[i]!.experiment,
        elapsedSeconds: (now - t0) / 1000,
      })),
      ...todo.slice(next).map((c) => ({ kind: c.experiment })),
    ];
    return {
      total: todo.length,
      done: recorded.size,
      failed: failed.size,
      running: running.size,
      left: todo.length - next,
      etaSeconds: estimatePoolSeconds(finished, pending, workers),
    };
  };
  const announce = (message: string): void => {
    const s = status();
    report(`[bench] ${formatPoolStatus(s)} — ${message}`);
    options.onStatus?.(s);
  };

  const runCell = async (i: number): Promise<void> => {
    const cell = todo[i]!;
    const tag = `#${i + 1}`;
    const job: BenchCellJob = {
      cell,
      profile: { name: profile.name, engine: profile.engine },
      runDir: cellRunDir(options.outDir, cell.id),
      dataDir,
    };
    const logPath = cellLogPath(job);
    mkdirSync(job.runDir, { recursive: true });
    const fd = openSync(logPath, 'a');
    const log = (text: string): void => void writeSync(fd, text);
    log(`# bench run: ${cell.id}, started ${new Date().toISOString()}\n`);
    const t0 = performance.now();
    running.set(i, t0);
    announce(`start ${tag} ${cell.id}`);
    const context: BenchCellContext = {
      report: (line) => {
        log(`${line}\n`);
        report(`  ${tag} ${line}`);
      },
      log,
      signal,
    };
    try {
      const record = await execute(job, context);
      checkRecord(record, cell);
      recorder.record(i, record);
      const seconds = (performance.now() - t0) / 1000;
      finished.push({ kind: cell.experiment, seconds });
      running.delete(i);
      log(`# done in ${seconds.toFixed(1)} s: ${describeRunRecord(record)}\n`);
      announce(`done ${tag} ${cell.id} in ${formatDuration(seconds)}: ${describeRunRecord(record)}`);
    } catch (error) {
      running.delete(i);
      const message = error instanceof Error ? error.message : String(error);
      log(`# FAILED: ${error instanceof Error ? (error.stack ?? message) : message}\n`);
      if (signal.aborted) return;
      failed.set(i, { id: cell.id, error: message, logPath });
      const seconds = (performance.now() - t0) / 1000;
      const oneLine = message.replace(/\s*\n\s*/g, ' ');
      announce(`FAILED ${tag} ${cell.id} after ${formatDuration(seconds)}: ${oneLine} (log: ${logPath})`);
    } finally {
      closeSync(fd);
    }
  };

  const worker = async (): Promise<void> => {
    while (next < todo.length && !signal.aborted) {
      const i = next;
      next += 1;
      await runCell(i);
    }
  };
  await Promise.all(Array.from({ length: todo.length ? workers : 0 }, () => worker()));

  recorder.finish();
  if (signal.aborted) {
    throw abortError(
      `bench run interrupted: ${recorded.size} cell(s) of this call finished and are in ${paths.results}; run the same command again to resume`,
    );
  }
  return {
    paths,
    planned: cells.length,
    skipped,
    ran: inIndexOrder(recorded).map((r) => r.id),
    failed: inIndexOrder(failed),
    workers,
    results: recorder.results,
  };
}
