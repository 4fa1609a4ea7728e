/**
 * One fold of an expression-recognition experiment (plain DFER, AU-DFER, RDFER) on the shared training
 * loop (`../loop/fold-runner`): the fold's data, model, loss and optimizer, the selection on the
 * validation split, the test scores of every clip and the RDFER clip analysis.
 */
import { createClipLoader, createTrainTransform, deriveSeed, multiClip } from '@dfer/datasets';
import {
  createLoss,
  createRobustWeighting,
  type LossConfig,
  type LossContext,
  type RobustWeightingConfig,
} from '@dfer/losses';
import type { ExperimentConfig } from '../config/schema';
import { FoldRunner } from '../loop/fold-runner';
import type { ClassificationReport } from '../metrics/classification';
import { createDataParallelTrainer } from '../parallel/data-parallel';
import { createExperimentData } from './data-registry';
import { evaluateModel } from './evaluate-model';
import {
  createExperimentModel,
  createExperimentOptimizer,
  defaultSampler,
  describePretrained,
  experimentModelOptions,
  loadPretrained,
} from './experiment-model';
import type { ExpressionSelectionMetrics, FoldResult, RunExperimentOptions } from './experiment-result';
import { assertTrainStepFitsWasmHeap, runTrainStepWithHeapGuard } from './memory-check';
import { ClipAgreementRecorder } from './robust-analysis';
import { stepGradients } from './step-gradients';
import { carveValidation, knownAuTargets, recordsOf, trainingAuTargets } from './training-split';
import { join } from 'node:path';

