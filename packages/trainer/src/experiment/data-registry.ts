import type { ClipDataset, SplitListDatasetConfig } from '@dfer/datasets';
import {
  createIdentityFolds,
  createSyntheticFacsDataset,
  type SyntheticFacsConfig,
} from '@dfer/datasets/synthetic';
import {
  checkSplitListData,
  splitListDataset,
  type SplitListCheck,
  type SplitListCheckSplit,
  type SplitListDataOptions,
} from './split-list-data';

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
  /**
   * True when some clips have no AU labels and stay in for the expression loss only: the AU term masks them
   * (`ClipBatch.auMask`), and pos-weights and AU scores use the labelled clips only.
   */
  readonly maskMissingAus?: boolean;
  /**
   * True when a training clip that fails to decode during training is left out of its batch (counted and
   * reported per epoch) instead of stopping the run; test clips are always scored.
   */
  readonly skipBadTrainClips?: boolean;
  /**
   * The clip AU targets by clip id, when the source knows them without decoding (clip-level labels); the
   * pos-weights are then computed from them instead of a pass over the decoded training clips.
   */
  readonly clipAuTargets?: (id: string) => Uint8Array | undefined;
}

/** What a data source gets besides its options. */
export interface DataBuildContext {
  /** Experiment seed. */
  readonly seed: number;
  /** `fixed`: one split; `kfold`: fold `fold` (0-based) of `folds`. */
  readonly protocol: 'fixed' | 'kfold';
  readonly fold?: number;
  readonly folds?: number;
  /** What the source's {@link DataSourceSpec.check} returned for the run (`state`), when it has a check. */
  readonly checked?: unknown;
}

/** What a source's check before training found (see {@link checkExperimentData}). */
export interface DataCheckResult {
  /** Lines for the run's report (per split: clips listed, unreadable, AU-label coverage). */
  readonly lines: readonly string[];
  /** Handed to the source's factory as `context.checked`, so the folds are built from what was checked. */
  readonly state?: unknown;
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
  /**
   * Checks the data of every fold a run will use, before any training step (lists, clip folders, label
   * files); throws naming what is wrong. Its `state` reaches the factory as `context.checked`.
   */
  readonly check?: (
    options: Readonly<Record<string, unknown>>,
    contexts: readonly DataBuildContext[],
  ) => DataCheckResult;
}

const factories = new Map<string, DataFactory>();
const optionKeysByType = new Map<string, readonly string[]>();
const checksByType = new Map<string, NonNullable<DataSourceSpec['check']>>();

/** Register a data source under a config name; a name can be registered once. */
export function registerExperimentData(type: string, factory: DataFactory, spec: DataSourceSpec = {}): void {
  if (!/^[a-z][a-z0-9_]*$/.test(type))
    throw new Error(`registerExperimentData: type must be snake_case, got '${type}'`);
  if (factories.has(type))
    throw new Error(`registerExperimentData: a data source named '${type}' is already registered`);
  factories.set(type, factory);
  if (spec.optionKeys !== undefined) optionKeysByType.set(type, [...spec.optionKeys]);
  if (spec.check !== undefined) checksByType.set(type, spec.check);
}

/**
 * Checks a data node for every fold of a run before training (`DataSourceSpec.check`); a source without a
 * check gives no lines. Throws naming what is wrong.
 */
export function checkExperimentData(
  node: { readonly type: string },
  contexts: readonly DataBuildContext[],
): DataCheckResult {
  const check = checksByType.get(node.type);
  if (check === undefined) return { lines: [] };
  const { type: _type, ...options } = node as Record<string, unknown>;
  return check(options, contexts);
}

/** The declared option names of each registered data source that declares them (see {@link DataSourceSpec}). */
export function listExperimentDataOptions(): Record<string, readonly string[]> {
  return Object.fromEntries(optionKeysByType);
}

/** Registered data source names, sorted. */
export function listExperimentData(): string[] {
  return [...factories.keys()].sort();
}

/** Build the splits of a data node. */
export function createExperimentData(
  node: { readonly type: string },
  context: DataBuildContext,
): ExperimentSplits {
  const factory = factories.get(node.type);
  if (!factory) {
    throw new RangeError(
      `data.type: unknown data source '${node.type}'; registered: ${listExperimentData().join(', ')}`,
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

registerExperimentData(
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
 * frame folders under the user's `root` (`./split-list-data`). Options: `listDir` (folder of the lists),
 * `pattern` with `{fold}` (1-based) and `{split}` (`train` / `test`) placeholders, e.g.
 * `DFEW_set_{fold}_{split}.txt` or `FERV39K_{split}.txt`, the split-list options (`root`, `format`,
 * `labels`, `keepComponents`, `onError`, `size`, `maxBytes`), and `aus` (per-clip AU labels from OpenFace
 * CSVs or one CSV, `SplitListAuConfig`). Every fold's lists, clip folders and AU files are checked before
 * any training step; `onError: 'skip'` leaves bad training clips out (counted per split).
 */
registerExperimentData(
  'split_list',
  (options, context) => {
    const check = (context.checked as SplitListCheck | undefined) ?? checkSplitListData(options, [context]);
    const fold = check.folds.get(context.fold ?? 0);
    if (fold === undefined)
      throw new Error(`data (split_list): fold ${(context.fold ?? 0) + 1} was not checked`);
    const size = (options as SplitListDataOptions).size;
    const train = splitListDataset(check, fold.train, size);
    const test = splitListDataset(check, fold.test, size);
    const describe = (s: SplitListCheckSplit): string => {
      const left = s.badClips.length + s.skippedLines;
      const au = s.auLabelled === undefined ? '' : `, AU labels ${s.auLabelled}/${s.clips.length}`;
      return `${s.file} (${s.clips.length} clips${left ? `, ${left} unreadable skipped` : ''}${au})`;
    };
    const masked = check.maskMissingAus && fold.train.auLabelled !== fold.train.clips.length;
    return {
      train,
      test,
      description: `${describe(fold.train)} / ${describe(fold.test)}`,
      ...((options as SplitListDataOptions).onError === 'skip' ? { skipBadTrainClips: true } : {}),
      ...(check.auNames !== undefined ? { clipAuTargets: (id: string) => check.auTargets.get(id) } : {}),
      ...(masked || (check.maskMissingAus && fold.test.auLabelled !== fold.test.clips.length)
        ? { maskMissingAus: true }
        : {}),
    };
  },
  {
    optionKeys: ['listDir', 'pattern', 'aus', ...Object.keys(SPLIT_LIST_DATASET_OPTIONS)],
    check: (options, contexts) => {
      const check = checkSplitListData(options, contexts);
      return { lines: check.lines, state: check };
    },
  },
);
