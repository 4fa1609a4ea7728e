import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { resolveAuList, type AuId, type AuList } from '@dfer/au-knowledge';
import { GEOMETRY_AUS } from '@dfer/faces';
import {
  createFrameFolderDataset,
  DatasetInputError,
  type ClipDataset,
  type ClipSample,
  type SplitListDatasetConfig,
} from '@dfer/datasets';
import {
  clipAuTargets,
  isPathInside,
  readAuEstimateCsv,
  readClipAuCsv,
  readOpenFaceCsv,
  readSplitList,
  selectAuColumns,
  type SplitEntry,
} from '@dfer/datasets/annotations';
import { listFrameFiles } from '@dfer/datasets/media';

/**
 * The `split_list` data source: official split lists + frame folders (+ per-clip AU labels), checked as a
 * whole before any training step. Every fold's lists, every listed clip folder and every AU file are read
 * once by {@link checkSplitListData}; the folds are then built from that check.
 */

/** Where the per-clip AU labels of a `split_list` node come from (`data.aus`). */
export interface SplitListAuConfig {
  /**
   * `openface`: one OpenFace FeatureExtraction CSV per clip (`dir` + `pattern`), presences `AUxx_c`, clip
   * label by majority vote over all its rows (AU-DFER, `reference/au-dfer.md`); `csv`: one CSV
   * `clip,AU01,…` of clip labels (`file`); `estimated`: the `frames.csv` of `dfer analyze` per clip (`dir` +
   * `pattern`, default `{id}/frames.csv`), landmark-geometry AU intensities of the clip's main face (the
   * face id with the most rows), present where the intensity is ≥ `presence`, then the same vote.
   */
  readonly source: 'openface' | 'csv' | 'estimated';
  /** Folder of the OpenFace CSVs (`openface`). */
  readonly dir?: string;
  /** File name of a clip's CSV under `dir`, with `{id}` for the clip id (default `{id}.csv`; `estimated`: `{id}/frames.csv`). */
  readonly pattern?: string;
  /** The single CSV of clip labels (`csv`). */
  readonly file?: string;
  /**
   * AU order of the model's AU head, by name (default `openface18`, the AU-DFER head's 18 AUs; `estimated`:
   * the 16 AUs `dfer analyze` estimates, `GEOMETRY_AUS` of `@dfer/faces`).
   */
  readonly names?: AuList;
  /** `estimated` only: the intensity (0–5 scale) from which an AU counts as present in a frame (default 1). */
  readonly presence?: number;
  /** Fraction of frames an AU must be present in (default 0.5: majority vote). */
  readonly threshold?: number;
  /**
   * A listed clip without AU labels: `fail` (default) stops before training, naming the clips; `mask`
   * keeps it for the expression loss and leaves it out of the AU term (counted and reported).
   */
  readonly missing?: 'fail' | 'mask';
}

/** Options of the `split_list` data node. */
export interface SplitListDataOptions extends SplitListDatasetConfig {
  readonly listDir?: string;
  readonly pattern?: string;
  readonly aus?: SplitListAuConfig;
}

/** Option names of `data.aus`. */
const AU_OPTION_KEYS = ['source', 'dir', 'pattern', 'file', 'names', 'threshold', 'missing', 'presence'];

/** What the check found in one split list of one fold. */
export interface SplitListCheckSplit {
  readonly fold: number;
  readonly split: 'train' | 'test';
  /** Absolute path of the list. */
  readonly file: string;
  /** Clips listed (good lines). */
  readonly listed: number;
  /** Lines left out in `onError: 'skip'` mode. */
  readonly skippedLines: number;
  /** Listed clips whose folder is missing, unreadable, empty or holds another number of frames than listed. */
  readonly badClips: readonly { readonly dir: string; readonly reason: string }[];
  /** Usable clips (listed, folder good). */
  readonly clips: readonly SplitEntry[];
  /** Usable clips with AU labels (when `aus` is configured). */
  readonly auLabelled?: number;
}

/** The result of {@link checkSplitListData}. */
export interface SplitListCheck {
  readonly labelNames: readonly string[];
  readonly auNames?: readonly AuId[];
  /** 0-based fold → its train and test lists. */
  readonly folds: ReadonlyMap<number, { train: SplitListCheckSplit; test: SplitListCheckSplit }>;
  /** Clip id → clip AU targets, for the clips that have AU labels. */
  readonly auTargets: ReadonlyMap<string, Uint8Array>;
  readonly maskMissingAus: boolean;
  /** One line per split and a summary, for the run's report. */
  readonly lines: readonly string[];
}

