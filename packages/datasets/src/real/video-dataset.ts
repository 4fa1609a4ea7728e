import { basename, extname } from 'node:path';
import { resolveLabelList, type LabelList } from '@dfer/au-knowledge';
import type { ClipDataset, ClipGetOptions, ClipSample, VideoRecord } from '../clip-dataset';
import { checkSize } from '../media/image-decoding';
import { decodeVideo, probeVideo, type VideoInfo } from '../media/video-decoding';

/** One video file of a {@link createVideoDataset}. */
export interface VideoFileClip {
  readonly file: string;
  /** 0-based label index. */
  readonly label: number;
  /** Default: the file name without extension. */
  readonly id?: string;
  readonly subject?: string;
}

/** Build-time options of {@link createVideoDataset}. */
export interface VideoDatasetConfig {
  readonly videos: readonly VideoFileClip[];
  readonly labels: LabelList;
  /** Resample every video to this frame rate. Default: the videos' own frames. */
  readonly fps?: number;
  /** Default output `[height, width]`. Default: each video's native size. */
  readonly size?: readonly [number, number];
}

/**
 * A {@link ClipDataset} over video files decoded by ffmpeg (see `decodeVideo`). Every video is probed
 * once when the dataset is created (size, frame count at `fps`), so `record` needs no decoding.
 *
 * @throws RangeError naming the video for a label out of range; DatasetInputError naming the file
 *   for a missing or undecodable video.
 */
export async function createVideoDataset(
  config: VideoDatasetConfig,
): Promise<ClipDataset & { readonly info: readonly VideoInfo[] }> {
  const labelNames = resolveLabelList(config.labels, 'createVideoDataset: config.labels');
  if (config.size !== undefined) checkSize(config.size, 'createVideoDataset: config.size');
  const decodeRate = config.fps === undefined ? {} : { fps: config.fps };
  config.videos.forEach((v, i) => {
    if (!Number.isInteger(v.label) || v.label < 0 || v.label >= labelNames.length) {
      throw new RangeError(
        `createVideoDataset: videos[${i}] (${v.file}): label ${v.label} is outside [0, ${labelNames.length - 1}]`,
      );
    }
  });
  const info: VideoInfo[] = [];
  for (const v of config.videos) info.push(await probeVideo(v.file, decodeRate));
  const records: VideoRecord[] = config.videos.map((v, i) => {
    const base = {
      id: v.id ?? basename(v.file, extname(v.file)),
      numFrames: (info[i] as VideoInfo).numFrames,
      label: v.label,
    };
    return v.subject === undefined ? base : { ...base, subject: v.subject };
  });
  const record = (index: number): VideoRecord => {
    const r = records[index];
    if (r === undefined || !Number.isInteger(index))
      throw new RangeError(`video dataset: index ${index} is outside [0, ${records.length - 1}]`);
    return r;
  };
  return {
    length: records.length,
    labelNames,
    info,
    record,
    async get(index: number, options: ClipGetOptions = {}): Promise<ClipSample> {
      const r = record(index);
      const size = options.size ?? config.size;
      const video = await decodeVideo((config.videos[index] as VideoFileClip).file, {
        ...decodeRate,
        info: info[index] as VideoInfo,
        ...(size === undefined ? {} : { size }),
        ...(options.frameIndices === undefined ? {} : { frameIndices: options.frameIndices }),
      });
      return {
        id: r.id,
        frames: video.data,
        shape: video.shape,
        label: r.label,
        frameIndices: video.frameIndices,
      };
    },
  };
}
