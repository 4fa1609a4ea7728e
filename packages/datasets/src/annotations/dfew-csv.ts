import { LABEL_SETS } from '@dfer/au-knowledge';
import {
  DatasetInputError,
  resolveBadInputPolicy,
  type BadInputPolicy,
  type SkippedItem,
} from '../data-errors';
import { parseIntegerField, readNumberedLines, splitCsvLine, type TextFileOptions } from '../text-lines';

/** One row of a DFEW label CSV. */
export interface DfewLabelEntry {
  /** Clip number zero-padded to `idWidth` digits (DFEW's frame folders are `Clip/clip_224x224/<5-digit id>`). */
  readonly id: string;
  /** 0-based label in `LABEL_SETS.dfew` order (the CSV's 1-based label − 1). */
  readonly label: number;
  /** 1-based line of the CSV. */
  readonly line: number;
}

/** Per-call options of {@link readDfewLabelCsv}. */
export interface DfewLabelCsvOptions extends TextFileOptions {
  /** Zero-padding of numeric video names (default 5, DFEW's folder names). */
  readonly idWidth?: number;
  /** `throw` (default) or `skip` bad rows and report them. */
  readonly onError?: BadInputPolicy;
}

/** A parsed DFEW label CSV. */
export interface DfewLabelCsv {
  readonly file: string;
  readonly labelNames: readonly string[];
  readonly entries: readonly DfewLabelEntry[];
  readonly skipped: readonly SkippedItem[];
}

/**
 * Reads DFEW's official label CSV (`EmoLabel_DataSplit/{train,test}(single-labeled)/set_N.csv`,
 * columns `video_name,label`, labels 1-based: 1 happy … 7 fear; `reference/dfer-benchmarks.md`) and
 * converts labels to 0-based `LABEL_SETS.dfew` indices: `label = csvLabel − 1`.
 *
 * @throws DatasetInputError naming the file and line for a missing column, a wrong field count, a
 *   non-numeric video name, a label outside 1–7, or a clip listed twice (`2522` and `02522` are the same
 *   clip); and for a file that is not UTF-8 text, not a regular file or larger than `options.maxBytes`.
 */
export function readDfewLabelCsv(file: string, options: DfewLabelCsvOptions = {}): DfewLabelCsv {
  const idWidth = options.idWidth ?? 5;
  if (!Number.isInteger(idWidth) || idWidth < 0)
    throw new RangeError(`readDfewLabelCsv: options.idWidth must be an integer ≥ 0, got ${idWidth}`);
  const policy = resolveBadInputPolicy(options.onError, 'readDfewLabelCsv: options.onError');
  const labelNames = LABEL_SETS.dfew;
  const lines = readNumberedLines(file, options);
  const header = lines[0];
  if (header === undefined)
    throw new DatasetInputError(file, 'the file is empty; expected a header "video_name,label"');
  const columns = splitCsvLine(file, header);
  const nameCol = columns.indexOf('video_name');
  const labelCol = columns.indexOf('label');
  if (nameCol < 0 || labelCol < 0) {
    throw new DatasetInputError(
      file,
      `expected columns video_name and label, got ${JSON.stringify(columns)}`,
      { line: header.line },
    );
  }
  const entries: DfewLabelEntry[] = [];
  const skipped: SkippedItem[] = [];
  const seen = new Map<string, number>();
  for (const line of lines.slice(1)) {
    try {
      const fields = splitCsvLine(file, line);
      if (fields.length !== columns.length) {
        throw new DatasetInputError(file, `expected ${columns.length} fields, got ${fields.length}`, {
          line: line.line,
        });
      }
      const name = fields[nameCol] as string;
      if (!/^\d+$/.test(name))
        throw new DatasetInputError(file, `expected a clip number, got ${JSON.stringify(name)}`, {
          line: line.line,
          field: 'video_name',
        });
      const label =
        parseIntegerField(file, line.line, 'label', fields[labelCol] as string, 1, labelNames.length) - 1;
      const id = name.padStart(idWidth, '0');
      const previous = seen.get(id);
      if (previous !== undefined) {
        throw new DatasetInputError(
          file,
          `clip ${id} (written ${JSON.stringify(name)}) already listed on line ${previous}`,
          {
            line: line.line,
            field: 'video_name',
          },
        );
      }
      seen.set(id, line.line);
      entries.push({ id, label, line: line.line });
    } catch (error) {
      if (policy === 'throw' || !(error instanceof DatasetInputError)) throw error;
      skipped.push({ file, line: line.line, reason: error.message });
    }
  }
  return { file, labelNames, entries, skipped };
}
