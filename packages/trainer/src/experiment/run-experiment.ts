import * as tf from '@tensorflow/tfjs-core';
import {
  createModel,
  listModels,
  loadWeights as loadModelWeights,
  type CreateModelOptions,
  type VideoModel,
} from '@dfer/backbones';
import {
  createClipLoader,
  createRandomSource,
  createTestTransform,
  createTrainTransform,
  deriveSeed,
  multiClip,
  uniform,
  uniformSegments,
  type ClipDataset,
  type ClipBatch,
  type FrameSampler,
} from '@dfer/datasets';
import {
  createLoss,
  createRobustWeighting,
  listLosses,
  listRobustWeightings,
  scoreNoisyDetection,
  type Loss,
  type LossConfig,
  type LossContext,
  type NoisyDetectionScore,
  type RobustWeightingConfig,
} from '@dfer/losses';
import { initEngine, type EngineInfo } from '@dfer/runtime';
import { assertTrainStepFitsWasmHeap, runTrainStepWithHeapGuard } from './memory-check';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { validateConfig, type ExperimentConfig, type ExperimentConfigInput } from '../config/schema';
import {
  assignModelWeights,
  loadLatestCheckpoint,
  loadWeights,
  modelWeights,
  saveCheckpoint,
  saveWeights,
} from '../checkpoint/checkpoint';
import { atomicWriteFile, removeOrphanedTempFiles } from '../io/atomic-write';
import { JsonlLog, truncateLogAfter } from '../io/jsonl-log';
import { auDetectionReport, type AuDetectionReport } from '../metrics/au';
import { argmaxRows, classificationReport, type ClassificationReport } from '../metrics/classification';
import {
  createOptimizer,
  trainableParameters,
  type NamedVariable,
  type Optimizer,
} from '../optim/optimizers';
import { learningRateAt } from '../optim/schedules';
import { createDataParallelTrainer } from '../parallel/data-parallel';
import { holdoutSplit } from '../protocols/splits';
import { datasetSubset } from './dataset-subset';
import { applyStepUpdate, stepGradients, type StepResult, type StepRobust } from './step-gradients';
import { buildData, checkData, listData, listDataOptions, type DataBuildContext } from './data-registry';
import { summariseReports, type MeanStd } from './summary';

/** Version of the results JSON written by {@link runExperiment}. */
export const RESULTS_SCHEMA_VERSION = 1;

/** One epoch of the training history. */
export interface EpochRecord {
  readonly epoch: number;
  readonly lr: number;
  readonly trainLoss: number;
  readonly trainTerms: Readonly<Record<string, number>>;
  readonly steps: number;
  readonly seconds: number;
  /** Metrics of the selection split (validation, or test when selection is `test`) when evaluated. */
  readonly selection?: { readonly war: number; readonly uar: number };
}

/** Scores of one evaluation pass, with per-sample predictions for analysis. */
export interface EvaluationResult {
  readonly report: ClassificationReport;
  readonly au?: AuDetectionReport;
  /** Predicted class per clip, in dataset order. */
  readonly predictions: readonly number[];
  readonly ids: readonly string[];
}

/** The result of one fold. */
export interface FoldResult {
  /** 1-based fold number (1 for the fixed protocol). */
  readonly fold: number;
  readonly split: string;
  readonly counts: {
    readonly train: number;
    readonly validation: number;
    readonly test: number;
    readonly testScored: number;
  };
  /** Epoch (0-based; the summary table and ONNX metadata show it 1-based) of the reported weights, and how it was chosen. */
  readonly selectedEpoch: number;
  readonly selection: ExperimentConfig['evaluation']['selection'];
  readonly validation?: ClassificationReport;
  readonly test: EvaluationResult;
  readonly history: readonly EpochRecord[];
  readonly lossNotes: readonly string[];
  readonly numParameters: number;
  readonly trainSeconds: number;
  /** RDFER clip agreement (when `robust` is configured): the last epoch's analysis of every training clip. */
  readonly robust?: RobustFoldOutput;
}

/** Per-sample outputs of the clip-agreement weighting, for analysis. */
interface RobustFoldOutput {
  readonly clips: number;
  /** Partition counts of the last epoch. */
  readonly counts: {
    readonly easy: number;
    readonly hard: number;
    readonly noisy: number;
    readonly relabelled: number;
  };
  readonly perSample: readonly {
    readonly id: string;
    readonly label: number;
    /** The clean label, when the dataset knows it (synthetic data). */
    readonly trueLabel?: number;
    readonly agreement: number;
    readonly partition: 'easy' | 'hard' | 'noisy';
    readonly weight: number;
  }[];
  /** Noisy-sample detection against the true labels, when every training clip has one. */
  readonly noisyDetection?: NoisyDetectionScore;
}

