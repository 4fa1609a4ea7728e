import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readSplitList, type SplitListFormat } from '@dfer/datasets/annotations';
import { getMethod, type ProfileConfig } from './profiles';

/**
 * The real-dataset path of `bench run`: the same matrix as a profile, but on DFEW, FERV39K or MAFW from the
 * user's copy (`--dataset dfew --data-root /path [--split-dir dir] [--fold k]`). It builds the trainer's
 * `split_list` data node over the official DFER-CLIP split lists (`../shared/reference/dfer-benchmarks.md`,
 * "Datasets"; list format `<clip dir> <number of frames> <label>`, label 0-based) and checks the layout first,
 * so a wrong root fails at once, naming the missing path, instead of hours into a run.
 */

/** A real dataset the bench knows: its split-list names, folds and expected layout. */
export interface RealDatasetSpec {
  readonly name: RealDatasetName;
  /** Split-list layout of `@dfer/datasets` (`readSplitList` `format`): label set and kept path components. */
  readonly format: SplitListFormat;
  /** Number of official folds (1: one fixed train/test split). */
  readonly folds: number;
  /** File name of a split list; `{fold}` is the 1-based fold, `{split}` is `train` or `test`. */
  readonly pattern: string;
  /** Where a clip's frames are expected under the data root (for error messages and docs). */
  readonly layout: string;
}

/** Names accepted by `--dataset`. */
export type RealDatasetName = 'dfew' | 'ferv39k' | 'mafw';

/** The real datasets of the bench (split-list names as shipped by DFER-CLIP, `../shared/data/splits`). */
export const REAL_DATASETS: Readonly<Record<RealDatasetName, RealDatasetSpec>> = {
  dfew: {
    name: 'dfew',
    format: 'dfew',
    folds: 5,
    pattern: 'DFEW_set_{fold}_{split}.txt',
    layout: '<data-root>/<5-digit clip id>/*.jpg (DFEW: the folders of Clip/clip_224x224)',
  },
  ferv39k: {
    name: 'ferv39k',
    format: 'ferv39k',
    folds: 1,
    pattern: 'FERV39K_{split}.txt',
    layout: '<data-root>/<scene>/<class>/<clip>/*.jpg (FERV39K: the folders of 2_ClipsforFaceCrop)',
  },
  mafw: {
    name: 'mafw',
    format: 'mafw',
    folds: 5,
    pattern: 'MAFW_set_{fold}_{split}.txt',
    layout: '<data-root>/<5-digit clip id>/*.jpg (MAFW: the folders of data/faces)',
  },
};

/** Names accepted by `--dataset`, sorted. */
export function listRealDatasets(): RealDatasetName[] {
  return (Object.keys(REAL_DATASETS) as RealDatasetName[]).sort();
}

/** Options of {@link createRealDatasetSelection} (the CLI's `--dataset`, `--data-root`, `--split-dir`, `--fold`). */
export interface RealDatasetOptions {
  /** `dfew`, `ferv39k` or `mafw`. */
  readonly dataset: string;
  /** Folder holding one frame folder per clip (see {@link RealDatasetSpec.layout}). */
  readonly dataRoot: string;
  /** Folder of the official split lists; default `<dataRoot>/splits`. */
  readonly splitDir?: string;
  /** One official fold (1-based); default every fold of the dataset. */
  readonly fold?: number;
}

/** The data node and protocol that replace a profile's synthetic data. */
export interface RealDatasetSelection {
  /**
   * Trainer `split_list` node; its `name` (`dfew`, or `dfew-fold3` for one fold) becomes the dataset part of
   * the run ids and the report's dataset column, so runs of different folds never resume into each other.
   */
  readonly data: ProfileConfig['data'];
  readonly protocol: ProfileConfig['protocol'];
  /** The split lists used, in fold order. */
  readonly listFiles: readonly string[];
  /** Clips listed per fold: `{ train, test }`. */
  readonly clipCounts: readonly { readonly fold: number; readonly train: number; readonly test: number }[];
}

