import { z } from 'zod';

/**
 * The bench results file (`results.json`): versioned, one record per run, mergeable. Documented field by
 * field in `docs/bench.md` ("Results format"). A reader refuses a file whose `schemaVersion` it does not
 * know, naming the file and the versions it reads.
 *
 * Versions:
 * - 1: every run is an expression-recognition run (`experiment` any string; `dfer` was the only one written).
 * - 2: `runs` holds two kinds of record, told apart by `experiment`: expression-recognition runs (`dfer`,
 *   `rdfer`; RDFER runs add the optional `noise` and `noisyDetection` sections) and AU-detection runs
 *   (`au_detection`: per-AU F1, mean F1; no expression metrics). Version-1 files are read unchanged (their
 *   runs are expression-recognition runs) and written back as version 2.
 */

/** Version of the bench results format written by this package. */
export const BENCH_RESULTS_SCHEMA_VERSION = 2;

/** Versions this package reads (older ones are a subset of the current one). */
export const BENCH_RESULTS_READABLE_VERSIONS: readonly number[] = [1, 2];

/** `kind` tag of a bench results file (so that a trainer `results.json` is not mistaken for one). */
export const BENCH_RESULTS_KIND = 'dfer-bench-results';

const finite = z.number().refine(Number.isFinite, 'expected a finite number');
const unit = z.number().min(0).max(1);

/** Mean, sample standard deviation (n − 1) and count. */
const meanStdSchema = z.strictObject({
  mean: finite,
  std: z.number().min(0),
  n: z.number().int().min(1),
});

/** Per-epoch record of one fold's training. */
const epochRecordSchema = z.looseObject({
  epoch: z.number().int().min(0),
  trainLoss: z.number(),
  lr: z.number().optional(),
  seconds: z.number().min(0).optional(),
  selection: z.strictObject({ war: unit, uar: unit }).optional(),
});

/**
 * Noisy-sample detection of RDFER clip agreement on one fold's training clips (last epoch), against the true
 * labels the synthetic data knows: a clip is flagged when its partition is `noisy`, truly noisy when its
 * training label differs from its true label (`scoreNoisyDetection` of `@dfer/losses`).
 */
const noisyDetectionSchema = z.strictObject({
  truePositives: z.number().int().min(0),
  falsePositives: z.number().int().min(0),
  falseNegatives: z.number().int().min(0),
  flagged: z.number().int().min(0),
  /** Training clips whose label differs from the true one. */
  noisy: z.number().int().min(0),
  samples: z.number().int().min(1),
  /** TP / (TP + FP); null when nothing was flagged. */
  precision: unit.nullable(),
  /** TP / (TP + FN); null when no clip is noisy. */
  recall: unit.nullable(),
  /** 2·P·R / (P + R); null when P or R is null or both are 0. */
  f1: unit.nullable(),
});

/** Test scores of one fold. */
const foldMetricsSchema = z.strictObject({
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
  /** RDFER runs with clip agreement (schema 2): noisy-sample detection on this fold's training clips. */
  noisyDetection: noisyDetectionSchema.optional(),
});

/** Label noise injected into the training labels of an RDFER run (schema 2). */
const labelNoiseSchema = z.strictObject({
  /** Nominal symmetric noise rate p: round(p · N) clips of the whole synthetic set get a wrong label. */
  rate: unit,
  /** `uniform`: the wrong label is uniform over the other classes (symmetric noise). */
  pattern: z.string().min(1),
  /** Where the noisy labels are used: `train` (training and validation clips; the test clips keep their true labels). */
  appliedTo: z.literal('train'),
});

/** One expression-recognition run of the matrix: one model × method × seed (all folds of its protocol). */
const classificationRunRecordSchema = z.strictObject({
  /**
   * Unique key of the run: `<profile>/<dataset>/<model>/<method>/seed-<seed>` (RDFER:
   * `<profile>/<dataset>/<model>/<arm>/noise-<percent>/seed-<seed>`); merging and resuming key on it.
   */
  id: z.string().min(1),
  profile: z.string().min(1),
  /** Data source name and a one-line description. */
  dataset: z.string().min(1),
  model: z.string().min(1),
  preset: z.string().min(1),
  /** Training method (DFER matrix) or arm (RDFER: `ce`, `clip_agreement`). */
  method: z.string().min(1),
  seed: z.number().int().min(0),
  /** Which experiment of the issue this run belongs to. */
  experiment: z.enum(['dfer', 'rdfer']),
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
    /** RDFER with clip agreement (schema 2): noisy-detection precision / recall / F1 over folds (null when undefined in every fold). */
    noisyDetection: z
      .strictObject({
        precision: meanStdSchema.nullable(),
        recall: meanStdSchema.nullable(),
        f1: meanStdSchema.nullable(),
      })
      .optional(),
  }),
  folds: z.array(foldMetricsSchema).min(1),
  numParameters: z.number().int().min(0),
  startedAt: z.iso.datetime(),
  durationSeconds: z.number().min(0),
  /** RDFER runs (schema 2): the label noise of the training labels (rate 0 included). */
  noise: labelNoiseSchema.optional(),
});

