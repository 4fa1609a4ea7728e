import * as tf from '@tensorflow/tfjs-core';
import { createClipLoader, createTrainTransform, deriveSeed, type ClipDataset } from '@dfer/datasets';
import { createLoss, type LossContext } from '@dfer/losses';
import { initEngine } from '@dfer/runtime';
import type { ExperimentConfig, ExperimentConfigInput } from '../config/schema';
import { createExperimentData, checkExperimentData } from './data-registry';
import { assertTrainStepFitsWasmHeap } from './memory-check';
import { createExperimentModel, createExperimentOptimizer, defaultSampler } from './experiment-model';
import { experimentFolds, foldContexts, resolveExperimentConfig } from './run-experiment';
import { carveValidation } from './training-split';
import { applyStepUpdate, stepGradients } from './step-gradients';

/**
 * `dfer train --dry-run`: what a run would do, without training — the data check of every fold, clips per
 * fold, split and class, AU-label coverage, optimizer steps, and the wall time estimated from a measured
 * training step of the configured model on the current engine.
 */

/** Clips of one side of a fold. */
export interface PlanSplit {
  readonly clips: number;
  /** Clips per class, in `ExperimentPlan.classNames` order. */
  readonly perClass: readonly number[];
}

/** One fold of an {@link ExperimentPlan}. */
export interface PlanFold {
  /** 1-based. */
  readonly fold: number;
  readonly description: string;
  readonly train: PlanSplit;
  readonly validation?: PlanSplit;
  readonly test: PlanSplit;
  /** Optimizer steps of the fold: `min(epochs · ⌈train / batchSize⌉, maxSteps)`. */
  readonly steps: number;
}

/** What {@link planExperiment} returns. */
export interface ExperimentPlan {
  readonly name: string;
  readonly engine: string;
  readonly classNames: readonly string[];
  /** AU names of the data's per-clip AU labels, when it has them. */
  readonly auNames?: readonly string[];
  /** Lines of the data check (per split list: clips, unreadable, AU-label coverage). */
  readonly dataCheck: readonly string[];
  readonly folds: readonly PlanFold[];
  readonly totalSteps: number;
  /** Seconds of one training step (load a batch + forward + backward + update), after one warm-up step. */
  readonly secondsPerStep?: number;
  /** `totalSteps · secondsPerStep`: training only (evaluation passes are not included). */
  readonly estimatedSeconds?: number;
}

/** Per-call options of {@link planExperiment}. */
export interface PlanExperimentOptions {
  /** Measure a training step for the time estimate (default true). */
  readonly measureStep?: boolean;
}

function splitOf(dataset: ClipDataset, numClasses: number): PlanSplit {
  const perClass = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < dataset.length; i++) perClass[dataset.record(i).label]! += 1;
  return { clips: dataset.length, perClass };
}

/**
 * The plan of an experiment, without training: validates the config, chooses the engine, checks the data of
 * every fold (as `runExperiment` does before its first step), counts clips, and, unless
 * `options.measureStep` is false, times two training steps of the first fold's model on its first batches
 * (the second one, after a warm-up, gives `secondsPerStep`). Nothing is written.
 */
export async function planExperiment(
  input: ExperimentConfigInput | ExperimentConfig,
  options: PlanExperimentOptions = {},
): Promise<ExperimentPlan> {
  const config = resolveExperimentConfig(input);
  const engine = await initEngine({ backend: config.engine.backend });
  const folds = experimentFolds(config);
  const contexts = foldContexts(config, folds);
  const check = checkExperimentData(config.data, contexts);
  const planned: PlanFold[] = [];
  let classNames: readonly string[] = [];
  let auNames: readonly string[] | undefined;
  let first: { train: ClipDataset; splitTrain: ClipDataset; masked: boolean } | undefined;
  for (const context of contexts) {
    const splits = createExperimentData(config.data, {
      ...context,
      ...(check.state !== undefined ? { checked: check.state } : {}),
    });
    classNames = splits.train.labelNames;
    auNames = splits.train.auNames;
    const { train, validation } = carveValidation(splits.train, config, context.fold!);
    const { epochs, batchSize, maxSteps } = config.train;
    const steps = Math.min(epochs * Math.ceil(train.length / batchSize), maxSteps ?? Infinity);
    planned.push({
      fold: context.fold! + 1,
      description: splits.description,
      train: splitOf(train, classNames.length),
      ...(validation ? { validation: splitOf(validation, classNames.length) } : {}),
      test: splitOf(splits.test, classNames.length),
      steps,
    });
    first ??= { train, splitTrain: splits.train, masked: splits.maskMissingAus === true };
  }
  const totalSteps = planned.reduce((a, f) => a + f.steps, 0);
  const base = {
    name: config.name,
    engine: engine.backend,
    classNames,
    ...(auNames ? { auNames } : {}),
    dataCheck: check.lines,
    folds: planned,
    totalSteps,
  };
  if (options.measureStep === false || first === undefined || first.train.length === 0) return base;
  const secondsPerStep = await measureStep(config, first.train, first.splitTrain, first.masked);
  return { ...base, secondsPerStep, estimatedSeconds: secondsPerStep * totalSteps };
}

