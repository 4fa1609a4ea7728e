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
import type { RunRecord } from '../results/schema';
import type { BenchCell, ProfileConfig } from './profiles';
import { collectVersions, createAuDetectionRunRecord, createRunRecord } from './run-record';
import { registerTrainNoiseData } from './train-noise-data';

/**
 * One cell of a bench run with everything needed to run it on its own, in any process: the cell (id and
 * trainer config), the profile fields the record needs, and where it writes. Plain JSON, so it crosses a
 * process boundary (the pool sends it to a child over IPC).
 */
export interface BenchCellJob {
  readonly cell: BenchCell;
  /** The profile's name (recorded in the run) and tfjs backend (used by AU detection). */
  readonly profile: { readonly name: string; readonly engine: ProfileConfig['engine'] };
  /** Absolute folder of the trainer's own output of this cell (`<out>/runs/<id>`); holds `bench.log`. */
  readonly runDir: string;
  /** Absolute folder the AU-detection data paths are resolved against. */
  readonly dataDir: string;
}

/** The trainer entry point of DFER and RDFER cells (`runExperiment` of `@dfer/trainer`, or a test stand-in). */
export type RunExperimentFunction = (
  config: ExperimentConfigInput,
  options: RunExperimentOptions,
) => Promise<ExperimentResult>;

/** The AU-detection entry point (`runAuDetectionExperiment` on the profile's engine, or a test stand-in). */
export type RunAuDetectionFunction = (
  config: Record<string, unknown>,
  options: RunAuDetectionOptions,
) => Promise<{ result: AuDetectionExperimentResult; engine: { backend: string; reason: string } }>;

/** Per-call options of {@link runBenchCell}. */
export interface RunBenchCellOptions {
  /** Progress lines of the cell (per epoch). */
  readonly report: (line: string) => void;
  /** Default `runExperiment` of `@dfer/trainer`. */
  readonly runExperiment?: RunExperimentFunction;
  /** Default {@link runAuDetectionOnEngine} with the job's engine. */
  readonly runAuDetection?: RunAuDetectionFunction;
  /** Package versions for the record (default {@link collectVersions}). */
  readonly versions?: Record<string, string>;
}

/** Folder of a run's own output: `<outDir>/runs/<id>`, with every run of characters outside `[A-Za-z0-9_.+-]` as `__`. */
export function cellRunDir(outDir: string, id: string): string {
  return join(resolve(outDir), 'runs', id.replace(/[^A-Za-z0-9_.+-]+/g, '__'));
}

/** Path of the per-cell log the pool writes (`<runDir>/bench.log`): the cell's progress lines and its process output. */
export function cellLogPath(job: BenchCellJob): string {
  return join(job.runDir, 'bench.log');
}

/** `runAuDetectionExperiment` on the given tfjs backend (the AU runner does not choose one itself). */
export async function runAuDetectionOnEngine(
  backend: ProfileConfig['engine'],
  config: Record<string, unknown>,
  options: RunAuDetectionOptions,
): Promise<{ result: AuDetectionExperimentResult; engine: { backend: string; reason: string } }> {
  const engine = await initEngine({ backend });
  const result = await runAuDetectionExperiment(config, options);
  return { result, engine: { backend: engine.backend, reason: engine.reason } };
}

/**
 * Run one cell in this process and build its record: DFER and RDFER cells with `runExperiment`, AU-detection
 * cells with `runAuDetectionExperiment` on the profile's engine (data paths against `job.dataDir`), both with
 * their output (log, checkpoints, results) in `job.runDir`. `startedAt` and `durationSeconds` cover the trainer call only. The worker process
 * of the pool (`cell-child.ts`) and the in-process path of `runMatrix` both call this.
 */
export async function runBenchCell(job: BenchCellJob, options: RunBenchCellOptions): Promise<RunRecord> {
  const { cell, profile } = job;
  const report = options.report;
  const versions = options.versions ?? collectVersions();
  const startedAt = new Date();
  const t0 = performance.now();
  /** The record fields every experiment shares. */
  const cellFields = {
    id: cell.id,
    profile: profile.name,
    dataset: cell.dataset,
    model: cell.model,
    preset: cell.preset,
    method: cell.method,
    seed: cell.seed,
  };
  if (cell.experiment === 'au_detection') {
    const runAu =
      options.runAuDetection ??
      ((config: Record<string, unknown>, o: RunAuDetectionOptions) =>
        runAuDetectionOnEngine(profile.engine, config, o));
    const { result, engine } = await runAu(cell.config, {
      dataDir: job.dataDir,
      outputDir: job.runDir,
      report,
    });
    return createAuDetectionRunRecord(
      result,
      {
        ...cellFields,
        arm: cell.arm,
        engine,
        startedAt,
        durationSeconds: (performance.now() - t0) / 1000,
      },
      versions,
    );
  }
  // The RDFER data node is registered by the bench; a fresh worker process has not expanded the profile.
  if (cell.experiment === 'rdfer') registerTrainNoiseData();
  const run = options.runExperiment ?? runExperiment;
  const result = await run(cell.config, { outputDir: job.runDir, report });
  return createRunRecord(
    result,
    {
      ...cellFields,
      experiment: cell.experiment,
      startedAt,
      durationSeconds: (performance.now() - t0) / 1000,
      ...(cell.experiment === 'rdfer' ? { noise: cell.noise } : {}),
    },
    versions,
  );
}

/** One line that sums up a record: UAR / WAR (and noisy detection), or mean F1 for AU detection. */
export function describeRunRecord(record: RunRecord): string {
  if (record.experiment === 'au_detection')
    return `mean F1 ${(record.summary.meanF1.mean * 100).toFixed(1)} %`;
  const base = `UAR ${(record.summary.uar.mean * 100).toFixed(1)} %, WAR ${(record.summary.war.mean * 100).toFixed(1)} %`;
  const nd = record.summary.noisyDetection;
  if (!nd) return base;
  const pct = (m: { mean: number } | null) => (m ? `${(m.mean * 100).toFixed(1)} %` : 'n/a');
  return `${base}, noisy detection P ${pct(nd.precision)} R ${pct(nd.recall)}`;
}
