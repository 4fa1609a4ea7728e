import * as tf from '@tensorflow/tfjs-core';
import { oneHotFloat, pickPerSample, reduceBatch } from '../tensor-ops';
import type { LabelsInput, LossResult, Reduction } from '../types';
import { checkLogits, checkNumber, checkReduction, readLabels, readVector } from '../validate';

/** Per-call options of {@link crossEntropyLoss}. */
export interface CrossEntropyLossOptions {
  /** Expression logits `[B, C]` (float32). */
  logits: tf.Tensor;
  /** Class index per sample, integers in `[0, C)`. */
  labels: LabelsInput;
  /** Label smoothing ε in [0, 1]; 0 (default) is plain cross-entropy. M3DFEL uses 0.1. */
  labelSmoothing?: number;
  /** Per-class weights `w_c ≥ 0`, length C; default all 1. */
  classWeights?: ArrayLike<number>;
  /** Batch reduction; default `'mean'`. */
  reduction?: Reduction;
}

/** The per-sample pieces of a (smoothed, weighted) cross-entropy, before reduction. */
export interface CrossEntropyParts {
  /** `ℓ_b` of {@link crossEntropyLoss}, shape `[B]`. */
  perSample: tf.Tensor;
  /** `w_{y_b}`, shape `[B]`: the denominator of the weighted mean is its sum. */
  targetWeights: tf.Tensor;
}

/**
 * Validated cross-entropy options as plain data, shared by the losses built on cross-entropy.
 * @internal
 */
export interface CrossEntropySettings {
  labels: Int32Array;
  numClasses: number;
  labelSmoothing: number;
  classWeights: Float32Array | undefined;
}

/**
 * Validates the cross-entropy options against logits `[B, C]`.
 * @internal
 */
export function readCrossEntropySettings(
  where: string,
  logits: tf.Tensor,
  labels: LabelsInput,
  labelSmoothing: number | undefined,
  classWeights: ArrayLike<number> | undefined,
  logitsName = 'logits',
): CrossEntropySettings {
  const [batch, numClasses] = checkLogits(where, logitsName, logits);
  const labelArray = readLabels(where, 'labels', labels, batch, numClasses);
  const eps = checkNumber(where, 'labelSmoothing', labelSmoothing ?? 0, 0, 1);
  let weights: Float32Array | undefined;
  if (classWeights !== undefined) {
    weights = readVector(where, 'classWeights', classWeights, numClasses);
    let targetWeightSum = 0;
    for (const y of labelArray) targetWeightSum += weights[y] as number;
    if (targetWeightSum === 0) {
      throw new RangeError(
        `${where}: every label in the batch has class weight 0, so the weighted mean divides by 0; ` +
          `give those classes a positive weight or use reduction 'sum'`,
      );
    }
  }
  return { labels: labelArray, numClasses, labelSmoothing: eps, classWeights: weights };
}

/**
 * Per-sample cross-entropy pieces (see {@link crossEntropyLoss} for the formula). Call inside `tf.tidy`.
 * @internal
 */
export function crossEntropyParts(logits: tf.Tensor, settings: CrossEntropySettings): CrossEntropyParts {
  const { labels, numClasses, labelSmoothing: eps, classWeights } = settings;
  const logProbs = tf.logSoftmax(logits);
  const oneHot = oneHotFloat(labels, numClasses);
  const weights =
    classWeights === undefined ? tf.ones([1, numClasses]) : tf.tensor2d(classWeights, [1, numClasses]);
  const targetWeights = pickPerSample(oneHot, weights);
  const nll = tf.neg(pickPerSample(oneHot, logProbs));
  let perSample = tf.mul(targetWeights, nll);
  if (eps > 0) {
    const smooth = tf.neg(tf.sum(tf.mul(logProbs, weights), 1));
    perSample = tf.add(tf.mul(1 - eps, perSample), tf.mul(eps / numClasses, smooth));
  }
  return { perSample, targetWeights };
}

/**
 * Reduces cross-entropy parts the way PyTorch does: the weighted mean divides by `Σ_b w_{y_b}`.
 * Call inside `tf.tidy`.
 * @internal
 */
export function reduceCrossEntropy(
  parts: CrossEntropyParts,
  reduction: Reduction,
  weighted: boolean,
): tf.Tensor {
  if (reduction === 'mean' && weighted) return tf.div(tf.sum(parts.perSample), tf.sum(parts.targetWeights));
  return reduceBatch(parts.perSample, reduction);
}

/**
 * Cross-entropy with optional label smoothing and class weights, the same values as PyTorch's
 * `F.cross_entropy(logits, y, weight=w, label_smoothing=ε, reduction=…)`.
 *
 * With `log p_{b,c} = log_softmax(z_b)_c`, class weights `w` (default 1) and smoothing ε:
 *
 *     ℓ_b = (1 − ε) · w_{y_b} · (−log p_{b,y_b}) + (ε / C) · Σ_c w_c · (−log p_{b,c})
 *     mean = Σ_b ℓ_b / Σ_b w_{y_b}      (= the plain batch mean when w ≡ 1)
 *     sum  = Σ_b ℓ_b,   none = ℓ_b
 *
 * Source: PyTorch `cross_entropy` (aten `cross_entropy_loss_label_smoothing`); label smoothing:
 * Szegedy et al., "Rethinking the Inception Architecture", CVPR 2016. Stable for any finite logits
 * (log-softmax form). Returns `{ loss, terms: { ce } }`.
 *
 * @throws when logits are not `[B, C]` float32, labels are not B integers in `[0, C)`, weights are
 *   not C numbers ≥ 0, or every label of the batch has weight 0 under reduction `'mean'`.
 */
export function crossEntropyLoss(options: CrossEntropyLossOptions): LossResult<'ce'> {
  const where = 'crossEntropyLoss';
  const reduction = checkReduction(where, options.reduction ?? 'mean');
  const settings = readCrossEntropySettings(
    where,
    options.logits,
    options.labels,
    options.labelSmoothing,
    options.classWeights,
  );
  return tf.tidy(() => {
    const loss = reduceCrossEntropy(
      crossEntropyParts(options.logits, settings),
      reduction,
      settings.classWeights !== undefined,
    );
    return { loss, terms: { ce: tf.clone(loss) } };
  });
}
