import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { resolveLabelList, type LabelList, type LabelSetName } from '@dfer/au-knowledge';
import {
  DatasetInputError,
  resolveBadInputPolicy,
  type BadInputPolicy,
  type SkippedItem,
} from '../data-errors';
import { isPathInside } from '../path-inside';
import { readNumberedLines, parseIntegerField, type TextFileOptions } from '../text-lines';

/** One clip of a split list. */
export interface SplitEntry {
  /** The kept path components joined by `/` (e.g. `02522`, `Action/Happy/0267`). */
  readonly id: string;
  /** Frame folder: `root/<id>` when a root is given, else the path as written in the file. */
  readonly dir: string;
  /** Number of frames given by the list. */
  readonly numFrames: number;
  /** 0-based label index in `labelNames`. */
  readonly label: number;
  /** 1-based line of the list file. */
  readonly line: number;
}

/** A parsed split list. */
export interface SplitList {
  readonly file: string;
  readonly labelNames: readonly string[];
  readonly entries: readonly SplitEntry[];
  /** Lines left out in `skip` mode (empty in `throw` mode). */
  readonly skipped: readonly SkippedItem[];
}

/** Known layouts of the DFER-CLIP split files (`../shared/data/splits`, `reference/dfer-benchmarks.md`). */
export const SPLIT_LIST_FORMATS = {
  /** `…/DFEW_Frame_Face/02522 66 5`: keep the clip number. */
  dfew: { labels: 'dfew', keepComponents: 1 },
  /** `…/2_ClipsforFaceCrop/Action/Happy/0267 29 0`: keep scene/class/clip (clip numbers repeat across folders). */
  ferv39k: { labels: 'ferv39k', keepComponents: 3 },
  /** `…/MAFW/data/faces/03747 105 3`: keep the clip number. */
  mafw: { labels: 'mafw', keepComponents: 1 },
} as const satisfies Record<string, { labels: LabelSetName; keepComponents: number }>;

/** Name of a known split-list layout. */
export type SplitListFormat = keyof typeof SPLIT_LIST_FORMATS;

/** Per-call options of {@link readSplitList}. */
export interface SplitListOptions extends TextFileOptions {
  /** A known layout; sets `labels` and `keepComponents` unless they are given. */
  readonly format?: SplitListFormat;
  /** Label names (or a label-set name of `@dfer/au-knowledge`) indexed by the 0-based label column. */
  readonly labels?: LabelList;
  /** How many trailing components of the authors' clip path to keep (default 1). */
  readonly keepComponents?: number;
  /**
   * Dataset root replacing the authors' absolute prefix: `dir = root/<kept components>`. Every clip dir
   * must stay inside it: a kept component `..` that climbs out of the root, or an existing clip dir that
   * is a symbolic link to a place outside the root, is an error naming the line.
   */
  readonly root?: string;
  /** `throw` (default) stops at the first bad line; `skip` leaves it out and reports it. */
  readonly onError?: BadInputPolicy;
}

/**
 * Reads a split list in the DFER-CLIP format: one clip per line, `<clip dir> <number of frames> <label>`,
 * space separated, label 0-based (`../shared/data/SOURCES.md`). The authors' absolute prefix is
 * replaced by `options.root`, keeping the last `keepComponents` components of the clip dir.
 *
 * @throws DatasetInputError naming the file, line and field for a malformed line (wrong number of
 *   fields, non-integer or non-positive frame count, label outside `[0, labels.length − 1]`, a clip dir
 *   outside `options.root`), and for a file that is not UTF-8 text (invalid bytes, control characters), is not
 *   a regular file, or is larger than `options.maxBytes`.
 */
