import type { ExperimentConfigInput } from '@dfer/trainer';
import type { LabelNoiseRecord } from '../results/schema';
import { pretrainedNode } from './pretrained';
import { registerTrainNoiseData, TRAIN_NOISE_DATA } from './train-noise-data';
import type { ProfileTraining } from './profile-training';

/**
 * The RDFER noise experiment (`../shared/reference/rdfer.md`): plain cross-entropy vs RDFER clip
 * agreement on synthetic DFEW-like videos whose TRAINING labels carry symmetric noise at several rates (test
 * labels clean), reporting test UAR / WAR and the noisy-sample detection of clip agreement.
 */

/** An arm of the RDFER experiment: the trainer's `robust` node, or none. */
export interface RdferArm {
  readonly name: string;
  readonly description: string;
  /** Trainer `robust` node (`clip_agreement` of `@dfer/losses`); absent for plain training. */
  readonly robust?: Readonly<Record<string, unknown>> & { readonly type: string };
}

/**
 * The two arms. Both train with cross-entropy on the model's logits; `clip_agreement` samples K = 4 clips per
 * training video, partitions videos into easy / hard / noisy by the agreement of the clips' predictions
 * (1 − normalised entropy of the mean prediction), up-weights hard and down-weights noisy ones after the
 * warm-up (the shipped `configs/_base/robust/clip-agreement.json` settings except the warm-up, which the
 * block sets).
 */
export const RDFER_ARMS: Readonly<Record<string, RdferArm>> = {
  ce: { name: 'ce', description: 'plain cross-entropy' },
  clip_agreement: {
    name: 'clip_agreement',
    description: 'cross-entropy with RDFER clip-agreement weighting (K = 4 clips, entropy agreement)',
    robust: { type: 'clip_agreement', clips: 4, measure: 'entropy', noisyTreatment: 'downweight' },
  },
};

/** The RDFER block of a profile: models × arms × noise rates (× the profile's seeds and protocol). */
export interface RdferBlock {
  /** Registered models (`@dfer/backbones`), e.g. `rdfer`. */
  readonly models: readonly string[];
  readonly preset: string;
  /** Arms, names of {@link RDFER_ARMS}. */
  readonly arms: readonly string[];
  /** Nominal symmetric noise rates of the training labels, in [0, 1). */
  readonly noiseRates: readonly number[];
  /** Options of the synthetic videos (`synthetic_dfer` options without `type` and label noise). */
  readonly data: Readonly<Record<string, unknown>>;
  /** Epochs before clip agreement weights the loss (must be below the profile's epochs). */
  readonly robustWarmupEpochs: number;
  /** Start each model from its shipped pre-trained `tiny` backbone (`pretrained.ts`). Default false. */
  readonly pretrained?: boolean;
}

/** The inputs of one RDFER cell besides the block. */
export interface RdferCellContext {
  readonly profileName: string;
  readonly seeds: readonly number[];
  readonly training: ProfileTraining;
  readonly protocol: { readonly type: 'fixed' } | { readonly type: 'kfold'; readonly folds: number };
  readonly engine: 'auto' | 'wasm' | 'cpu' | 'tensorflow';
}

/** One RDFER cell: a trainer config with its noise. */
export interface RdferCell {
  readonly experiment: 'rdfer';
  readonly id: string;
  readonly dataset: string;
  readonly model: string;
  readonly preset: string;
  readonly method: string;
  readonly seed: number;
  readonly noise: LabelNoiseRecord;
  readonly config: ExperimentConfigInput;
}

/** Look up an RDFER arm; unknown names fail with the list of valid ones. */
export function getRdferArm(name: string): RdferArm {
  const arm = RDFER_ARMS[name];
  if (!arm)
    throw new RangeError(
      `rdfer arm "${name}": unknown; expected one of ${Object.keys(RDFER_ARMS).join(', ')}`,
    );
  return arm;
}

/** `noise-<percent>` label of a rate (0.2 → `noise-20`). */
export function noiseLabel(rate: number): string {
  return `noise-${Math.round(rate * 1000) / 10}`;
}

/**
 * Expand an RDFER block into cells, in run order (seed, model, noise rate, arm). Run ids are
 * `<profile>/<dataset>/<model>/<arm>/noise-<percent>/seed-<seed>`; the data node is
 * {@link TRAIN_NOISE_DATA} (registered here) with `trainLabelNoise: { rate, pattern: 'uniform' }`.
 */
export function expandRdferBlock(block: RdferBlock, context: RdferCellContext): RdferCell[] {
  registerTrainNoiseData();
  for (const rate of block.noiseRates) {
    if (!(rate >= 0 && rate < 1)) throw new RangeError(`rdfer.noiseRates: ${rate} is not a rate in [0, 1)`);
  }
  if (!(block.robustWarmupEpochs >= 0 && block.robustWarmupEpochs < context.training.epochs)) {
    throw new RangeError(
      `rdfer.robustWarmupEpochs (${block.robustWarmupEpochs}) must be at least 0 and below the profile's epochs (${context.training.epochs})`,
    );
  }
  const { name: dataName, ...data } = block.data as Record<string, unknown>;
  const dataset = typeof dataName === 'string' ? dataName : 'synthetic_dfer';
  const t = context.training;
  const cells: RdferCell[] = [];
  for (const seed of context.seeds) {
    for (const model of block.models) {
      for (const rate of block.noiseRates) {
        for (const armName of block.arms) {
          const arm = getRdferArm(armName);
          const id = `${context.profileName}/${dataset}/${model}/${arm.name}/${noiseLabel(rate)}/seed-${seed}`;
          const noise: LabelNoiseRecord = { rate, pattern: 'uniform', appliedTo: 'train' };
          cells.push({
            experiment: 'rdfer',
            id,
            dataset,
            model,
            preset: block.preset,
            method: arm.name,
            seed,
            noise,
            config: {
              name: id.replace(/[^A-Za-z0-9_.-]+/g, '_'),
              seed,
              engine: { backend: context.engine },
              data: { type: TRAIN_NOISE_DATA, ...data, trainLabelNoise: { rate, pattern: 'uniform' } },
              model: {
                type: model,
                preset: block.preset,
                auHead: false,
                ...(block.pretrained ? { pretrained: pretrainedNode(model) } : {}),
              },
              loss: { type: 'cross_entropy' },
              ...(arm.robust ? { robust: { ...arm.robust, warmupEpochs: block.robustWarmupEpochs } } : {}),
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
                context.protocol.type === 'kfold'
                  ? { type: 'kfold', folds: context.protocol.folds }
                  : { type: 'fixed' },
            },
          });
        }
      }
    }
  }
  return cells;
}

/** Synthetic videos of the `rdfer` profile: 168 clips of 24 identities, 16–24 frames, rendered at 32×32. */
export const RDFER_DATA = { numClips: 168, numIdentities: 24, size: [32, 32], numFrames: [16, 24] } as const;
