import { parseAuId, resolveAuList, type AuId, type AuList } from '@dfer/au-knowledge';
import { DatasetInputError } from '../data-errors';
import { parseIntegerField, readNumberedLines, splitCsvLine, type TextFileOptions } from '../text-lines';

/** Clip-level AU labels read by {@link readClipAuCsv}. */
export interface ClipAuCsv {
  readonly file: string;
  /** AU columns of `targets`, in the order asked for (`options.aus`). */
  readonly aus: readonly AuId[];
  /** Clip id → `[aus.length]` 0/1 targets. */
  readonly targets: ReadonlyMap<string, Uint8Array>;
}

/** Per-call options of {@link readClipAuCsv}. */
export interface ClipAuCsvOptions extends TextFileOptions {
  /** AUs to return, by name, in this order (default `openface18`); each must be a column of the file. */
  readonly aus?: AuList;
}

/**
 * Reads one CSV of clip-level AU labels: a header `clip,AU01,AU02,…` (AU columns by name, any order,
 * `AU1`, `AU01` or `AU01_c` accepted), then one row per clip: its id as the split list names it (e.g.
 * `00001`, `Action/Happy/0267`) and 0/1 per AU. Columns are re-indexed by name to `options.aus`.
 *
 * @throws DatasetInputError naming the file, line and column for a header without a `clip` first column,
 *   a column that is not an AU or is named twice, an AU of `options.aus` missing from the header, a row
 *   with the wrong number of fields, a value other than 0/1, an empty or repeated clip id; and for a file
 *   that is not UTF-8 text, not a regular file or larger than `options.maxBytes`.
 */
export function readClipAuCsv(file: string, options: ClipAuCsvOptions = {}): ClipAuCsv {
  const wanted = resolveAuList(options.aus ?? 'openface18', 'readClipAuCsv: options.aus');
  const lines = readNumberedLines(file, options);
  const header = lines[0];
  if (header === undefined)
    throw new DatasetInputError(file, 'the file is empty; expected a header clip,AU01,…');
  const columns = splitCsvLine(file, header);
  if (columns[0]?.toLowerCase() !== 'clip') {
    throw new DatasetInputError(file, `the first column must be "clip", got ${JSON.stringify(columns[0])}`, {
      line: 1,
    });
  }
  const fileAus: AuId[] = [];
  columns.slice(1).forEach((name, k) => {
    let au: AuId;
    try {
      au = parseAuId(name);
    } catch {
      throw new DatasetInputError(
        file,
        `column ${k + 2} ${JSON.stringify(name)} is not an AU name (AU01, AU12, …)`,
        {
          line: 1,
        },
      );
    }
    if (fileAus.includes(au)) throw new DatasetInputError(file, `${au} is named twice`, { line: 1 });
    fileAus.push(au);
  });
  const from = wanted.map((au) => {
    const j = fileAus.indexOf(au);
    if (j < 0) {
      throw new DatasetInputError(
        file,
        `no column for ${au}; the file has ${fileAus.join(', ') || 'no AU column'}`,
        {
          line: 1,
        },
      );
    }
    return j;
  });
  const targets = new Map<string, Uint8Array>();
  const seen = new Map<string, number>();
  for (const line of lines.slice(1)) {
    const fields = splitCsvLine(file, line);
    if (fields.length !== columns.length) {
      throw new DatasetInputError(file, `expected ${columns.length} fields, got ${fields.length}`, {
        line: line.line,
      });
    }
    const id = fields[0] as string;
    if (id === '') throw new DatasetInputError(file, 'empty clip id', { line: line.line, field: 'clip' });
    const previous = seen.get(id);
    if (previous !== undefined) {
      throw new DatasetInputError(file, `clip ${id} already given on line ${previous}`, {
        line: line.line,
        field: 'clip',
      });
    }
    seen.set(id, line.line);
    const values = fileAus.map((au, j) =>
      parseIntegerField(file, line.line, au, fields[j + 1] as string, 0, 1),
    );
    targets.set(
      id,
      Uint8Array.from(from, (j) => values[j] as number),
    );
  }
  return { file, aus: wanted, targets };
}