/** What one fold of `runExperiment` needs. */
export interface ExpressionFoldContext {
  readonly config: ExperimentConfig;
  /** 0-based fold and the protocol's fold count. */
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

/** Trains and scores one fold of an expression-recognition experiment (its folder: `<outputDir>/fold-N`). */
export async function runExpressionFold(ctx: ExpressionFoldContext): Promise<FoldResult> {
  const { config, fold, folds, report } = ctx;
  const label = `fold ${fold + 1}`;
  const runner = new FoldRunner<FoldResult>({
    label,
    logFields: { fold: fold + 1 },
    ...(ctx.outputDir ? { dir: join(ctx.outputDir, `fold-${fold + 1}`) } : {}),
    resume: ctx.resume,
    report,
  });
  const finished = runner.finishedResult();
  if (finished) return finished;
  const splits = createExperimentData(config.data, {
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
    const { params, optimizer } = createExperimentOptimizer(model, config);
    const robust = config.robust
      ? createRobustWeighting(config.robust as unknown as RobustWeightingConfig)
      : undefined;
    const agreement = robust ? new ClipAgreementRecorder(robust.clips) : undefined;
    // RDFER trains on K clips per video (segments of 2 frames when T is even), every other method on the model's sampler.
    const trainSampler = robust
      ? spec.frames % 2 === 0
        ? multiClip(robust.clips, { numSegments: spec.frames / 2, framesPerSegment: 2 })
        : multiClip(robust.clips, { numSegments: spec.frames, framesPerSegment: 1 })
      : sampler;
    const selectionSet =
      config.evaluation.selection === 'validation'
        ? validation
        : config.evaluation.selection === 'test'
          ? splits.test
          : undefined;
    const evaluationOptions = {
      sampler,
      batchSize: config.train.evalBatchSize,
      seed: config.seed,
    };
    let outcome;
    try {
      outcome = await runner.train<ClassificationReport, ExpressionSelectionMetrics>(
        {
          model,
          optimizer,
          params,
          loader: createClipLoader({
            dataset: train,
            sampler: trainSampler,
            mode: 'train',
            batchSize: config.train.batchSize,
            seed: deriveSeed(config.seed, fold),
            transform: createTrainTransform(
              { height: spec.height, width: spec.width, mean: spec.mean, std: spec.std },
              config.train.augment,
            ),
            ...(config.model.auHead
              ? { clipAuTargets: maskMissingAus ? { missing: 'mask' as const } : {} }
              : {}),
            ...(splits.skipBadTrainClips ? { onError: 'skip' as const } : {}),
          }),
          epochs: config.train.epochs,
          ...(config.train.maxSteps !== undefined ? { maxSteps: config.train.maxSteps } : {}),
          schedule: config.schedule,
          baseLr: config.optim.lr,
          ...(config.train.clipGradNorm !== undefined ? { clipGradNorm: config.train.clipGradNorm } : {}),
          seed: config.seed,
          config,
          fold: fold + 1,
          gradients: (batch, epoch) =>
            stepGradients(model, loss, params, batch, robust ? { weighting: robust, epoch } : undefined),
          guardStep: (batchSize, step) => runTrainStepWithHeapGuard(config, batchSize, step),
          createParallel: async () =>
            config.train.workers > 1
              ? createDataParallelTrainer(
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
              : undefined,
          ...(agreement
            ? {
                onStepResult: (batch, out) => agreement.record(batch, out),
                methodState: { save: () => agreement.save(), restore: (s) => agreement.restore(s) },
              }
            : {}),
          beforeTraining: async () => {
            // A resumed fold takes its weights from the checkpoint, so the pre-trained file is read only here.
            const pretrained = await loadPretrained(model, config);
            return pretrained
              ? { record: { pretrained }, lines: [describePretrained(label, pretrained)] }
              : undefined;
          },
          start: {
            record: {
              split: splits.description,
              train: train.length,
              validation: validation?.length ?? 0,
              test: splits.test.length,
              lossNotes: loss.notes,
            },
            lines: [
              `${label}: ${splits.description}; ${train.length} train, ${validation?.length ?? 0} validation, ${splits.test.length} test`,
            ],
          },
          ...(config.model.pretrained
            ? { resumeNote: '; model.pretrained not read again (the checkpoint holds the weights)' }
            : {}),
          ...(selectionSet
            ? {
                selection: {
                  every: config.train.evalEvery,
                  evaluate: async () => {
                    const { report: r } = await evaluateModel(model, selectionSet, {
                      ...evaluationOptions,
                      withAus: false,
                    });
                    return {
                      score: r.uar + r.war,
                      metrics: { war: r.war, uar: r.uar },
                      report: r,
                      summary: `${config.evaluation.selection} UAR ${(r.uar * 100).toFixed(1)} WAR ${(r.war * 100).toFixed(1)}`,
                    };
                  },
                },
              }
            : {}),
          ...(ctx.onStep ? { onStep: ctx.onStep } : {}),
          ...(ctx.onEpochEnd ? { onEpochEnd: ctx.onEpochEnd } : {}),
        },
        config.evaluation.selection !== 'last',
      );
    } finally {
      optimizer.dispose();
    }
    const test = await evaluateModel(model, splits.test, {
      ...evaluationOptions,
      withAus: config.model.auHead,
      maskMissingAus,
    });
    const robustOutput = agreement?.output();
    const result: FoldResult = {
      fold: fold + 1,
      split: splits.description,
      counts: {
        train: train.length,
        validation: validation?.length ?? 0,
        test: splits.test.length,
        testScored: test.report.count,
      },
      selectedEpoch: outcome.selectedEpoch,
      selection: config.evaluation.selection,
      ...(config.evaluation.selection === 'validation' && outcome.best
        ? { validation: outcome.best.report }
        : {}),
      test,
      history: outcome.history,
      lossNotes: loss.notes,
      numParameters: model.numParameters(),
      trainSeconds: outcome.trainSeconds,
      ...(robustOutput ? { robust: robustOutput } : {}),
    };
    if (result.counts.testScored !== result.counts.test) {
      throw new Error(`${label}: scored ${result.counts.testScored} of ${result.counts.test} test clips`);
    }
    runner.finish(result, {
      selectedEpoch: outcome.selectedEpoch,
      test: { war: test.report.war, uar: test.report.uar },
    });
    return result;
  } finally {
    model.dispose();
  }
}
