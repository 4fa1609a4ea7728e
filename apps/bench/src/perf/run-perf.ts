import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { getModelInfo } from '@dfer/backbones';
import { benchOutputPaths, writeReports, type BenchOutputPaths } from '../matrix/run-matrix';
import { QUICK_DATA } from '../matrix/profiles';
import { collectVersions } from '../matrix/run-record';
import {
  createEmptyResults,
  mergeBenchResults,
  readBenchResults,
  writeBenchResults,
} from '../results/results-file';
import type { BenchResults, PerfRecord } from '../results/schema';
import {
  runPerfTask,
  type PerfMeasurement,
  type PerfTask,
  type PerfTaskResult,
  type StepProfile,
} from './measure';
import { checkPytorch, pytorchMeasurements, runPytorchReference, type PytorchReference } from './pytorch';
import { computePerfTargets, profileLines, profileScope, profilesForMissedTargets } from './targets';

/** What one task returned, with the peak RSS of the process that ran it (absent when run in-process). */
export interface PerfTaskOutcome {
  readonly result: PerfTaskResult;
  readonly peakRssMiB?: number;
}

/** Runs one task; the default spawns a child process per task. */
export type PerfTaskRunner = (task: PerfTask) => Promise<PerfTaskOutcome>;

/** Build-time options of a `bench perf` run (the CLI's options). */
export interface PerfRunConfig {
  /** Output folder: `results.json` (merged with what is there), `report.md`, `dashboard.html`. */
  readonly outDir: string;
  readonly models: readonly string[];
  readonly presets: readonly string[];
  /** tfjs backends of the training-step timings. */
  readonly engines: readonly ('wasm' | 'cpu')[];
  readonly repeats: number;
  /**
   * Untimed runs before the timed repeats of every preset but `paper`, on every engine and in the PyTorch
   * reference (V8's optimising compiler and the wasm tiers take about 10 training steps to settle; the
   * `paper` presets warm up once: a step takes seconds). Default 1 when absent.
   */
  readonly warmups?: number;
  /** Batch sizes of the training-step timings of every preset but `paper` (default 1 and 8). */
  readonly batches: readonly number[];
  /** Batch sizes of the `paper` presets' training-step timings (default 2). */
  readonly paperBatches: readonly number[];
  /** Timed repeats of the `paper` presets (default 1, after the warm-up: a paper step takes seconds to a minute). */
  readonly paperRepeats: number;
  /**
   * Thread counts of the tfjs-wasm training step (`train.workers`: 1 is the one-thread step, 2 the
   * data-parallel step on two threads) and, the same list, of the PyTorch reference (`torch.set_num_threads`),
   * so that each tfjs timing has a reference at its own thread count. Default 1 and 2.
   */
  readonly trainWorkers: readonly number[];
  /** Interpreter of the PyTorch reference; `false` skips it (recorded as not run). */
  readonly python: string | false;
  /** Clips timed for the synthetic generation rate. */
  readonly syntheticClips: number;
  /**
   * Video of the face-analysis frame rate (`analyzeVideo` of `@dfer/faces`, by stage); `false` or absent
   * skips it. A path that does not exist is timed as nothing (the task says why).
   */
  readonly faceVideo?: string | false;
}

/** Per-call options of {@link runPerf}. */
export interface RunPerfOptions {
  /** Progress lines (default: stderr). */
  readonly report?: (line: string) => void;
  /** Task runner (tests pass {@link runPerfTaskInProcess}; default {@link runPerfTaskInChild}). */
  readonly runTask?: PerfTaskRunner;
  /** PyTorch reference runner (tests may pass a stand-in; default runs `perf_reference.py`). */
  readonly runPytorch?: typeof runPytorchReference;
  /** Whether the interpreter imports torch (`undefined` = yes, else why not; default {@link checkPytorch}). */
  readonly checkPytorch?: typeof checkPytorch;
  readonly now?: () => Date;
}