/** What {@link runExperiment} returns and writes to `results.json`. */
export interface ExperimentResult {
  readonly schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  readonly name: string;
  readonly config: ExperimentConfig;
  readonly engine: { readonly backend: string; readonly reason: string };
  /** `test` means the checkpoint was picked on the test split: not an honest estimate; reports say so. */
  readonly selection: ExperimentConfig['evaluation']['selection'];
  readonly folds: readonly FoldResult[];
  readonly summary: { war: MeanStd; uar: MeanStd; macroF1: MeanStd; recall: (MeanStd | null)[] };
  readonly classNames: readonly string[];
}

/** Per-call options of {@link runExperiment}. */
export interface RunExperimentOptions {
  /** Where logs, checkpoints and results go (default `config.output.dir`; none: nothing is written). */
  readonly outputDir?: string;
  /** Continue from the latest checkpoint in `outputDir` (finished folds are not repeated). */
  readonly resume?: boolean;
  /** Progress lines (default: to stderr). */
  readonly report?: (line: string) => void;
  /** Called after each epoch's checkpoint is written (tests use it to simulate a kill). */
  readonly onEpochEnd?: (info: { fold: number; epoch: number }) => void;
  /** Called after each optimizer step (progress bars). */
  readonly onStep?: (info: StepInfo) => void;
}

/** Progress of one optimizer step. */
export interface StepInfo {
  readonly fold: number;
  readonly epoch: number;
  readonly epochs: number;
  /** Step within the epoch (1-based) and the epoch's step count. */
  readonly step: number;
  readonly steps: number;
  readonly loss: number;
}

/** Default frame sampler of a model: Former-DFER samples 8 segments × 2 frames; others T uniform frames. */
export function defaultSampler(modelType: string, frames: number): FrameSampler {
  if (modelType === 'former_dfer' && frames % 2 === 0) return uniformSegments(frames / 2, 2);
  return uniform(frames);
}

function recordsOf(dataset: ClipDataset): { labels: number[]; subjects: (string | undefined)[] } {
  const labels: number[] = [];
  const subjects: (string | undefined)[] = [];
  for (let i = 0; i < dataset.length; i++) {
    const r = dataset.record(i);
    labels.push(r.label);
    subjects.push(r.subject);
  }
  return { labels, subjects };
}

/**
 * The clip-level AU targets of every clip of `dataset` (majority vote over the frames of test-mode sampling,
 * AU-DFER's "sampled frames" rule), for pos-weights computed from the training split. With `maskMissing`,
 * clips without AU labels are left out; `labels` are the expression labels of the clips kept.
 */
async function trainingAuTargets(
  dataset: ClipDataset,
  sampler: FrameSampler,
  maskMissing = false,
  skipUnreadable = false,
): Promise<{ targets: Uint8Array[]; labels: number[] }> {
  const loader = createClipLoader({
    dataset,
    sampler,
    mode: 'test',
    batchSize: 16,
    size: [8, 8],
    clipAuTargets: maskMissing ? { missing: 'mask' } : {},
    ...(skipUnreadable ? { onError: 'skip' as const } : {}),
  });
  const targets: Uint8Array[] = [];
  const labels: number[] = [];
  for await (const batch of loader.epoch(0)) {
    const all = batch.auTargets!;
    const A = all.length / batch.labels.length;
    for (let b = 0; b < batch.labels.length; b++) {
      if (batch.auMask?.[b] === 0) continue;
      targets.push(all.slice(b * A, (b + 1) * A));
      labels.push(batch.labels[b]!);
    }
  }
  return { targets, labels };
}

/** The clip AU targets of the clips of `dataset` that have them (from the source, nothing decoded). */
function knownAuTargets(
  dataset: ClipDataset,
  targetOf: (id: string) => Uint8Array | undefined,
): { targets: Uint8Array[]; labels: number[] } {
  const targets: Uint8Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < dataset.length; i++) {
    const record = dataset.record(i);
    const target = targetOf(record.id);
    if (target === undefined) continue;
    targets.push(target);
    labels.push(record.label);
  }
  return { targets, labels };
}

