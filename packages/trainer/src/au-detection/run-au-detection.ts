/**
 * The AU-detection experiment (reference/au-detection.md): multi-label AU detection, alone or trained
 * jointly with expression recognition (FER as the auxiliary task), with the class-weighted AU losses of
 * `@dfer/losses` whose weights come from the AU base rates of the training split, frame-level per-AU F1
 * at 0.5 and optional per-AU thresholds tuned on a validation split (reported separately), over seeds.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { auBaseRates } from '@dfer/au-knowledge';
import { createModel, getInputSpec, type VideoModel } from '@dfer/backbones';
import { createClipLoader, type ClipDataset, type FrameSampler } from '@dfer/datasets';
import { defaultSampler } from '../experiment/experiment-model';
import { createLoss, type Loss, type LossConfig, type LossContext } from '@dfer/losses';
import { z } from 'zod';

import { auDetectionReport, type AuDetectionReport } from '../metrics/au';
import { atomicWriteFile } from '../io/atomic-write';
import { FoldRunner, type StepInfo } from '../loop/fold-runner';
import { runTrainStepWithHeapGuard } from '../experiment/memory-check';
import {
  createOptimizer,
  trainableParameters,
  type NamedVariable,
  type OptimizerConfig,
} from '../optim/optimizers';
import { createDataParallelTrainer } from '../parallel/data-parallel';
import type { ScheduleConfig } from '../optim/schedules';
import { buildAuDetectionData, type AuDetectionData, type AuDetectionDataNode } from './au-data';
import { summariseAuReports, tuneAuThresholds, type AuReportSummary } from './au-metrics';
import { auOutputs, auStepGradients, batchTargets, hasFrames, type AuStepLosses } from './au-step';

/** `au`: AU detection alone (single-task); `joint`: AU detection + the auxiliary FER loss. */
export type AuDetectionTask = 'au' | 'joint';

/** A validated AU-detection experiment config. */
export interface AuDetectionExperimentConfig {
  readonly name: string;
  /** Seeds (weights, data, loader); one run per seed and fold. Default `[0]`. */
  readonly seeds: readonly number[];
  /** 1-based folds to run. Default `[1]`. */
  readonly folds: readonly number[];
  readonly data: AuDetectionDataNode;
  /** A registered model with an AU head; frame-level AU logits are used when it has `forwardWithFrames`. */
  readonly model: { readonly type: string; readonly preset: string };
  readonly task: AuDetectionTask;
  /**
   * `au`: an AU loss of the losses registry (`au_weighted_bce`, `au_weighted_asymmetric`, `au_dice`) whose
   * `classWeights` (`none`, `jaa`, `power`, `log`, `effective-number`, `pos-weight`) are computed from the
   * training split's frame base rates. `fer`: the expression loss of the joint task (default cross-entropy),
   * weighted by `ferWeight` (default 1): L = L_AU + ferWeight · L_FER.
   */
  readonly loss: { readonly au: LossConfig; readonly fer?: LossConfig; readonly ferWeight: number };
  readonly optim: OptimizerConfig & { readonly lr: number };
  readonly schedule: ScheduleConfig;
  readonly epochs: number;
  readonly batchSize: number;
  /**
   * Threads of data-parallel training (default 1; `train.workers` of the expression experiments, same
   * scheme: batch split, gradients averaged through shared memory, one update).
   */
  readonly workers: number;
  readonly clipGradNorm?: number;
  /** Decision threshold of the main report (default 0.5) and whether to tune per-AU thresholds on validation. */
  readonly evaluation: { readonly threshold: number; readonly tuneThresholds: boolean };
}

/** One run (seed × fold). */
export interface AuDetectionRunResult {
  readonly seed: number;
  readonly fold: number;
  readonly description: string;
  /** Frame base rates r_i of the training split. */
  readonly baseRates: readonly number[];
  /** The AU loss config with every default filled in, and what it derived (notes). */
  readonly auLoss: { readonly config: Readonly<LossConfig>; readonly notes: readonly string[] };
  /** Mean training loss per epoch. */
  readonly epochLosses: readonly number[];
  /** Test report at `evaluation.threshold` (frame level when the model gives frame AU logits). */
  readonly test: AuDetectionReport;
  /** Per-AU thresholds tuned on validation and the test report at them (only with `tuneThresholds`). */
  readonly tuned?: { readonly thresholds: readonly number[]; readonly test: AuDetectionReport };
  /** `frame` or `clip`: the level the AU loss and the F1 were computed at. */
  readonly level: 'frame' | 'clip';
  /** Training wall time, s (summed over the resumed parts of a run). */
  readonly trainSeconds: number;
}

