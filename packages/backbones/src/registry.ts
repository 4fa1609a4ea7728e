/**
 * The model registry (timm-style): each model file registers its architecture with {@link registerModel}
 * beside its definition; {@link createModel} builds one by name and preset; {@link listModels} enumerates.
 */
import { createRng, type Rng } from './nn/rng';
import type { InputSpec, VideoModel } from './video-model';

/** The 18 OpenFace 2.0 AUs the AU-DFER head predicts by default (reference/au-dfer.md). */
export const DEFAULT_AU_HEAD_SIZE = 18;

/** Metadata of one preset of a model (architecture size + input it expects). */
export interface ModelPreset {
  /** Input the preset expects; preprocessing derives from it. */
  input: InputSpec;
  /** Exact number of trainable parameters with the default head (no AU head). */
  numParameters: number;
  /** One line on what the preset is. */
  description: string;
}

/**
 * How a model's weights start:
 * - `'random'`: the model's own seeded initialisation, as its official code does it;
 * - `'layer_defaults'`: every layer's PyTorch default (Linear and convolutions U(±1/√fanIn), norms 1/0),
 *   skipping a model-wide re-initialisation. Only MAE-DFER has one (Linear N(0, 0.02²), head × 0.001: meant
 *   for fine-tuning from its pre-trained checkpoint, and measured to stall training from scratch); for the
 *   other models it equals `'random'`;
 * - `'zeros'`: skip the random draws (every randomly initialised tensor starts at 0, norm scales at 1) — for
 *   weights loaded right after construction, e.g. official checkpoints; much faster for `paper` presets.
 */
export type ModelInitialization = 'random' | 'layer_defaults' | 'zeros';

/** The values of {@link ModelInitialization}. */
export const MODEL_INITIALIZATIONS: readonly ModelInitialization[] = Object.freeze([
  'random',
  'layer_defaults',
  'zeros',
]);

/** Throws `${what} must be one of 'random', 'layer_defaults', 'zeros', got '…'` unless `value` is one. */
export function assertModelInitialization(
  value: unknown,
  what: string,
): asserts value is ModelInitialization {
  if (!MODEL_INITIALIZATIONS.includes(value as ModelInitialization)) {
    throw new Error(
      `${what} must be one of ${MODEL_INITIALIZATIONS.map((v) => `'${v}'`).join(', ')}, got '${String(value)}'`,
    );
  }
}

/** Resolved per-model build options handed to a registered factory. */
export interface ModelBuildOptions {
  preset: string;
  numClasses: number;
  /** Number of AU outputs; 0 = no AU head. */
  numAus: number;
  /** Seed of the initial weights. */
  seed: number;
  /** See {@link ModelInitialization}. */
  initialization: ModelInitialization;
}

/**
 * The generator a registered factory initialises its weights from: seeded by `options.seed`, and returning
 * zeros when `options.initialization` is `'zeros'`.
 */
export function createModelRng(options: Pick<ModelBuildOptions, 'seed' | 'initialization'>): Rng {
  return createRng(options.seed, { zeros: options.initialization === 'zeros' });
}

/** What a model file registers. */
export interface ModelRegistration {
  /** Registry key, snake_case (e.g. `former_dfer`). */
  name: string;
  /** One line on the architecture. */
  description: string;
  /** Paper and code the architecture follows. */
  source: { paper: string; code: string; reference: string };
  /** Presets by name; must include `paper` and `tiny`. */
  presets: Record<string, ModelPreset>;
  /** Default number of expression classes (7 for DFEW / FERV39K). */
  defaultNumClasses: number;
  /**
   * Parameters that receive no gradient by the architecture's design (e.g. a last-block branch whose
   * output the head never reads): `names` lists their state-dict names for a built model (they can depend
   * on the preset, e.g. on its depth), `reason` says why. The registry tests require exactly these to have
   * zero gradients and every other parameter a non-zero one.
   */
  parametersWithoutGradient?: ParametersWithoutGradient;
  /**
   * How the model is trained by default (frame sampling, parameters without weight decay); plain data that
   * a trainer turns into its sampler and optimizer settings. Read it with {@link getTrainingDefaults}.
   */
  training?: ModelTrainingDefaults;
  /** Builds the model. */
  create(options: ModelBuildOptions): VideoModel;
}

/** Per-call options of {@link createModel}. */
export interface CreateModelOptions {
  /** Preset name (default `'paper'`). */
  preset?: string;
  /** Number of expression classes (default: the model's, 7). */
  numClasses?: number;
  /**
   * Add the AU-DFER AU head: `true` for the 18 OpenFace AUs, a number for that many AUs, `false`/absent
   * for none.
   */
  auHead?: boolean | number;
  /** Seed of the initial weights (default 0): same seed, same weights, bit for bit. */
  seed?: number;
  /** `'random'` (default), `'layer_defaults'` or `'zeros'`: see {@link ModelInitialization}. */
  initialization?: ModelInitialization;
  /**
   * Gradient checkpointing per block (default `false`): training steps keep only each block's input and
   * recompute the block in the backward pass — less memory, about one more forward pass of time. See
   * `VideoModel.setGradientCheckpointing`.
   */
  gradientCheckpointing?: boolean;
}

