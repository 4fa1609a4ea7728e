/**
 * `dfer prepare <video…> --out <dir>`: training data from raw videos. The main face of each video is
 * aligned with the same transform as `dfer analyze` and written as a folder of JPEG frames (through
 * `prepareFaceClip` of @dfer/faces), the layout `createFrameFolderDataset` and split lists read.
 */
import { createFaceDetector, prepareFaceClip, type PreparedClip } from '@dfer/faces';

/** Options of {@link runPrepareCommand} (the command line's flags). */
export interface PrepareCommandOptions {
  readonly out: string;
  /** Side of the square crops (default 112). */
  readonly size?: number;
  /** Keep every N-th frame (default 1). */
  readonly every?: number;
}

/**
 * Prepares each video in turn (one detector for all). A video without any face is reported with
 * `folder: undefined`, not an error; an unreadable file or an existing target folder stops the command
 * with an error naming it (the folders already written stay).
 */
export async function runPrepareCommand(
  videos: readonly string[],
  options: PrepareCommandOptions,
  onClip: (clip: PreparedClip) => void = () => undefined,
): Promise<PreparedClip[]> {
  if (videos.length === 0) throw new RangeError('dfer prepare: give at least one video');
  const detector = await createFaceDetector({ expression: false });
  const done: PreparedClip[] = [];
  for (const video of videos) {
    const clip = await prepareFaceClip(video, options.out, {
      detector,
      ...(options.size === undefined ? {} : { size: options.size }),
      ...(options.every === undefined ? {} : { every: options.every }),
    });
    done.push(clip);
    onClip(clip);
  }
  return done;
}

/** One line per prepared video. */
export function describePreparedClip(clip: PreparedClip): string {
  return clip.folder === undefined
    ? `${clip.input}: no face in ${clip.analyzedFrames} analysed frame(s); nothing written`
    : `${clip.input}: ${clip.framesWritten} of ${clip.analyzedFrames} analysed frame(s) → ${clip.folder}${clip.faces > 1 ? ` (the main of ${clip.faces} faces)` : ''}`;
}
