import { resolveLabelList, type LabelList } from '@dfer/au-knowledge';
import type { ClipDataset, ClipGetOptions, ClipSample, VideoRecord } from '../clip-dataset';
import {
  DatasetInputError,
  resolveBadInputPolicy,
  type BadInputPolicy,
  type SkippedItem,
} from '../data-errors';
import { checkSize, decodeImage, type DecodedImage } from '../media/image-decoding';
import { listFrameFiles } from '../media/frame-files';
import { readSplitList, type SplitListOptions } from '../annotations/split-list';

/** One clip stored as a folder of frame images. */
export interface FrameFolderClip {
  readonly id: string;
  /** Folder holding the frames (`*.jpg`, `*.jpeg`, `*.png`), ordered by natural sort of file names. */
  readonly dir: string;
  /** 0-based label index. */
  readonly label: number;
  /** Frame count from the list; when absent the folder is counted when the dataset is created. */
  readonly numFrames?: number;
  readonly subject?: string;
}

/** Build-time options of {@link createFrameFolderDataset}. */
export interface FrameFolderDatasetConfig {
  readonly clips: readonly FrameFolderClip[];
  /** Label names (or a label-set name of `@dfer/au-knowledge`). */
  readonly labels: LabelList;
  /** Default output `[height, width]` (a `get` option overrides it). Default: the frames' own size. */
  readonly size?: readonly [number, number];
  /**
   * `throw` (default): a clip whose folder must be counted and cannot be read, or holds no image, is an
   * error; `skip`: it is left out of the dataset and reported in `skipped`.
   */
  readonly onError?: BadInputPolicy;
}

/** A frame-folder dataset, with the clips left out at creation in `skip` mode. */
export interface FrameFolderDataset extends ClipDataset {
  readonly skipped: readonly SkippedItem[];
}

/**
 * A {@link ClipDataset} over folders of JPEG/PNG frames (DFEW `Clip/clip_224x224/<id>/`, FERV39K and
 * MAFW face crops, or a user's own). `get` decodes the chosen frames with sharp, resized to `size`.
 *
 * @throws RangeError naming the clip for a label outside `labels`; `get` throws DatasetInputError
 *   naming the folder when its frame count differs from the list's, or naming the image that fails to decode.
 */
export function createFrameFolderDataset(config: FrameFolderDatasetConfig): FrameFolderDataset {
  const labelNames = resolveLabelList(config.labels, 'createFrameFolderDataset: config.labels');
  if (config.size !== undefined) checkSize(config.size, 'createFrameFolderDataset: config.size');
  const policy = resolveBadInputPolicy(config.onError, 'createFrameFolderDataset: config.onError');
  const skipped: SkippedItem[] = [];
  const clips: FrameFolderClip[] = [];
  const records: VideoRecord[] = [];
  config.clips.forEach((clip, i) => {
    if (!Number.isInteger(clip.label) || clip.label < 0 || clip.label >= labelNames.length) {
      throw new RangeError(
        `createFrameFolderDataset: clips[${i}] (${clip.id}): label ${clip.label} is outside [0, ${labelNames.length - 1}]`,
      );
    }
    let numFrames: number;
    try {
      numFrames = clip.numFrames ?? listFrameFiles(clip.dir).length;
    } catch (error) {
      if (policy === 'throw' || !(error instanceof DatasetInputError)) throw error;
      skipped.push({ file: clip.dir, reason: error.message });
      return;
    }
    const base = { id: clip.id, numFrames, label: clip.label };
    clips.push(clip);
    records.push(clip.subject === undefined ? base : { ...base, subject: clip.subject });
  });
  const record = (index: number): VideoRecord => {
    const r = records[index];
    if (r === undefined || !Number.isInteger(index))
      throw new RangeError(`frame-folder dataset: index ${index} is outside [0, ${records.length - 1}]`);
    return r;
  };
  return {
    length: records.length,
    labelNames,
    skipped,
    record,
    async get(index: number, options: ClipGetOptions = {}): Promise<ClipSample> {
      const r = record(index);
      const clip = clips[index] as FrameFolderClip;
      const files = listFrameFiles(clip.dir);
      if (files.length !== r.numFrames) {
        throw new DatasetInputError(
          clip.dir,
          `expected ${r.numFrames} frames (from the clip list), found ${files.length} image files`,
        );
      }
      const frameIndices = options.frameIndices ?? files.map((_, i) => i);
      if (frameIndices.length === 0)
        throw new DatasetInputError(clip.dir, 'options.frameIndices is empty (empty clip)');
      const size = options.size ?? config.size;
      if (size !== undefined) checkSize(size, 'get: options.size');
      frameIndices.forEach((f, t) => {
        if (files[f] === undefined || !Number.isInteger(f)) {
          throw new DatasetInputError(
            clip.dir,
            `frame ${f} (position ${t} of options.frameIndices) is missing: the folder has ${files.length} frames`,
          );
        }
      });
      // each distinct frame is decoded once (short videos repeat frames)
      const decoded = new Map<number, Promise<DecodedImage>>();
      for (const f of frameIndices) {
        if (!decoded.has(f))
          decoded.set(f, decodeImage(files[f] as string, size === undefined ? {} : { size }));
      }
      const images = await Promise.all(frameIndices.map((f) => decoded.get(f) as Promise<DecodedImage>));
      const first = images[0] as { height: number; width: number };
      const frameSize = first.height * first.width * 3;
      const frames = new Float32Array(images.length * frameSize);
      images.forEach((img, t) => {
        if (img.height !== first.height || img.width !== first.width) {
          throw new DatasetInputError(
            files[frameIndices[t] as number] as string,
            `frame is ${img.width}×${img.height}, the clip's first frame is ${first.width}×${first.height}; give options.size`,
          );
        }
        frames.set(img.data, t * frameSize);
      });
      return {
        id: r.id,
        frames,
        shape: [images.length, first.height, first.width, 3],
        label: r.label,
        frameIndices: [...frameIndices],
      };
    },
  };
}

/** Options of {@link createSplitListDataset}: those of `readSplitList` plus a default frame size. */
export interface SplitListDatasetConfig extends SplitListOptions {
  readonly size?: readonly [number, number];
}

/**
 * A frame-folder dataset built from a split list (`readSplitList` + `createFrameFolderDataset`); lines
 * skipped in `onError: 'skip'` mode are reported in `skipped`.
 */
export function createSplitListDataset(file: string, config: SplitListDatasetConfig): FrameFolderDataset {
  const list = readSplitList(file, config);
  const dataset = createFrameFolderDataset({
    clips: list.entries,
    labels: list.labelNames,
    ...(config.size === undefined ? {} : { size: config.size }),
  });
  return { ...dataset, skipped: [...list.skipped, ...dataset.skipped] };
}
