import { parseAuId, resolveAuList, type AuId, type AuList } from '@dfer/au-knowledge';
import {
  DatasetInputError,
  resolveBadInputPolicy,
  type BadInputPolicy,
  type SkippedItem,
} from '../data-errors';
import { parseNumberField, readNumberedLines, splitCsvLine, type TextFileOptions } from '../text-lines';

/** Per-frame output of OpenFace FeatureExtraction for one video. */
export interface OpenFaceTrack {
  readonly file: string;
  /** Number of rows read (frames, or frame × face when `faceId` is present). */
  readonly numFrames: number;
  /** Every column name of the header, trimmed, in file order. */
  readonly columns: readonly string[];
  /** `frame` column (1-based frame numbers as OpenFace writes them). */
  readonly frame: Int32Array;
  /** `face_id` column, when present (OpenFace ≥ 2.2). */
  readonly faceId?: Int32Array;
  /** `timestamp` column in seconds. */
  readonly timestamp: Float64Array;
  /** `confidence` column (tracker confidence in [0, 1]). */
  readonly confidence: Float32Array;
  /** `success` column: 1 when a face was tracked in the frame. */
  readonly success: Uint8Array;
  /** AUs of the `AUxx_r` columns, in file order. */
  readonly intensityAus: readonly AuId[];
  /** `[numFrames, intensityAus.length]` row-major AU intensities (0–5). */
  readonly intensities: Float32Array;
  /** AUs of the `AUxx_c` columns, in file order. */
  readonly presenceAus: readonly AuId[];
  /** `[numFrames, presenceAus.length]` row-major AU presences (0/1). */
  readonly presences: Uint8Array;
  /** Rows left out in `skip` mode (rows are matched by their `frame` column, so others stay aligned). */
  readonly skipped: readonly SkippedItem[];
}

/** Per-call options of {@link readOpenFaceCsv}. */
export interface OpenFaceCsvOptions extends TextFileOptions {
  /** `throw` (default) stops at the first bad row; `skip` leaves bad rows out and reports them. */
  readonly onError?: BadInputPolicy;
}

const REQUIRED = ['frame', 'timestamp', 'confidence', 'success'] as const;

/** Largest AU intensity OpenFace writes (its regressors' outputs are clipped to [0, 5]). */
const MAX_INTENSITY = 5;

/**
 * Reads an OpenFace FeatureExtraction CSV (older files without `face_id` and with ", " between header
 * fields are accepted, as are newer ones). AU columns are recognised by name (`AUxx_r` intensity,
 * `AUxx_c` presence); every other column is parsed only for `frame`, `face_id`, `timestamp`,
 * `confidence` and `success`.
 *
 * @throws DatasetInputError naming the file, line and column for a missing required column, a row
 *   with the wrong number of fields, a value that is not a finite decimal number (`0x10`, `1e400`), a
 *   value outside OpenFace's contract (`frame` not an integer ≥ 1, `face_id` not an integer ≥ 0,
 *   `timestamp` < 0, `confidence` outside [0, 1], an intensity outside [0, 5], a presence or
 *   `success` other than 0/1), a frame number that repeats or decreases (per face), or a file without
 *   any AU column, or a column named twice; and for a file that is not UTF-8 text, not a regular file or larger than
 *   `options.maxBytes`.
 */
