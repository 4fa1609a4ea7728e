import { DEFAULT_NUISANCE } from '@dfer/datasets/synthetic';
import { join } from 'node:path';
import { loadConfigFile, SHIPPED_CONFIG_DIR, type ExperimentConfigInput } from '@dfer/trainer';
import {
  AU_DETECTION_BLOCK,
  CLAIMS_AU_DETECTION_BLOCK,
  expandAuDetectionBlock,
  type AuDetectionBlock,
  type AuDetectionCell,
} from './au-detection-profile';
import { BENCH_FACE_SCALE, pretrainedNode } from './pretrained';
import type { ProfileTraining } from './profile-training';
import { expandRdferBlock, RDFER_DATA, type RdferBlock, type RdferCell } from './rdfer-profile';

export type { ProfileTraining } from './profile-training';

/**
 * The experiment matrices of `bench run`. A profile lists models × methods × seeds on one data node (the DFER
 * matrix; empty when `methods` is empty) and may add an RDFER noise block (`rdfer-profile.ts`) and an
 * AU-detection block (`au-detection-profile.ts`) that share its seeds, training settings and engine; each
 * cell becomes one trainer run (`runExperiment`, or `runAuDetectionExperiment` for AU detection). Methods
 * are the trainer's shipped method configs (`configs/_base/methods/*.json`: a loss node and whether the model
 * gets the AU head; AU-DFER: `../shared/reference/au-dfer.md`).
 */

/** A training method of the matrix: a loss config node and whether the model needs the AU head. */
export interface MethodSpec {
  readonly name: string;
  readonly loss: Readonly<Record<string, unknown>> & { readonly type: string };
  readonly auHead: boolean;
  readonly description: string;
}

/** Each method of the bench and the shipped method config it is (`configs/_base/methods/` of `@dfer/trainer`). */
const METHOD_CONFIGS: readonly {
  readonly name: string;
  readonly file: string;
  readonly description: string;
}[] = [
  { name: 'ce', file: 'ce.json', description: 'cross-entropy' },
  { name: 'ce+au_global', file: 'au-dfer-global.json', description: 'CE + AU-DFER loss, global pos-weights' },
  {
    name: 'ce+au_distinct',
    file: 'au-dfer-distinct.json',
    description: 'CE + AU-DFER loss, per-class (distinct) pos-weights',
  },
  {
    name: 'ce+au_minor',
    file: 'au-dfer-minor.json',
    description: 'CE + AU-DFER loss, minority-class pos-weights',
  },
  { name: 'focal', file: 'focal.json', description: 'focal loss (γ = 2)' },
  {
    name: 'class_balanced',
    file: 'class-balanced.json',
    description: 'class-balanced softmax CE (β = 0.999)',
  },
];

/** A shipped method config as a {@link MethodSpec}: its `loss` node and `model.auHead`. */
function loadMethod(name: string, file: string, description: string): MethodSpec {
  const path = join(SHIPPED_CONFIG_DIR, '_base', 'methods', file);
  const config = loadConfigFile(path) as { loss?: MethodSpec['loss']; model?: { auHead?: boolean } };
  if (config.loss === undefined || typeof config.loss.type !== 'string') {
    throw new Error(`${path}: a method config needs a loss node with a type`);
  }
  return { name, loss: config.loss, auHead: config.model?.auHead === true, description };
}

/** The methods the bench knows, by name, read from the trainer's shipped method configs. */
export const METHODS: Readonly<Record<string, MethodSpec>> = Object.fromEntries(
  METHOD_CONFIGS.map(({ name, file, description }) => [name, loadMethod(name, file, description)]),
);

/** A matrix: models × methods × seeds on one data node with one protocol. */
export interface ProfileConfig {
  readonly name: string;
  readonly description: string;
  readonly models: readonly string[];
  readonly preset: string;
  readonly methods: readonly string[];
  readonly seeds: readonly number[];
  /** Trainer data node (`{ type, ...options }`), e.g. `synthetic_dfer` options. */
  readonly data: Readonly<Record<string, unknown>> & { readonly type: string };
  readonly protocol: { readonly type: 'fixed' } | { readonly type: 'kfold'; readonly folds: number };
  readonly training: ProfileTraining;
  readonly engine: 'auto' | 'wasm' | 'cpu' | 'tensorflow';
  /**
   * Start every model of the DFER matrix from its shipped pre-trained `tiny` backbone (`pretrained.ts`; fresh
   * heads, the same weights for every arm). Default false (the model's own initialisation).
   */
  readonly pretrained?: boolean;
  /**
   * Per model, the `model.initialization` of the DFER matrix's cells (default: the model's own). With
   * `pretrained` it sets how the fresh heads start.
   */
  readonly initialization?: Readonly<Partial<Record<string, 'random' | 'layer_defaults'>>>;
  /** The RDFER noise experiment (its cells use this profile's seeds, training, protocol and engine). */
  readonly rdfer?: RdferBlock;
  /** The AU-detection experiment (its cells use this profile's seeds, epochs and engine). */
  readonly auDetection?: AuDetectionBlock;
}

