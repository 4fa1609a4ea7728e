import * as tf from '@tensorflow/tfjs-core';

import { oneHotFloat } from '../tensor-ops';
import type { LabelsInput, LossResult } from '../types';
import { checkLogits, checkNumber, describeValue, readLabels, readVector } from '../validate';

/** Per-call options of {@link rdferLoss}. */
export interface RdferLossOptions {
  /** Final (short-term stream) logits `[B, C]`. */
  logits: tf.Tensor;
  /** Long-term stream logits `[B, C]`. */
  longLogits: tf.Tensor;
  /** Per long-term frame logits `[B, T, C]`. */
  instanceLogits: tf.Tensor;
  /** Per re-sampled clip logits `[B, P, C]`. */
  clipLogits: tf.Tensor;
  /** Class per sample (e.g. `analyseClipAgreement(...).relabel`). */
  labels: LabelsInput;
  /** Weight `v_b ≥ 0` per sample (e.g. `analyseClipAgreement(...).weights`); default all 1. */
  sampleWeights?: ArrayLike<number>;
  /** A key-position loss already computed (a scalar, e.g. `rdferKeyPositionLoss` of `@dfer/backbones`); default none. */
  keyLoss?: tf.Tensor;
  /** Weights of the aux terms; defaults are the lab code's `reference/rdfer.md`: 0.1, 0.1, 0.1, and 0 for key. */
  weights?: { long?: number; instance?: number; clip?: number; key?: number };
}

/** The default aux-term weights (the lab's code, `reference/rdfer.md`, "loss"). */
export const RDFER_LOSS_WEIGHTS = Object.freeze({ long: 0.1, instance: 0.1, clip: 0.1, key: 0 });

/** `−log softmax(z)_y` per row of `z` `[R, C]` for one-hot targets `[R, C]`. Call inside `tf.tidy`. */
function rowCrossEntropy(z: tf.Tensor, oneHot: tf.Tensor): tf.Tensor {
  return tf.neg(tf.sum(tf.mul(tf.logSoftmax(z), oneHot), -1));
}

function checkSequenceLogits(where: string, name: string, value: unknown, b: number, c: number): number {
  if (!(value instanceof tf.Tensor) || value.rank !== 3 || value.shape[0] !== b || value.shape[2] !== c) {
    throw new RangeError(
      `${where}: ${name} must be a float32 tensor [${b}, N, ${c}] (batch, items, classes), got ${describeValue(value)}`,
    );
  }
  return value.shape[1] as number;
}

/**
 * The RDFER training loss (the lab's composition, `reference/rdfer.md` "loss"), with a per-sample weight
 * `v_b` (clip agreement) applied to every term of sample b — our addition:
 *
 *     L = (1/B) Σ_b v_b · [ CE(z_b, y_b) + λ_long·CE(z^long_b, y_b)
 *                           + λ_inst·(1/T) Σ_i CE(z^inst_{b,i}, y_b) + λ_clip·(1/P) Σ_p CE(z^clip_{b,p}, y_b) ]
 *         + λ_key · keyLoss
 *
 * with `CE(z, y) = −log softmax(z)_y` (softmax applied once — the lab's code applies it twice before the
 * instance CE, a defect the reference lists). Returns `{ loss, terms: { ce, long, instance, clip, key } }`,
 * each term already multiplied by its weight and reduced (batch mean with the sample weights).
 *
 * @throws when a logits tensor has the wrong shape, a label is out of range, a weight is negative, or
 *   `keyLoss` is not a scalar.
 */
export function rdferLoss(
  options: RdferLossOptions,
): LossResult<'ce' | 'long' | 'instance' | 'clip' | 'key'> {
  const where = 'rdferLoss';
  const [b, c] = checkLogits(where, 'logits', options.logits);
  const [bl, cl] = checkLogits(where, 'longLogits', options.longLogits);
  if (bl !== b || cl !== c) {
    throw new RangeError(`${where}: longLogits must have shape [${b}, ${c}] like logits, got [${bl}, ${cl}]`);
  }
  const t = checkSequenceLogits(where, 'instanceLogits', options.instanceLogits, b, c);
  const p = checkSequenceLogits(where, 'clipLogits', options.clipLogits, b, c);
  const labels = readLabels(where, 'labels', options.labels, b, c);
  const v =
    options.sampleWeights === undefined
      ? new Float32Array(b).fill(1)
      : readVector(where, 'sampleWeights', options.sampleWeights, b);
  const w = { ...RDFER_LOSS_WEIGHTS, ...options.weights };
  for (const key of ['long', 'instance', 'clip', 'key'] as const) {
    checkNumber(where, `weights.${key}`, w[key], 0, 1e6);
  }
  if (
    options.keyLoss !== undefined &&
    (!(options.keyLoss instanceof tf.Tensor) || options.keyLoss.rank !== 0)
  ) {
    throw new RangeError(`${where}: keyLoss must be a scalar tensor, got ${describeValue(options.keyLoss)}`);
  }
  return tf.tidy(() => {
    const oneHot = oneHotFloat(labels, c);
    const vb = tf.tensor1d(v);
    const weightedMean = (perSample: tf.Tensor): tf.Tensor => tf.div(tf.sum(tf.mul(perSample, vb)), b);
    const perItem = (z: tf.Tensor, n: number): tf.Tensor =>
      tf.mean(
        tf.reshape(
          rowCrossEntropy(
            tf.reshape(z, [b * n, c]),
            tf.reshape(tf.tile(tf.expandDims(oneHot, 1), [1, n, 1]), [b * n, c]),
          ),
          [b, n],
        ),
        1,
      );
    const ce = weightedMean(rowCrossEntropy(options.logits, oneHot));
    const long = tf.mul(w.long, weightedMean(rowCrossEntropy(options.longLogits, oneHot)));
    const instance = tf.mul(w.instance, weightedMean(perItem(options.instanceLogits, t)));
    const clip = tf.mul(w.clip, weightedMean(perItem(options.clipLogits, p)));
    const key = options.keyLoss === undefined ? tf.scalar(0) : tf.mul(w.key, options.keyLoss);
    const loss = tf.addN([ce, long, instance, clip, key]);
    return { loss, terms: { ce, long, instance, clip, key } };
  });
}
