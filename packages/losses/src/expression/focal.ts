import * as tf from '@tensorflow/tfjs-core';
import { oneHotFloat, pickPerSample, reduceBatch } from '../tensor-ops';
import type { LabelsInput, LossResult, Reduction } from '../types';
import { checkLogits, checkNumber, checkReduction, readLabels, readVector } from '../validate';

/** Per-call options of {@link focalLoss}. */
export interface FocalLossOptions {
  /** Expression logits `[B, C]` (float32). */
  logits: tf.Tensor;
  /** Class index per sample, integers in `[0, C)`. */
  labels: LabelsInput;
  /** Focusing parameter γ ≥ 0; default 2 (Lin et al.). γ = 0 is cross-entropy. */
  gamma?: number;
  /** α: one number for every class, or one weight per class (length C); default 1. */
  alpha?: number | ArrayLike<number>;
  /** Batch reduction; default `'mean'` (plain batch mean). */
  reduction?: Reduction;
}

/** Validated focal options. @internal */
export interface FocalSettings {
  labels: Int32Array;
  numClasses: number;
  gamma: number;
  alpha: Float32Array;
}

/** Validates focal-loss options against logits `[B, C]`. @internal */
export function readFocalSettings(
  where: string,
  logits: tf.Tensor,
  labels: LabelsInput,
  gamma: number | undefined,
  alpha: number | ArrayLike<number> | undefined,
): FocalSettings {
  const [batch, numClasses] = checkLogits(where, 'logits', logits);
  const labelArray = readLabels(where, 'labels', labels, batch, numClasses);
  const g = checkNumber(where, 'gamma', gamma ?? 2, 0, 100);
  let alphaTable: Float32Array;
  if (alpha === undefined || typeof alpha === 'number') {
    alphaTable = new Float32Array(numClasses).fill(
      checkNumber(where, 'alpha', alpha ?? 1, 0, Number.MAX_VALUE),
    );
  } else {
    alphaTable = readVector(where, 'alpha', alpha, numClasses);
  }
  return { labels: labelArray, numClasses, gamma: g, alpha: alphaTable };
}

/**
 * Per-sample softmax focal loss `[B]` (formula in {@link focalLoss}). Call inside `tf.tidy`.
 * @internal
 */
export function focalPerSample(logits: tf.Tensor, settings: FocalSettings): tf.Tensor {
  const { labels, numClasses, gamma, alpha } = settings;
  const logProbs = tf.logSoftmax(logits);
  const oneHot = oneHotFloat(labels, numClasses);
  const logPTarget = pickPerSample(oneHot, logProbs);
  // log(1 − p_y) = logsumexp_{c≠y} log p_c, exact even where p_y rounds to 1 in float32.
  const logOneMinusP = tf.logSumExp(tf.add(logProbs, tf.mul(oneHot, -1e9)), 1);
  const modulator = tf.exp(tf.mul(gamma, logOneMinusP));
  const alphaTarget = pickPerSample(oneHot, tf.tensor2d(alpha, [1, numClasses]));
  return tf.neg(tf.mul(tf.mul(alphaTarget, modulator), logPTarget));
}

/**
 * Softmax focal loss (Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017, eq. 5, in its
 * multi-class form):
 *
 *     ℓ_b = −α_{y_b} · (1 − p_{b,y_b})^γ · log p_{b,y_b},   p_b = softmax(z_b)
 *
 * reduced by the plain batch mean (or sum / none). `(1 − p)^γ` is computed as
 * `exp(γ · logsumexp_{c≠y} log p_c)`, so values and gradients stay finite at logits of ±100 and for
 * 0 < γ < 1. Verified against a PyTorch implementation of the same formula. Returns
 * `{ loss, terms: { focal } }`.
 *
 * @throws on logits that are not `[B, C]` float32, labels outside `[0, C)`, γ outside [0, 100],
 *   or α that is negative or of the wrong length.
 */
export function focalLoss(options: FocalLossOptions): LossResult<'focal'> {
  const where = 'focalLoss';
  const reduction = checkReduction(where, options.reduction ?? 'mean');
  const settings = readFocalSettings(where, options.logits, options.labels, options.gamma, options.alpha);
  return tf.tidy(() => {
    const loss = reduceBatch(focalPerSample(options.logits, settings), reduction);
    return { loss, terms: { focal: tf.clone(loss) } };
  });
}
