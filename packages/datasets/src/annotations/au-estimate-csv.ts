import { parseAuId, type AuId } from '@dfer/au-knowledge';
import { DatasetInputError } from '../data-errors';
import {
  parseIntegerField,
  parseNumberField,
  readNumberedLines,
  splitCsvLine,
  type TextFileOptions,
} from '../text-lines';

/** Per-frame AU intensity estimates of one video, one row per frame and face. */
export interface AuEstimateTrack {
  readonly file: string;
  /** AUs of the `AUxx_r` columns, in file order. */
  readonly aus: readonly AuId[];
  /** Rows that have a face (rows of frames without a face are not kept). */
  readonly numRows: number;
  /** `frame` column of each kept row (as written; `dfer analyze` numbers frames from 0). */
  readonly frame: Int32Array;
  /** `face` column of each kept row (the track id). */
  readonly face: readonly string[];
  /** `[numRows, aus.length]` row-major AU intensities (0–5). */
  readonly intensities: Float32Array;
  /** Frames listed without a face (their AU columns are empty). */
  readonly framesWithoutFace: number;
}

/** Largest AU intensity of the 0–5 scale. */
const MAX_INTENSITY = 5;

/**
 * Reads a CSV of per-frame AU intensity estimates with named columns: `frame`, `face` and `AUxx_r` columns
 * (any others, e.g. box, score or expression probabilities, are ignored) — the `frames.csv` that
 * `dfer analyze` (`@dfer/faces`) writes. A row whose `face` is empty is a frame without a face: its AU
 * columns must be empty too, and it is counted, not kept.
 *
 * @throws DatasetInputError naming the file, line and column for a missing `frame`, `face` or AU column,
 *   a column named twice, a row with the wrong number of fields, a frame that is not an integer ≥ 0, an
 *   intensity that is not a number in [0, 5], or AU values on a row without a face; and for a file that is
 *   not UTF-8 text, not a regular file or larger than `options.maxBytes`.
 */
export function readAuEstimateCsv(file: string, options: TextFileOptions = {}): AuEstimateTrack {
  const lines = readNumberedLines(file, options);
  const header = lines[0];
  if (header === undefined) throw new DatasetInputError(file, 'the file is empty; expected a header line');
  const columns = splitCsvLine(file, header);
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c))
      throw new DatasetInputError(file, `column ${JSON.stringify(c)} is named twice`, { line: 1 });
    seen.add(c);
  }
  const frameCol = columns.indexOf('frame');
  const faceCol = columns.indexOf('face');
  if (frameCol < 0 || faceCol < 0) {
    throw new DatasetInputError(
      file,
      `expected "frame" and "face" columns; the header has ${columns.join(', ')}`,
      {
        line: 1,
      },
    );
  }
  const auCols: number[] = [];
  const aus: AuId[] = [];
  columns.forEach((c, j) => {
    if (/^AU\d+_r$/i.test(c)) {
      auCols.push(j);
      aus.push(parseAuId(c));
    }
  });
  if (aus.length === 0) throw new DatasetInputError(file, 'no AU intensity column (AUxx_r)', { line: 1 });
  const frames: number[] = [];
  const faces: string[] = [];
  const values: number[] = [];
  let framesWithoutFace = 0;
  for (const line of lines.slice(1)) {
    const fields = splitCsvLine(file, line);
    if (fields.length !== columns.length) {
      throw new DatasetInputError(file, `expected ${columns.length} fields, got ${fields.length}`, {
        line: line.line,
      });
    }
    const frame = parseIntegerField(
      file,
      line.line,
      'frame',
      fields[frameCol] as string,
      0,
      Number.MAX_SAFE_INTEGER,
    );
    const face = fields[faceCol] as string;
    if (face === '') {
      const filled = auCols.find((j) => fields[j] !== '');
      if (filled !== undefined) {
        throw new DatasetInputError(file, `a row without a face has a value in ${columns[filled]}`, {
          line: line.line,
        });
      }
      framesWithoutFace += 1;
      continue;
    }
    frames.push(frame);
    faces.push(face);
    for (const j of auCols) {
      const name = columns[j] as string;
      const v = parseNumberField(file, line.line, name, fields[j] as string);
      if (v < 0 || v > MAX_INTENSITY) {
        throw new DatasetInputError(file, `intensity ${v} is outside [0, ${MAX_INTENSITY}]`, {
          line: line.line,
          field: name,
        });
      }
      values.push(v);
    }
  }
  return {
    file,
    aus,
    numRows: frames.length,
    frame: Int32Array.from(frames),
    face: faces,
    intensities: Float32Array.from(values),
    framesWithoutFace,
  };
}