/** Error for a dataset root or split folder that does not have the expected layout. */
export class RealDatasetLayoutError extends Error {
  override readonly name = 'RealDatasetLayoutError';
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

function listFile(splitDir: string, spec: RealDatasetSpec, fold: number, split: 'train' | 'test'): string {
  return join(splitDir, spec.pattern.replace('{fold}', String(fold)).replace('{split}', split));
}

/**
 * Checks a dataset root against the official split lists and builds the `split_list` data node of the
 * trainer for it. Every clip folder named by the lists of the chosen folds must exist under `dataRoot`.
 *
 * Protocol: all folds → `kfold` over the official lists (pattern with `{fold}`); one fold `k` → `fixed`
 * with the lists of fold k (pattern with k written in); FERV39K → `fixed` (one official split).
 *
 * @throws RangeError for an unknown dataset or a fold outside `1…folds`.
 * @throws RealDatasetLayoutError naming the missing root, split folder, list file, or the first missing clip
 *   folders (with the list file and line that name them) and how many are missing.
 */
export function createRealDatasetSelection(options: RealDatasetOptions): RealDatasetSelection {
  const spec = (REAL_DATASETS as Readonly<Record<string, RealDatasetSpec>>)[options.dataset];
  if (!spec) {
    throw new RangeError(
      `--dataset "${options.dataset}": unknown dataset; expected one of ${listRealDatasets().join(', ')}`,
    );
  }
  if (
    options.fold !== undefined &&
    (!Number.isInteger(options.fold) || options.fold < 1 || options.fold > spec.folds)
  ) {
    throw new RangeError(
      `--fold ${options.fold}: ${spec.name} has ${spec.folds === 1 ? 'one official split (no folds; leave --fold out or give 1)' : `folds 1…${spec.folds}`}`,
    );
  }
  const root = resolve(options.dataRoot);
  if (!isDirectory(root)) {
    throw new RealDatasetLayoutError(
      `--data-root ${root}: no such folder; expected the ${spec.name} frame folders, ${spec.layout}`,
    );
  }
  const splitDir = resolve(options.splitDir ?? join(root, 'splits'));
  if (!isDirectory(splitDir)) {
    throw new RealDatasetLayoutError(
      `split lists: no folder ${splitDir}; put the official ${spec.name} split lists (${spec.pattern}) there or give --split-dir`,
    );
  }
  const folds =
    options.fold !== undefined ? [options.fold] : Array.from({ length: spec.folds }, (_, i) => i + 1);
  const listFiles: string[] = [];
  const clipCounts: { fold: number; train: number; test: number }[] = [];
  for (const fold of folds) {
    const counts = { fold, train: 0, test: 0 };
    for (const split of ['train', 'test'] as const) {
      const file = listFile(splitDir, spec, fold, split);
      if (!existsSync(file)) {
        throw new RealDatasetLayoutError(
          `split lists: missing ${file} (${spec.name} expects ${spec.pattern} in ${splitDir})`,
        );
      }
      listFiles.push(file);
      const list = readSplitList(file, { format: spec.format, root });
      const missing = list.entries.filter((e) => !isDirectory(e.dir));
      if (missing.length > 0) {
        const first = missing
          .slice(0, 3)
          .map((e) => `${e.dir} (line ${e.line})`)
          .join(', ');
        throw new RealDatasetLayoutError(
          `--data-root ${root}: ${missing.length} of ${list.entries.length} clip folder(s) listed in ${file} are missing, ` +
            `first: ${first}; expected ${spec.layout}`,
        );
      }
      counts[split] = list.entries.length;
    }
    clipCounts.push(counts);
  }
  const single = folds.length === 1 && spec.folds > 1;
  const pattern = single ? spec.pattern.replace('{fold}', String(folds[0])) : spec.pattern;
  return {
    data: {
      type: 'split_list',
      name: single ? `${spec.name}-fold${folds[0]}` : spec.name,
      root,
      listDir: splitDir,
      pattern,
      format: spec.format,
    },
    protocol: spec.folds > 1 && !single ? { type: 'kfold', folds: spec.folds } : { type: 'fixed' },
    listFiles,
    clipCounts,
  };
}

/** A profile moved onto a real dataset, and the methods that could not come along. */
export interface RealDatasetProfile {
  readonly profile: ProfileConfig;
  /**
   * Methods of the profile left out because they need per-clip AU labels (the AU-DFER head), which the
   * official split lists do not carry (the trainer's `split_list` source has no AU labels).
   */
  readonly leftOutMethods: readonly string[];
  /**
   * Experiment blocks of the profile left out: the RDFER noise experiment needs the true labels of synthetic
   * data, the AU-detection experiment its own AU data (`rdfer`, `au_detection`).
   */
  readonly leftOutExperiments: readonly string[];
}

/**
 * The profile's matrix (models, methods, seeds, training) on a real dataset: data and protocol come from
 * {@link createRealDatasetSelection}; methods that need AU labels are left out and listed, and so are the
 * profile's RDFER and AU-detection blocks (they run on synthetic data only).
 *
 * @throws RangeError when no method of the profile can run without AU labels.
 */
export function applyRealDataset(
  profile: ProfileConfig,
  selection: RealDatasetSelection,
): RealDatasetProfile {
  const leftOutMethods = profile.methods.filter((m) => getMethod(m).auHead);
  const methods = profile.methods.filter((m) => !getMethod(m).auHead);
  if (profile.methods.length === 0) {
    throw new RangeError(
      `profile "${profile.name}" has no DFER matrix (no methods); --dataset applies to the DFER matrix only (the RDFER and AU-detection experiments run on synthetic data)`,
    );
  }
  if (methods.length === 0) {
    throw new RangeError(
      `profile "${profile.name}": every method (${profile.methods.join(', ')}) needs AU labels, which ${String(selection.data['name'])} split lists do not have`,
    );
  }
  const leftOutExperiments = [
    ...(profile.rdfer ? ['rdfer'] : []),
    ...(profile.auDetection ? ['au_detection'] : []),
  ];
  const { rdfer: _rdfer, auDetection: _auDetection, ...matrix } = profile;
  return {
    profile: { ...matrix, data: selection.data, protocol: selection.protocol, methods },
    leftOutMethods,
    leftOutExperiments,
  };
}
