import {
  createModel,
  getFrameSegments,
  getTrainingDefaults,
  loadWeights as loadModelWeights,
  type CreateModelOptions,
  type VideoModel,
} from '@dfer/backbones';
import { uniform, uniformSegments, type ClipDataset, type FrameSampler } from '@dfer/datasets';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ExperimentConfig } from '../config/schema';
import {
  createOptimizer,
  trainableParameters,
  type NamedVariable,
  type Optimizer,
} from '../optim/optimizers';

/**
 * The frame sampler of a registered model's training defaults (`getFrameSegments` of `@dfer/backbones`):
 * segments × consecutive frames (Former-DFER: 8 × 2 for 16 frames), or T single frames spread uniformly.
 */
export function defaultSampler(modelType: string, frames: number): FrameSampler {
  const { segments, framesPerSegment } = getFrameSegments(modelType, frames);
  return framesPerSegment === 1 ? uniform(frames) : uniformSegments(segments, framesPerSegment);
}

/** The model of an experiment for a dataset (classes and AU head from the dataset's label and AU names). */
export function createExperimentModel(config: ExperimentConfig, dataset: ClipDataset): VideoModel {
  if (config.model.auHead && !dataset.auNames) {
    throw new Error(`model.auHead is true but data "${config.data.type}" has no AU labels`);
  }
  return createModel(config.model.type, experimentModelOptions(config, dataset));
}

/** The `createModel` options of an experiment's model for a dataset. */
export function experimentModelOptions(config: ExperimentConfig, dataset: ClipDataset): CreateModelOptions {
  return {
    preset: config.model.preset,
    numClasses: dataset.labelNames.length,
    auHead: config.model.auHead ? dataset.auNames!.length : false,
    seed: config.seed,
    initialization: config.model.initialization,
    gradientCheckpointing: config.model.gradientCheckpointing,
  };
}

/**
 * The trainable parameters of `model` and the optimizer of `config.optim` over them; with
 * `optim.noDecayBiasAndNorm`, the parameters the model's registration names (`noWeightDecay` of
 * `getTrainingDefaults`: biases, normalisation scales, positional embeddings, learnt tokens) get no weight decay.
 */
export function createExperimentOptimizer(
  model: VideoModel,
  config: ExperimentConfig,
): { params: NamedVariable[]; optimizer: Optimizer } {
  const params: NamedVariable[] = trainableParameters(model);
  const optim = config.optim;
  const optimizer = createOptimizer(params, {
    ...optim,
    ...(optim.noDecayBiasAndNorm ? { noDecay: getTrainingDefaults(config.model.type).noWeightDecay } : {}),
  });
  return { params, optimizer };
}

/** What `model.pretrained` loaded (logged at the start of each fold). */
export interface PretrainedLoad {
  readonly path: string;
  readonly loaded: number;
  /** The model's tensors that kept their initialisation (under `exclude`). */
  readonly kept: string[];
  /** The file's tensors that were not used (under `exclude`). */
  readonly ignored: string[];
}

/** Loads `model.pretrained` into `model` (strict names and shapes outside `exclude`); undefined without it. */
export async function loadPretrained(
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

/** The progress line of a pre-trained load: what was loaded, kept and left unused. */
export function describePretrained(label: string, pretrained: PretrainedLoad): string {
  return (
    `${label}: model.pretrained: ${pretrained.loaded} tensors from ${pretrained.path}; ` +
    `initialisation kept for ${pretrained.kept.length} (${pretrained.kept.join(', ') || 'none'}); ` +
    `${pretrained.ignored.length} of the file's tensors not used (${pretrained.ignored.join(', ') || 'none'})`
  );
}
