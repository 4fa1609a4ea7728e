/**
 * BP4D AU-detection protocol (reference/au-detection.md): the 12 AUs (AU1 2 4 6 7 10 12 14 15 17 23 24),
 * subject-exclusive 3-fold cross-validation over the three parts of the public JAA-Net label lists, frame
 * labels from those lists, frames from the user's own copy of BP4D.
 *
 * The public AU lists (`BP4D_part<k>_AUOccur.txt`, or `BP4D_combine_1_2_AUOccur.txt` for parts 1 + 2) have
 * one frame per line and NO subject column. The user must provide, for each part, the matching frame path
 * list of the same reimplementation (`BP4D_part<k>_path.txt`): one path per line, line i naming the frame of
 * label line i, relative to `frameRoot`, in the form `<subject>/<task>/<frame>.jpg` (e.g. `F001/T1/2440.jpg`).
 * Subjects and sequences are read from those paths; nothing is guessed from line positions.
 */
import { readBp4dAuLabels } from '@dfer/datasets/annotations';
import { decodeImage } from '@dfer/datasets/media';
import { createAuExpressionRule, labelAuClipExpression } from '@dfer/datasets/synthetic';
import type { ClipDataset, ClipGetOptions, ClipSample, VideoRecord } from '@dfer/datasets';
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

/** One part of the protocol: its AU label list and the frame path list of the same lines. */
export interface Bp4dPartFiles {
  /** AU occurrence list (12 values 0/1 per line). */
  readonly labels: string;
  /** Frame paths, one per line, `<subject>/<task>/<frame>.<ext>` relative to `frameRoot`. */
  readonly paths: string;
}

/** Build-time options of {@link createBp4dAuProtocol}. */
export interface Bp4dAuProtocolConfig {
  /** The parts (3 for the standard protocol); fold k tests on part k and trains on the others. */
  readonly parts: readonly Bp4dPartFiles[];
  /** Root of the user's BP4D frames. */
  readonly frameRoot: string;
  /** Frames per clip: each sequence is cut into consecutive windows of this length (the last may be shorter). */
  readonly clipLength: number;
  /** Folder relative file names are resolved against (default: the working directory). */
  readonly dataDir?: string;
}

/** One clip: a window of consecutive frames of one subject's sequence. */
interface Bp4dClip {
  readonly part: number;
  readonly subject: string;
  readonly sequence: string;
  /** Absolute frame files. */
  readonly files: readonly string[];
  /** `[files.length, 12]` 0/1. */
  readonly aus: Uint8Array;
  readonly label: number;
}

/** The protocol: one dataset over every part, and the subject-exclusive folds as index lists. */
export interface Bp4dAuProtocol {
  readonly dataset: ClipDataset & { readonly auNames: readonly string[] };
  /** Clip indices of each part. */
  readonly parts: readonly (readonly number[])[];
  /** Subjects of each part (pairwise disjoint). */
  readonly subjects: readonly (readonly string[])[];
  /** `[frames, 12]` labels of the clips `indices`, concatenated in order (base rates of a training split). */
  frameLabels(indices: readonly number[]): Uint8Array;
}

function resolvePath(base: string | undefined, file: string): string {
  return isAbsolute(file) ? file : resolve(base ?? process.cwd(), file);
}

/**
 * Reads the parts, checks that each path list has exactly one path per label line and the form
 * `<subject>/<task>/<frame>`, checks that no subject appears in two parts (subject-exclusive folds), and cuts
 * each sequence (consecutive lines of one subject/task) into clips of `clipLength` frames. Each clip's
 * auxiliary expression label is {@link labelAuClipExpression} of `@dfer/datasets` over its frames (FACS/EMFACS
 * prototypes restricted to the 12 AUs; BP4D's own task labels are not used). Frames are decoded from
 * `frameRoot` only when a clip is read.
 *
 * @throws Error naming the file and line for a count mismatch or a malformed path, and the subject and parts
 *   for a subject found in two parts.
 */