/** Reads a string option, resolved to an absolute path. */
function pathOption(value: unknown, name: string, example: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new Error(`${name}: not set; give a folder path (e.g. --set ${name}=${example})`);
  }
  return resolve(value);
}

/** Checks the options of a `split_list` node (everything that does not need the file system). */
function readOptions(options: SplitListDataOptions): {
  listDir: string;
  pattern: string;
  root: string;
  aus?: SplitListAuConfig;
} {
  const { listDir, pattern, aus } = options;
  if (typeof listDir !== 'string' || typeof pattern !== 'string') {
    throw new Error(
      'data (split_list): "listDir" and "pattern" must be strings, e.g. pattern "DFEW_set_{fold}_{split}.txt"',
    );
  }
  const root = pathOption(options.root, 'data.root', '/data/DFEW/Clip/clip_224x224');
  if (!existsSync(root)) {
    throw new Error(
      `data.root: dataset root ${root} does not exist (set it with --set data.root=/path/to/frames)`,
    );
  }
  const dir = pathOption(listDir, 'data.listDir', '/data/DFEW/splits');
  if (!existsSync(dir)) throw new Error(`data.listDir: folder of the split lists ${dir} does not exist`);
  if (aus !== undefined) {
    if (aus === null || typeof aus !== 'object' || Array.isArray(aus)) {
      throw new Error(
        'data.aus: expected an object { source: "openface", dir, pattern } or { source: "csv", file }',
      );
    }
    for (const key of Object.keys(aus)) {
      if (!AU_OPTION_KEYS.includes(key))
        throw new Error(`data.aus.${key}: unknown option; known: ${AU_OPTION_KEYS.join(', ')}`);
    }
    if (aus.source !== 'openface' && aus.source !== 'csv' && aus.source !== 'estimated') {
      throw new Error(
        `data.aus.source: expected "openface" (one OpenFace CSV per clip), "csv" (one CSV clip,AU01,…) or "estimated" (the frames.csv of dfer analyze per clip), got ${JSON.stringify(aus.source)}`,
      );
    }
    if (
      aus.presence !== undefined &&
      !(typeof aus.presence === 'number' && aus.presence > 0 && aus.presence <= 5)
    ) {
      throw new Error(
        `data.aus.presence: expected an intensity in (0, 5], got ${JSON.stringify(aus.presence)}`,
      );
    }
    if (aus.missing !== undefined && aus.missing !== 'fail' && aus.missing !== 'mask') {
      throw new Error(`data.aus.missing: expected "fail" or "mask", got ${JSON.stringify(aus.missing)}`);
    }
    if (
      aus.threshold !== undefined &&
      !(typeof aus.threshold === 'number' && aus.threshold > 0 && aus.threshold <= 1)
    ) {
      throw new Error(
        `data.aus.threshold: expected a number in (0, 1], got ${JSON.stringify(aus.threshold)}`,
      );
    }
  }
  return { listDir: dir, pattern, root, ...(aus !== undefined ? { aus } : {}) };
}

/** Bytes read at each end of a frame file by {@link frameFileFault}. */
const FRAME_END_BYTES = 32;

/**
 * Why a frame file cannot be a whole image, from its first and last bytes only (no decoding): empty, not
 * a JPEG (FF D8 FF … FF D9 near the end) or PNG (signature … IEND near the end) as its name says, e.g.
 * a truncated copy. `undefined` when both ends look right.
 */