/** The three base models of the issue. */
export const BASE_MODELS = ['former_dfer', 'm3dfel', 'mae_dfer'] as const;

/**
 * Class proportions of the bench's synthetic data, in `LABEL_SETS.dfew` order (happy, sad, neutral, angry,
 * surprise, disgust, fear): DFEW's clip counts ({@link DFEW_CLASS_COUNTS} of `@dfer/datasets`) with disgust
 * raised from 145 to 600, so that the smallest class has enough clips to be measured (DFEW's ratio of largest
 * to smallest class is 18 : 1, here 4.4 : 1). Disgust (4.9 %), fear (7.4 %) and surprise (12.1 %) stay the three
 * minority classes the AU-DFER claim is about.
 */
const BENCH_CLASS_PROPORTIONS: readonly number[] = [2445, 1894, 2669, 2173, 1469, 600, 902];

/**
 * Synthetic DFEW-like data of the bench profiles: 16-frame clips rendered at 64 × 64 (each model's transform
 * resizes to its `tiny` input: 32 × 32 Former-DFER, 16 × 16 M3DFEL, 64 × 64 MAE-DFER) with the face framed like
 * an aligned face crop (`nuisance.faceScale` {@link BENCH_FACE_SCALE}), the renderer's default nuisances (pose,
 * light, blur, noise, speech, blinks, occluders, hard and distractor clips), {@link BENCH_CLASS_PROPORTIONS},
 * and an identity-disjoint test split of a quarter of the identities (`testFolds: 4`).
 */
function benchData(numClips: number, numIdentities: number) {
  return {
    type: 'synthetic_dfer',
    numClips,
    numIdentities,
    size: [64, 64],
    numFrames: [16, 16],
    classProportions: BENCH_CLASS_PROPORTIONS,
    nuisance: { faceScale: BENCH_FACE_SCALE },
    testFolds: 4,
    memoryCacheMiB: 512,
  } as const;
}

/**
 * The milder in-the-wild conditions of the quick profile: every nuisance range of the renderer's defaults
 * (`DEFAULT_NUISANCE` of `@dfer/datasets`: pose, framing jitter, brightness, contrast, light, blur, noise) and
 * every event rate (hard, distractor, speech, occluded clips) halved; blinks as usual.
 */
const QUICK_MILD_CONDITIONS = {
  hardRate: 0.075,
  distractorRate: 0.05,
  speechRate: 0.1,
  occlusionRate: 0.025,
  nuisance: {
    ...Object.fromEntries(Object.entries(DEFAULT_NUISANCE).map(([k, v]) => [k, v / 2])),
    faceScale: BENCH_FACE_SCALE,
  },
} as const;

/**
 * Data of the quick profile: 336 clips of 84 identities (252 train incl. validation / 84 test) under
 * {@link QUICK_MILD_CONDITIONS}.
 */
export const QUICK_DATA = { ...benchData(336, 84), ...QUICK_MILD_CONDITIONS } as const;

/** Data of the claims profile: 560 clips of 140 identities (420 train incl. validation / 140 test). */
const CLAIMS_DATA = benchData(560, 140);

/**
 * `quick`: 3 models × {CE, CE + AU global} × 3 seeds, fine-tuned for 4 epochs from the shipped pre-trained
 * backbones on {@link QUICK_DATA}; sized for `npm run bench` (≤ 10 minutes on 2 cores with 2 workers).
 */