/** What a fold's checkpoint records besides weights and optimizer state. */
interface FoldState {
  readonly history: readonly EpochRecord[];
  readonly totalSteps: number;
  readonly trainSeconds: number;
  readonly best?: { score: number; epoch: number; report: ClassificationReport };
  readonly seed: number;
  readonly config: ExperimentConfig;
}

/** What `model.pretrained` loaded (logged at the start of each fold). */
interface PretrainedLoad {
  readonly path: string;
  readonly loaded: number;
  /** The model's tensors that kept their initialisation (under `exclude`). */
  readonly kept: string[];
  /** The file's tensors that were not used (under `exclude`). */
  readonly ignored: string[];
}

/** Loads `model.pretrained` into `model` (strict names and shapes outside `exclude`); undefined without it. */
async function loadPretrained(
  model: VideoModel,
  config: ExperimentConfig,
): Promise<PretrainedLoad | undefined> {
  const p = config.model.pretrained;
  if (p === undefined) return undefined;
  const path = resolve(p.path);
  if (!existsSync(path)) throw new Error(`model.pretrained.path: no file at ${path}`);
  const result = await loadModelWeights(model, path, {
    layout: p.layout,
    exclude: p.exclude,
    ...(p.stripPrefix !== undefined ? { stripPrefix: p.stripPrefix } : {}),
  });
  return { path: p.path, loaded: result.loaded, kept: result.missingKeys, ignored: result.unexpectedKeys };
}

/** The model of an experiment for a dataset (classes and AU head from the dataset's label and AU names). */
export function createExperimentModel(config: ExperimentConfig, dataset: ClipDataset): VideoModel {
  if (config.model.auHead && !dataset.auNames) {
    throw new Error(`model.auHead is true but data "${config.data.type}" has no AU labels`);
  }
  return createModel(config.model.type, experimentModelOptions(config, dataset));
}

/** The `createModel` options of an experiment's model for a dataset. */
function experimentModelOptions(config: ExperimentConfig, dataset: ClipDataset): CreateModelOptions {
  return {
    preset: config.model.preset,
    numClasses: dataset.labelNames.length,
    auHead: config.model.auHead ? dataset.auNames!.length : false,
    seed: config.seed,
    initialization: config.model.initialization,
    gradientCheckpointing: config.model.gradientCheckpointing,
  };
}

interface FoldContext {
  readonly config: ExperimentConfig;
  readonly fold: number;
  readonly folds: number;
  readonly outputDir?: string;
  readonly report: (line: string) => void;
  readonly onEpochEnd?: RunExperimentOptions['onEpochEnd'];
  readonly onStep?: RunExperimentOptions['onStep'];
  readonly resume: boolean;
  /** What the data check before training returned (`DataCheckResult.state`). */
  readonly checked?: unknown;
}

/** Evaluate `model` on every clip of `dataset` (deterministic test-mode sampling; nothing dropped). */
export async function evaluateModel(
  model: VideoModel,
  dataset: ClipDataset,
  options: {
    sampler: FrameSampler;
    batchSize: number;
    seed: number;
    withAus: boolean;
    /** Clips without AU labels are scored for the expression only. */
    maskMissingAus?: boolean;
  },
): Promise<EvaluationResult> {
  model.eval();
  const spec = model.inputSpec;
  const transform = createTestTransform({
    height: spec.height,
    width: spec.width,
    mean: spec.mean,
    std: spec.std,
  });
  const loader = createClipLoader({
    dataset,
    sampler: options.sampler,
    mode: 'test',
    batchSize: options.batchSize,
    seed: options.seed,
    transform,
    ...(options.withAus ? { clipAuTargets: options.maskMissingAus ? { missing: 'mask' as const } : {} } : {}),
  });
  const predictions: number[] = [];
  const trueLabels: number[] = [];
  const ids: string[] = [];
  const auProbs: number[] = [];
  const auTargets: number[] = [];
  for await (const batch of loader.epoch(0)) {
    const { logits, au } = tf.tidy(() => {
      const out = model.forward(tf.tensor(batch.frames, [...batch.shape]));
      return {
        logits: out.logits.dataSync() as Float32Array,
        au: out.auLogits ? (tf.sigmoid(out.auLogits).dataSync() as Float32Array) : undefined,
      };
    });
    predictions.push(...argmaxRows(logits, model.numClasses));
    trueLabels.push(...batch.labels);
    ids.push(...batch.ids);
    if (au && batch.auTargets) {
      const A = batch.auTargets.length / batch.labels.length;
      for (let b = 0; b < batch.labels.length; b++) {
        if (batch.auMask?.[b] === 0) continue;
        auProbs.push(...au.subarray(b * A, (b + 1) * A));
        auTargets.push(...batch.auTargets.subarray(b * A, (b + 1) * A));
      }
    }
  }
  const report = classificationReport(trueLabels, predictions, dataset.labelNames);
  const au =
    options.withAus && dataset.auNames && auProbs.length
      ? auDetectionReport(auProbs, auTargets, dataset.auNames)
      : undefined;
  return { report, ...(au ? { au } : {}), predictions, ids };
}

