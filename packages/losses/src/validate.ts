import * as tf from '@tensorflow/tfjs-core';
import type { LabelsInput, MultiLabelTargetsInput, Reduction } from './types';
import { REDUCTIONS } from './types';

/** Checks that `logits` is a float tensor of shape `[B, N]` with B ≥ 1, N ≥ 1; returns `[B, N]`. */
export function checkLogits(where: string, name: string, logits: unknown): [number, number] {
  if (!(logits instanceof tf.Tensor)) {
    throw new TypeError(
      `${where}: ${name} must be a tf.Tensor of shape [batch, classes], got ${describeValue(logits)}`,
    );
  }
  if (logits.rank !== 2) {
    throw new RangeError(
      `${where}: ${name} must have rank 2 [batch, classes], got shape [${logits.shape.join(', ')}]`,
    );
  }
  const [b, n] = logits.shape as [number, number];
  if (b < 1 || n < 1) {
    throw new RangeError(`${where}: ${name} must be non-empty, got shape [${b}, ${n}]`);
  }
  if (logits.dtype !== 'float32') {
    throw new TypeError(`${where}: ${name} must have dtype float32, got ${logits.dtype}`);
  }
  return [b, n];
}

/**
 * Reads class labels and checks there is one per sample, each an integer in `[0, numClasses)`.
 * @returns the labels as an `Int32Array` of length `batch`.
 */
export function readLabels(
  where: string,
  name: string,
  labels: LabelsInput,
  batch: number,
  numClasses: number,
): Int32Array {
  let values: ArrayLike<number>;
  if (labels instanceof tf.Tensor) {
    if (labels.rank !== 1) {
      throw new RangeError(
        `${where}: ${name} must be a rank-1 tensor [batch], got shape [${labels.shape.join(', ')}]`,
      );
    }
    values = labels.dataSync() as ArrayLike<number>;
  } else if (labels !== null && typeof labels === 'object' && typeof labels.length === 'number') {
    values = labels;
  } else {
    throw new TypeError(
      `${where}: ${name} must be a tf.Tensor or an array of integers, got ${describeValue(labels)}`,
    );
  }
  if (values.length !== batch) {
    throw new RangeError(
      `${where}: ${name} has ${values.length} entries but the logits have batch size ${batch}`,
    );
  }
  const out = new Int32Array(batch);
  for (let i = 0; i < batch; i++) {
    const v = values[i] as number;
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new RangeError(
        `${where}: ${name}[${i}] = ${v} is not an integer class index in [0, ${numClasses})`,
      );
    }
    out[i] = v;
  }
  return out;
}

/**
 * Reads multi-label targets of shape `[batch, width]` and checks every value is finite and in [0, 1].
 * @returns the targets as a row-major `Float32Array` of length `batch·width`.
 */
export function readMultiLabelTargets(
  where: string,
  name: string,
  targets: MultiLabelTargetsInput,
  batch: number,
  width: number,
): Float32Array {
  let values: ArrayLike<number>;
  if (targets instanceof tf.Tensor) {
    if (targets.rank !== 2 || targets.shape[0] !== batch || targets.shape[1] !== width) {
      throw new RangeError(
        `${where}: ${name} must have shape [${batch}, ${width}] like the logits, got [${targets.shape.join(', ')}]`,
      );
    }
    values = targets.dataSync() as ArrayLike<number>;
  } else if (targets !== null && typeof targets === 'object' && typeof targets.length === 'number') {
    if (targets.length !== batch * width) {
      throw new RangeError(
        `${where}: ${name} has ${targets.length} values but [${batch}, ${width}] needs ${batch * width} (row-major)`,
      );
    }
    values = targets;
  } else {
    throw new TypeError(
      `${where}: ${name} must be a tf.Tensor or an array of numbers, got ${describeValue(targets)}`,
    );
  }
  const out = new Float32Array(batch * width);
  for (let i = 0; i < out.length; i++) {
    const v = values[i] as number;
    if (!(v >= 0 && v <= 1)) {
      const row = Math.floor(i / width);
      throw new RangeError(`${where}: ${name}[${row}][${i % width}] = ${v} is not a target in [0, 1]`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * Checks a per-class (or per-AU) table: exactly `length` finite numbers, each ≥ `min` (or > `min`
 * when `strict`). Returns a `Float32Array` copy.
 */
export function readVector(
  where: string,
  name: string,
  values: ArrayLike<number>,
  length: number,
  bounds: { min: number; strict: boolean } = { min: 0, strict: false },
): Float32Array {
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    throw new TypeError(
      `${where}: ${name} must be an array of ${length} numbers, got ${describeValue(values)}`,
    );
  }
  if (values.length !== length) {
    throw new RangeError(`${where}: ${name} has ${values.length} entries, expected ${length}`);
  }
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const v = values[i] as number;
    const ok = Number.isFinite(v) && (bounds.strict ? v > bounds.min : v >= bounds.min);
    if (!ok) {
      throw new RangeError(
        `${where}: ${name}[${i}] = ${v} must be a finite number ${bounds.strict ? '>' : '≥'} ${bounds.min}`,
      );
    }
    out[i] = v;
  }
  return out;
}

/** Checks a scalar option: a finite number in `[min, max]`. */
export function checkNumber(where: string, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(
      `${where}: ${name} must be a number in [${min}, ${max}], got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Checks the reduction option. */
export function checkReduction(where: string, reduction: unknown): Reduction {
  if (!REDUCTIONS.includes(reduction as Reduction)) {
    throw new RangeError(
      `${where}: reduction must be one of ${REDUCTIONS.map((r) => `'${r}'`).join(', ')}, got ${describeValue(reduction)}`,
    );
  }
  return reduction as Reduction;
}

/** A short description of a value for error messages. */
export function describeValue(value: unknown): string {
  if (value instanceof tf.Tensor) return `a ${value.dtype} tensor of shape [${value.shape.join(', ')}]`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'string') return `'${value}'`;
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value)})`;
  return `${typeof value} ${String(value)}`;
}
