/**
 * Scoring of noisy-sample detection against known true labels (synthetic label noise): which flagged
 * samples really carry a wrong label.
 */
import { describeValue } from '../validate';
import { SAMPLE_PARTITION } from './clip-agreement';

/** Per-call options of {@link scoreNoisyDetection}. */
export interface NoisyDetectionOptions {
  /**
   * Which samples the method flags as noisy: a partition array (code {@link SAMPLE_PARTITION}.noisy =
   * flagged, see `analyseClipAgreement`) or booleans / 0-1 values, length N.
   */
  flagged: ArrayLike<number | boolean>;
  /** The labels training saw (after noise injection), length N. */
  observedLabels: ArrayLike<number>;
  /** The clean labels, length N. */
  trueLabels: ArrayLike<number>;
  /** How `flagged` is read: `'partition'` (default when it is a `Uint8Array`) or `'boolean'`. */
  flaggedAs?: 'partition' | 'boolean';
}

/** Precision / recall of noisy-sample detection; ratios are `null` where their denominator is 0. */
export interface NoisyDetectionScore {
  /** Flagged and truly noisy. */
  truePositives: number;
  /** Flagged but clean. */
  falsePositives: number;
  /** Truly noisy but not flagged. */
  falseNegatives: number;
  /** Samples flagged. */
  flagged: number;
  /** Samples whose observed label differs from the true one. */
  noisy: number;
  /** Samples scored. */
  samples: number;
  /** `TP / (TP + FP)`; `null` when nothing was flagged. */
  precision: number | null;
  /** `TP / (TP + FN)`; `null` when no sample is noisy. */
  recall: number | null;
  /** `2·P·R / (P + R)`; `null` when P or R is `null` or both are 0. */
  f1: number | null;
}

function readArray(name: string, values: unknown, n: number | undefined): ArrayLike<unknown> {
  if (
    values === null ||
    typeof values !== 'object' ||
    typeof (values as ArrayLike<unknown>).length !== 'number'
  ) {
    throw new TypeError(`scoreNoisyDetection: ${name} must be an array, got ${describeValue(values)}`);
  }
  const arr = values as ArrayLike<unknown>;
  if (n !== undefined && arr.length !== n) {
    throw new RangeError(
      `scoreNoisyDetection: ${name} has ${arr.length} entries, expected ${n} like trueLabels`,
    );
  }
  return arr;
}

/**
 * Precision and recall of a noisy-label detector, with a sample truly noisy when its observed label
 * differs from its true label: precision `TP/(TP+FP)`, recall `TP/(TP+FN)`, F1 their harmonic mean
 * (standard definitions).
 *
 * @throws when the arrays differ in length or a label is not a non-negative integer (index named).
 */
export function scoreNoisyDetection(options: NoisyDetectionOptions): NoisyDetectionScore {
  const trueLabels = readArray('trueLabels', options.trueLabels, undefined);
  const n = trueLabels.length;
  const observed = readArray('observedLabels', options.observedLabels, n);
  const flagged = readArray('flagged', options.flagged, n);
  const mode = options.flaggedAs ?? (flagged instanceof Uint8Array ? 'partition' : 'boolean');
  if (mode !== 'partition' && mode !== 'boolean') {
    throw new RangeError(
      `scoreNoisyDetection: flaggedAs must be 'partition' or 'boolean', got ${describeValue(mode)}`,
    );
  }
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let nFlagged = 0;
  let nNoisy = 0;
  for (let i = 0; i < n; i++) {
    for (const [name, arr] of [
      ['trueLabels', trueLabels],
      ['observedLabels', observed],
    ] as const) {
      const v = arr[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
        throw new RangeError(`scoreNoisyDetection: ${name}[${i}] = ${String(v)} is not a class index`);
      }
    }
    const f = flagged[i];
    const isFlagged = mode === 'partition' ? f === SAMPLE_PARTITION.noisy : f === true || f === 1;
    if (mode === 'boolean' && !(f === true || f === false || f === 0 || f === 1)) {
      throw new RangeError(`scoreNoisyDetection: flagged[${i}] = ${String(f)} is not a boolean or 0/1`);
    }
    const isNoisy = observed[i] !== trueLabels[i];
    if (isFlagged) nFlagged++;
    if (isNoisy) nNoisy++;
    if (isFlagged && isNoisy) tp++;
    else if (isFlagged) fp++;
    else if (isNoisy) fn++;
  }
  const precision = nFlagged === 0 ? null : tp / nFlagged;
  const recall = nNoisy === 0 ? null : tp / nNoisy;
  const f1 =
    precision === null || recall === null || precision + recall === 0
      ? null
      : (2 * precision * recall) / (precision + recall);
  return {
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    flagged: nFlagged,
    noisy: nNoisy,
    samples: n,
    precision,
    recall,
    f1,
  };
}
