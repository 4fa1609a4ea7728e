import { resolveAuList, type AuList } from '@dfer/au-knowledge';
import type { ClipDataset, ClipGetOptions, ClipSample, VideoRecord } from '../clip-dataset';
import { DatasetInputError } from '../data-errors';
import { readOpenFaceCsv, selectAuColumns, type OpenFaceTrack } from '../annotations/openface-csv';

/** Build-time options of {@link createOpenFaceAuDataset}. */
export interface OpenFaceAuDatasetConfig {
  /** Path of the OpenFace CSV of each video (e.g. `(r) => join(auRoot, r.id + '.csv')`). */
  readonly openFaceFile: (record: VideoRecord, index: number) => string;
  /** AU columns of `ClipSample.aus`, by name (default `openface18`, the AU-DFER head's 18 AUs). */
  readonly aus?: AuList;
}

/**
 * Adds OpenFace per-frame AU presences (`AUxx_c`) to a dataset's samples: `sample.aus` becomes
 * `[T, aus.length]` for the decoded frames, re-indexed by AU name, and `dataset.auNames` the AU list.
 * Decoded frame f (0-based) is matched to the OpenFace row whose `frame` column is `f + 1`
 * (OpenFace numbers frames from 1); `meta.auSuccess` holds the rows' `success` flags. Each CSV is read
 * once and cached.
 *
 * @throws DatasetInputError naming the CSV when it lacks a row for a decoded frame or lacks an AU column.
 */
export function createOpenFaceAuDataset(dataset: ClipDataset, config: OpenFaceAuDatasetConfig): ClipDataset {
  const auNames = resolveAuList(config.aus ?? 'openface18', 'createOpenFaceAuDataset: config.aus');
  const tracks = new Map<
    string,
    { track: OpenFaceTrack; rowOfFrame: Map<number, number>; presences: Uint8Array }
  >();
  const load = (
    file: string,
  ): { track: OpenFaceTrack; rowOfFrame: Map<number, number>; presences: Uint8Array } => {
    let entry = tracks.get(file);
    if (entry === undefined) {
      const track = readOpenFaceCsv(file);
      if (track.faceId !== undefined && new Set(track.faceId).size > 1) {
        throw new DatasetInputError(
          file,
          'several face_id values: give a single-face OpenFace output per video',
        );
      }
      let presences: Uint8Array;
      try {
        presences = selectAuColumns(track.presences, track.presenceAus, auNames, 'presence columns');
      } catch (cause) {
        throw new DatasetInputError(file, (cause as Error).message, { cause });
      }
      const rowOfFrame = new Map<number, number>();
      track.frame.forEach((f, row) => rowOfFrame.set(f, row));
      entry = { track, rowOfFrame, presences };
      tracks.set(file, entry);
    }
    return entry;
  };
  return {
    length: dataset.length,
    labelNames: dataset.labelNames,
    auNames,
    record: (index) => dataset.record(index),
    async get(index: number, options?: ClipGetOptions): Promise<ClipSample> {
      const sample = await dataset.get(index, options);
      const file = config.openFaceFile(dataset.record(index), index);
      const { rowOfFrame, presences, track } = load(file);
      const width = auNames.length;
      const aus = new Uint8Array(sample.frameIndices.length * width);
      const success = new Uint8Array(sample.frameIndices.length);
      sample.frameIndices.forEach((f, t) => {
        const row = rowOfFrame.get(f + 1);
        if (row === undefined) {
          throw new DatasetInputError(
            file,
            `no row for frame ${f + 1} (decoded frame ${f} of ${sample.id}); the CSV has ${track.numFrames} rows`,
          );
        }
        aus.set(presences.subarray(row * width, (row + 1) * width), t * width);
        success[t] = track.success[row] as number;
      });
      return { ...sample, aus, meta: { ...sample.meta, auSuccess: success } };
    },
  };
}
