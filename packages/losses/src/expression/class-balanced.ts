import * as tf from '@tensorflow/tfjs-core';
import { oneHotFloat, pickPerSample, reduceBatch } from '../tensor-ops';
import type { LabelsInput, LossResult, Reduction } from '../types';
import { checkLogits, checkNumber, checkReduction, readVector } from '../validate';
import { crossEntropyParts, readCrossEntropySettings } from './cross-entropy';
import { focalPerSample, readFocalSettings } from './focal';

/** The per-sample loss that class-balanced weights multiply. */
export type ClassBalancedBase = 'softmax' | 'focal';

/** Per-call options of {@link classBalancedLoss}. */
export interface ClassBalancedLossOptions {
  /** Expression logits `[B, C]` (float32). */
  logits: tf.Tensor;
  /** Class index per sample, integers in `[0, C)`. */
  labels: LabelsInput;
  /** Training samples per class `n_c ≥ 1`, length C. */
  classCounts: ArrayLike<number>;
  /** β in [0, 1); default 0.999. β = 0 gives equal weights, β → 1 inverse-frequency weights. */
  beta?: number;
  /** Base loss: softmax cross-entropy (default) or softmax focal loss. */
  baseLoss?: ClassBalancedBase;
  /** γ of the focal base loss; default 2. */
  gamma?: number;
  /** Batch reduction; default `'mean'` (plain batch mean of the weighted losses). */
  reduction?: Reduction;
}

/**
 * Class-balanced weights from the effective number of samples (Cui et al., "Class-Balanced Loss
 * Based on Effective Number of Samples", CVPR 2019, eq. 4 and §4):
 *
 *     E_c = (1 − β^{n_c}) / (1 − β),   w_c = (1 / E_c) · C / Σ_k (1 / E_k)
 *
 * so the weights sum to C (they average to 1).
 *
 * @param classCounts - training samples per class, each ≥ 1 (a class with 0 samples has an infinite
 *   weight: drop the class or count it at least once).
 * @param beta - β in [0, 1).
 * @throws when a count is not a finite number ≥ 1 or β is outside [0, 1).
 */
export function classBalancedWeights(classCounts: ArrayLike<number>, beta: number): Float32Array {
  const where = 'classBalancedWeights';
  const counts = readVector(where, 'classCounts', classCounts, classCounts.length, { min: 1, strict: false });
  if (counts.length === 0) throw new RangeError(`${where}: classCounts is empty`);
  checkNumber(where, 'beta', beta, 0, 1);
  if (beta >= 1) throw new RangeError(`${where}: beta must be < 1 (β = 1 divides by 0), got ${beta}`);
  const inverse = Array.from(counts, (n) => (1 - beta) / (1 - Math.pow(beta, n)));
  const total = inverse.reduce((a, b) => a + b, 0);
  return Float32Array.from(inverse, (v) => (v * counts.length) / total);
}

/**
 * Class-balanced loss (Cui et al., CVPR 2019): the softmax cross-entropy or focal loss of each sample
 * multiplied by the weight of its class from {@link classBalancedWeights}:
 *
 *     ℓ_b = w_{y_b} · base(z_b, y_b)      mean = (1/B) Σ_b ℓ_b
 *
 * (the authors' reduction: a batch mean, not divided by the summed weights). Returns
 * `{ loss, terms: { classBalanced } }`.
 *
 * @throws on invalid logits/labels, counts of the wrong length or below 1, or β outside [0, 1).
 */
export function classBalancedLoss(options: ClassBalancedLossOptions): LossResult<'classBalanced'> {
  const where = 'classBalancedLoss';
  const reduction = checkReduction(where, options.reduction ?? 'mean');
  const [, numClasses] = checkLogits(where, 'logits', options.logits);
  const base = options.baseLoss ?? 'softmax';
  if (base !== 'softmax' && base !== 'focal') {
    throw new RangeError(`${where}: baseLoss must be 'softmax' or 'focal', got '${String(base)}'`);
  }
  readVector(where, 'classCounts', options.classCounts, numClasses, { min: 1, strict: false });
  const weights = classBalancedWeights(options.classCounts, options.beta ?? 0.999);
  const ceSettings = readCrossEntropySettings(where, options.logits, options.labels, 0, undefined);
  const focalSettings =
    base === 'focal' ? readFocalSettings(where, options.logits, options.labels, options.gamma, 1) : undefined;
  return tf.tidy(() => {
    const perSampleBase =
      focalSettings === undefined
        ? crossEntropyParts(options.logits, ceSettings).perSample
        : focalPerSample(options.logits, focalSettings);
    const oneHot = oneHotFloat(ceSettings.labels, numClasses);
    const perSample = tf.mul(pickPerSample(oneHot, tf.tensor2d(weights, [1, numClasses])), perSampleBase);
    const loss = reduceBatch(perSample, reduction);
    return { loss, terms: { classBalanced: tf.clone(loss) } };
  });
}