/**
 * One optimizer step on one thread: {@link stepGradients} on the whole batch, then the update
 * ({@link applyStepUpdate}).
 */
function trainStep(
  model: VideoModel,
  loss: Loss,
  optimizer: Optimizer,
  params: readonly NamedVariable[],
  batch: ClipBatch,
  lr: number,
  clipGradNorm: number | undefined,
  robust?: StepRobust,
): StepResult {
  const g = stepGradients(model, loss, params, batch, robust);
  try {
    applyStepUpdate(optimizer, g.grads, lr, clipGradNorm);
  } finally {
    tf.dispose(Object.values(g.grads));
  }
  return { loss: g.loss, terms: g.terms, ...(g.agreement ? { agreement: g.agreement } : {}) };
}

/**
 * The training and validation sides of a fold's training split: with `evaluation.selection` `validation`,
 * a stratified (identity-disjoint when identities are known) holdout of `validationFraction`, seeded by
 * (seed, fold); otherwise every training clip trains.
 */
export function carveValidation(
  trainSplit: ClipDataset,
  config: ExperimentConfig,
  fold: number,
): { train: ClipDataset; validation?: ClipDataset } {
  if (config.evaluation.selection !== 'validation') return { train: trainSplit };
  const rng = createRandomSource(deriveSeed(config.seed, 101, fold));
  const { labels, subjects } = recordsOf(trainSplit);
  const groups = subjects.every((s) => s !== undefined) ? (subjects as string[]) : undefined;
  const holdout = holdoutSplit({
    fraction: config.evaluation.validationFraction,
    labels,
    ...(groups ? { groups } : {}),
    random: () => rng.next(),
  });
  return {
    train: datasetSubset(trainSplit, holdout.train),
    validation: datasetSubset(trainSplit, holdout.validation),
  };
}

/** The trainable parameters of `model` and the optimizer of `config.optim` over them. */
export function createExperimentOptimizer(
  model: VideoModel,
  config: ExperimentConfig,
): { params: NamedVariable[]; optimizer: Optimizer } {
  const params: NamedVariable[] = trainableParameters(model);
  const optim = config.optim;
  const optimizer = createOptimizer(params, {
    ...optim,
    ...(optim.noDecayBiasAndNorm ? { noDecay: /(bias|norm|bn\d*|running_|pos_embedding|cls_token)/ } : {}),
  });
  return { params, optimizer };
}