/** What {@link runPerf} did. */
export interface RunPerfSummary {
  readonly paths: BenchOutputPaths;
  /** The merged results file as written. */
  readonly results: BenchResults;
  /** The records of this run. */
  readonly perf: readonly PerfRecord[];
  /** Comparisons refused (e.g. parameter counts differ). */
  readonly refused: readonly string[];
  /** Tasks that failed, with why (their timings are absent; nothing else is dropped). */
  readonly failed: readonly string[];
  /** Why the PyTorch reference is absent, when it is. */
  readonly pytorchUnavailable?: string;
}

/** Runs a task in this process (no meaningful peak RSS: the process is shared with everything else). */
export const runPerfTaskInProcess: PerfTaskRunner = async (task) => ({ result: await runPerfTask(task) });

/** Timed repeats (at least) of each process of a `train.workers` ceiling (its timed interval must overlap). */
const CEILING_REPEATS = 10;

/** How long after spawning the processes of a ceiling they start timing (Node start, model build, warm-ups). */
const CEILING_START_DELAY_MS = 15_000;

/** A child process of `bench perf` is killed after this long (a `paper` training task takes a few minutes). */
const PERF_TASK_TIMEOUT_MS = 30 * 60_000;

/**
 * Runs a task in a child Node process (`dist/perf/perf-child.js`) and returns its result with the child's
 * peak RSS. Requires the built package (`pnpm --filter @dfer/bench build`). The child is killed (SIGKILL)
 * after {@link PERF_TASK_TIMEOUT_MS}; a child that dies (e.g. a wasm abort, out of memory) is an error
 * naming its exit code or signal and the first lines of its stderr.
 */