export function readOpenFaceCsv(file: string, options: OpenFaceCsvOptions = {}): OpenFaceTrack {
  const policy = resolveBadInputPolicy(options.onError, 'readOpenFaceCsv: options.onError');
  const lines = readNumberedLines(file, options);
  const header = lines[0];
  if (header === undefined)
    throw new DatasetInputError(file, 'the file is empty; expected an OpenFace header line');
  const columns = splitCsvLine(file, header);
  const index = new Map<string, number>();
  columns.forEach((c, i) => {
    const first = index.get(c);
    if (first !== undefined) {
      throw new DatasetInputError(
        file,
        `column ${JSON.stringify(c)} appears twice (fields ${first + 1} and ${i + 1})`,
        {
          line: header.line,
        },
      );
    }
    index.set(c, i);
  });
  for (const name of REQUIRED) {
    if (!index.has(name)) {
      throw new DatasetInputError(
        file,
        `missing column ${JSON.stringify(name)}; an OpenFace CSV has ${REQUIRED.join(', ')} and AUxx_r/AUxx_c columns`,
        {
          line: header.line,
        },
      );
    }
  }
  const rCols: number[] = [];
  const cCols: number[] = [];
  const intensityAus: AuId[] = [];
  const presenceAus: AuId[] = [];
  columns.forEach((c, i) => {
    const m = /^AU\d+_([rc])$/.exec(c);
    if (m === null) return;
    let au: AuId;
    try {
      au = parseAuId(c, 'AU column');
    } catch (cause) {
      throw new DatasetInputError(file, (cause as Error).message, { line: header.line, field: c, cause });
    }
    if (m[1] === 'r') {
      rCols.push(i);
      intensityAus.push(au);
    } else {
      cCols.push(i);
      presenceAus.push(au);
    }
  });
  if (rCols.length === 0 && cCols.length === 0) {
    throw new DatasetInputError(file, 'no AU column (AUxx_r or AUxx_c) in the header', { line: header.line });
  }
  const faceCol = index.get('face_id');
  const col = (name: string): number => index.get(name) as number;
  interface ParsedRow {
    frame: number;
    faceId: number;
    timestamp: number;
    confidence: number;
    success: number;
    intensities: number[];
    presences: number[];
  }
  const parsed: ParsedRow[] = [];
  const skipped: SkippedItem[] = [];
  /** Last frame number read per face, to require increasing frames. */
  const lastFrame = new Map<number, { frame: number; line: number }>();
  for (const row of lines.slice(1)) {
    try {
      const fields = splitCsvLine(file, row);
      if (fields.length !== columns.length) {
        throw new DatasetInputError(
          file,
          `expected ${columns.length} fields as in the header, got ${fields.length}`,
          {
            line: row.line,
          },
        );
      }
      const num = (c: number): number =>
        parseNumberField(file, row.line, columns[c] as string, fields[c] as string);
      const binary = (c: number): number => {
        const v = num(c);
        if (v !== 0 && v !== 1) {
          throw new DatasetInputError(file, `expected 0 or 1, got ${fields[c]}`, {
            line: row.line,
            field: columns[c],
          });
        }
        return v;
      };
      const ranged = (c: number, min: number, max: number, integer = false): number => {
        const v = num(c);
        if (v < min || v > max || (integer && !Number.isInteger(v))) {
          const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`;
          throw new DatasetInputError(
            file,
            `expected ${integer ? 'an integer' : 'a value'} ${range}, got ${fields[c]}`,
            {
              line: row.line,
              field: columns[c],
            },
          );
        }
        return v;
      };
      const frame = ranged(col('frame'), 1, 2 ** 31 - 1, true);
      const faceId = faceCol === undefined ? 0 : ranged(faceCol, 0, 2 ** 31 - 1, true);
      const previous = lastFrame.get(faceId);
      if (previous !== undefined && frame <= previous.frame) {
        throw new DatasetInputError(
          file,
          `frame ${frame}${faceCol === undefined ? '' : ` of face ${faceId}`} ${frame === previous.frame ? 'repeats' : 'comes after'} frame ${previous.frame} of line ${previous.line}; frames must increase`,
          { line: row.line, field: 'frame' },
        );
      }
      const values: ParsedRow = {
        frame,
        faceId,
        timestamp: ranged(col('timestamp'), 0, Number.MAX_SAFE_INTEGER),
        confidence: ranged(col('confidence'), 0, 1),
        success: binary(col('success')),
        intensities: rCols.map((c) => ranged(c, 0, MAX_INTENSITY)),
        presences: cCols.map(binary),
      };
      lastFrame.set(faceId, { frame, line: row.line });
      parsed.push(values);
    } catch (error) {
      if (policy === 'throw' || !(error instanceof DatasetInputError)) throw error;
      skipped.push({ file, line: row.line, reason: error.message });
    }
  }
  const n = parsed.length;
  const frame = Int32Array.from(parsed, (r) => r.frame);
  const faceId = faceCol === undefined ? undefined : Int32Array.from(parsed, (r) => r.faceId);
  const timestamp = Float64Array.from(parsed, (r) => r.timestamp);
  const confidence = Float32Array.from(parsed, (r) => r.confidence);
  const success = Uint8Array.from(parsed, (r) => r.success);
  const intensities = new Float32Array(n * rCols.length);
  const presences = new Uint8Array(n * cCols.length);
  parsed.forEach((r, t) => {
    intensities.set(r.intensities, t * rCols.length);
    presences.set(r.presences, t * cCols.length);
  });
  const track: OpenFaceTrack = {
    file,
    numFrames: n,
    columns,
    frame,
    timestamp,
    confidence,
    success,
    intensityAus,
    intensities,
    presenceAus,
    presences,
    skipped,
  };
  return faceId === undefined ? track : { ...track, faceId };
}

/**
 * Re-indexes per-frame AU columns by AU name: returns `[T, aus.length]` with column j taken from the
 * source column whose AU equals `aus[j]`.
 *
 * @throws Error naming the AU that the source does not have.
 */
export function selectAuColumns<T extends Float32Array | Uint8Array>(
  values: T,
  sourceAus: readonly AuId[],
  aus: AuList,
  what = 'AU columns',
): T {
  const wanted = resolveAuList(aus);
  const width = sourceAus.length;
  const rows = width === 0 ? 0 : values.length / width;
  const from = wanted.map((au) => {
    const j = sourceAus.indexOf(au);
    if (j < 0) throw new Error(`${what}: no column for ${au}; available: ${sourceAus.join(', ')}`);
    return j;
  });
  const out = new (values.constructor as new (n: number) => T)(rows * wanted.length);
  for (let t = 0; t < rows; t++) {
    from.forEach((j, k) => {
      out[t * wanted.length + k] = values[t * width + j] as number;
    });
  }
  return out;
}

/** Per-call options of {@link clipAuTargets}. */
export interface ClipAuTargetOptions {
  /** Fraction of considered frames an AU must be present in (default 0.5, AU-DFER's majority vote). */
  readonly threshold?: number;
  /** Frames to vote over (e.g. the sampler's 16 frames). Default: every frame. */
  readonly frames?: readonly number[];
  /** Per-frame mask (e.g. OpenFace `success`): frames with 0 do not vote. */
  readonly mask?: Uint8Array;
}

/** Result of {@link clipAuTargets}. */
export interface ClipAuTargets {
  /** `[numAus]` 0/1 clip targets. */
  readonly targets: Uint8Array;
  /** Number of frames that voted. */
  readonly framesUsed: number;
  /** Number of chosen frames left out by `mask`. */
  readonly framesMasked: number;
}

/**
 * Clip AU targets by majority vote over frames (AU-DFER, `reference/au-dfer.md`): with V the set of
 * voting frames, `a_j = 1` iff `|{t ∈ V : presence[t, j] = 1}| ≥ threshold · |V|`.
 *
 * @param presences - `[T, numAus]` row-major 0/1 presences.
 * @throws RangeError when no frame votes (empty clip, or every chosen frame masked), a frame index is
 *   outside `[0, T − 1]`, or the threshold is outside (0, 1].
 */
export function clipAuTargets(
  presences: Uint8Array,
  numAus: number,
  options: ClipAuTargetOptions = {},
): ClipAuTargets {
  const threshold = options.threshold ?? 0.5;
  if (!(threshold > 0 && threshold <= 1))
    throw new RangeError(`clipAuTargets: options.threshold must be in (0, 1], got ${threshold}`);
  if (!Number.isInteger(numAus) || numAus < 1 || presences.length % numAus !== 0) {
    throw new RangeError(
      `clipAuTargets: presences.length ${presences.length} is not a multiple of numAus ${numAus}`,
    );
  }
  const numFrames = presences.length / numAus;
  if (options.mask !== undefined && options.mask.length !== numFrames) {
    throw new RangeError(
      `clipAuTargets: options.mask has ${options.mask.length} entries for ${numFrames} frames`,
    );
  }
  const frames = options.frames ?? Array.from({ length: numFrames }, (_, t) => t);
  const counts = new Array<number>(numAus).fill(0);
  let used = 0;
  let masked = 0;
  frames.forEach((t, i) => {
    if (!Number.isInteger(t) || t < 0 || t >= numFrames) {
      throw new RangeError(`clipAuTargets: options.frames[${i}] = ${t} is outside [0, ${numFrames - 1}]`);
    }
    if (options.mask !== undefined && options.mask[t] === 0) {
      masked++;
      return;
    }
    used++;
    for (let j = 0; j < numAus; j++)
      counts[j] = (counts[j] as number) + (presences[t * numAus + j] as number);
  });
  if (used === 0) {
    throw new RangeError(
      `clipAuTargets: no frame to vote over (${frames.length} chosen, ${masked} masked out)`,
    );
  }
  const targets = new Uint8Array(numAus);
  counts.forEach((c, j) => {
    targets[j] = c >= threshold * used ? 1 : 0;
  });
  return { targets, framesUsed: used, framesMasked: masked };
}