export const QUICK_PROFILE: ProfileConfig = {
  name: 'quick',
  description:
    'three base models (tiny, pre-trained backbones) × {CE, CE + AU-DFER global} × 3 seeds on synthetic DFEW-like videos (336 clips, milder nuisances), 4 epochs',
  models: BASE_MODELS,
  preset: 'tiny',
  methods: ['ce', 'ce+au_global'],
  seeds: [0, 1, 2],
  data: QUICK_DATA,
  protocol: { type: 'fixed' },
  training: { epochs: 4, batchSize: 8, lr: 5e-4, weightDecay: 0.05, warmupEpochs: 0, evalEvery: 1 },
  engine: 'auto',
  pretrained: true,
  // MAE-DFER's official head init (N(0, 0.02²) × 0.001) is made for its own long fine-tuning recipe; within
  // 4 epochs its fresh head learned faster from PyTorch's layer defaults, as in the pre-training (pilot seeds
  // 100–103, results/pilot/).
  initialization: { mae_dfer: 'layer_defaults' },
};

/** Synthetic-video options of the claims profile's RDFER block: {@link benchData} with 420 clips of 105 identities. */
const { type: _rdferDataType, ...CLAIMS_RDFER_DATA } = benchData(420, 105);

/** Training of the claims profile's DFER matrix and RDFER block. */
const CLAIMS_TRAINING: ProfileTraining = {
  epochs: 6,
  batchSize: 8,
  lr: 5e-4,
  weightDecay: 0.05,
  warmupEpochs: 0,
  evalEvery: 1,
};

/**
 * `claims`: the evidence for the three methods, identity-disjoint splits, 3 seeds (one synthetic data set per
 * seed, shared by every arm of that seed):
 * - AU-DFER: each base model × {CE, AU global, AU distinct, AU minor} on {@link CLAIMS_DATA};
 * - RDFER: `rdfer` and `former_dfer` × {CE, clip agreement} × training-label noise {0, 20, 40 %}, clean test labels;
 * - expression-assisted AU detection: the six arms (AU only / joint without gate / joint with gate × plain /
 *   smooth class-weighted BCE) on synthetic clips with BP4D AU co-occurrence.
 */
const CLAIMS_PROFILE: ProfileConfig = {
  name: 'claims',
  description:
    'AU-DFER (three base models × CE / AU global / AU distinct / AU minor), RDFER (rdfer, former_dfer × CE / clip agreement × 0 / 20 / 40 % label noise) and expression-assisted AU detection (six arms), 3 seeds, identity-disjoint splits, pre-trained tiny backbones',
  models: BASE_MODELS,
  preset: 'tiny',
  methods: ['ce', 'ce+au_global', 'ce+au_distinct', 'ce+au_minor'],
  seeds: [0, 1, 2],
  data: CLAIMS_DATA,
  protocol: { type: 'fixed' },
  training: CLAIMS_TRAINING,
  engine: 'auto',
  pretrained: true,
  rdfer: {
    models: ['rdfer', 'former_dfer'],
    preset: 'tiny',
    arms: ['ce', 'clip_agreement'],
    noiseRates: [0, 0.2, 0.4],
    data: CLAIMS_RDFER_DATA,
    robustWarmupEpochs: 2,
    pretrained: true,
  },
  auDetection: CLAIMS_AU_DETECTION_BLOCK,
};

/**
 * `full`: identity-disjoint 5 folds × 3 seeds × six methods on {@link CLAIMS_DATA}, pre-trained backbones; then
 * the claims profile's RDFER and AU-detection blocks.
 */
export const FULL_PROFILE: ProfileConfig = {
  name: 'full',
  description:
    'three base models (tiny, pre-trained backbones) × six methods × 3 seeds × identity-disjoint 5-fold CV on synthetic videos; then the RDFER noise experiment and the AU-detection experiment',
  models: BASE_MODELS,
  preset: 'tiny',
  methods: ['ce', 'ce+au_global', 'ce+au_distinct', 'ce+au_minor', 'focal', 'class_balanced'],
  seeds: [0, 1, 2],
  data: CLAIMS_DATA,
  protocol: { type: 'kfold', folds: 5 },
  training: CLAIMS_TRAINING,
  engine: 'auto',
  pretrained: true,
  rdfer: CLAIMS_PROFILE.rdfer!,
  auDetection: CLAIMS_AU_DETECTION_BLOCK,
};

