import {
  createIdentityFolds,
  createSplitListDataset,
  createSyntheticFacsDataset,
  type ClipDataset,
  type SplitListDatasetConfig,
  type SyntheticFacsConfig,
} from '@dfer/datasets';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The data registry of experiments: a data node `{ type, ...options }` of a config builds the train and test
 * sides of one fold. Each source decides how folds are made (official split lists for DFEW / MAFW,
 * identity-disjoint folds for synthetic data), so a protocol never mixes identities or clips by accident.
 */

/** The two sides of one fold. */
export interface ExperimentSplits {
  readonly train: ClipDataset;
  readonly test: ClipDataset;
  /** One line saying how the split was made (for reports). */
  readonly description: string;
}

/** What a data source gets besides its options. */
export interface DataBuildContext {
  /** Experiment seed. */
  readonly seed: number;
  /** `fixed`: one split; `kfold`: fold `fold` (0-based) of `folds`. */
  readonly protocol: 'fixed' | 'kfold';
  readonly fold?: number;
  readonly folds?: number;
}

/** Builds the splits of one fold from a data node's options. */
export type DataFactory = (
  options: Readonly<Record<string, unknown>>,
  context: DataBuildContext,
) => ExperimentSplits;

/** What a data source declares about itself when registered. */
export interface DataSourceSpec {
  /**
   * Every option the source accepts (besides `type`). When given, a config naming another option is
   * rejected by `runExperiment` (with the closest known name); when absent, options are not checked.
   */
  readonly optionKeys?: readonly string[];
}

const factories = new Map<string, DataFactory>();
const optionKeysByType = new Map<string, readonly string[]>();

/** Register a data source under a config name; a name can be registered once. */
export function registerData(type: string, factory: DataFactory, spec: DataSourceSpec = {}): void {
  if (!/^[a-z][a-z0-9_]*$/.test(type))
    throw new Error(`registerData: type must be snake_case, got '${type}'`);
  if (factories.has(type))
    throw new Error(`registerData: a data source named '${type}' is already registered`);
  factories.set(type, factory);
  if (spec.optionKeys !== undefined) optionKeysByType.set(type, [...spec.optionKeys]);
}

/** The declared option names of each registered data source that declares them (see {@link DataSourceSpec}). */
export function listDataOptions(): Record<string, readonly string[]> {
  return Object.fromEntries(optionKeysByType);
}

/** Registered data source names, sorted. */
export function listData(): string[] {
  return [...factories.keys()].sort();
}

/** Build the splits of a data node. */
export function buildData(node: { readonly type: string }, context: DataBuildContext): ExperimentSplits {
  const factory = factories.get(node.type);
  if (!factory) {
    throw new RangeError(
      `data.type: unknown data source '${node.type}'; registered: ${listData().join(', ')}`,
    );
  }
  const { type: _type, ...options } = node as Record<string, unknown>;
  return factory(options, context);
}

/**
 * `synthetic_dfer`: the seeded synthetic FACS video dataset of `@dfer/datasets` (options: its
 * `SyntheticFacsConfig`, plus `testFolds` — the fixed protocol tests on one of that many identity-disjoint
 * folds, default 5, i.e. 20 % of the identities). k-fold protocols use identity-disjoint folds. The dataset
 * seed defaults to the experiment seed.
 *
 * `labelNoise` corrupts the TRAINING labels only (and the validation split carved from them): the test side
 * comes from a clean build of the same seeded set (the noise has its own random stream, so frames, identities
 * and folds are identical), so test clips are always scored against their true labels. round(rate · N) clips
 * of the whole set get a wrong label, so the realised training noise fraction is close to, not exactly, `rate`.
 */
/** Every option of `SyntheticFacsConfig` (the compiler keeps this list complete and exact). */
const SYNTHETIC_FACS_OPTIONS = {
  seed: true,
  numClips: true,
  numIdentities: true,
  size: true,
  numFrames: true,
  fps: true,
  labels: true,
  prior: true,
  auNames: true,
  classProportions: true,
  labelNoise: true,
  hardRate: true,
  distractorRate: true,
  speechRate: true,
  blinkRate: true,
  occlusionRate: true,
  nuisance: true,
  presenceThreshold: true,
  cacheDir: true,
  memoryCacheMiB: true,
} as const satisfies Record<keyof SyntheticFacsConfig, true>;