/** What {@link listModels} reports per model. */
export interface ModelInfo {
  name: string;
  description: string;
  source: { paper: string; code: string; reference: string };
  presets: Record<string, ModelPreset>;
  defaultNumClasses: number;
  parametersWithoutGradient?: ParametersWithoutGradient;
  /** The training defaults the model declares, as registered; {@link getTrainingDefaults} fills the gaps. */
  training?: ModelTrainingDefaults;
}

/** Parameters that an architecture leaves without gradient by design; see {@link ModelRegistration}. */
export interface ParametersWithoutGradient {
  /** State-dict names of those parameters in `model` (built from this registration). */
  names(model: VideoModel): readonly string[];
  /** Why the architecture gives them no gradient. */
  reason: string;
}

/**
 * Training defaults a model declares in its registration (plain data: no sampler or optimizer objects, so
 * the registry depends on no dataset or training package).
 */
export interface ModelTrainingDefaults {
  /**
   * The model's training clip layout: T frames (the preset's `input.frames`) as T / `framesPerSegment`
   * equal segments of the video with `framesPerSegment` consecutive frames from each — e.g. Former-DFER's
   * 8 segments × 2 frames for T = 16. Absent: `framesPerSegment` 1, T single frames spread uniformly.
   */
  frameSampling?: { framesPerSegment: number };
  /**
   * The parameters to leave out of weight decay when a trainer excludes biases and norms: tested against
   * each name of `model.namedParameters()` (the state-dict names). It should match exactly the biases,
   * the normalisation layers' scales and shifts, the positional embeddings and the learnt tokens, and no
   * convolution, Linear or LSTM kernel. No `g` or `y` flag (`test` would then depend on earlier calls).
   * Absent: {@link GENERIC_NO_WEIGHT_DECAY}.
   */
  noWeightDecay?: RegExp;
}

/** A model's training defaults with every gap filled; see {@link getTrainingDefaults}. */
export interface TrainingDefaults {
  /** The declared layout, or `{ framesPerSegment: 1 }` (single frames spread uniformly). */
  frameSampling: { framesPerSegment: number };
  /** The declared pattern, or {@link GENERIC_NO_WEIGHT_DECAY}. */
  noWeightDecay: RegExp;
}

/** T frames as `segments × framesPerSegment` (see {@link getFrameSegments}). */
export interface FrameSegments {
  /** Equal segments of the video, one run of frames each. */
  segments: number;
  /** Consecutive frames taken from each segment; 1 = single frames spread uniformly over the video. */
  framesPerSegment: number;
}

/**
 * The no-weight-decay pattern of a model that declares none: names containing `bias`, `norm`, `bn<digits>`,
 * `running_`, `pos_embedding` or `cls_token`. It recognises a normalisation layer only by its name, so it
 * misses norms registered under a number (e.g. `downsample.1.weight`, a BatchNorm inside a `Sequential`):
 * a model should declare its own pattern (`training.noWeightDecay`).
 */
export const GENERIC_NO_WEIGHT_DECAY: RegExp = /(bias|norm|bn\d*|running_|pos_embedding|cls_token)/;

function checkTrainingDefaults(name: string, training: ModelTrainingDefaults | undefined): void {
  if (training === undefined) return;
  const perSegment = training.frameSampling?.framesPerSegment;
  if (perSegment !== undefined && (!Number.isInteger(perSegment) || perSegment < 1)) {
    throw new Error(
      `registerModel: model '${name}' training.frameSampling.framesPerSegment must be a positive integer, got ${String(perSegment)}`,
    );
  }
  const pattern = training.noWeightDecay;
  if (pattern !== undefined) {
    if (!(pattern instanceof RegExp)) {
      throw new Error(
        `registerModel: model '${name}' training.noWeightDecay must be a RegExp, got ${typeof pattern}`,
      );
    }
    if (pattern.global || pattern.sticky) {
      throw new Error(
        `registerModel: model '${name}' training.noWeightDecay must not have the 'g' or 'y' flag (its test() would depend on earlier calls), got ${String(pattern)}`,
      );
    }
  }
}

const registry = new Map<string, ModelRegistration>();

/**
 * Registers a model. Registering a name twice fails, as does a registration without `paper` and `tiny`
 * presets.
 */