function frameFileFault(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    if (size === 0) return `${basename(file)} is empty (0 bytes)`;
    const head = Buffer.alloc(Math.min(8, size));
    readSync(fd, head, 0, head.length, 0);
    const tail = Buffer.alloc(Math.min(FRAME_END_BYTES, size));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    const png = /\.png$/i.test(file);
    const ok = png
      ? head.equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10])) &&
        tail.includes('IEND', 0, 'latin1')
      : head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff && tail.includes(Buffer.from([0xff, 0xd9]));
    if (!ok) {
      return `${basename(file)} is not a whole ${png ? 'PNG' : 'JPEG'} image (${png ? 'signature or IEND' : 'start or end marker'} missing: truncated or not an image)`;
    }
    return undefined;
  } catch (error) {
    return `${basename(file)} cannot be read (${(error as Error).message})`;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Per-frame AU presences of the main face of a `dfer analyze` frames.csv (the face id with the most rows):
 * `[rows, aus.length]`, 1 where the estimated intensity is ≥ `presence`; undefined when no frame has a face.
 */
function estimatedPresences(file: string, aus: readonly AuId[], presence: number): Uint8Array | undefined {
  const track = readAuEstimateCsv(file);
  if (track.numRows === 0) return undefined;
  const rowsOf = new Map<string, number>();
  for (const f of track.face) rowsOf.set(f, (rowsOf.get(f) ?? 0) + 1);
  const main = [...rowsOf.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  const rows = track.face.flatMap((f, r) => (f === main ? [r] : []));
  const width = track.aus.length;
  const face = new Float32Array(rows.length * width);
  rows.forEach((r, k) => face.set(track.intensities.subarray(r * width, (r + 1) * width), k * width));
  let selected: Float32Array;
  try {
    selected = selectAuColumns(face, track.aus, aus, 'AU intensity columns (AUxx_r)');
  } catch (cause) {
    throw new DatasetInputError(file, (cause as Error).message, { cause });
  }
  return Uint8Array.from(selected, (v) => (v >= presence ? 1 : 0));
}

/** The 0-based folds and their protocol, as the data registry passes them. */
export interface SplitListFoldContext {
  readonly protocol: 'fixed' | 'kfold';
  readonly fold?: number;
}

const SHOWN = 5;

/** One line per bad item, at most {@link SHOWN}, then a count of the rest. */
function firstFew(items: readonly string[]): string {
  const shown = items.slice(0, SHOWN).map((s) => `  ${s}`);
  if (items.length > SHOWN) shown.push(`  … and ${items.length - SHOWN} more`);
  return shown.join('\n');
}

/**
 * Checks a `split_list` node for every fold it will run, before any training step: every list exists and
 * parses (file, line and field named on error); every listed clip folder exists, is readable and holds as
 * many frames as its list says, each of them a whole JPEG/PNG by its first and last bytes
 * ({@link frameFileFault}; frames are not decoded here); every AU file parses and gives a clip label (majority vote over its rows).
 * With `onError: 'skip'` bad lines and bad training clips are left out and counted per split; otherwise the
 * first fault stops here, naming absolute paths. A bad test clip is always an error (every test clip is
 * scored). A clip without AU labels is an error unless `aus.missing` is `mask`.
 */
export function checkSplitListData(
  options: SplitListDataOptions,
  contexts: readonly SplitListFoldContext[],
): SplitListCheck {
  const { listDir, pattern, root, aus } = readOptions(options);
  const skip = options.onError === 'skip';
  const { listDir: _l, pattern: _p, aus: _a, ...listOptions } = options;
  const readOptionsForList = { ...listOptions, root };
  const files = contexts.map((context) => {
    const fold = (context.fold ?? 0) + 1;
    if (context.protocol === 'kfold' && !pattern.includes('{fold}')) {
      throw new Error(`data.pattern "${pattern}" has no {fold} placeholder but the protocol is k-fold`);
    }
    const file = (split: 'train' | 'test'): string =>
      join(listDir, pattern.replace('{fold}', String(fold)).replace('{split}', split));
    return { fold: context.fold ?? 0, train: file('train'), test: file('test') };
  });
  const missingLists = files.flatMap((f) => [f.train, f.test]).filter((f) => !existsSync(f));
  if (missingLists.length > 0) {
    throw new Error(
      `data: ${missingLists.length} split list(s) not found (data.listDir ${listDir}, data.pattern "${pattern}"):\n${firstFew(missingLists)}`,
    );
  }
  // Every list, then every distinct clip folder once.
  const lists = new Map<string, ReturnType<typeof readSplitList>>();
  for (const f of files) {
    for (const file of [f.train, f.test])
      if (!lists.has(file)) lists.set(file, readSplitList(file, readOptionsForList));
  }
  const labelNames = [...lists.values()][0]!.labelNames;
  const folderFault = new Map<string, string | undefined>();
  for (const list of lists.values()) {
    for (const entry of list.entries) {
      if (folderFault.has(entry.dir)) continue;
      let fault: string | undefined;
      try {
        const frames = listFrameFiles(entry.dir);
        if (frames.length !== entry.numFrames)
          fault = `holds ${frames.length} frame image(s), the list says ${entry.numFrames} (line ${entry.line} of ${list.file})`;
        else fault = frames.map(frameFileFault).find((f) => f !== undefined);
      } catch (error) {
        if (!(error instanceof DatasetInputError)) throw error;
        fault = existsSync(entry.dir)
          ? error.message.replace(`${entry.dir}: `, '')
          : 'the clip folder does not exist';
      }
      folderFault.set(entry.dir, fault);
    }
  }
  // AU labels of every distinct usable clip.
  const auNames =
    aus === undefined
      ? undefined
      : resolveAuList(
          aus.names ?? (aus.source === 'estimated' ? GEOMETRY_AUS : 'openface18'),
          'data.aus.names',
        );
  const auTargets = new Map<string, Uint8Array>();
  const noAuLabels = new Map<string, string>();
  if (aus !== undefined && auNames !== undefined) {
    const threshold = aus.threshold ?? 0.5;
    if (aus.source === 'csv') {
      const file = pathOption(aus.file, 'data.aus.file', '/data/DFEW/clip-aus.csv');
      const csv = readClipAuCsv(file, { aus: auNames });
      for (const list of lists.values()) {
        for (const entry of list.entries) {
          const row = csv.targets.get(entry.id);
          if (row !== undefined) auTargets.set(entry.id, row);
          else noAuLabels.set(entry.id, `no row for clip ${entry.id} in ${file}`);
        }
      }
    } else {
      const dir = pathOption(aus.dir, 'data.aus.dir', '/data/DFEW/openface');
      if (!existsSync(dir))
        throw new Error(`data.aus.dir: folder of the OpenFace CSVs ${dir} does not exist`);
      const filePattern = aus.pattern ?? (aus.source === 'estimated' ? '{id}/frames.csv' : '{id}.csv');
      if (!filePattern.includes('{id}'))
        throw new Error(`data.aus.pattern "${filePattern}" has no {id} placeholder (e.g. "{id}.csv")`);
      for (const list of lists.values()) {
        for (const entry of list.entries) {
          if (auTargets.has(entry.id) || noAuLabels.has(entry.id) || folderFault.get(entry.dir) !== undefined)
            continue;
          const file = resolve(dir, filePattern.replace('{id}', entry.id));
          if (!isPathInside(file, dir)) {
            throw new Error(
              `data.aus.pattern: the AU file of clip ${entry.id} resolves to ${file}, outside data.aus.dir ${dir}`,
            );
          }
          if (!existsSync(file)) {
            noAuLabels.set(
              entry.id,
              `no ${aus.source === 'estimated' ? 'AU estimate' : 'OpenFace'} CSV ${file}`,
            );
            continue;
          }
          if (aus.source === 'estimated') {
            const presences = estimatedPresences(file, auNames, aus.presence ?? 1);
            if (presences === undefined) noAuLabels.set(entry.id, `${file} has no frame with a face`);
            else auTargets.set(entry.id, clipAuTargets(presences, auNames.length, { threshold }).targets);
            continue;
          }
          const track = readOpenFaceCsv(file);
          if (track.faceId !== undefined && new Set(track.faceId).size > 1) {
            throw new DatasetInputError(
              file,
              'several face_id values: give a single-face OpenFace output per clip',
            );
          }
          if (track.numFrames === 0) {
            noAuLabels.set(entry.id, `${file} has no frame rows`);
            continue;
          }
          let presences: Uint8Array;
          try {
            presences = selectAuColumns(
              track.presences,
              track.presenceAus,
              auNames,
              'presence columns (AUxx_c)',
            );
          } catch (cause) {
            throw new DatasetInputError(file, (cause as Error).message, { cause });
          }
          auTargets.set(entry.id, clipAuTargets(presences, auNames.length, { threshold }).targets);
        }
      }
    }
  }
  const maskMissingAus = aus?.missing === 'mask';
  // Per split: usable clips, bad clips, AU coverage; then the verdict.
  const folds = new Map<number, { train: SplitListCheckSplit; test: SplitListCheckSplit }>();
  const lines: string[] = [];
  const faults: string[] = [];
  for (const f of files) {
    const split = (name: 'train' | 'test', file: string): SplitListCheckSplit => {
      const list = lists.get(file)!;
      const badClips: { dir: string; reason: string }[] = [];
      const clips: SplitEntry[] = [];
      for (const entry of list.entries) {
        const fault = folderFault.get(entry.dir);
        if (fault !== undefined) badClips.push({ dir: entry.dir, reason: fault });
        else clips.push(entry);
      }
      const labelled = aus === undefined ? undefined : clips.filter((c) => auTargets.has(c.id)).length;
      return {
        fold: f.fold + 1,
        split: name,
        file,
        listed: list.entries.length,
        skippedLines: list.skipped.length,
        badClips,
        clips,
        ...(labelled !== undefined ? { auLabelled: labelled } : {}),
      };
    };
    const train = split('train', f.train);
    const test = split('test', f.test);
    folds.set(f.fold, { train, test });
    for (const s of [train, test]) {
      const au =
        s.auLabelled === undefined
          ? ''
          : `; AU labels ${s.auLabelled}/${s.clips.length} (${((100 * s.auLabelled) / Math.max(s.clips.length, 1)).toFixed(1)} %)`;
      lines.push(
        `data check: fold ${s.fold} ${s.split} ${s.file}: ${s.listed} clips listed, ${s.badClips.length} unreadable` +
          `${s.skippedLines ? `, ${s.skippedLines} bad line(s) skipped` : ''}${au}`,
      );
      if (s.badClips.length > 0 && (!skip || s.split === 'test')) {
        faults.push(
          `fold ${s.fold} ${s.split} (${s.file}): ${s.badClips.length} unreadable clip(s)` +
            (s.split === 'test'
              ? ' — every test clip must be scored'
              : ' — set data.onError "skip" to leave them out (counted)') +
            `:\n${firstFew(s.badClips.map((c) => `${c.dir}: ${c.reason}`))}`,
        );
      }
      if (s.skippedLines > 0 && s.split === 'test') {
        faults.push(
          `fold ${s.fold} test (${s.file}): ${s.skippedLines} bad line(s) — every test clip must be scored`,
        );
      }
      if (s.auLabelled !== undefined && s.auLabelled < s.clips.length && !maskMissingAus) {
        const missing = s.clips.filter((c) => !auTargets.has(c.id)).map((c) => noAuLabels.get(c.id) ?? c.id);
        faults.push(
          `fold ${s.fold} ${s.split}: ${s.clips.length - s.auLabelled} clip(s) without AU labels — set data.aus.missing "mask" ` +
            `to keep them for the expression loss only (counted):\n${firstFew(missing)}`,
        );
      }
    }
  }
  if (faults.length > 0) throw new Error(`data check failed before training:\n${faults.join('\n')}`);
  return {
    labelNames,
    ...(auNames !== undefined ? { auNames } : {}),
    folds,
    auTargets,
    maskMissingAus,
    lines,
  };
}

/**
 * A dataset over the usable clips of one checked split; with AU labels, `get` gives each labelled clip's
 * AU targets as per-frame `aus` (the clip label on every decoded frame, so a majority vote over any frames
 * returns it) and no `aus` for a clip without labels (the loader's `missing: 'mask'` leaves it out of the
 * AU term).
 */
export function splitListDataset(
  check: SplitListCheck,
  split: SplitListCheckSplit,
  size: SplitListDatasetConfig['size'],
): ClipDataset {
  const frames = createFrameFolderDataset({
    clips: split.clips,
    labels: check.labelNames,
    ...(size === undefined ? {} : { size }),
  });
  const auNames = check.auNames;
  if (auNames === undefined) return frames;
  const width = auNames.length;
  return {
    length: frames.length,
    labelNames: frames.labelNames,
    auNames,
    record: (index) => frames.record(index),
    async get(index, options): Promise<ClipSample> {
      const sample = await frames.get(index, options);
      const target = check.auTargets.get(sample.id);
      if (target === undefined) return sample;
      const aus = new Uint8Array(sample.frameIndices.length * width);
      for (let t = 0; t < sample.frameIndices.length; t++) aus.set(target, t * width);
      return { ...sample, aus };
    },
  };
}
