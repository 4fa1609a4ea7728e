import type { ExperimentConfigInput } from '@dfer/trainer';
import {
  AU_DETECTION_BLOCK,
  AU_DETECTION_PROFILE,
  expandAuDetectionBlock,
  type AuDetectionBlock,
  type AuDetectionCell,
} from './au-detection-profile';
import { expandRdferBlock, RDFER_PROFILE, type RdferBlock, type RdferCell } from './rdfer-profile';

/**
 * The experiment matrices of `bench run`. A profile lists models × methods × seeds on one data node (the DFER
 * matrix; empty when `methods` is empty) and may add an RDFER noise block (`rdfer-profile.ts`) and an
 * AU-detection block (`au-detection-profile.ts`) that share its seeds, training settings and engine; each
 * cell becomes one trainer run (`runExperiment`, or `runAuDetectionExperiment` for AU detection). Methods
 * are named once here and map to a loss node and whether the model gets the AU head (AU-DFER:
 * `../shared/reference/au-dfer.md`; λ = 0.25 is the losses package default).
 */

/** A training method of the matrix: a loss config node and whether the model needs the AU head. */
export interface MethodSpec {
  readonly name: string;
  readonly loss: Readonly<Record<string, unknown>> & { readonly type: string };
  readonly auHead: boolean;
  readonly description: string;
}

/** The methods the bench knows, by name. */
export const METHODS: Readonly<Record<string, MethodSpec>> = {
  ce: { name: 'ce', loss: { type: 'cross_entropy' }, auHead: false, description: 'cross-entropy' },
  'ce+au_global': {
    name: 'ce+au_global',
    loss: { type: 'au_dfer', lambda: 0.25, posWeight: 'global' },
    auHead: true,
    description: 'CE + AU-DFER loss, global pos-weights',
  },
  'ce+au_distinct': {
    name: 'ce+au_distinct',
    loss: { type: 'au_dfer', lambda: 0.25, posWeight: 'distinct' },
    auHead: true,
    description: 'CE + AU-DFER loss, per-class (distinct) pos-weights',
  },
  'ce+au_minor': {
    name: 'ce+au_minor',
    loss: { type: 'au_dfer', lambda: 0.25, posWeight: 'minor' },
    auHead: true,
    description: 'CE + AU-DFER loss, minority-class pos-weights',
  },
  focal: {
    name: 'focal',
    loss: { type: 'focal', gamma: 2 },
    auHead: false,
    description: 'focal loss (γ = 2)',
  },
  class_balanced: {
    name: 'class_balanced',
    loss: { type: 'class_balanced', beta: 0.999 },
    auHead: false,
    description: 'class-balanced softmax CE (β = 0.999)',
  },
};

/** Training settings shared by every cell of a profile. */
export interface ProfileTraining {
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly weightDecay: number;
  readonly warmupEpochs: number;
  readonly evalEvery: number;
}

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
  /** The RDFER noise experiment (its cells use this profile's seeds, training, protocol and engine). */
  readonly rdfer?: RdferBlock;
  /** The AU-detection experiment (its cells use this profile's seeds, epochs and engine). */
  readonly auDetection?: AuDetectionBlock;
}

/** The three base models of the issue. */
export const BASE_MODELS = ['former_dfer', 'm3dfel', 'mae_dfer'] as const;

/**
 * Synthetic DFEW-like data of the quick profile: 112 clips of 16 identities, 16 frames each, rendered at 32×32
 * (each model's transform resizes to its `tiny` input), DFEW's class proportions and the default nuisances of
 * `createSyntheticFacsDataset`. Sized so that the whole quick profile fits 10 minutes on 2 CPU cores (M3DFEL's
 * 3-D convolutions dominate; see docs/bench.md for the measured time).
 */
export const QUICK_DATA = {
  type: 'synthetic_dfer',
  numClips: 112,
  numIdentities: 16,
  size: [32, 32],
  numFrames: [16, 16],
} as const;

/** `quick`: 3 models × {CE, CE + AU global} × 1 seed, fixed identity-disjoint split of synthetic data. */
export const QUICK_PROFILE: ProfileConfig = {
  name: 'quick',
  description: 'three base models (tiny) × {CE, CE + AU-DFER global} on synthetic DFEW-like videos, one seed',
  models: BASE_MODELS,
  preset: 'tiny',
  methods: ['ce', 'ce+au_global'],
  seeds: [0],
  data: QUICK_DATA,
  protocol: { type: 'fixed' },
  training: { epochs: 3, batchSize: 8, lr: 2e-3, weightDecay: 0.05, warmupEpochs: 0, evalEvery: 1 },
  engine: 'auto',
};

/**
 * `full`: identity-disjoint 5 folds × 3 seeds × six methods on a larger synthetic set; then the RDFER noise
 * experiment (rdfer and former_dfer, CE vs clip agreement at 0 / 20 / 40 % training-label noise, same folds,
 * seeds and training) and the six-arm AU-detection experiment (shipped configs, 3 seeds, 10 epochs).
 */
export const FULL_PROFILE: ProfileConfig = {
  name: 'full',
  description:
    'three base models (tiny) × six methods × 3 seeds × identity-disjoint 5-fold CV on synthetic videos; then the RDFER noise experiment and the AU-detection experiment',
  models: BASE_MODELS,
  preset: 'tiny',
  methods: ['ce', 'ce+au_global', 'ce+au_distinct', 'ce+au_minor', 'focal', 'class_balanced'],
  seeds: [0, 1, 2],
  data: { type: 'synthetic_dfer', numClips: 700, numIdentities: 70, size: [48, 48] },
  protocol: { type: 'kfold', folds: 5 },
  training: { epochs: 10, batchSize: 8, lr: 1e-3, weightDecay: 0.05, warmupEpochs: 1, evalEvery: 1 },
  engine: 'auto',
  rdfer: {
    models: ['rdfer', 'former_dfer'],
    preset: 'tiny',
    arms: ['ce', 'clip_agreement'],
    noiseRates: [0, 0.2, 0.4],
    data: { numClips: 700, numIdentities: 70, size: [48, 48] },
    robustWarmupEpochs: 3,
  },
  auDetection: AU_DETECTION_BLOCK,
};

/** Profiles by name. */
export const PROFILES: Readonly<Record<string, ProfileConfig>> = {
  quick: QUICK_PROFILE,
  full: FULL_PROFILE,
  rdfer: RDFER_PROFILE,
  au_detection: AU_DETECTION_PROFILE,
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
            model: { type: model, preset: profile.preset, auHead: method.auHead },
            loss: { ...method.loss },
            optim: { type: 'adamw', lr: t.lr, weightDecay: t.weightDecay },
            schedule: { type: 'cosine', warmupEpochs: t.warmupEpochs },
            train: { epochs: t.epochs, batchSize: t.batchSize, evalEvery: t.evalEvery },
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
