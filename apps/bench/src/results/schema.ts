import { z } from 'zod';

/**
 * The bench results file (`results.json`): versioned, one record per run, mergeable. Documented field by
 * field in `docs/bench.md` ("Results format"). A reader refuses a file whose `schemaVersion` it does not
 * know, naming the file and the version it expected.
 */

/** Version of the bench results format written by this package. */
export const BENCH_RESULTS_SCHEMA_VERSION = 1;

/** `kind` tag of a bench results file (so that a trainer `results.json` is not mistaken for one). */
export const BENCH_RESULTS_KIND = 'dfer-bench-results';

const finite = z.number().refine(Number.isFinite, 'expected a finite number');
const unit = z.number().min(0).max(1);

/** Mean, sample standard deviation (n − 1) and count. */
export const meanStdSchema = z.strictObject({
  mean: finite,
  std: z.number().min(0),
  n: z.number().int().min(1),
});

/** Per-epoch record of one fold's training. */
export const epochRecordSchema = z.looseObject({
  epoch: z.number().int().min(0),
  trainLoss: z.number(),
  lr: z.number().optional(),
  seconds: z.number().min(0).optional(),
  selection: z.strictObject({ war: unit, uar: unit }).optional(),
});

/** Test scores of one fold. */
export const foldMetricsSchema = z.strictObject({
  fold: z.number().int().min(1),
  war: unit,
  uar: unit,
  macroF1: unit,
  recall: z.array(unit.nullable()),
  support: z.array(z.number().int().min(0)),
  /** `confusion[t][p]`: test clips of true class t predicted as p. */
  confusion: z.array(z.array(z.number().int().min(0))),
  selectedEpoch: z.number().int().min(0),
  trainSeconds: z.number().min(0),
  history: z.array(epochRecordSchema),
});

/** One run of the matrix: one model × method × seed (all folds of its protocol). */
export const runRecordSchema = z.strictObject({
  /** Unique key of the run: `<profile>/<dataset>/<model>/<method>/seed-<seed>`; merging keys on it. */
  id: z.string().min(1),
  profile: z.string().min(1),
  /** Data source name and a one-line description. */
  dataset: z.string().min(1),
  model: z.string().min(1),
  preset: z.string().min(1),
  method: z.string().min(1),
  seed: z.number().int().min(0),
  /** Which experiment of the issue this run belongs to (`dfer`, `rdfer`, `au_detection`). */
  experiment: z.string().min(1),
  /** The validated trainer config of the run. */
  config: z.record(z.string(), z.unknown()),
  engine: z.strictObject({ backend: z.string().min(1), reason: z.string() }),
  /** Versions of Node, the @dfer packages and tfjs at run time. */
  versions: z.record(z.string(), z.string()),
  /** How the reported checkpoint was chosen (`validation`, `last` or `test`). */
  selection: z.enum(['validation', 'last', 'test']),
  classNames: z.array(z.string().min(1)).min(2),
  summary: z.strictObject({
    war: meanStdSchema,
    uar: meanStdSchema,
    macroF1: meanStdSchema,
    recall: z.array(meanStdSchema.nullable()),
  }),
  folds: z.array(foldMetricsSchema).min(1),
  numParameters: z.number().int().min(0),
  startedAt: z.iso.datetime(),
  durationSeconds: z.number().min(0),
});

/** One timing of `bench perf`. */
export const perfRecordSchema = z.strictObject({
  /** What was timed: `train_step`, `inference`, `synthetic_generation`. */
  task: z.string().min(1),
  model: z.string().optional(),
  preset: z.string().optional(),
  /** Engine or runtime: `wasm`, `cpu`, `onnxruntime`, `tfjs-wasm`, `pytorch-cpu`, … */
  engine: z.string().min(1),
  /** Input shape `[N, T, H, W, C]` (clips) or `[H, W]` (generation). */
  shape: z.array(z.number().int().min(1)).optional(),
  /** Throughput (`unit` per second) or latency in ms, see `metric`. */
  metric: z.enum(['clips_per_second', 'latency_ms', 'frames_per_second']),
  value: finite,
  /** Peak resident set size of the process during the timing, in MiB. */
  peakRssMiB: z.number().min(0).optional(),
  repeats: z.number().int().min(1),
  /** Every timed repeat in ms (per step, per clip or per generated clip); `value` comes from their median. */
  samplesMs: z.array(z.number().min(0)).optional(),
  /** Trainable parameters of the timed model (tfjs `numParameters()`, PyTorch `numel` sum). */
  numParameters: z.number().int().min(0).optional(),
  /** Threads the engine was allowed (tfjs-wasm and tfjs-cpu are single-threaded here; onnxruntime and PyTorch set to this). */
  threads: z.number().int().min(1).optional(),
  note: z.string().optional(),
});

/** A comparison of one of our timings against a reference (PyTorch CPU) with the target. */
export const perfTargetSchema = z.strictObject({
  name: z.string().min(1),
  ours: z.string().min(1),
  reference: z.string().min(1),
  /**
   * ours ÷ reference, in time per item (lower is better). For a memory target: peak MiB ÷ the limit in MiB
   * (target 1).
   */
  ratio: finite,
  target: finite,
  met: z.boolean(),
  note: z.string().optional(),
});

/** The whole file. */
export const benchResultsSchema = z.strictObject({
  kind: z.literal(BENCH_RESULTS_KIND),
  schemaVersion: z.literal(BENCH_RESULTS_SCHEMA_VERSION),
  createdAt: z.iso.datetime(),
  /** Set on files made only for tests or docs: the dashboard then shows a banner saying so. */
  fixture: z.boolean().optional(),
  runs: z.array(runRecordSchema),
  perf: z.array(perfRecordSchema).default([]),
  perfTargets: z.array(perfTargetSchema).default([]),
  /** Kernel profile lines of a missed performance target (`kernel`, total ms, share). */
  perfProfile: z
    .array(z.strictObject({ scope: z.string(), kernel: z.string(), ms: z.number().min(0), share: unit }))
    .default([]),
  perfEnvironment: z.record(z.string(), z.string()).optional(),
});

export type MeanStdValue = z.output<typeof meanStdSchema>;
export type EpochHistoryRecord = z.output<typeof epochRecordSchema>;
export type FoldMetrics = z.output<typeof foldMetricsSchema>;
export type RunRecord = z.output<typeof runRecordSchema>;
export type PerfRecord = z.output<typeof perfRecordSchema>;
export type PerfTarget = z.output<typeof perfTargetSchema>;
export type BenchResults = z.output<typeof benchResultsSchema>;
