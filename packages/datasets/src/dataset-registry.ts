/**
 * Datasets built from plain-data configs (`{ type: 'splitList', file, … }`), so that a dataset can be
 * named in an experiment config or rebuilt inside a worker thread (`createWorkerClipDataset` with
 * `exportName: 'createDatasetFromConfig'`). One registry, declared here; `registerDatasetType` extends it.
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
import { createSyntheticFacsDataset, type SyntheticFacsConfig } from './synthetic';

/** A dataset config node: a registered `type` plus that type's options. */
export interface DatasetConfig {
  readonly type: string;
  readonly [option: string]: unknown;
}

/** Builds a dataset from a config node (the node includes its `type`). */
export type DatasetFactory = (config: DatasetConfig) => ClipDataset | Promise<ClipDataset>;

interface Entry {
  readonly factory: DatasetFactory;
  readonly description: string;
}

const REGISTRY = new Map<string, Entry>();

/**
 * Adds a dataset type.
 *
 * @throws Error when `type` is already registered.
 */
export function registerDatasetType(type: string, factory: DatasetFactory, description = ''): void {
  if (typeof type !== 'string' || type === '')
    throw new TypeError('registerDatasetType: type must be a non-empty string');
  if (REGISTRY.has(type))
    throw new Error(`registerDatasetType: dataset type ${JSON.stringify(type)} is already registered`);
  REGISTRY.set(type, { factory, description });
}

/** Registered dataset types with their descriptions, in registration order. */
export function listDatasetTypes(): { readonly type: string; readonly description: string }[] {
  return [...REGISTRY].map(([type, e]) => ({ type, description: e.description }));
}

/**
 * Builds the dataset a config node describes.
 *
 * @throws Error naming the unknown type and the registered ones; the type's own errors for bad options.
 */
export async function createDatasetFromConfig(config: DatasetConfig): Promise<ClipDataset> {
  if (config === null || typeof config !== 'object' || typeof config.type !== 'string') {
    throw new TypeError(
      `createDatasetFromConfig: config must be an object with a string "type"; registered: ${[...REGISTRY.keys()].join(', ')}`,
    );
  }
  const entry = REGISTRY.get(config.type);
  if (entry === undefined) {
    throw new Error(
      `createDatasetFromConfig: unknown dataset type ${JSON.stringify(config.type)}; registered: ${[...REGISTRY.keys()].join(', ')}`,
    );
  }
  return entry.factory(config);
}

function requireString(config: DatasetConfig, field: string): string {
  const value = config[field];
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(
      `createDatasetFromConfig: config.${field} must be a non-empty string (type ${config.type})`,
    );
  }
  return value;
}

function withoutType<T>(config: DatasetConfig, ...drop: string[]): T {
  const rest: Record<string, unknown> = { ...config };
  for (const key of ['type', ...drop]) delete rest[key];
  return rest as T;
}

registerDatasetType(
  'splitList',
  (c) => createSplitListDataset(requireString(c, 'file'), withoutType<SplitListDatasetConfig>(c, 'file')),
  'DFER-CLIP split list + frame folders: { file, format | labels, root, keepComponents?, size?, onError? }',
);
registerDatasetType(
  'dfewCsv',
  (c) => createDfewCsvDataset(requireString(c, 'file'), withoutType<DfewCsvDatasetConfig>(c, 'file')),
  "DFEW's label CSV + frame folders: { file, framesRoot, size?, idWidth?, onError? }",
);
registerDatasetType(
  'frameFolders',
  (c) => createFrameFolderDataset(withoutType<FrameFolderDatasetConfig>(c)),
  'folders of JPEG/PNG frames: { clips: [{ id, dir, label, numFrames? }], labels, size? }',
);
registerDatasetType(
  'videos',
  (c) => createVideoDataset(withoutType<VideoDatasetConfig>(c)),
  'video files decoded by ffmpeg: { videos: [{ file, label, id? }], labels, fps?, size? }',
);
registerDatasetType(
  'syntheticFacs',
  (c) => createSyntheticFacsDataset(withoutType<SyntheticFacsConfig>(c)),
  'the built-in synthetic FACS face videos (options of createSyntheticFacsDataset)',
);
