/**
 * Datasets built from plain-data configs (`{ type: 'split_list', file, … }`), so that a dataset can be
 * named in an experiment config or rebuilt inside a worker thread (`createWorkerClipDataset` with
 * `exportName: 'createDataset'`). One registry, declared here, with the names of the model and loss
 * registries: `createDataset` builds, `listDatasets` enumerates, `registerDataset` extends.
 */
import type { ClipDataset } from './clip-dataset';
import { createDfewCsvDataset, type DfewCsvDatasetConfig } from './real/dfew-dataset';
import {
  createFrameFolderDataset,
  createSplitListDataset,
  type FrameFolderDatasetConfig,
  type SplitListDatasetConfig,
} from './real/frame-folder-dataset';
import { createVideoDataset, type VideoDatasetConfig } from './real/video-dataset';
import { createSyntheticFacsDataset } from './synthetic/synthetic-facs-dataset';
import type { SyntheticFacsConfig } from './synthetic/synthetic-facs-types';

/** A dataset config node: a registered `type` plus that type's options. */
export interface DatasetConfig {
  readonly type: string;
  readonly [option: string]: unknown;
}

/** Builds a dataset from a config node (the node includes its `type`). */
export type DatasetFactory = (config: DatasetConfig) => ClipDataset | Promise<ClipDataset>;

const REGISTRY = new Map<string, DatasetFactory>();

/**
 * Adds a dataset type under a snake_case name (as models and losses are named).
 *
 * @throws TypeError when `type` is not snake_case or `factory` is not a function; Error when `type` is
 * already registered.
 */
export function registerDataset(type: string, factory: DatasetFactory): void {
  if (typeof type !== 'string' || !/^[a-z][a-z0-9_]*$/.test(type)) {
    throw new TypeError(`registerDataset: type must be snake_case, got ${JSON.stringify(type)}`);
  }
  if (typeof factory !== 'function') {
    throw new TypeError(`registerDataset('${type}'): factory must be a function (config) => ClipDataset`);
  }
  if (REGISTRY.has(type)) {
    throw new Error(`registerDataset: dataset type '${type}' is already registered`);
  }
  REGISTRY.set(type, factory);
}

/** The registered dataset types, sorted. */
export function listDatasets(): string[] {
  return [...REGISTRY.keys()].sort();
}

/**
 * Builds the dataset a config node describes, e.g. `createDataset({ type: 'video', videos, labels: 'dfew' })`.
 *
 * @throws TypeError on a config that is not an object with a string `type`; Error naming an unknown type
 * and the registered ones; the type's own errors for bad options.
 */
export async function createDataset(config: DatasetConfig): Promise<ClipDataset> {
  if (config === null || typeof config !== 'object' || typeof config.type !== 'string') {
    throw new TypeError(
      `createDataset: config must be an object with a string "type" (one of ${listDatasets().join(', ')})`,
    );
  }
  const factory = REGISTRY.get(config.type);
  if (factory === undefined) {
    throw new Error(
      `createDataset: unknown dataset type ${JSON.stringify(config.type)}; registered: ${listDatasets().join(', ')}`,
    );
  }
  return factory(config);
}

function requireString(config: DatasetConfig, field: string): string {
  const value = config[field];
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`createDataset: config.${field} must be a non-empty string (type ${config.type})`);
  }
  return value;
}

function withoutType<T>(config: DatasetConfig, ...drop: string[]): T {
  const rest: Record<string, unknown> = { ...config };
  for (const key of ['type', ...drop]) delete rest[key];
  return rest as T;
}

/** DFER-CLIP split list + frame folders: `{ file, format | labels, root, keepComponents?, size?, onError? }`. */
registerDataset('split_list', (c) =>
  createSplitListDataset(requireString(c, 'file'), withoutType<SplitListDatasetConfig>(c, 'file')),
);
/** DFEW's label CSV + frame folders: `{ file, framesRoot, size?, idWidth?, onError? }`. */
registerDataset('dfew_csv', (c) =>
  createDfewCsvDataset(requireString(c, 'file'), withoutType<DfewCsvDatasetConfig>(c, 'file')),
);
/** Folders of JPEG/PNG frames: `{ clips: [{ id, dir, label, numFrames? }], labels, size? }`. */
registerDataset('frame_folder', (c) => createFrameFolderDataset(withoutType<FrameFolderDatasetConfig>(c)));
/** Video files decoded by ffmpeg: `{ videos: [{ file, label, id? }], labels, fps?, size? }`. */
registerDataset('video', (c) => createVideoDataset(withoutType<VideoDatasetConfig>(c)));
/** The built-in synthetic FACS face videos (the options of `createSyntheticFacsDataset`). */
registerDataset('synthetic_facs', (c) => createSyntheticFacsDataset(withoutType<SyntheticFacsConfig>(c)));