/** Options of `synthetic_dfer`: those of `SyntheticFacsConfig` plus `testFolds`. */
export const SYNTHETIC_DFER_OPTIONS: readonly string[] = [
  ...Object.keys(SYNTHETIC_FACS_OPTIONS),
  'testFolds',
];

/** Every option of `SplitListDatasetConfig`. */
const SPLIT_LIST_DATASET_OPTIONS = {
  size: true,
  format: true,
  labels: true,
  keepComponents: true,
  root: true,
  onError: true,
  maxBytes: true,
} as const satisfies Record<keyof SplitListDatasetConfig, true>;

registerData(
  'synthetic_dfer',
  (options, context) => {
    const { testFolds = 5, ...rest } = options as SyntheticFacsConfig & { testFolds?: number };
    const seed = rest.seed ?? context.seed;
    const dataset = createSyntheticFacsDataset({ ...rest, seed });
    const { labelNoise, ...cleanConfig } = rest;
    const clean =
      labelNoise === undefined || labelNoise.rate === 0
        ? dataset
        : createSyntheticFacsDataset({ ...cleanConfig, seed });
    const k = context.protocol === 'kfold' ? context.folds! : testFolds;
    const fold = context.protocol === 'kfold' ? context.fold! : 0;
    const folds = createIdentityFolds(clean, k, { seed });
    const chosen = folds[fold]!;
    const noise =
      clean === dataset
        ? ''
        : `training labels with ${(labelNoise!.rate * 100).toFixed(0)} % ${labelNoise!.pattern === undefined || labelNoise!.pattern === 'uniform' ? 'symmetric' : 'patterned'} noise, clean test labels; `;
    return {
      train: dataset.subset(chosen.train),
      test: clean.subset(chosen.test),
      description:
        `synthetic FACS videos (${dataset.length} clips, seed ${seed}); ${noise}identity-disjoint ` +
        `fold ${fold + 1}/${k}: ${chosen.train.length} train / ${chosen.test.length} test clips`,
    };
  },
  { optionKeys: SYNTHETIC_DFER_OPTIONS },
);

/**
 * `split_list`: a real dataset (DFEW, FERV39K, MAFW) from official split lists in the DFER-CLIP format and
 * frame folders under the user's `root` (`createSplitListDataset` of `@dfer/datasets`). Options:
 * `listDir` (folder of the lists), `pattern` with `{fold}` (1-based) and `{split}` (`train` / `test`)
 * placeholders, e.g. `DFEW_set_{fold}_{split}.txt` or `FERV39K_{split}.txt`, and the split-list options
 * (`root`, `format`, `labels`, `keepComponents`, `onError`, `size`).
 */
registerData(
  'split_list',
  (options, context) => {
    const { listDir, pattern, ...listOptions } = options as {
      listDir?: string;
      pattern?: string;
    } & SplitListDatasetConfig;
    if (typeof listDir !== 'string' || typeof pattern !== 'string') {
      throw new Error(
        'data (split_list): "listDir" and "pattern" must be strings, e.g. pattern "DFEW_set_{fold}_{split}.txt"',
      );
    }
    if (typeof listOptions.root !== 'string' || !existsSync(listOptions.root)) {
      throw new Error(
        `data.root: dataset root ${JSON.stringify(listOptions.root)} does not exist (set it with --set data.root=/path/to/frames)`,
      );
    }
    const fold = (context.fold ?? 0) + 1;
    if (context.protocol === 'kfold' && !pattern.includes('{fold}')) {
      throw new Error(`data.pattern "${pattern}" has no {fold} placeholder but the protocol is k-fold`);
    }
    const file = (split: 'train' | 'test'): string =>
      join(listDir, pattern.replace('{fold}', String(fold)).replace('{split}', split));
    const train = createSplitListDataset(file('train'), listOptions);
    const test = createSplitListDataset(file('test'), listOptions);
    if (test.skipped.length > 0) {
      throw new Error(
        `${file('test')}: ${test.skipped.length} test clip(s) could not be read (first: ${JSON.stringify(test.skipped[0])}); every test clip must be scored`,
      );
    }
    return {
      train,
      test,
      description:
        `${file('train')} (${train.length} clips${train.skipped.length ? `, ${train.skipped.length} unreadable skipped` : ''}) / ` +
        `${file('test')} (${test.length} clips)`,
    };
  },
  { optionKeys: ['listDir', 'pattern', ...Object.keys(SPLIT_LIST_DATASET_OPTIONS)] },
);