async function runFold(ctx: FoldContext): Promise<FoldResult> {
  const { config, fold, folds, report } = ctx;
  const splits = buildData(config.data, {
    seed: config.seed,
    protocol: config.protocol.type,
    fold,
    folds,
    ...(ctx.checked !== undefined ? { checked: ctx.checked } : {}),
  });
  const maskMissingAus = splits.maskMissingAus === true;
  if (maskMissingAus && config.train.workers > 1) {
    throw new Error(
      'train.workers > 1 does not carry the AU mask of clips without AU labels (data.aus.missing "mask"); use train.workers 1',
    );
  }
  const labelNames = splits.train.labelNames;
  const auNames = splits.train.auNames;
  const { train, validation } = carveValidation(splits.train, config, fold);
  const model = createExperimentModel(config, splits.train);
  try {
    assertTrainStepFitsWasmHeap(model, config);
    const spec = model.inputSpec;
    const sampler = defaultSampler(config.model.type, spec.frames);
    const trainTransform = createTrainTransform(
      { height: spec.height, width: spec.width, mean: spec.mean, std: spec.std },
      config.train.augment,
    );
    const { labels: trainLabels } = recordsOf(train);
    const classCounts = labelNames.map((_, c) => trainLabels.filter((l) => l === c).length);
    const trainAus = !config.model.auHead
      ? undefined
      : splits.clipAuTargets
        ? knownAuTargets(train, splits.clipAuTargets)
        : await trainingAuTargets(train, sampler, maskMissingAus, splits.skipBadTrainClips === true);
    const lossContext: LossContext = {
      labels: labelNames,
      ...(auNames ? { aus: auNames } : {}),
      classCounts,
      // pos-weights come from the clips with AU labels (all clips unless some are masked)
      training: trainAus
        ? { exprLabels: trainAus.labels, auTargets: trainAus.targets }
        : { exprLabels: trainLabels },
    };
    const loss = createLoss(config.loss, lossContext);
    const optim = config.optim;
    const { params, optimizer } = createExperimentOptimizer(model, config);
    const foldDir = ctx.outputDir ? join(ctx.outputDir, `fold-${fold + 1}`) : undefined;
    const log = foldDir ? new JsonlLog(join(foldDir, 'log.jsonl')) : undefined;
    let history: EpochRecord[] = [];
    let best: { score: number; epoch: number; report: ClassificationReport } | undefined;
    let bestWeights: ReturnType<typeof modelWeights> | undefined;
    let totalSteps = 0;
    let startEpoch = 0;
    let trainSecondsBefore = 0;
    let resumedNote: string | undefined;
    if (ctx.resume && foldDir) {
      const finished = join(foldDir, 'fold-result.json');
      if (existsSync(finished)) {
        report(`fold ${fold + 1}: already finished (${finished}); not repeated`);
        return JSON.parse(readFileSync(finished, 'utf8')) as FoldResult;
      }
      const checkpoint = loadLatestCheckpoint<FoldState>(foldDir);
      if (checkpoint) {
        assignModelWeights(model, checkpoint.weights, `${foldDir} epoch ${checkpoint.epoch}`);
        optimizer.setState(checkpoint.optimizer);
        history = [...checkpoint.state.history];
        totalSteps = checkpoint.state.totalSteps;
        trainSecondsBefore = checkpoint.state.trainSeconds;
        if (checkpoint.state.best) {
          best = checkpoint.state.best;
          bestWeights = loadWeights(join(foldDir, 'best.safetensors')).weights;
        }
        startEpoch = checkpoint.epoch + 1;
        resumedNote = `fold ${fold + 1}: resumed after epoch ${checkpoint.epoch + 1} (${totalSteps} steps done)`;
      }
      // The work after the checkpoint is redone: drop its log records and the temporary files of writes it left.
      truncateLogAfter(join(foldDir, 'log.jsonl'), { epoch: startEpoch - 1, step: totalSteps });
      removeOrphanedTempFiles(foldDir);
    }
    // A resumed fold takes its weights from the checkpoint, so the pre-trained file is not read again.
    const pretrained = resumedNote === undefined ? await loadPretrained(model, config) : undefined;
    log?.write({
      event: 'fold_start',
      fold: fold + 1,
      split: splits.description,
      train: train.length,
      validation: validation?.length ?? 0,
      test: splits.test.length,
      lossNotes: loss.notes,
      ...(pretrained ? { pretrained } : {}),
    });
    if (pretrained) {
      report(
        `fold ${fold + 1}: model.pretrained: ${pretrained.loaded} tensors from ${pretrained.path}; ` +
          `initialisation kept for ${pretrained.kept.length} (${pretrained.kept.join(', ') || 'none'}); ` +
          `${pretrained.ignored.length} of the file's tensors not used (${pretrained.ignored.join(', ') || 'none'})`,
      );
    }
    report(
      `fold ${fold + 1}: ${splits.description}; ${train.length} train, ${validation?.length ?? 0} validation, ${splits.test.length} test`,
    );
    if (resumedNote !== undefined) {
      report(
        resumedNote +
          (config.model.pretrained
            ? '; model.pretrained not read again (the checkpoint holds the weights)'
            : ''),
      );
    }
    const started = Date.now();
    const { epochs, batchSize } = config.train;
    const robust = config.robust
      ? createRobustWeighting(config.robust as unknown as RobustWeightingConfig)
      : undefined;
    const trainSampler = robust
      ? spec.frames % 2 === 0
        ? multiClip(robust.clips, { numSegments: spec.frames / 2, framesPerSegment: 2 })
        : multiClip(robust.clips, { numSegments: spec.frames, framesPerSegment: 1 })
      : sampler;
    const lastAnalysis = new Map<
      number,
      {
        id: string;
        label: number;
        trueLabel?: number;
        agreement: number;
        partition: number;
        weight: number;
        relabelled: boolean;
      }
    >();
    const parallel =
      config.train.workers > 1
        ? await createDataParallelTrainer(
            model,
            optimizer,
            params,
            {
              workers: config.train.workers,
              model: { type: config.model.type, options: experimentModelOptions(config, splits.train) },
              objective: {
                kind: 'expression',
                loss: { config: config.loss as LossConfig, context: lossContext },
                ...(config.robust ? { robust: config.robust as unknown as RobustWeightingConfig } : {}),
              },
            },
            (shard, epoch) =>
              stepGradients(
                model,
                loss,
                params,
                shard,
                robust ? { weighting: robust, epoch: epoch ?? 0 } : undefined,
              ),
          )
        : undefined;
    if (parallel) report(`fold ${fold + 1}: data-parallel training on ${parallel.workers} threads`);
    try {
      const trainLoader = createClipLoader({
        dataset: train,
        sampler: trainSampler,
        mode: 'train',
        batchSize,
        seed: deriveSeed(config.seed, fold),
        transform: trainTransform,
        ...(config.model.auHead ? { clipAuTargets: maskMissingAus ? { missing: 'mask' as const } : {} } : {}),
        ...(splits.skipBadTrainClips ? { onError: 'skip' as const } : {}),
      });
      const stepsPerEpoch = Math.ceil(train.length / batchSize);
      for (let epoch = startEpoch; epoch < epochs; epoch++) {
        if (config.train.maxSteps !== undefined && totalSteps >= config.train.maxSteps) break;
        const t0 = Date.now();
        let lossSum = 0;
        const termSums: Record<string, number> = {};
        let steps = 0;
        let lr = 0;
        for await (const batch of trainLoader.epoch(epoch)) {
          if (config.train.maxSteps !== undefined && totalSteps >= config.train.maxSteps) break;
          lr = learningRateAt(config.schedule, optim.lr, epoch + steps / stepsPerEpoch, epochs);
          const out = parallel
            ? await parallel.step(batch, {
                lr,
                ...(config.train.clipGradNorm !== undefined
                  ? { clipGradNorm: config.train.clipGradNorm }
                  : {}),
                epoch,
              })
            : runTrainStepWithHeapGuard(config, batch.labels.length, () =>
                trainStep(
                  model,
                  loss,
                  optimizer,
                  params,
                  batch,
                  lr,
                  config.train.clipGradNorm,
                  robust ? { weighting: robust, epoch } : undefined,
                ),
              );
          if (out.agreement) {
            const a = out.agreement.analysis;
            batch.indices.forEach((index, b) => {
              const trueLabel = (batch.meta[b] as { trueLabel?: unknown } | undefined)?.trueLabel;
              lastAnalysis.set(index, {
                id: batch.ids[b]!,
                label: batch.labels[b]!,
                ...(typeof trueLabel === 'number' ? { trueLabel } : {}),
                agreement: a.agreement[b]!,
                partition: a.partition[b]!,
                weight: a.weights[b]!,
                relabelled: a.relabel[b] !== batch.labels[b],
              });
            });
          }
          lossSum += out.loss;
          for (const [k, v] of Object.entries(out.terms)) termSums[k] = (termSums[k] ?? 0) + v;
          steps += 1;
          totalSteps += 1;
          log?.write({
            event: 'step',
            fold: fold + 1,
            epoch,
            step: totalSteps,
            lr,
            loss: out.loss,
            terms: out.terms,
          });
          ctx.onStep?.({ fold: fold + 1, epoch, epochs, step: steps, steps: stepsPerEpoch, loss: out.loss });
        }
        const unreadable = trainLoader.lastReport()?.skipped ?? [];
        if (unreadable.length > 0) {
          report(
            `fold ${fold + 1} epoch ${epoch + 1}: ${unreadable.length} training clip(s) could not be decoded and were left out (data.onError "skip"): ` +
              unreadable
                .slice(0, 3)
                .map((u) => u.reason)
                .join('; '),
          );
          log?.write({ event: 'skipped', fold: fold + 1, epoch, clips: unreadable });
        }
        const record: EpochRecord = {
          epoch,
          lr,
          trainLoss: steps ? lossSum / steps : NaN,
          trainTerms: Object.fromEntries(
            Object.entries(termSums).map(([k, v]) => [k, v / Math.max(steps, 1)]),
          ),
          steps,
          seconds: (Date.now() - t0) / 1000,
        };
        const last = epoch === epochs - 1;
        let selectionReport: ClassificationReport | undefined;
        const selectionSet =
          config.evaluation.selection === 'validation'
            ? validation
            : config.evaluation.selection === 'test'
              ? splits.test
              : undefined;
        if (selectionSet && ((epoch + 1) % config.train.evalEvery === 0 || last)) {
          selectionReport = (
            await evaluateModel(model, selectionSet, {
              sampler,
              batchSize: config.train.evalBatchSize,
              seed: config.seed,
              withAus: false,
            })
          ).report;
          const score = selectionReport.uar + selectionReport.war;
          if (!best || score > best.score) {
            best = { score, epoch, report: selectionReport };
            bestWeights = modelWeights(model);
            if (foldDir) saveWeights(join(foldDir, 'best.safetensors'), model, { epoch: String(epoch) });
          }
        }
        const full = selectionReport
          ? { ...record, selection: { war: selectionReport.war, uar: selectionReport.uar } }
          : record;
        history.push(full);
        log?.write({ event: 'epoch', fold: fold + 1, ...full });
        report(
          `fold ${fold + 1} epoch ${epoch + 1}/${epochs}: loss ${full.trainLoss.toFixed(4)}` +
            (Object.keys(full.trainTerms).length > 1
              ? ` (${Object.entries(full.trainTerms)
                  .map(([k, v]) => `${k} ${v.toFixed(4)}`)
                  .join(', ')})`
              : '') +
            (selectionReport
              ? `, ${config.evaluation.selection} UAR ${(selectionReport.uar * 100).toFixed(1)} WAR ${(selectionReport.war * 100).toFixed(1)}`
              : '') +
            ` (${full.seconds.toFixed(1)} s)`,
        );
        if (foldDir) {
          const state: FoldState = {
            history,
            totalSteps,
            trainSeconds: trainSecondsBefore + (Date.now() - started) / 1000,
            ...(best ? { best } : {}),
            seed: config.seed,
            config,
          };
          saveCheckpoint(foldDir, { epoch, model, optimizer: optimizer.getState(), state });
        }
        ctx.onEpochEnd?.({ fold: fold + 1, epoch });
      }
    } finally {
      await parallel?.dispose();
    }
    const trainSeconds = trainSecondsBefore + (Date.now() - started) / 1000;
    let selectedEpoch = history.length - 1;
    if (best && bestWeights && config.evaluation.selection !== 'last') {
      assignModelWeights(model, bestWeights, 'selected weights');
      selectedEpoch = best.epoch;
    }
    const test = await evaluateModel(model, splits.test, {
      sampler,
      batchSize: config.train.evalBatchSize,
      seed: config.seed,
      withAus: config.model.auHead,
      maskMissingAus,
    });
    optimizer.dispose();
    let robustOutput: RobustFoldOutput | undefined;
    if (robust && lastAnalysis.size > 0) {
      const samples = [...lastAnalysis.entries()].sort(([a], [b]) => a - b).map(([, v]) => v);
      const names = ['easy', 'hard', 'noisy'] as const;
      const counts = { easy: 0, hard: 0, noisy: 0, relabelled: 0 };
      for (const v of samples) {
        counts[names[v.partition]!] += 1;
        if (v.relabelled) counts.relabelled += 1;
      }
      const withTruth = samples.every((v) => v.trueLabel !== undefined);
      robustOutput = {
        clips: robust.clips,
        counts,
        perSample: samples.map((v) => ({
          id: v.id,
          label: v.label,
          ...(v.trueLabel !== undefined ? { trueLabel: v.trueLabel } : {}),
          agreement: v.agreement,
          partition: names[v.partition]!,
          weight: v.weight,
        })),
        ...(withTruth
          ? {
              noisyDetection: scoreNoisyDetection({
                flagged: Uint8Array.from(samples.map((v) => v.partition)),
                observedLabels: samples.map((v) => v.label),
                trueLabels: samples.map((v) => v.trueLabel!),
              }),
            }
          : {}),
      };
    }
    const result: FoldResult = {
      fold: fold + 1,
      split: splits.description,
      counts: {
        train: train.length,
        validation: validation?.length ?? 0,
        test: splits.test.length,
        testScored: test.report.count,
      },
      selectedEpoch,
      selection: config.evaluation.selection,
      ...(config.evaluation.selection === 'validation' && best?.report ? { validation: best.report } : {}),
      test,
      history,
      lossNotes: loss.notes,
      numParameters: model.numParameters(),
      trainSeconds,
      ...(robustOutput ? { robust: robustOutput } : {}),
    };
    if (result.counts.testScored !== result.counts.test) {
      throw new Error(
        `fold ${fold + 1}: scored ${result.counts.testScored} of ${result.counts.test} test clips`,
      );
    }
    if (foldDir) atomicWriteFile(join(foldDir, 'fold-result.json'), `${JSON.stringify(result)}\n`);
    log?.write({
      event: 'fold_end',
      fold: fold + 1,
      selectedEpoch,
      test: { war: test.report.war, uar: test.report.uar },
    });
    return result;
  } finally {
    model.dispose();
  }
}

