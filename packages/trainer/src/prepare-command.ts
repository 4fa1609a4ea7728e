/**
 * `dfer prepare <video or folder…> --out <dir> [--aus <dir>]`: training data from raw videos. The main face of
 * each video is aligned with the same transform as `dfer analyze` and written as a folder of JPEG frames
 * (through `prepareFaceClip` of @dfer/faces), the layout `createFrameFolderDataset` and split lists read; with
 * `--aus`, the landmark AU estimates of each video (`dfer analyze`'s `frames.csv`) go to `<aus>/<name>/`, which
 * the `split_list` data source reads with `aus: { source: 'estimated', dir: <aus> }`. Resumable: a video whose
 * frame folder (and, with `--aus`, AU file) already exists is skipped.
 */
import { SingleBar } from 'cli-progress';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { createFaceDetector, prepareFaceClip, type PreparedClip } from '@dfer/faces';
import { runAnalyzeCommand } from './analyze-command';

/** File extensions taken from a folder given to `dfer prepare` (files given by name are taken as they are). */
export const VIDEO_EXTENSIONS: readonly string[] = [
  '.mp4',
  '.avi',
  '.mov',
  '.mkv',
  '.webm',
  '.m4v',
  '.mpg',
  '.mpeg',
  '.wmv',
  '.flv',
];

/** Options of {@link runPrepareCommand} (the command line's flags). */
export interface PrepareCommandOptions {
  readonly out: string;
  /** Side of the square crops (default 112). */
  readonly size?: number;
  /** Keep every N-th frame (default 1). */
  readonly every?: number;
  /** Also write each video's AU estimates (`frames.csv` of `dfer analyze`) to `<aus>/<name>/`. */
  readonly aus?: string;
  /** A progress bar over the videos (default: on an interactive stderr outside CI). */
  readonly progress?: boolean;
}

/** What happened to one video. */
export interface PrepareOutcome {
  /** `prepared`: written now; `skipped`: its outputs were already there (a resumed run). */
  readonly status: 'prepared' | 'skipped';
  readonly input: string;
  /** The frame folder (written now or found), `undefined` when the video has no face. */
  readonly folder: string | undefined;
  /** What `prepareFaceClip` reported (`undefined` for a skipped video). */
  readonly clip?: PreparedClip;
  /** The `frames.csv` of AU estimates, with `--aus`. */
  readonly ausFile?: string;
}

/** The videos of the command line: files as given, folders expanded to their video files (sorted). */
export function listPrepareInputs(inputs: readonly string[]): string[] {
  const videos: string[] = [];
  for (const input of inputs) {
    if (!existsSync(input)) throw new Error(`dfer prepare: ${resolve(input)} does not exist`);
    if (!statSync(input).isDirectory()) {
      videos.push(input);
      continue;
    }
    const found = readdirSync(input)
      .filter((name) => VIDEO_EXTENSIONS.includes(extname(name).toLowerCase()))
      .sort()
      .map((name) => join(input, name));
    if (found.length === 0) {
      throw new Error(
        `dfer prepare: the folder ${resolve(input)} holds no video file (${VIDEO_EXTENSIONS.join(', ')})`,
      );
    }
    videos.push(...found);
  }
  if (videos.length === 0) throw new RangeError('dfer prepare: give at least one video or folder');
  const byName = new Map<string, string>();
  for (const video of videos) {
    const name = basename(video, extname(video));
    const other = byName.get(name);
    if (other !== undefined) {
      throw new Error(
        `dfer prepare: ${resolve(other)} and ${resolve(video)} would both be written to the folder "${name}"; rename one`,
      );
    }
    byName.set(name, video);
  }
  return videos;
}

/**
 * Prepares each video in turn (one detector for all). A video without any face is reported with
 * `folder: undefined`, not an error; a video whose outputs already exist is skipped; an unreadable file stops
 * the command with an error naming it (the folders already written stay, so a rerun resumes).
 */