/** Result of {@link runAuDetectionExperiment}. */
export interface AuDetectionExperimentResult {
  readonly name: string;
  readonly config: AuDetectionExperimentConfig;
  readonly auNames: readonly string[];
  readonly runs: readonly AuDetectionRunResult[];
  /** Mean ± std over runs of the average and per-AU F1 / P / R at the fixed threshold. */
  readonly summary: AuReportSummary;
  /** The same at the tuned thresholds (only with `tuneThresholds`), kept apart from `summary`. */
  readonly tunedSummary?: AuReportSummary;
}

/** Per-call options of {@link runAuDetectionExperiment}. */
export interface RunAuDetectionOptions {
  /** Folder relative data paths are resolved against (default: the working directory). */
  readonly dataDir?: string;
  /**
   * Where each run's log, checkpoints and result go (`<outputDir>/seed-<s>/fold-<f>/`, as a fold of
   * `runExperiment`) and the experiment's `results.json`; none: nothing is written.
   */
  readonly outputDir?: string;
  /** Continue each run from its latest checkpoint in `outputDir` (finished runs are not repeated). */
  readonly resume?: boolean;
  /** Progress lines (default: to stderr). */
  readonly report?: (line: string) => void;
  /** Called after each optimizer step (progress bars); `fold` is the run's fold. */
  readonly onStep?: (info: StepInfo) => void;
  /** Called after each epoch (after its checkpoint is written); `epoch` is 1-based. */
  readonly onEpoch?: (info: { seed: number; fold: number; epoch: number; loss: number }) => void;
}

/** Options of the `synthetic_au` data node besides `type` and `labelFile` (`SyntheticAuDataNode`). */
const SYNTHETIC_AU_OPTION_KEYS = [
  'seed',
  'folds',
  'validationFraction',
  'numClips',
  'numIdentities',
  'size',
  'numFrames',
  'fps',
  'speechRate',
  'blinkRate',
  'occlusionRate',
  'nuisance',
  'expressionPrior',
  'expressionThreshold',
] as const;

const lossNode = z.looseObject({ type: z.string().min(1) });
const schema = z.strictObject({
  name: z.string().min(1),
  seeds: z.array(z.int()).min(1).default([0]),
  folds: z.array(z.int().min(1)).min(1).default([1]),
  data: z.union([
    // Every option of the synthetic AU generator is checked by it; here only their names (a misspelt key is an
    // error, not a default).
    z.strictObject({
      type: z.literal('synthetic_au'),
      labelFile: z.string().min(1),
      ...Object.fromEntries(SYNTHETIC_AU_OPTION_KEYS.map((key) => [key, z.unknown().optional()])),
    }),
    z.strictObject({
      type: z.literal('bp4d'),
      parts: z.array(z.strictObject({ labels: z.string().min(1), paths: z.string().min(1) })).min(2),
      frameRoot: z.string().min(1),
      clipLength: z.int().min(1).optional(),
      validationFraction: z.number().min(0).lt(1).optional(),
    }),
  ]),
  model: z.strictObject({
    type: z.string().min(1).default('au_mtl'),
    preset: z.string().min(1).default('tiny'),
  }),
  task: z.enum(['au', 'joint']),
  loss: z.strictObject({
    au: lossNode,
    fer: lossNode.optional(),
    ferWeight: z.number().min(0).default(1),
  }),
  optim: z.looseObject({ type: z.enum(['adamw', 'sgd']), lr: z.number().positive() }),
  schedule: z.looseObject({ type: z.enum(['cosine', 'step', 'constant']) }).default({ type: 'constant' }),
  epochs: z.int().min(1),
  batchSize: z.int().min(1),
  workers: z.int().min(1).default(1),
  clipGradNorm: z.number().positive().optional(),
  evaluation: z
    .strictObject({
      threshold: z.number().gt(0).lt(1).default(0.5),
      tuneThresholds: z.boolean().default(false),
    })
    .default({ threshold: 0.5, tuneThresholds: false }),
});

/**
 * Validates an AU-detection config and fills its defaults (the caller's object is not changed).
 * @throws Error listing every bad field as `path: message`.
 */