/** Validates an experiment config against the registered data sources, models, losses and weightings. */
export function resolveExperimentConfig(input: ExperimentConfigInput | ExperimentConfig): ExperimentConfig {
  return validateConfig(input, {
    data: listData(),
    model: listModels(),
    loss: listLosses(),
    robust: listRobustWeightings(),
    dataOptions: listDataOptions(),
  });
}

/** The 1-based folds an experiment runs (`protocol.only`, else every fold; `[1]` for a fixed split). */
export function experimentFolds(config: ExperimentConfig): number[] {
  const foldCount = config.protocol.type === 'kfold' ? config.protocol.folds : 1;
  const folds =
    config.protocol.type === 'kfold'
      ? (config.protocol.only ?? Array.from({ length: foldCount }, (_, i) => i + 1))
      : [1];
  for (const f of folds) {
    if (f < 1 || f > foldCount) throw new RangeError(`protocol.only: fold ${f} is outside 1..${foldCount}`);
  }
  return [...folds];
}

/** The data build context of each fold of `folds` (1-based), as `runFold` builds it. */
export function foldContexts(config: ExperimentConfig, folds: readonly number[]): DataBuildContext[] {
  const foldCount = config.protocol.type === 'kfold' ? config.protocol.folds : 1;
  return folds.map((f) => ({
    seed: config.seed,
    protocol: config.protocol.type,
    fold: f - 1,
    folds: foldCount,
  }));
}