/** Profiles by name. */
/**
 * `rdfer`: the RDFER noise experiment alone — `rdfer` and `former_dfer` (tiny) × {CE, clip agreement} ×
 * training-label noise {0, 20, 40 %} × 3 seeds on a fixed identity-disjoint split of synthetic videos
 * (clean test labels), 6 epochs, clip agreement weighting from epoch 3. No DFER matrix (`methods` is empty).
 */
export const RDFER_PROFILE: ProfileConfig = {
  name: 'rdfer',
  description:
    'RDFER noise experiment: rdfer and former_dfer (tiny) × {CE, clip agreement} × training-label noise {0, 20, 40 %} × 3 seeds, synthetic videos, clean test labels',
  models: [],
  preset: 'tiny',
  methods: [],
  seeds: [0, 1, 2],
  data: { type: 'synthetic_dfer', ...RDFER_DATA },
  protocol: { type: 'fixed' },
  training: { epochs: 6, batchSize: 8, lr: 2e-3, weightDecay: 0.05, warmupEpochs: 0, evalEvery: 1 },
  engine: 'auto',
  rdfer: {
    models: ['rdfer', 'former_dfer'],
    preset: 'tiny',
    arms: ['ce', 'clip_agreement'],
    noiseRates: [0, 0.2, 0.4],
    data: RDFER_DATA,
    robustWarmupEpochs: 2,
  },
};

/**
 * `au_detection`: the AU-detection experiment alone — the six AU-MTL arms × 3 seeds on the shipped synthetic
 * AU data (96 clips, BP4D AU co-occurrence, identity-disjoint fold 1 of 3), 10 epochs. No DFER matrix. The
 * data's label file is resolved against `RunMatrixOptions.dataDir` (default `DFER_SHARED_DATA`).
 */
export const AU_DETECTION_PROFILE: ProfileConfig = {
  name: 'au_detection',
  description:
    'AU detection: au_mtl (tiny) AU-only vs joint FER + AU without / with the attention gate × {plain BCE, smooth class-weighted BCE} × 3 seeds, synthetic AU videos',
  models: [],
  preset: 'tiny',
  methods: [],
  seeds: [0, 1, 2],
  data: { type: 'synthetic_au' },
  protocol: { type: 'fixed' },
  // Only `epochs` is used by the AU-detection block; the rest (batch 8, lr 3e-3, …) comes from the shipped configs.
  training: { epochs: 10, batchSize: 8, lr: 3e-3, weightDecay: 1e-4, warmupEpochs: 0, evalEvery: 1 },
  engine: 'auto',
  auDetection: AU_DETECTION_BLOCK,
};

/**
 * `smoke`: three tiny Former-DFER cells (CE, CE + AU global, focal; seed 0) for one epoch on 24 synthetic clips
 * of 16 × 16 pixels and 8 frames, wasm backend: seconds per cell. It checks that a setup runs end to end (a
 * sweep over a queue, a new machine); its numbers are not evidence (the report says so: its name contains
 * `smoke`). The queue test runs it.
 */
export const SMOKE_PROFILE: ProfileConfig = {
  name: 'smoke',
  description:
    'smoke test: Former-DFER (tiny) × {CE, CE + AU-DFER global, focal} × seed 0, 1 epoch on 24 tiny synthetic clips (16 × 16, 8 frames); not evidence',
  models: ['former_dfer'],
  preset: 'tiny',
  methods: ['ce', 'ce+au_global', 'focal'],
  seeds: [0],
  data: {
    type: 'synthetic_dfer',
    numClips: 24,
    numIdentities: 6,
    size: [16, 16],
    numFrames: [8, 8],
    distractorRate: 0,
  },
  protocol: { type: 'fixed' },
  training: { epochs: 1, batchSize: 8, lr: 2e-3, weightDecay: 0.05, warmupEpochs: 0, evalEvery: 1 },
  engine: 'wasm',
};

const PROFILES: Readonly<Record<string, ProfileConfig>> = {
  quick: QUICK_PROFILE,
  claims: CLAIMS_PROFILE,
  full: FULL_PROFILE,
  rdfer: RDFER_PROFILE,
  au_detection: AU_DETECTION_PROFILE,
  smoke: SMOKE_PROFILE,
};

/** Names of the built-in profiles. */
export function listProfiles(): string[] {
  return Object.keys(PROFILES);
}

/** Look up a profile; unknown names fail with the list of valid ones. */
export function getProfile(name: string): ProfileConfig {
  const profile = PROFILES[name];
  if (!profile)
    throw new RangeError(
      `--profile "${name}": unknown profile; expected one of ${listProfiles().join(', ')}`,
    );
  return profile;
}