export const runPerfTaskInChild: PerfTaskRunner = async (task) => {
  const child = join(__dirname, 'perf-child.js');
  if (!existsSync(child)) {
    throw new Error(
      `bench perf runs each timing in a child process from the built package, and ${child} does not exist: run \`pnpm --filter @dfer/bench build\` and use dist/cli.js`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'dfer-perf-'));
  try {
    const taskPath = join(dir, 'task.json');
    const resultPath = join(dir, 'result.json');
    writeFileSync(taskPath, JSON.stringify(task));
    const code = await new Promise<number | null>((resolvePromise, reject) => {
      const proc = spawn(process.execPath, [child, taskPath, resultPath], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        proc.kill('SIGKILL');
      }, PERF_TASK_TIMEOUT_MS);
      let stderr = '';
      proc.stdout.on('data', (d: Buffer) => process.stderr.write(d));
      proc.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      proc.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      proc.on('close', (c, signal) => {
        clearTimeout(timer);
        const tail = stderr.trim().split('\n').slice(0, 6).join(' ⏎ ');
        if (timedOut) reject(new Error(`child killed after ${PERF_TASK_TIMEOUT_MS / 60_000} min: ${tail}`));
        else if (c !== 0)
          reject(new Error(`child exited with ${signal ? `signal ${signal}` : `code ${c}`}: ${tail}`));
        else resolvePromise(c);
      });
    });
    void code;
    return JSON.parse(readFileSync(resultPath, 'utf8')) as PerfTaskOutcome;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

function toRecord(m: PerfMeasurement, repeats: number, peakRssMiB?: number): PerfRecord {
  return {
    task: m.task,
    ...(m.model !== undefined ? { model: m.model } : {}),
    ...(m.preset !== undefined ? { preset: m.preset } : {}),
    engine: m.engine,
    shape: [...m.shape],
    metric: m.metric,
    value: m.value,
    ...(peakRssMiB !== undefined ? { peakRssMiB } : {}),
    repeats,
    samplesMs: [...m.samplesMs],
    ...(m.numParameters !== undefined ? { numParameters: m.numParameters } : {}),
    ...(m.threads !== undefined ? { threads: m.threads } : {}),
    ...(m.note !== undefined ? { note: m.note } : {}),
  };
}

/**
 * Run `bench perf`: per model × preset, the tfjs training step on each engine and batch (one child process
 * per model × preset × engine, whose peak RSS is the training peak memory), inference latency on tfjs-wasm
 * vs onnxruntime (one child per model × preset), the synthetic generation rate at the quick profile's clip
 * size (one child), and — when the interpreter imports torch — the same `tiny` architectures in PyTorch CPU
 * (one process per model). Then the targets (`computePerfTargets`) and, where a wasm training target is
 * missed, the per-kernel profile of a wasm training step (median of three profiled steps). Records are merged into `results.json` of
 * `outDir` (later wins on the same timing key; profile lines of re-measured models are replaced), and
 * `report.md` / `dashboard.html` are rewritten.
 */
export async function runPerf(config: PerfRunConfig, options: RunPerfOptions = {}): Promise<RunPerfSummary> {
  const report = options.report ?? ((line: string) => process.stderr.write(`${line}\n`));
  const runTask = options.runTask ?? runPerfTaskInChild;
  const runPytorch = options.runPytorch ?? runPytorchReference;
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const load = loadavg();

  for (const model of config.models) {
    const info = getModelInfo(model);
    for (const preset of config.presets) {
      if (!info.presets[preset]) {
        throw new RangeError(
          `--presets: model "${model}" has no preset "${preset}" (it has ${Object.keys(info.presets).join(', ')})`,
        );
      }
    }
  }

  const records: PerfRecord[] = [];
  const profiles: StepProfile[] = [];
  const failed: string[] = [];
  /** A task that failed: listed with why (its timings are absent), the run goes on. */
  const recordFailure = (label: string, error: unknown): void => {
    const message = `${label}: ${error instanceof Error ? error.message : String(error)}`;
    failed.push(message);
    report(`bench perf: FAILED ${message}`);
  };
  const attempt = async (label: string, task: PerfTask, repeats: number): Promise<void> => {
    const t0 = performance.now();
    try {
      const { result, peakRssMiB } = await runTask(task);
      for (const m of result.measurements) records.push(toRecord(m, repeats, peakRssMiB));
      profiles.push(...result.profiles);
      const summary = result.measurements
        .map(
          (m) =>
            `${m.engine} ${m.metric === 'latency_ms' ? `${m.value.toFixed(1)} ms` : `${m.value.toFixed(2)} ${m.metric.replace(/_/g, ' ')}`}`,
        )
        .join(', ');
      report(
        `bench perf: ${label}: ${summary}${peakRssMiB !== undefined ? `; peak RSS ${peakRssMiB.toFixed(0)} MiB` : ''} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
      );
    } catch (error) {
      recordFailure(label, error);
    }
  };

  const warmupsOf = (preset: string): number => (preset === 'paper' ? 1 : (config.warmups ?? 1));
  /**
   * This machine's ceiling for `train.workers` N at one batch B: N child processes started together, each
   * the one-thread step on B/N clips, timing the same interval (`startAt`) with no gradient exchange at all,
   * against one such process alone. Records the lone process as a `train_step` and the N together as a
   * `parallel_ceiling` (their summed clips/s).
   */
  const attemptCeiling = async (
    model: string,
    preset: string,
    workers: number,
    batch: number,
  ): Promise<void> => {
    const share = batch / workers;
    if (!Number.isInteger(share) || share < 1) return;
    const repeats = Math.max(config.repeats, CEILING_REPEATS);
    const label = `${model}/${preset} ${workers} independent processes at once, batch ${share} each (the ceiling of train.workers ${workers} at batch ${batch})`;
    const t0 = performance.now();
    const task: PerfTask = {
      kind: 'train_step',
      model,
      preset,
      engine: 'wasm',
      batches: [share],
      repeats,
      profile: false,
      warmups: warmupsOf(preset),
    };
    try {
      const alone = await runTask(task);
      const startAt = Date.now() + CEILING_START_DELAY_MS;
      const together = await Promise.all(
        Array.from({ length: workers }, () => runTask({ ...task, startAt })),
      );
      const one = alone.result.measurements[0];
      const each = together.map((o) => o.result.measurements[0]);
      if (one === undefined || each.some((m) => m === undefined))
        throw new Error('a process returned no timing');
      const values = each.map((m) => m!.value);
      const total = values.reduce((a, b) => a + b, 0);
      const relativeSpeed = total / workers / one.value;
      records.push(toRecord(one, repeats, alone.peakRssMiB));
      records.push({
        task: 'parallel_ceiling',
        model,
        preset,
        engine: one.engine,
        shape: [batch, ...one.shape.slice(1)],
        metric: 'clips_per_second',
        value: total,
        repeats,
        samplesMs: each.flatMap((m) => m!.samplesMs),
        ...(one.numParameters !== undefined ? { numParameters: one.numParameters } : {}),
        threads: workers,
        note: `${workers} independent processes started together, each the one-thread step on ${share} clips, timing the same interval with no gradient exchange: their summed clips/s is the most train.workers ${workers} can reach at batch ${batch} on this machine. Each ran at ${relativeSpeed.toFixed(2)}× the speed of one such process alone (${one.value.toFixed(2)} clips/s); samplesMs: the processes' repeats in turn`,
      });
      report(
        `bench perf: ${label}: ${total.toFixed(2)} clips/s together, ${one.value.toFixed(2)} alone (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
      );
    } catch (error) {
      recordFailure(label, error);
    }
  };

  const batchesOf = (preset: string): readonly number[] =>
    preset === 'paper' ? config.paperBatches : config.batches;
  const repeatsOf = (preset: string): number => (preset === 'paper' ? config.paperRepeats : config.repeats);
  const skipped: string[] = [];
  for (const model of config.models) {
    for (const preset of config.presets) {
      const repeats = repeatsOf(preset);
      for (const engine of config.engines) {
        if (engine === 'cpu' && preset === 'paper') {
          skipped.push(`${model}/paper on tfjs-cpu (about 10× slower than tfjs-wasm: minutes per step)`);
          continue;
        }
        for (const workers of engine === 'wasm' ? config.trainWorkers : [1]) {
          const batches = batchesOf(preset).filter((b) => b >= workers);
          if (batches.length === 0) continue;
          await attempt(
            `${model}/${preset} train step on tfjs-${engine}${workers > 1 ? ` with train.workers ${workers}` : ''}, batch ${batches.join(' and ')}`,
            {
              kind: 'train_step',
              model,
              preset,
              engine,
              batches,
              repeats,
              profile: engine === 'wasm' && workers === 1 && preset !== 'paper',
              warmups: warmupsOf(preset),
              ...(workers > 1 ? { workers } : {}),
            },
            repeats,
          );
          if (engine === 'wasm' && workers > 1 && preset !== 'paper') {
            await attemptCeiling(model, preset, workers, Math.max(...batches));
          }
        }
      }
      await attempt(
        `${model}/${preset} inference`,
        { kind: 'inference', model, preset, repeats, warmups: warmupsOf(preset) },
        repeats,
      );
    }
  }
  const [synthH, synthW] = QUICK_DATA.size;
  const synthFrames = 16;
  await attempt(
    `synthetic generation ${synthFrames} × ${synthH} × ${synthW}`,
    {
      kind: 'synthetic_generation',
      size: [synthH, synthW],
      frames: synthFrames,
      clips: config.syntheticClips,
    },
    config.syntheticClips,
  );
  if (config.faceVideo !== undefined && config.faceVideo !== false) {
    await attempt(
      `face analysis of ${config.faceVideo.split('/').pop()} (decode, detect, analyzeVideo prior / fer)`,
      { kind: 'face_analysis', video: config.faceVideo, repeats: config.repeats },
      config.repeats,
    );
  }

  let pytorchUnavailable: string | undefined;
  const pytorchVersions = new Set<string>();
  if (config.python === false) {
    pytorchUnavailable = 'not run (--no-pytorch)';
  } else {
    const why = await (options.checkPytorch ?? checkPytorch)(config.python);
    if (why !== undefined) {
      pytorchUnavailable = `${config.python} cannot import torch (${why})`;
    } else {
      for (const preset of config.presets) {
        for (const model of config.models) {
          for (const threads of config.trainWorkers) {
            const batches = batchesOf(preset).filter((b) => b >= threads);
            if (batches.length === 0) continue;
            const t0 = performance.now();
            const label = `${model}/${preset} PyTorch CPU (${threads} thread(s))`;
            try {
              const ref: PytorchReference = await runPytorch({
                python: config.python,
                model,
                preset,
                batches,
                repeats: repeatsOf(preset),
                warmups: warmupsOf(preset),
                threads,
              });
              const spec = getModelInfo(model).presets[preset]!.input;
              const shape1 = [1, spec.frames, spec.height, spec.width, spec.channels];
              for (const m of pytorchMeasurements(ref, shape1))
                records.push(toRecord(m, repeatsOf(preset), ref.peakRssMiB));
              pytorchVersions.add(ref.torch);
              report(
                `bench perf: ${label}: ${ref.train
                  .map((t) => `train batch ${t.batch} ${Math.min(...t.msPerStep).toFixed(0)}+ ms/step`)
                  .join(
                    ', ',
                  )}; inference ${Math.min(...ref.inference.msPerClip).toFixed(1)}+ ms (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
              );
            } catch (error) {
              recordFailure(label, error);
            }
          }
        }
      }
    }
  }

  const { targets, refused, untargeted: paperRatios } = computePerfTargets(records);
  for (const line of refused) report(`bench perf: ratio refused: ${line}`);
  for (const t of targets) report(`bench perf: target ${t.name}: ${t.note ?? ''}`);
  const missedProfiles = profilesForMissedTargets(targets, profiles);
  const measuredScopes = new Set(profiles.map((p) => profileScope(p)));

  const versions = collectVersions();
  const environment: Record<string, string> = {
    date: startedAt.toISOString(),
    machine: `${cpus().length} CPU(s), ${cpus()[0]?.model ?? 'unknown'}; load average (1 / 5 / 15 min) at start ${load.map((l) => l.toFixed(2)).join(' / ')}, at end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')}`,
    node: process.version,
    ...Object.fromEntries(Object.entries(versions).filter(([k]) => k.includes('tfjs') || k.includes('onnx'))),
    pytorch:
      pytorchUnavailable ??
      `torch ${[...pytorchVersions].join(', ')} via ${String(config.python)}, ${config.trainWorkers.join(' and ')} thread(s)`,
    threads:
      'tfjs-wasm and tfjs-cpu run on one thread per train.workers (1: the one-thread step; 2: the data-parallel step, two threads of one process); onnxruntime-node with 1 intra-op thread; PyTorch with torch.set_num_threads equal to the train.workers it is compared with (the threads column of each record)',
    timing: `${config.warmups ?? 1} untimed warm-up(s), then ${config.repeats} timed repeat(s) (1 and ${config.paperRepeats} at the paper presets), the same in the PyTorch reference; values from the median; wall clock on a shared machine, so ratios are only meaningful within one run`,
    ...(skipped.length ? { notTimed: skipped.join(' | ') } : {}),
    ...(paperRatios.length ? { paperRatios: paperRatios.join(' | ') } : {}),
    peakMemory:
      'process.resourceUsage().maxRSS of one child process per task (model × preset × engine × train.workers for training; the two-thread process holds both replicas), including Node, tfjs and the wasm heaps; PyTorch: ru_maxrss of its own process per model × preset × threads',
    ...(refused.length ? { refusedRatios: refused.join(' | ') } : {}),
    ...(failed.length ? { failedTasks: failed.map((f) => f.replace(/\s*\n\s*/g, ' ⏎ ')).join(' | ') } : {}),
  };

  const fresh: BenchResults = {
    ...createEmptyResults(startedAt),
    perf: records,
    perfTargets: targets,
    perfProfile: missedProfiles.flatMap((p) => profileLines(p)),
    perfEnvironment: environment,
  };
  const paths = benchOutputPaths(config.outDir);
  mkdirSync(resolve(config.outDir), { recursive: true });
  const previous = existsSync(paths.results) ? readBenchResults(paths.results) : undefined;
  let results: BenchResults = fresh;
  if (previous) {
    const merged = mergeBenchResults([previous, fresh], now()).results;
    // Profile lines: keep those of models not re-measured now, replace the others with this run's.
    const kept = previous.perfProfile.filter(
      (l) => !measuredScopes.has(l.scope) && !measuredScopes.has(l.scope.replace(/, phases$/, '')),
    );
    results = { ...merged, perfProfile: [...kept, ...fresh.perfProfile] };
  }
  writeBenchResults(paths.results, results);
  writeReports(results, paths);
  return {
    paths,
    results,
    perf: records,
    refused,
    failed,
    ...(pytorchUnavailable !== undefined ? { pytorchUnavailable } : {}),
  };
}
