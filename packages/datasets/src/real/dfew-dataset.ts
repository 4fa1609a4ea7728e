import { join } from 'node:path';
import { readDfewLabelCsv, type DfewLabelCsvOptions } from '../annotations/dfew-csv';
import { createFrameFolderDataset, type FrameFolderDataset } from './frame-folder-dataset';

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
 * dataset is created, so a missing folder is reported at once (naming it); with `onError: 'skip'` bad
 * CSV rows and unreadable or empty folders are left out and listed in `skipped`.
 */
export function createDfewCsvDataset(csvFile: string, config: DfewCsvDatasetConfig): FrameFolderDataset {
  const csv = readDfewLabelCsv(csvFile, config);
  const dataset = createFrameFolderDataset({
    clips: csv.entries.map((e) => ({ id: e.id, dir: join(config.framesRoot, e.id), label: e.label })),
    labels: csv.labelNames,
    ...(config.size === undefined ? {} : { size: config.size }),
    ...(config.onError === undefined ? {} : { onError: config.onError }),
  });
  return { ...dataset, skipped: [...csv.skipped, ...dataset.skipped] };
}
