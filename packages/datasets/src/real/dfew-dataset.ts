import { join } from 'node:path';
import type { ClipDataset } from '../clip-dataset';
import type { SkippedItem } from './data-errors';
import { readDfewLabelCsv, type DfewLabelCsvOptions } from './dfew-csv';
import { createFrameFolderDataset } from './frame-folder-dataset';

/** Build-time options of {@link createDfewCsvDataset}. */
export interface DfewCsvDatasetConfig extends DfewLabelCsvOptions {
  /** Folder holding one frame folder per clip, e.g. `<DFEW>/Clip/clip_224x224`. */
  readonly framesRoot: string;
  /** Default output `[height, width]`. */
  readonly size?: readonly [number, number];
}

/**
 * DFEW from its own distribution: labels from `EmoLabel_DataSplit/…/set_N.csv` (1-based, see
 * `readDfewLabelCsv`) and frames from `framesRoot/<5-digit id>/`. Frame folders are counted when the
 * dataset is created, so a missing folder is reported at once (naming it).
 */
export function createDfewCsvDataset(
  csvFile: string,
  config: DfewCsvDatasetConfig,
): ClipDataset & { readonly skipped: readonly SkippedItem[] } {
  const csv = readDfewLabelCsv(csvFile, config);
  const dataset = createFrameFolderDataset({
    clips: csv.entries.map((e) => ({ id: e.id, dir: join(config.framesRoot, e.id), label: e.label })),
    labels: csv.labelNames,
    ...(config.size === undefined ? {} : { size: config.size }),
  });
  return Object.assign(dataset, { skipped: csv.skipped });
}