export function readSplitList(file: string, options: SplitListOptions = {}): SplitList {
  const format = options.format === undefined ? undefined : SPLIT_LIST_FORMATS[options.format];
  if (options.format !== undefined && format === undefined) {
    throw new RangeError(
      `readSplitList: options.format must be one of ${Object.keys(SPLIT_LIST_FORMATS).join(', ')}, got ${JSON.stringify(options.format)}`,
    );
  }
  const labelsSpec = options.labels ?? format?.labels;
  if (labelsSpec === undefined) throw new TypeError('readSplitList: give options.format or options.labels');
  const labelNames = resolveLabelList(labelsSpec, 'readSplitList: options.labels');
  const keep = options.keepComponents ?? format?.keepComponents ?? 1;
  if (!Number.isInteger(keep) || keep < 1) {
    throw new RangeError(`readSplitList: options.keepComponents must be a positive integer, got ${keep}`);
  }
  const policy = resolveBadInputPolicy(options.onError, 'readSplitList: options.onError');
  const root = options.root === undefined ? undefined : resolve(options.root);
  const realRoot = root !== undefined && existsSync(root) ? realpathSync.native(root) : undefined;
  const entries: SplitEntry[] = [];
  const skipped: SkippedItem[] = [];
  const seen = new Map<string, number>();
  for (const line of readNumberedLines(file, options)) {
    try {
      const fields = line.text.trim().split(/\s+/);
      if (fields.length !== 3) {
        throw new DatasetInputError(
          file,
          `expected 3 space-separated fields "<clip dir> <number of frames> <label>", got ${fields.length}`,
          {
            line: line.line,
          },
        );
      }
      const [path, framesText, labelText] = fields as [string, string, string];
      const numFrames = parseIntegerField(
        file,
        line.line,
        'number of frames',
        framesText,
        1,
        Number.MAX_SAFE_INTEGER,
      );
      const label = parseIntegerField(file, line.line, 'label', labelText, 0, labelNames.length - 1);
      const parts = path.split(/[\\/]+/).filter((p) => p !== '');
      if (parts.length < keep) {
        throw new DatasetInputError(
          file,
          `clip dir ${JSON.stringify(path)} has fewer than ${keep} path components`,
          {
            line: line.line,
            field: 'clip dir',
          },
        );
      }
      const id = parts.slice(parts.length - keep).join('/');
      const previous = seen.get(id);
      if (previous !== undefined) {
        throw new DatasetInputError(file, `clip ${id} already listed on line ${previous}`, {
          line: line.line,
          field: 'clip dir',
        });
      }
      seen.set(id, line.line);
      const dir =
        root === undefined
          ? isAbsolute(path)
            ? path
            : resolve(path)
          : join(root, ...parts.slice(parts.length - keep));
      if (root !== undefined) checkInsideRoot(file, line.line, path, dir, root, realRoot);
      if (parts.slice(parts.length - keep).some((p) => p === '.' || p === '..')) {
        throw new DatasetInputError(
          file,
          `clip dir ${JSON.stringify(path)}: the kept components ${JSON.stringify(id)} contain "." or ".."; a clip id names a folder`,
          { line: line.line, field: 'clip dir' },
        );
      }
      entries.push({ id, dir, numFrames, label, line: line.line });
    } catch (error) {
      if (policy === 'throw' || !(error instanceof DatasetInputError)) throw error;
      skipped.push({ file, line: line.line, reason: error.message });
    }
  }
  return { file, labelNames, entries, skipped };
}

/** Throws when the clip dir resolves, or links, to a place outside the dataset root. */
function checkInsideRoot(
  file: string,
  line: number,
  written: string,
  dir: string,
  root: string,
  realRoot: string | undefined,
): void {
  const where = { line, field: 'clip dir' };
  if (!isPathInside(dir, root)) {
    throw new DatasetInputError(
      file,
      `${JSON.stringify(written)} resolves to ${dir}, outside the dataset root ${root}`,
      where,
    );
  }
  if (realRoot === undefined || !existsSync(dir)) return;
  const realDir = realpathSync.native(dir);
  if (!isPathInside(realDir, realRoot)) {
    throw new DatasetInputError(
      file,
      `${JSON.stringify(written)} resolves to ${dir}, which is a link to ${realDir}, outside the dataset root ${root}`,
      where,
    );
  }
}

/**
 * Number of items per class: `counts[c] = |{i : labels[i] = c}|`.
 *
 * @throws RangeError naming the position of a label outside `[0, numClasses − 1]`.
 */
export function countLabels(labels: Iterable<number>, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  let i = 0;
  for (const label of labels) {
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
      throw new RangeError(`countLabels: labels[${i}] = ${label} is outside [0, ${numClasses - 1}]`);
    }
    counts[label] = (counts[label] as number) + 1;
    i++;
  }
  return counts;
}
