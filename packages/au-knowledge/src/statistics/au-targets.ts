/** Binary AU targets (and expression labels) as the statistics read them: the type and its validation. */
import { type LabelList, resolveLabelList } from '../labels';

/**
 * Binary AU targets of N samples (frames or clips): either one row per sample (arrays or typed
 * arrays, all of the same length) or a flat row-major buffer with its number of AUs (e.g.
 * `ClipSample.aus` of `@dfer/datasets`). Every value must be exactly 0 or 1.
 */
export type AuTargets =
  readonly ArrayLike<number>[] | { readonly data: ArrayLike<number>; readonly numAus: number };

/** Validated targets as a flat 0/1 buffer. */
interface FlatTargets {
  readonly data: Uint8Array;
  readonly rows: number;
  readonly cols: number;
}

function checkBinary(v: number, where: string): 0 | 1 {
  if (v === 0 || v === 1) return v;
  throw new Error(
    `auTargets${where}: value ${v} is not binary; expected every AU target to be exactly 0 or 1`,
  );
}

export function flattenTargets(targets: AuTargets, expectedAus?: number): FlatTargets {
  let flat: FlatTargets;
  if (Array.isArray(targets)) {
    const rowsArr = targets as readonly ArrayLike<number>[];
    if (rowsArr.length === 0)
      throw new Error('auTargets: is empty; expected at least one row of 0/1 AU values');
    const cols = rowsArr[0]?.length ?? 0;
    if (cols === 0) throw new Error('auTargets[0]: has no values; expected one 0/1 value per AU');
    const data = new Uint8Array(rowsArr.length * cols);
    rowsArr.forEach((row, i) => {
      if (row === null || typeof row !== 'object' || row.length !== cols) {
        throw new Error(
          `auTargets[${i}]: has length ${row?.length}; expected ${cols} values (the length of row 0), one per AU`,
        );
      }
      for (let j = 0; j < cols; j++) data[i * cols + j] = checkBinary(row[j] as number, `[${i}][${j}]`);
    });
    flat = { data, rows: rowsArr.length, cols };
  } else if (targets !== null && typeof targets === 'object' && 'data' in targets && 'numAus' in targets) {
    const { data: src, numAus } = targets;
    if (!Number.isInteger(numAus) || numAus <= 0)
      throw new Error(`auTargets.numAus: ${numAus} is not a positive integer`);
    if (src.length === 0 || src.length % numAus !== 0) {
      throw new Error(
        `auTargets.data: length ${src.length} is not a positive multiple of numAus = ${numAus}`,
      );
    }
    const data = new Uint8Array(src.length);
    for (let k = 0; k < src.length; k++) {
      data[k] = checkBinary(
        src[k] as number,
        `.data[${k}] (row ${Math.floor(k / numAus)}, AU ${k % numAus})`,
      );
    }
    flat = { data, rows: src.length / numAus, cols: numAus };
  } else {
    throw new Error('auTargets: expected an array of 0/1 rows or { data, numAus }');
  }
  if (expectedAus !== undefined && flat.cols !== expectedAus) {
    throw new Error(
      `auTargets: rows have ${flat.cols} values; expected ${expectedAus} (one per AU of options.aus)`,
    );
  }
  return flat;
}

export function validateLabels(exprLabels: ArrayLike<number>, rows: number, numClasses: number): Int32Array {
  if (exprLabels === null || typeof exprLabels !== 'object' || exprLabels.length !== rows) {
    throw new Error(
      `exprLabels: has length ${exprLabels?.length}; expected ${rows} (one expression index per row of auTargets)`,
    );
  }
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const y = exprLabels[i] as number;
    if (!Number.isInteger(y) || y < 0 || y >= numClasses) {
      throw new Error(`exprLabels[${i}]: ${y} is not an integer class index in [0, ${numClasses - 1}]`);
    }
    out[i] = y;
  }
  return out;
}

export function resolveNumClasses(options: { readonly numClasses?: number; readonly labels?: LabelList }): {
  numClasses: number;
  labelNames?: readonly string[];
} {
  if (options.labels !== undefined) {
    const labelNames = resolveLabelList(options.labels, 'options.labels');
    if (options.numClasses !== undefined && options.numClasses !== labelNames.length) {
      throw new Error(
        `options.numClasses: ${options.numClasses} differs from the ${labelNames.length} names of options.labels`,
      );
    }
    return { numClasses: labelNames.length, labelNames };
  }
  if (options.numClasses === undefined || !Number.isInteger(options.numClasses) || options.numClasses <= 0) {
    throw new Error(
      `options: expected options.labels (a label set such as 'dfew' or label names) or options.numClasses (a positive integer); got numClasses = ${options.numClasses}`,
    );
  }
  return { numClasses: options.numClasses };
}