/** Look up a method; unknown names fail with the list of valid ones. */
export function getMethod(name: string): MethodSpec {
  const method = METHODS[name];
  if (!method)
    throw new RangeError(`method "${name}": unknown; expected one of ${Object.keys(METHODS).join(', ')}`);
  return method;
}

/** One cell of the DFER matrix: its run id and trainer config. */
export interface MatrixCell {
  readonly experiment: 'dfer';
  readonly id: string;
  readonly dataset: string;
  readonly preset: string;
  readonly model: string;
  readonly method: string;
  readonly seed: number;
  readonly config: ExperimentConfigInput;
}

/** Short name of a data node for run ids and reports (`synthetic_dfer`, or its `name` option when set). */
export function datasetLabel(data: ProfileConfig['data']): string {
  return typeof data['name'] === 'string' ? data['name'] : data.type;
}

/** Any cell of a profile: DFER matrix, RDFER noise experiment or AU detection. */
export type BenchCell = MatrixCell | RdferCell | AuDetectionCell;

/**
 * Expand a profile into its cells, in run order: the DFER matrix (seed, then model, then method; run ids
 * `<profile>/<dataset>/<model>/<method>/seed-<seed>`), then the RDFER block (`expandRdferBlock`), then the
 * AU-detection block (`expandAuDetectionBlock`). Run ids are unique; a duplicate is an error.
 */
export function expandProfile(profile: ProfileConfig): BenchCell[] {
  const cells: BenchCell[] = [...expandDferMatrix(profile)];
  if (profile.rdfer) {
    cells.push(
      ...expandRdferBlock(profile.rdfer, {
        profileName: profile.name,
        seeds: profile.seeds,
        training: profile.training,
        protocol: profile.protocol,
        engine: profile.engine,
      }),
    );
  }
  if (profile.auDetection) {
    cells.push(
      ...expandAuDetectionBlock(profile.auDetection, {
        profileName: profile.name,
        seeds: profile.seeds,
        epochs: profile.training.epochs,
      }),
    );
  }
  const seen = new Set<string>();
  for (const cell of cells) {
    if (seen.has(cell.id))
      throw new RangeError(`profile "${profile.name}": run id "${cell.id}" appears twice`);
    seen.add(cell.id);
  }
  return cells;
}

/** The DFER matrix of a profile (models × methods × seeds), in run order (seed, then model, then method). */
export function expandDferMatrix(profile: ProfileConfig): MatrixCell[] {
  const cells: MatrixCell[] = [];
  const { name: _dataName, ...dataNode } = profile.data as Record<string, unknown> & { type: string };
  for (const seed of profile.seeds) {
    for (const model of profile.models) {
      for (const methodName of profile.methods) {
        const method = getMethod(methodName);
        const t = profile.training;
        const id = `${profile.name}/${datasetLabel(profile.data)}/${model}/${method.name}/seed-${seed}`;
        cells.push({
          experiment: 'dfer',
          id,
          dataset: datasetLabel(profile.data),
          preset: profile.preset,
          model,
          method: method.name,
          seed,
          config: {
            name: id.replace(/[^A-Za-z0-9_.-]+/g, '_'),
            seed,
            engine: { backend: profile.engine },
            data: dataNode as { type: string },
            model: {
              type: model,
              preset: profile.preset,
              auHead: method.auHead,
              ...(profile.pretrained ? { pretrained: pretrainedNode(model) } : {}),
              ...(profile.initialization?.[model] ? { initialization: profile.initialization[model] } : {}),
            },
            loss: { ...method.loss },
            optim: { type: 'adamw', lr: t.lr, weightDecay: t.weightDecay },
            schedule: { type: 'cosine', warmupEpochs: t.warmupEpochs },
            train: {
              epochs: t.epochs,
              batchSize: t.batchSize,
              evalEvery: t.evalEvery,
              ...(t.workers !== undefined && t.workers > 1 ? { workers: t.workers } : {}),
            },
            evaluation: { selection: 'validation', validationFraction: 0.1 },
            protocol:
              profile.protocol.type === 'kfold'
                ? { type: 'kfold', folds: profile.protocol.folds }
                : { type: 'fixed' },
          },
        });
      }
    }
  }
  return cells;
}
