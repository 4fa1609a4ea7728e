import {
  createExperimentData,
  registerExperimentData,
  listExperimentData,
  SYNTHETIC_DFER_OPTIONS,
} from '@dfer/trainer';
import type { SyntheticFacsConfig, SyntheticLabelNoiseConfig } from '@dfer/datasets/synthetic';

/**
 * Name of the bench's data node for the RDFER noise experiment: the synthetic DFEW-like videos of
 * `synthetic_dfer` with label noise in the TRAINING labels only (the RDFER noise experiment).
 */
export const TRAIN_NOISE_DATA = 'synthetic_dfer_train_noise';

/**
 * Register {@link TRAIN_NOISE_DATA} with the trainer's data registry (once; later calls do nothing).
 *
 * Options: those of `synthetic_dfer` (`SyntheticFacsConfig` and `testFolds`) plus `trainLabelNoise`
 * (`{ rate, pattern? }`, default rate 0). It is `synthetic_dfer` with `labelNoise: trainLabelNoise`, which
 * corrupts the training labels only and scores the test split against the true labels (see the trainer's
 * `synthetic_dfer`); this name keeps the bench's configs explicit about it and refuses a bare `labelNoise`.
 * Other unknown options are config errors (declared with `optionKeys`).
 */
export function registerTrainNoiseData(): void {
  if (listExperimentData().includes(TRAIN_NOISE_DATA)) return;
  registerExperimentData(
    TRAIN_NOISE_DATA,
    (options, context) => {
      const {
        trainLabelNoise = { rate: 0 },
        labelNoise,
        ...rest
      } = options as SyntheticFacsConfig & {
        trainLabelNoise?: SyntheticLabelNoiseConfig;
      };
      if (labelNoise !== undefined) {
        throw new Error(`data (${TRAIN_NOISE_DATA}): use "trainLabelNoise" instead of "labelNoise"`);
      }
      const node = { type: 'synthetic_dfer', ...rest, labelNoise: trainLabelNoise };
      return createExperimentData(node, context);
    },
    { optionKeys: [...SYNTHETIC_DFER_OPTIONS, 'trainLabelNoise'] },
  );
}