/** AU-detection scores of one trainer run (one seed × fold) of an AU-detection record (schema 2). */
const auFoldMetricsSchema = z.strictObject({
  fold: z.number().int().min(1),
  seed: z.number().int().min(0),
  /** Average F1: mean of the per-AU F1 that are defined, at the fixed threshold. */
  meanF1: unit,
  /** Per-AU F1 = 2·TP / (2·TP + FP + FN) at the fixed threshold; null when the AU has no positive target and no positive prediction. */
  f1: z.array(unit.nullable()),
  precision: z.array(unit.nullable()),
  recall: z.array(unit.nullable()),
  /** Positive test targets per AU (frames or clips, see `level`). */
  support: z.array(z.number().int().min(0)),
  /** Per-AU thresholds tuned on validation and the test scores at them (reported apart from the fixed threshold). */
  tuned: z
    .strictObject({
      thresholds: z.array(unit),
      meanF1: unit,
      f1: z.array(unit.nullable()),
    })
    .optional(),
  /** Mean training loss per epoch. */
  epochLosses: z.array(z.number()),
});

/** One AU-detection run of the bench (schema 2): one arm × seed of the AU-MTL comparison. */
const auDetectionRunRecordSchema = z.strictObject({
  /** `<profile>/<dataset>/<model>/<arm>/seed-<seed>`. */
  id: z.string().min(1),
  profile: z.string().min(1),
  dataset: z.string().min(1),
  model: z.string().min(1),
  preset: z.string().min(1),
  /** The arm (shipped config name, e.g. `au_mtl_joint_gate_smooth`). */
  method: z.string().min(1),
  seed: z.number().int().min(0),
  experiment: z.literal('au_detection'),
  /** What the arm is: AU-only or joint with FER, attention gate or not, smooth class weights or plain BCE. */
  arm: z.strictObject({
    task: z.enum(['au', 'joint']),
    gate: z.boolean(),
    weighting: z.enum(['none', 'smooth']),
  }),
  /** The validated AU-detection config of the run. */
  config: z.record(z.string(), z.unknown()),
  engine: z.strictObject({ backend: z.string().min(1), reason: z.string() }),
  versions: z.record(z.string(), z.string()),
  auNames: z.array(z.string().min(1)).min(1),
  /** `frame` or `clip`: the level the AU loss and F1 are computed at. */
  level: z.enum(['frame', 'clip']),
  /** Fixed decision threshold of `meanF1` / `f1`. */
  threshold: unit,
  summary: z.strictObject({
    meanF1: meanStdSchema,
    f1: z.array(meanStdSchema.nullable()),
    /** The same at per-AU thresholds tuned on validation (when the config tunes them). */
    tunedMeanF1: meanStdSchema.optional(),
  }),
  folds: z.array(auFoldMetricsSchema).min(1),
  startedAt: z.iso.datetime(),
  durationSeconds: z.number().min(0),
});

/** One run of the results file: an expression-recognition run or an AU-detection run, by `experiment`. */
export const runRecordSchema = z.discriminatedUnion('experiment', [
  classificationRunRecordSchema,
  auDetectionRunRecordSchema,
]);

/** One timing of `bench perf`. */
export const perfRecordSchema = z.strictObject({
  /** What was timed: `train_step`, `inference`, `synthetic_generation`, `face_analysis`, `parallel_ceiling` (N one-thread processes at once). */
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

/**
 * What a profile of `bench run` was (optional, schema 2): its one-line description and its settings as
 * written in the profile (`describeProfileForResults`), so that a report can say what was run. Files without
 * it stay readable; the report then says the description was not recorded.
 */
export const profileRecordSchema = z.strictObject({
  description: z.string(),
  /**
   * The profile's settings (`ProfileConfig` less `name` and `description`: models, preset, methods, seeds,
   * data node, protocol, training, engine, and the RDFER and AU-detection blocks when present).
   */
  settings: z.record(z.string(), z.unknown()),
});

/** The whole file. */
export const benchResultsSchema = z.strictObject({
  kind: z.literal(BENCH_RESULTS_KIND),
  /** Files of version 1 are read as version 2 (their runs are expression-recognition runs). */
  schemaVersion: z.union([z.literal(1), z.literal(2)]).transform((): 2 => BENCH_RESULTS_SCHEMA_VERSION),
  createdAt: z.iso.datetime(),
  /** Set on files made only for tests or docs: the dashboard then shows a banner saying so. */
  fixture: z.boolean().optional(),
  runs: z.array(runRecordSchema),
  /** Profiles whose runs the file holds, by profile name (optional; see `profileRecordSchema`). */
  profiles: z.record(z.string().min(1), profileRecordSchema).optional(),
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
export type ClassificationRunRecord = z.output<typeof classificationRunRecordSchema>;
export type AuDetectionRunRecord = z.output<typeof auDetectionRunRecordSchema>;
export type AuFoldMetrics = z.output<typeof auFoldMetricsSchema>;
export type NoisyDetectionRecord = z.output<typeof noisyDetectionSchema>;
export type LabelNoiseRecord = z.output<typeof labelNoiseSchema>;
export type ProfileRecord = z.output<typeof profileRecordSchema>;

/** Whether a run is an expression-recognition run (`dfer`, `rdfer`) rather than an AU-detection run. */
export function isClassificationRun(run: RunRecord): run is ClassificationRunRecord {
  return run.experiment !== 'au_detection';
}
export type PerfRecord = z.output<typeof perfRecordSchema>;
export type PerfTarget = z.output<typeof perfTargetSchema>;
export type BenchResults = z.output<typeof benchResultsSchema>;