export function registerModel(registration: ModelRegistration): void {
  if (!/^[a-z][a-z0-9_]*$/.test(registration.name)) {
    throw new Error(`registerModel: name must be snake_case, got '${registration.name}'`);
  }
  if (registry.has(registration.name)) {
    throw new Error(`registerModel: model '${registration.name}' is already registered`);
  }
  for (const required of ['paper', 'tiny']) {
    if (registration.presets[required] === undefined) {
      throw new Error(`registerModel: model '${registration.name}' lacks the '${required}' preset`);
    }
  }
  checkTrainingDefaults(registration.name, registration.training);
  registry.set(registration.name, registration);
}

function getRegistration(name: string): ModelRegistration {
  const entry = registry.get(name);
  if (entry === undefined) {
    throw new Error(
      `model registry: unknown model '${name}'; registered models: ${[...registry.keys()].join(', ')}`,
    );
  }
  return entry;
}

/** Names of the registered models, sorted. */
export function listModels(): string[] {
  return [...registry.keys()].sort();
}

/** Metadata of a registered model (presets with input spec and parameter counts). */
export function getModelInfo(name: string): ModelInfo {
  const { create: _create, ...info } = getRegistration(name);
  return info;
}

/**
 * A model's training defaults, gaps filled: its frame layout (`{ framesPerSegment: 1 }` unless declared) and
 * its no-weight-decay pattern ({@link GENERIC_NO_WEIGHT_DECAY} unless declared).
 *
 * ```ts
 * const { noWeightDecay } = getTrainingDefaults('former_dfer');
 * model.namedParameters().filter(([name]) => noWeightDecay.test(name)); // biases, norms, pos_embedding, cls_token
 * ```
 */
export function getTrainingDefaults(name: string): TrainingDefaults {
  const training = getRegistration(name).training;
  return {
    frameSampling: { framesPerSegment: training?.frameSampling?.framesPerSegment ?? 1 },
    noWeightDecay: training?.noWeightDecay ?? GENERIC_NO_WEIGHT_DECAY,
  };
}

/**
 * How a model's clip of `frames` frames is laid out for training: `frames / framesPerSegment` segments of
 * the declared `framesPerSegment` consecutive frames when that divides `frames`, otherwise (and for models
 * that declare no layout) `frames` single frames (`framesPerSegment` 1).
 * `getFrameSegments('former_dfer', 16)` → `{ segments: 8, framesPerSegment: 2 }`.
 */
export function getFrameSegments(name: string, frames: number): FrameSegments {
  if (!Number.isInteger(frames) || frames < 1) {
    throw new Error(`getFrameSegments(${name}): frames must be a positive integer, got ${frames}`);
  }
  const { framesPerSegment } = getTrainingDefaults(name).frameSampling;
  return frames % framesPerSegment === 0
    ? { segments: frames / framesPerSegment, framesPerSegment }
    : { segments: frames, framesPerSegment: 1 };
}

/** Input spec of a model's preset (the single place preprocessing reads it from). */
export function getInputSpec(name: string, preset = 'paper'): InputSpec {
  return getPreset(getRegistration(name), preset).input;
}

function getPreset(entry: ModelRegistration, preset: string): ModelPreset {
  const p = entry.presets[preset];
  if (p === undefined) {
    throw new Error(
      `createModel: model '${entry.name}' has no preset '${preset}'; presets: ${Object.keys(entry.presets).join(', ')}`,
    );
  }
  return p;
}

/**
 * Builds a registered model: `createModel('former_dfer', { preset: 'tiny', numClasses: 7, auHead: true })`.
 * Unset options fall back to the model's defaults; the caller's object is not modified.
 */
export function createModel(name: string, options: CreateModelOptions = {}): VideoModel {
  const entry = getRegistration(name);
  const preset = options.preset ?? 'paper';
  getPreset(entry, preset);
  const numClasses = options.numClasses ?? entry.defaultNumClasses;
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new Error(`createModel(${name}): numClasses must be a positive integer, got ${numClasses}`);
  }
  const au = options.auHead ?? false;
  const numAus = au === true ? DEFAULT_AU_HEAD_SIZE : au === false ? 0 : au;
  if (!Number.isInteger(numAus) || numAus < 0) {
    throw new Error(
      `createModel(${name}): auHead must be a boolean or a non-negative integer, got ${String(au)}`,
    );
  }
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new Error(`createModel(${name}): seed must be an integer, got ${seed}`);
  const initialization = options.initialization ?? 'random';
  assertModelInitialization(initialization, `createModel(${name}): initialization`);
  const checkpointing = options.gradientCheckpointing ?? false;
  if (typeof checkpointing !== 'boolean') {
    throw new Error(
      `createModel(${name}): gradientCheckpointing must be a boolean, got ${String(checkpointing)}`,
    );
  }
  const model = entry.create({ preset, numClasses, numAus, seed, initialization });
  return checkpointing ? model.setGradientCheckpointing(true) : model;
}