/** Seconds of the second of two training steps (batch loading included) on the first batches of `train`. */
async function measureStep(
  config: ExperimentConfig,
  train: ClipDataset,
  splitTrain: ClipDataset,
  masked: boolean,
): Promise<number> {
  const model = createExperimentModel(config, splitTrain);
  try {
    assertTrainStepFitsWasmHeap(model, config);
    const spec = model.inputSpec;
    const loader = createClipLoader({
      dataset: train,
      sampler: defaultSampler(config.model.type, spec.frames),
      mode: 'train',
      batchSize: config.train.batchSize,
      seed: deriveSeed(config.seed, 0),
      transform: createTrainTransform(
        { height: spec.height, width: spec.width, mean: spec.mean, std: spec.std },
        config.train.augment,
      ),
      prefetch: 0,
      ...(config.model.auHead ? { clipAuTargets: masked ? { missing: 'mask' as const } : {} } : {}),
    });
    const { params, optimizer } = createExperimentOptimizer(model, config);
    try {
      const timings: number[] = [];
      let loss: ReturnType<typeof createLoss> | undefined;
      let started = performance.now();
      for await (const batch of loader.epoch(0)) {
        if (loss === undefined) {
          // the loss's training statistics (pos-weights) from this batch: the values do not change the time
          const rows = batch.auTargets
            ? Array.from({ length: batch.labels.length }, (_, b) => {
                const A = batch.auTargets!.length / batch.labels.length;
                return batch.auTargets!.slice(b * A, (b + 1) * A);
              })
            : undefined;
          const context: LossContext = {
            labels: train.labelNames,
            ...(train.auNames ? { aus: train.auNames } : {}),
            classCounts: train.labelNames.map((_, c) =>
              Math.max(1, batch.labels.filter((l) => l === c).length),
            ),
            training: { exprLabels: Array.from(batch.labels), ...(rows ? { auTargets: rows } : {}) },
          };
          loss = createLoss(config.loss, context);
        }
        const g = stepGradients(model, loss, params, batch);
        try {
          applyStepUpdate(optimizer, g.grads, config.optim.lr, config.train.clipGradNorm);
        } finally {
          tf.dispose(Object.values(g.grads));
        }
        timings.push((performance.now() - started) / 1000);
        if (timings.length === 2) break;
        started = performance.now();
      }
      return timings[timings.length - 1]!;
    } finally {
      optimizer.dispose();
    }
  } finally {
    model.dispose();
  }
}

/** Whole seconds as `1 h 02 min`, `3 min 05 s` or `12.3 s`. */
function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return `${m} min ${String(s % 60).padStart(2, '0')} s`;
}

/** The plan as the lines `dfer train --dry-run` prints. */
export function describePlan(plan: ExperimentPlan): string[] {
  const lines = [`Plan of ${plan.name} (dry run: nothing trained, nothing written) — engine ${plan.engine}`];
  lines.push(...plan.dataCheck);
  if (plan.auNames !== undefined && !plan.dataCheck.some((l) => l.includes('AU labels'))) {
    lines.push(`AU labels: every clip, from the data source (${plan.auNames.length} AUs)`);
  } else if (plan.auNames === undefined) {
    lines.push('AU labels: none (the data has no AU labels)');
  }
  const header = `| fold | split | clips | ${plan.classNames.join(' | ')} |`;
  lines.push(
    '',
    header,
    `| ${header
      .split('|')
      .slice(1, -1)
      .map(() => '---')
      .join(' | ')} |`,
  );
  for (const f of plan.folds) {
    const sides: [string, PlanSplit | undefined][] = [
      ['train', f.train],
      ['validation', f.validation],
      ['test', f.test],
    ];
    for (const [name, s] of sides) {
      if (s !== undefined) lines.push(`| ${f.fold} | ${name} | ${s.clips} | ${s.perClass.join(' | ')} |`);
    }
  }
  lines.push('');
  for (const f of plan.folds) lines.push(`fold ${f.fold}: ${f.description}; ${f.steps} optimizer steps`);
  lines.push(`steps: ${plan.totalSteps} in all (${plan.folds.length} fold(s))`);
  if (plan.secondsPerStep !== undefined && plan.estimatedSeconds !== undefined) {
    lines.push(
      `measured training step: ${plan.secondsPerStep.toFixed(3)} s on ${plan.engine} (batch loading included, after one warm-up step)`,
      `estimated training time: ${formatDuration(plan.estimatedSeconds)} (steps × measured step; evaluation passes not included)`,
    );
  }
  return lines;
}