export function createBp4dAuProtocol(config: Bp4dAuProtocolConfig): Bp4dAuProtocol {
  if (!Array.isArray(config.parts) || config.parts.length < 2) {
    throw new Error(
      'bp4d.parts: expected at least 2 parts of { labels, paths } (3 for the standard protocol)',
    );
  }
  if (!Number.isInteger(config.clipLength) || config.clipLength < 1) {
    throw new Error(`bp4d.clipLength: expected a positive integer, got ${config.clipLength}`);
  }
  const root = resolvePath(config.dataDir, config.frameRoot);
  let auNames: readonly string[] = [];
  const clips: Bp4dClip[] = [];
  const partClips: number[][] = [];
  const partSubjects: string[][] = [];
  const owner = new Map<string, number>();
  config.parts.forEach((part, p) => {
    const labelFile = resolvePath(config.dataDir, part.labels);
    const pathFile = resolvePath(config.dataDir, part.paths);
    const labels = readBp4dAuLabels(labelFile);
    auNames = labels.auNames;
    const A = labels.auNames.length;
    const rows = labels.labels.length / A;
    const paths = readFileSync(pathFile, 'utf8').split(/\r?\n/);
    while (paths.length > 0 && paths[paths.length - 1]!.trim() === '') paths.pop();
    if (paths.length !== rows) {
      throw new Error(
        `${pathFile}: ${paths.length} frame paths, but ${labelFile} has ${rows} label lines; they must match line by line`,
      );
    }
    const rule = createAuExpressionRule(labels.auNames);
    const subjects = new Set<string>();
    const ids: number[] = [];
    let start = 0;
    const keyOf = (line: number): { subject: string; sequence: string } => {
      const fields = paths[line]!.trim().split(/[\\/]/);
      if (fields.length < 3 || fields.some((f) => f === '')) {
        throw new Error(
          `${pathFile}:${line + 1}: expected <subject>/<task>/<frame>, got ${JSON.stringify(paths[line])}`,
        );
      }
      return { subject: fields[fields.length - 3]!, sequence: fields.slice(0, -1).join('/') };
    };
    const flush = (end: number): void => {
      const { subject, sequence } = keyOf(start);
      for (let s = start; s < end; s += config.clipLength) {
        const e = Math.min(end, s + config.clipLength);
        const aus = labels.labels.slice(s * A, e * A);
        ids.push(clips.length);
        clips.push({
          part: p,
          subject,
          sequence,
          files: paths.slice(s, e).map((f) => join(root, f.trim())),
          aus: Uint8Array.from(aus),
          label: labelAuClipExpression(rule, aus),
        });
      }
    };
    for (let line = 0; line < rows; line++) {
      const k = keyOf(line);
      subjects.add(k.subject);
      if (line > start && k.sequence !== keyOf(start).sequence) {
        flush(line);
        start = line;
      }
    }
    if (rows > 0) flush(rows);
    for (const s of subjects) {
      const other = owner.get(s);
      if (other !== undefined && other !== p) {
        throw new Error(
          `subject ${s} appears in part ${other + 1} (${config.parts[other]!.paths}) and part ${p + 1} (${part.paths}): folds must be subject-exclusive`,
        );
      }
      owner.set(s, p);
    }
    partClips.push(ids);
    partSubjects.push([...subjects].sort());
  });
  const labelNames = createAuExpressionRule(auNames).labelNames;
  const check = (index: number): Bp4dClip => {
    const c = clips[index];
    if (c === undefined)
      throw new RangeError(`bp4d: clip index ${index} is outside [0, ${clips.length - 1}]`);
    return c;
  };
  const dataset: ClipDataset & { auNames: readonly string[] } = {
    length: clips.length,
    labelNames,
    auNames,
    record: (i: number): VideoRecord => {
      const c = check(i);
      return { id: `${c.sequence}#${i}`, numFrames: c.files.length, label: c.label, subject: c.subject };
    },
    get: async (i: number, options: ClipGetOptions = {}): Promise<ClipSample> => {
      const c = check(i);
      const A = auNames.length;
      const frameIndices = options.frameIndices ?? c.files.map((_, t) => t);
      const images = await Promise.all(
        frameIndices.map((t) => {
          const f = c.files[t];
          if (f === undefined)
            throw new RangeError(`bp4d clip ${i}: frame ${t} outside [0, ${c.files.length - 1}]`);
          return decodeImage(f, options.size === undefined ? {} : { size: options.size });
        }),
      );
      const first = images[0]!;
      const frameLen = first.height * first.width * 3;
      const frames = new Float32Array(images.length * frameLen);
      const aus = new Uint8Array(images.length * A);
      images.forEach((img, k) => {
        if (img.height !== first.height || img.width !== first.width) {
          throw new Error(
            `${c.files[frameIndices[k]!]}: ${img.height}×${img.width} differs from the clip's first frame (${first.height}×${first.width}); pass options.size`,
          );
        }
        frames.set(img.data, k * frameLen);
        aus.set(c.aus.subarray(frameIndices[k]! * A, (frameIndices[k]! + 1) * A), k * A);
      });
      return {
        id: `${c.sequence}#${i}`,
        frames,
        shape: [images.length, first.height, first.width, 3],
        label: c.label,
        frameIndices: [...frameIndices],
        aus,
        meta: { subject: c.subject, sequence: c.sequence, part: c.part + 1 },
      };
    },
  };
  return {
    dataset,
    parts: partClips,
    subjects: partSubjects,
    frameLabels: (indices) => {
      const parts = indices.map((i) => check(i).aus);
      const out = new Uint8Array(parts.reduce((n, q) => n + q.length, 0));
      let o = 0;
      for (const q of parts) {
        out.set(q, o);
        o += q.length;
      }
      return out;
    },
  };
}