export function validateAuDetectionConfig(input: unknown): AuDetectionExperimentConfig {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`invalid AU-detection config:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data as unknown as AuDetectionExperimentConfig;
}

async function predict(
  model: VideoModel,
  dataset: ClipDataset,
  indices: readonly number[],
  level: 'frame' | 'clip',
  sampler: FrameSampler,
  size: readonly [number, number],
  batchSize: number,
): Promise<{ probabilities: Float32Array; targets: Uint8Array }> {
  model.eval();
  const loader = createClipLoader({
    dataset,
    sampler,
    mode: 'test',
    batchSize,
    size,
    indices,
    ...(level === 'clip' ? { clipAuTargets: {} } : {}),
  });
  const probs: Float32Array[] = [];
  const targets: Uint8Array[] = [];
  for await (const batch of loader.epoch(0)) {
    const x = tf.tensor(batch.frames, [...batch.shape]);
    const p = tf.tidy(() => {
      const { out, auLogits } = auOutputs(model, x);
      void out;
      return tf.sigmoid(auLogits);
    });
    probs.push(p.dataSync() as Float32Array);
    targets.push(batchTargets(level, batch));
    tf.dispose([x, p]);
  }
  const join = <T extends Float32Array | Uint8Array>(parts: T[], make: (n: number) => T): T => {
    const out = make(parts.reduce((n, q) => n + q.length, 0));
    let o = 0;
    for (const q of parts) {
      out.set(q, o);
      o += q.length;
    }
    return out;
  };
  return {
    probabilities: join(probs, (n) => new Float32Array(n)),
    targets: join(targets, (n) => new Uint8Array(n)),
  };
}

async function runOne(
  config: AuDetectionExperimentConfig,
  seed: number,
  fold: number,
  options: RunAuDetectionOptions,
): Promise<AuDetectionRunResult> {
  const label = `seed ${seed} fold ${fold}`;
  const runner = new FoldRunner<AuDetectionRunResult>({
    label,
    logFields: { seed, fold },
    ...(options.outputDir ? { dir: join(resolve(options.outputDir), `seed-${seed}`, `fold-${fold}`) } : {}),
    resume: options.resume ?? false,
    report: options.report ?? ((line: string) => process.stderr.write(`${line}\n`)),
  });
  const finished = runner.finishedResult();
  if (finished) return finished;
  const data: AuDetectionData = buildAuDetectionData(config.data, {
    seed,
    fold: fold - 1,
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
  });
  const { dataset, auNames } = data;
  if (config.evaluation.tuneThresholds && data.validation.length === 0) {
    throw new Error('evaluation.tuneThresholds needs a validation split: set data.validationFraction > 0');
  }
  const A = auNames.length;
  const spec = getInputSpec(config.model.type, config.model.preset);
  const size: [number, number] = [spec.height, spec.width];
  const sampler = defaultSampler(config.model.type, spec.frames);
  const modelOptions = {
    preset: config.model.preset,
    numClasses: dataset.labelNames.length,
    auHead: A,
    seed,
  };
  const model = createModel(config.model.type, modelOptions);
  const level: 'frame' | 'clip' = hasFrames(model) ? 'frame' : 'clip';
  const rates = auBaseRates({ data: data.trainFrameAus, numAus: A });
  const absent = auNames.filter((_, j) => rates.rates[j] === 0);
  if (
    absent.length > 0 &&
    config.loss.au.classWeights !== undefined &&
    config.loss.au.classWeights !== 'none'
  ) {
    throw new Error(
      `${data.description}: AU(s) ${absent.join(', ')} never occur in the ${data.trainFrameAus.length / A} training frames, so class weights from base rates are undefined; use more clips (data.numClips) or classWeights 'none'`,
    );
  }
  const auLossContext: LossContext = {
    aus: auNames,
    auBaseRates: rates,
    training: { auTargets: { data: data.trainFrameAus, numAus: A } },
  };
  const auLoss: Loss = createLoss(config.loss.au, auLossContext);
  const ferLossConfig: LossConfig = config.loss.fer ?? { type: 'cross_entropy' };
  const ferLossContext: LossContext = { labels: dataset.labelNames };
  const ferLoss: Loss | undefined =
    config.task === 'joint' && config.loss.ferWeight > 0
      ? createLoss(ferLossConfig, ferLossContext)
      : undefined;
  const params: NamedVariable[] = trainableParameters(model);
  const { lr: baseLr, ...optimConfig } = config.optim;
  const optimizer = createOptimizer(params, optimConfig as OptimizerConfig);
  const stepLosses: AuStepLosses = {
    auLoss,
    ...(ferLoss ? { ferLoss } : {}),
    ferWeight: config.loss.ferWeight,
    numAus: A,
  };
  try {
    let outcome;
    try {
      outcome = await runner.train(
        {
          model,
          optimizer,
          params,
          loader: createClipLoader({
            dataset,
            sampler,
            mode: 'train',
            batchSize: config.batchSize,
            seed,
            size,
            indices: data.train,
            prefetch: 1,
            ...(level === 'clip' ? { clipAuTargets: {} } : {}),
          }),
          epochs: config.epochs,
          schedule: config.schedule,
          baseLr,
          ...(config.clipGradNorm !== undefined ? { clipGradNorm: config.clipGradNorm } : {}),
          seed,
          config,
          fold,
          gradients: (batch) => auStepGradients(model, stepLosses, params, batch),
          guardStep: (batchSize, step) =>
            runTrainStepWithHeapGuard(
              { model: config.model, train: { batchSize, workers: config.workers } },
              batchSize,
              step,
            ),
          createParallel: async () =>
            config.workers > 1
              ? createDataParallelTrainer(
                  model,
                  optimizer,
                  params,
                  {
                    workers: config.workers,
                    model: { type: config.model.type, options: modelOptions },
                    objective: {
                      kind: 'au_detection',
                      auLoss: { config: config.loss.au, context: auLossContext },
                      ...(ferLoss ? { ferLoss: { config: ferLossConfig, context: ferLossContext } } : {}),
                      ferWeight: config.loss.ferWeight,
                      numAus: A,
                    },
                  },
                  (shard) => auStepGradients(model, stepLosses, params, shard),
                )
              : undefined,
          start: {
            record: {
              split: data.description,
              train: data.train.length,
              validation: data.validation.length,
              test: data.test.length,
              level,
              lossNotes: auLoss.notes,
            },
            lines: [`${label}: ${data.description} (AU loss at ${level} level)`],
          },
          ...(options.onStep ? { onStep: options.onStep } : {}),
          onEpochEnd: ({ epoch, trainLoss }) =>
            options.onEpoch?.({ seed, fold, epoch: epoch + 1, loss: trainLoss }),
        },
        false,
      );
    } finally {
      optimizer.dispose();
    }
    const epochLosses = outcome.history.map((h) => h.trainLoss);
    const test = await predict(model, dataset, data.test, level, sampler, size, config.batchSize);
    const testReport = auDetectionReport(
      test.probabilities,
      test.targets,
      auNames,
      config.evaluation.threshold,
    );
    let tuned: AuDetectionRunResult['tuned'];
    if (config.evaluation.tuneThresholds) {
      // a validation split exists: checked before training
      const val = await predict(model, dataset, data.validation, level, sampler, size, config.batchSize);
      const thresholds = tuneAuThresholds(val.probabilities, val.targets, auNames);
      tuned = { thresholds, test: auDetectionReport(test.probabilities, test.targets, auNames, thresholds) };
    }
    const result: AuDetectionRunResult = {
      seed,
      fold,
      description: data.description,
      baseRates: Array.from(rates.rates),
      auLoss: { config: auLoss.config, notes: auLoss.notes },
      epochLosses,
      test: testReport,
      ...(tuned ? { tuned } : {}),
      level,
      trainSeconds: outcome.trainSeconds,
    };
    runner.finish(result, {
      test: { meanF1: testReport.meanF1 },
      ...(tuned ? { tuned: { meanF1: tuned.test.meanF1 } } : {}),
    });
    return result;
  } finally {
    model.dispose();
  }
}

/**
 * Runs an AU-detection experiment: for each seed and fold, builds the data (identity-disjoint train /
 * validation / test), the model (`createModel`, AU head of the dataset's AUs, expression head of its
 * labels), the AU loss from the training split's base rates and, for `task: 'joint'`, the FER loss;
 * trains with the trainer's optimizer, schedule and gradient clipping; reports per-AU precision, recall
 * and F1 at the threshold (default 0.5) and their average on the test split, plus — separately — the same
 * at per-AU thresholds tuned on validation when `evaluation.tuneThresholds` is set. Seeded: the same config
 * gives the same numbers.
 *
 * @example
 * const result = await runAuDetectionExperiment(
 *   await loadAuDetectionConfig('au-detection/synthetic-joint-gate-smooth.json'),
 *   { dataDir: '/path/to/shared/data' },
 * );
 * console.log(result.summary.meanF1);
 */
export async function runAuDetectionExperiment(
  input: AuDetectionExperimentConfig | Record<string, unknown>,
  options: RunAuDetectionOptions = {},
): Promise<AuDetectionExperimentResult> {
  const config = validateAuDetectionConfig(input);
  if (options.outputDir) mkdirSync(resolve(options.outputDir), { recursive: true });
  const runs: AuDetectionRunResult[] = [];
  for (const seed of config.seeds) {
    for (const fold of config.folds) runs.push(await runOne(config, seed, fold, options));
  }
  const tunedRuns = runs.filter((r) => r.tuned !== undefined);
  const result: AuDetectionExperimentResult = {
    name: config.name,
    config,
    auNames: runs[0]!.test.auNames,
    runs,
    summary: summariseAuReports(runs.map((r) => r.test)),
    ...(tunedRuns.length > 0
      ? { tunedSummary: summariseAuReports(tunedRuns.map((r) => r.tuned!.test)) }
      : {}),
  };
  if (options.outputDir) {
    atomicWriteFile(join(resolve(options.outputDir), 'results.json'), `${JSON.stringify(result, null, 1)}\n`);
  }
  return result;
}
