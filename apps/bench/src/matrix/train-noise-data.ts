import { registerData, listData } from '@dfer/trainer';
import {
  createIdentityFolds,
  createSyntheticFacsDataset,
  type SyntheticFacsConfig,
  type SyntheticLabelNoiseConfig,
} from '@dfer/datasets';

/**
 * Name of the bench's data node for the RDFER noise experiment: the synthetic DFEW-like videos of
 * `synthetic_dfer` with label noise in the TRAINING labels only (issue 9).
 */
export const TRAIN_NOISE_DATA = 'synthetic_dfer_train_noise';

/**
 * Register {@link TRAIN_NOISE_DATA} with the trainer's data registry (once; later calls do nothing).
 *
 * Options: those of `synthetic_dfer` (`SyntheticFacsConfig` and `testFolds`) plus `trainLabelNoise`
 * (`{ rate, pattern? }`, default rate 0). The node builds the seeded synthetic set twice from the same seed —
 * once clean, once with `labelNoise: trainLabelNoise` — which differ only in the given labels (the noise has
 * its own random stream in `createSyntheticFacsDataset`: round(rate · N) clips of the whole set get a wrong
 * label, uniform over the other classes for the default `uniform` pattern, i.e. symmetric noise). The
 * identity-disjoint folds are the same as `synthetic_dfer`'s; the training split (and the validation split the
 * trainer carves from it) comes from the noisy build, the test split from the clean build, so test labels are
 * the true labels. The realised training noise fraction is close to, not exactly, `rate` (the wrong labels are
 * drawn over the whole set); the trainer's noisy-sample detection reports the exact count.
 */
export function registerTrainNoiseData(): void {
  if (listData().includes(TRAIN_NOISE_DATA)) return;
  registerData(TRAIN_NOISE_DATA, (options, context) => {
    const {
      testFolds = 5,
      trainLabelNoise = { rate: 0 },
      labelNoise,
      ...rest
    } = options as SyntheticFacsConfig & {
      testFolds?: number;
      trainLabelNoise?: SyntheticLabelNoiseConfig;
    };
    if (labelNoise !== undefined) {
      throw new Error(
        `data (${TRAIN_NOISE_DATA}): "labelNoise" would also change the test labels; use "trainLabelNoise"`,
      );
    }
    const seed = rest.seed ?? context.seed;
    const clean = createSyntheticFacsDataset({ ...rest, seed });
    const noisy = createSyntheticFacsDataset({ ...rest, seed, labelNoise: trainLabelNoise });
    const k = context.protocol === 'kfold' ? context.folds! : testFolds;
    const fold = context.protocol === 'kfold' ? context.fold! : 0;
    const chosen = createIdentityFolds(clean, k, { seed })[fold]!;
    return {
      train: noisy.subset(chosen.train),
      test: clean.subset(chosen.test),
      description:
        `synthetic FACS videos (${clean.length} clips, seed ${seed}), training labels with ${(trainLabelNoise.rate * 100).toFixed(0)} % ` +
        `${trainLabelNoise.pattern === undefined || trainLabelNoise.pattern === 'uniform' ? 'symmetric' : 'patterned'} noise, clean test labels; ` +
        `identity-disjoint fold ${fold + 1}/${k}: ${chosen.train.length} train / ${chosen.test.length} test clips`,
    };
  });
}
