/**
 * Training data from raw videos: the main face of a video, aligned with the same transform as
 * inference ({@link alignFace}), written as a folder of JPEG frames (the layout of DFEW's face crops,
 * read by `createFrameFolderDataset` of `@dfer/datasets`).
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { alignFace, type AlignmentTemplate } from '../alignment/align-face';
import { createFaceDetector, type FaceDetector } from '../detection/face-detector';
import { openVideoFrames } from '@dfer/datasets/media';
import { createFaceTracker } from '../tracking/face-tracker';
import { loadSharp } from '../native-modules';

/** Per-call options of {@link prepareFaceClip}. */
export interface PrepareClipOptions {
  /** Side of the square crops in pixels (default 112, the size of the base models' paper presets). */
  readonly size?: number;
  /** Keep every N-th frame (default 1). */
  readonly every?: number;
  /** Where the eyes go in the crop (default `DEFAULT_ALIGNMENT_TEMPLATE`). */
  readonly template?: AlignmentTemplate;
  /** JPEG quality 1–100 (default 95). */
  readonly quality?: number;
  /** A detector to reuse (default: one is created). */
  readonly detector?: FaceDetector;
}

/** What {@link prepareFaceClip} wrote. */
export interface PreparedClip {
  readonly input: string;
  /** The frame folder (`<outDir>/<video name without extension>`), or `undefined` when no face was found. */
  readonly folder: string | undefined;
  /** Frames of the video and frames looked at (every `every`-th). */
  readonly frames: number;
  readonly analyzedFrames: number;
  /** Frames written: those in which the main face (the track seen in most frames) appears. */
  readonly framesWritten: number;
  /** Faces (tracks) seen; only the main one is written. */
  readonly faces: number;
}

/**
 * Writes the aligned crops of a video's main face as `<outDir>/<name>/00001.jpg, 00002.jpg, …` (1-based,
 * in frame order; the file number is the video frame index + 1, so gaps show frames without that face).
 * Crops of every track are written under a temporary folder while the video streams; the track seen in
 * most frames is moved into place at the end, the rest deleted.
 *
 * @throws Error naming the folder when `<outDir>/<name>` already exists (nothing is overwritten);
 *   DatasetInputError naming the file when it is not a readable video; RangeError for bad options.
 */
export async function prepareFaceClip(
  video: string,
  outDir: string,
  options: PrepareClipOptions = {},
): Promise<PreparedClip> {
  const size = options.size ?? 112;
  const every = options.every ?? 1;
  const quality = options.quality ?? 95;
  if (!(Number.isInteger(size) && size >= 16 && size <= 1024))
    throw new RangeError(`prepareFaceClip: options.size must be an integer in [16, 1024], got ${size}`);
  if (!(Number.isInteger(every) && every >= 1))
    throw new RangeError(`prepareFaceClip: options.every must be an integer ≥ 1, got ${every}`);
  if (!(Number.isInteger(quality) && quality >= 1 && quality <= 100))
    throw new RangeError(`prepareFaceClip: options.quality must be an integer in [1, 100], got ${quality}`);
  const name = basename(video, extname(video));
  const folder = resolve(outDir, name);
  if (existsSync(folder)) throw new Error(`${folder} already exists; prepare writes new frame folders only`);
  const frames = await openVideoFrames(video, { onDamagedFrames: 'report' });
  const detector = options.detector ?? (await createFaceDetector({ expression: false }));
  const tracker = createFaceTracker();
  const target = { height: size, width: size };
  mkdirSync(resolve(outDir), { recursive: true });
  const temp = resolve(outDir, `.${name}.partial`);
  rmSync(temp, { recursive: true, force: true });
  const counts = new Map<number, number>();
  let decoded = 0;
  let analyzed = 0;
  try {
    for await (const { index, image } of frames) {
      decoded++;
      if (index % every !== 0) continue;
      const faces = await detector.detect(image);
      const ids = tracker.update(
        analyzed++,
        faces.map((f) => f.box),
      );
      for (let k = 0; k < faces.length; k++) {
        const id = ids[k]!.id;
        const crop = alignFace(image, faces[k]!.landmarks, target, options.template);
        const jpeg = await loadSharp()(Buffer.from(Uint8Array.from(crop, (v) => Math.round(v * 255))), {
          raw: { width: size, height: size, channels: 3 },
        })
          .jpeg({ quality })
          .toBuffer();
        const dir = join(temp, `face-${id}`);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, `${String(index + 1).padStart(5, '0')}.jpg`), jpeg);
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
    }
    const main = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0];
    if (main !== undefined) renameSync(join(temp, `face-${main[0]}`), folder);
    return {
      input: video,
      folder: main === undefined ? undefined : folder,
      frames: decoded,
      analyzedFrames: analyzed,
      framesWritten: main?.[1] ?? 0,
      faces: counts.size,
    };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