export async function runPrepareCommand(
  inputs: readonly string[],
  options: PrepareCommandOptions,
  onVideo: (outcome: PrepareOutcome) => void = () => undefined,
): Promise<PrepareOutcome[]> {
  const videos = listPrepareInputs(inputs);
  const interactive = options.progress ?? (process.stderr.isTTY === true && !process.env.CI);
  const bar = interactive
    ? new SingleBar({ format: 'prepare [{bar}] {value}/{total} videos', stream: process.stderr })
    : undefined;
  const detector = await createFaceDetector({ expression: false });
  const done: PrepareOutcome[] = [];
  bar?.start(videos.length, 0);
  try {
    for (const video of videos) {
      const name = basename(video, extname(video));
      const folder = resolve(options.out, name);
      const ausDir = options.aus === undefined ? undefined : resolve(options.aus, name);
      const ausFile = ausDir === undefined ? undefined : join(ausDir, 'frames.csv');
      const framesDone = existsSync(folder);
      const ausDone = ausFile === undefined || existsSync(ausFile);
      let outcome: PrepareOutcome;
      if (framesDone && ausDone) {
        outcome = {
          status: 'skipped',
          input: video,
          folder,
          ...(ausFile === undefined ? {} : { ausFile }),
        };
      } else {
        const clip = framesDone
          ? undefined
          : await prepareFaceClip(video, options.out, {
              detector,
              ...(options.size === undefined ? {} : { size: options.size }),
              ...(options.every === undefined ? {} : { every: options.every }),
            });
        const hasFace = framesDone || clip?.folder !== undefined;
        if (ausDir !== undefined && !ausDone && hasFace) {
          await runAnalyzeCommand(video, {
            out: ausDir,
            progress: false,
            ...(options.every === undefined ? {} : { every: options.every }),
          });
        }
        outcome = {
          status: 'prepared',
          input: video,
          folder: hasFace ? folder : undefined,
          ...(clip === undefined ? {} : { clip }),
          ...(ausFile !== undefined && hasFace ? { ausFile } : {}),
        };
      }
      done.push(outcome);
      bar?.increment();
      onVideo(outcome);
    }
  } finally {
    bar?.stop();
  }
  return done;
}

/** One line per video. */
export function describePrepareOutcome(outcome: PrepareOutcome): string {
  const aus = outcome.ausFile === undefined ? '' : `; AU estimates ${outcome.ausFile}`;
  if (outcome.status === 'skipped') return `${outcome.input}: already prepared (${outcome.folder})${aus}`;
  const clip = outcome.clip;
  if (outcome.folder === undefined) {
    return `${outcome.input}: no face in ${clip?.analyzedFrames ?? 0} analysed frame(s); nothing written`;
  }
  if (clip === undefined) return `${outcome.input}: frames already prepared (${outcome.folder})${aus}`;
  return `${outcome.input}: ${clip.framesWritten} of ${clip.analyzedFrames} analysed frame(s) → ${outcome.folder}${clip.faces > 1 ? ` (the main of ${clip.faces} faces)` : ''}${aus}`;
}

/** The closing lines: how many videos were prepared, skipped, and which had no face. */
export function summarisePrepare(outcomes: readonly PrepareOutcome[]): string[] {
  const prepared = outcomes.filter((o) => o.status === 'prepared' && o.folder !== undefined).length;
  const skipped = outcomes.filter((o) => o.status === 'skipped').length;
  const noFace = outcomes.filter((o) => o.folder === undefined);
  const lines = [
    `${outcomes.length} video(s): ${prepared} prepared, ${skipped} already prepared (skipped), ${noFace.length} without a face`,
  ];
  if (noFace.length > 0) {
    lines.push(
      `warning: ${noFace.length} video(s) had no face; no folder was written for them: ${noFace.map((o) => o.input).join(', ')}`,
    );
  }
  return lines;
}