/**
 * Run an experiment: validate the config, choose the engine, then for each fold of the protocol build the
 * data, model, loss and optimizer, train, select the checkpoint (on a validation split carved from the
 * training data unless the config says otherwise), and score every test clip.
 */
export async function runExperiment(
  input: ExperimentConfigInput | ExperimentConfig,
  options: RunExperimentOptions = {},
): Promise<ExperimentResult> {
  const config = resolveExperimentConfig(input);
  const report = options.report ?? ((line: string) => process.stderr.write(`${line}\n`));
  const engine: EngineInfo = await initEngine({ backend: config.engine.backend });
  const outputDir = options.outputDir ?? config.output?.dir;
  if (outputDir) mkdirSync(resolve(outputDir), { recursive: true });
  if (config.evaluation.selection === 'test') {
    report(
      'WARNING: evaluation.selection = "test": the checkpoint is chosen on the test split; results are not an unbiased estimate.',
    );
  }
  const foldCount = config.protocol.type === 'kfold' ? config.protocol.folds : 1;
  const foldList = experimentFolds(config);
  // Every fold's data is checked before the first training step (lists, clip folders, AU files).
  const dataCheck = checkData(config.data, foldContexts(config, foldList));
  for (const line of dataCheck.lines) report(line);
  const results: FoldResult[] = [];
  for (const f of foldList) {
    results.push(
      await runFold({
        config,
        fold: f - 1,
        folds: foldCount,
        ...(outputDir ? { outputDir } : {}),
        report,
        ...(options.onEpochEnd ? { onEpochEnd: options.onEpochEnd } : {}),
        ...(options.onStep ? { onStep: options.onStep } : {}),
        resume: options.resume ?? false,
        ...(dataCheck.state !== undefined ? { checked: dataCheck.state } : {}),
      }),
    );
  }
  const result: ExperimentResult = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    name: config.name,
    config,
    engine: { backend: engine.backend, reason: engine.reason },
    selection: config.evaluation.selection,
    folds: results,
    summary: summariseReports(results.map((r) => r.test.report)),
    classNames: results[0]!.test.report.classNames,
  };
  if (outputDir) atomicWriteFile(join(outputDir, 'results.json'), `${JSON.stringify(result, null, 1)}\n`);
  return result;
}
