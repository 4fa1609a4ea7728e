import { exportOnnx, type OnnxExport } from '@dfer/runtime';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { assignModelWeights, loadLatestCheckpoint, loadWeights } from '../checkpoint/checkpoint';
import { validateConfig, type ExperimentConfig } from '../config/schema';
import type { VideoModel } from '@dfer/backbones';
import { createExperimentData, type ExperimentSplits } from './data-registry';
import { evaluateModel, type EvaluationResult } from './evaluate-model';
import { createExperimentModel, defaultSampler } from './experiment-model';
import { initEngine } from '@dfer/runtime';

/** Which saved weights of a fold to use: the selected epoch's (`best`) or the last checkpoint's. */
export type SavedWeights = 'best' | 'latest';

/** A fold of a finished (or interrupted) run, rebuilt from its folder: config, splits and model with weights. */
export interface RestoredRun {
  readonly config: ExperimentConfig;
  readonly fold: number;
  readonly splits: ExperimentSplits;
  readonly model: VideoModel;
}

/**
 * Rebuild a fold from the folder `dfer train` wrote (`<out>/fold-N`): the config stored in its checkpoint,
 * the fold's data splits, and the model with the chosen saved weights. The caller disposes `model`.
 */
export async function restoreRun(foldDir: string, weights: SavedWeights = 'best'): Promise<RestoredRun> {
  const match = /^fold-(\d+)$/.exec(basename(foldDir));
  if (!match) throw new Error(`${foldDir}: expected a fold folder named fold-<n> (inside a run folder)`);
  const fold = Number(match[1]) - 1;
  const checkpoint = loadLatestCheckpoint<{ config: ExperimentConfig }>(foldDir);
  if (!checkpoint) throw new Error(`${foldDir}: no checkpoint (latest.json) found`);
  const config = validateConfig(checkpoint.state.config, {}, join(foldDir, 'latest.json'));
  await initEngine({ backend: config.engine.backend, log: false });
  const folds = config.protocol.type === 'kfold' ? config.protocol.folds : 1;
  const splits = createExperimentData(config.data, {
    seed: config.seed,
    protocol: config.protocol.type,
    fold,
    folds,
  });
  const model = createExperimentModel(config, splits.train);
  const bestFile = join(foldDir, 'best.safetensors');
  if (weights === 'best' && !existsSync(bestFile)) {
    model.dispose();
    throw new Error(
      `${bestFile} does not exist (selection "${config.evaluation.selection}"); use --weights latest`,
    );
  }
  const saved = weights === 'best' ? loadWeights(bestFile).weights : checkpoint.weights;
  assignModelWeights(model, saved, weights === 'best' ? bestFile : `${foldDir} latest checkpoint`);
  return { config, fold, splits, model };
}

/** Score the saved weights of a fold on its test split (every clip). */
export async function evaluateRun(
  foldDir: string,
  options: { weights?: SavedWeights } = {},
): Promise<EvaluationResult> {
  const run = await restoreRun(foldDir, options.weights ?? 'best');
  try {
    return await evaluateModel(run.model, run.splits.test, {
      sampler: defaultSampler(run.config.model.type, run.model.inputSpec.frames),
      batchSize: run.config.train.evalBatchSize,
      seed: run.config.seed,
      withAus: run.config.model.auHead,
    });
  } finally {
    run.model.dispose();
  }
}

/** Export the saved weights of a fold to ONNX (dynamic batch; input `[batch, T, H, W, C]`, normalised). */
export async function exportRunToOnnx(
  foldDir: string,
  options: { path: string; weights?: SavedWeights },
): Promise<OnnxExport> {
  const run = await restoreRun(foldDir, options.weights ?? 'best');
  try {
    const s = run.model.inputSpec;
    const selected = existsSync(join(foldDir, 'fold-result.json'))
      ? (JSON.parse(readFileSync(join(foldDir, 'fold-result.json'), 'utf8')) as { selectedEpoch?: number })
          .selectedEpoch
      : undefined;
    return await exportOnnx(run.model, {
      inputShape: ['batch', s.frames, s.height, s.width, s.channels],
      modelName: run.config.model.type,
      preset: run.config.model.preset,
      labels: run.splits.test.labelNames,
      inputLayout: 'NTHWC',
      path: options.path,
      metadata: {
        'dfer.experiment': run.config.name,
        'dfer.fold': String(run.fold + 1),
        'dfer.normalization': JSON.stringify({ mean: s.mean, std: s.std }),
        // 1-based like `dfer.fold` and the summary table (results files keep the 0-based `selectedEpoch`).
        ...(selected === undefined ? {} : { 'dfer.selectedEpoch': String(selected + 1) }),
      },
    });
  } finally {
    run.model.dispose();
  }
}
