import * as tf from '@tensorflow/tfjs-core';
import type { LabelsInput, LossResult, Reduction } from '../types';
import { checkLogits, checkNumber, checkReduction, readVector } from '../validate';
import { crossEntropyParts, readCrossEntropySettings, reduceCrossEntropy } from './cross-entropy';

/** Per-call options of {@link logitAdjustedLoss}: give `classPriors` or `classCounts`, not both. */
export interface LogitAdjustedLossOptions {
  /** Expression logits `[B, C]` (float32). */
  logits: tf.Tensor;
  /** Class index per sample, integers in `[0, C)`. */
  labels: LabelsInput;
  /** Training class priors π_c > 0, length C (normalised to sum 1 here). */
  classPriors?: ArrayLike<number>;
  /** Training samples per class n_c > 0, length C (π_c = n_c / Σ n). */
  classCounts?: ArrayLike<number>;
  /** Temperature τ ≥ 0; default 1. */
  tau?: number;
  /** Batch reduction; default `'mean'`. */
  reduction?: Reduction;
}

/** Per-call options of {@link balancedSoftmaxLoss}. */
export interface BalancedSoftmaxLossOptions {
  /** Expression logits `[B, C]` (float32). */
  logits: tf.Tensor;
  /** Class index per sample, integers in `[0, C)`. */
  labels: LabelsInput;
  /** Training samples per class n_c > 0, length C. */
  classCounts: ArrayLike<number>;
  /** Batch reduction; default `'mean'`. */
  reduction?: Reduction;
}

function readPriors(
  where: string,
  numClasses: number,
  priors?: ArrayLike<number>,
  counts?: ArrayLike<number>,
): Float64Array {
  if ((priors === undefined) === (counts === undefined)) {
    throw new RangeError(`${where}: give exactly one of classPriors or classCounts`);
  }
  const name = priors !== undefined ? 'classPriors' : 'classCounts';
  const values = readVector(where, name, (priors ?? counts) as ArrayLike<number>, numClasses, {
    min: 0,
    strict: true,
  });
  const total = values.reduce((a, b) => a + b, 0);
  return Float64Array.from(values, (v) => v / total);
}

function shiftedCrossEntropy(
  where: string,
  logits: tf.Tensor,
  labels: LabelsInput,
  shift: Float64Array,
  reduction: Reduction,
): tf.Tensor {
  const settings = readCrossEntropySettings(where, logits, labels, 0, undefined);
  return tf.tidy(() => {
    const adjusted = tf.add(logits, tf.tensor2d(Float32Array.from(shift), [1, shift.length]));
    return reduceCrossEntropy(crossEntropyParts(adjusted, settings), reduction, false);
  });
}

/**
 * Logit-adjusted softmax cross-entropy (Menon et al., "Long-tail learning via logit adjustment",
 * ICLR 2021, eq. 10):
 *
 *     ℓ_b = −log softmax(z_b + τ · log π)_{y_b}
 *
 * with π the training class priors. Returns `{ loss, terms: { logitAdjusted } }`.
 *
 * @throws on invalid logits/labels, priors/counts that are not C positive numbers (or both/neither
 *   given), or τ < 0.
 */
export function logitAdjustedLoss(options: LogitAdjustedLossOptions): LossResult<'logitAdjusted'> {
  const where = 'logitAdjustedLoss';
  const reduction = checkReduction(where, options.reduction ?? 'mean');
  const [, numClasses] = checkLogits(where, 'logits', options.logits);
  const tau = checkNumber(where, 'tau', options.tau ?? 1, 0, Number.MAX_VALUE);
  const priors = readPriors(where, numClasses, options.classPriors, options.classCounts);
  const loss = shiftedCrossEntropy(
    where,
    options.logits,
    options.labels,
    priors.map((p) => tau * Math.log(p)),
    reduction,
  );
  return { loss, terms: { logitAdjusted: tf.clone(loss) } };
}

/**
 * Balanced softmax cross-entropy (Ren et al., "Balanced Meta-Softmax for Long-Tailed Visual
 * Recognition", NeurIPS 2020, eq. 4):
 *
 *     ℓ_b = −log( n_{y_b} e^{z_{b,y_b}} / Σ_c n_c e^{z_{b,c}} ) = −log softmax(z_b + log n)_{y_b}
 *
 * (the logit-adjusted loss with τ = 1: adding `log n` or `log π` gives the same softmax). Returns
 * `{ loss, terms: { balancedSoftmax } }`.
 *
 * @throws on invalid logits/labels or counts that are not C positive numbers.
 */
export function balancedSoftmaxLoss(options: BalancedSoftmaxLossOptions): LossResult<'balancedSoftmax'> {
  const where = 'balancedSoftmaxLoss';
  const reduction = checkReduction(where, options.reduction ?? 'mean');
  const [, numClasses] = checkLogits(where, 'logits', options.logits);
  const counts = readVector(where, 'classCounts', options.classCounts, numClasses, { min: 0, strict: true });
  const loss = shiftedCrossEntropy(
    where,
    options.logits,
    options.labels,
    Float64Array.from(counts, (n) => Math.log(n)),
    reduction,
  );
  return { loss, terms: { balancedSoftmax: tf.clone(loss) } };
}
