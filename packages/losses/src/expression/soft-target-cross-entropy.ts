import * as tf from '@tensorflow/tfjs-core';
import { reduceBatch } from '../tensor-ops';
import type { LossResult, MultiLabelTargetsInput, Reduction } from '../types';
import { checkLogits, checkReduction, readMultiLabelTargets } from '../validate';

/** Per-call options of {@link softTargetCrossEntropyLoss}. */
export interface SoftTargetCrossEntropyLossOptions {
  /** Expression logits `[B, C]` (float32). */
  logits: tf.Tensor;
  /**
   * Class probabilities per sample `[B, C]` (a tensor, or row-major `B·C` numbers): values in [0, 1],
   * each row summing to 1 (within 1e-3), e.g. mixup / cutmix targets with label smoothing.
   */
  targets: MultiLabelTargetsInput;
  /** Batch reduction; default `'mean'`. */
  reduction?: Reduction;
}

/** How far a target row's sum may be from 1. */
const ROW_SUM_TOLERANCE = 1e-3;

/**
 * Cross-entropy against class-probability targets (timm's `SoftTargetCrossEntropy`, the criterion
 * MAE-DFER fine-tunes with after mixup/cutmix; `reference/mae-dfer.md`; PyTorch
 * `F.cross_entropy(logits, probabilities)`):
 *
 *     ℓ_b = −Σ_c t_{b,c} · log softmax(z_b)_c,     mean = (1/B) Σ_b ℓ_b
 *
 * Building the mixed targets is the data pipeline's job. Returns `{ loss, terms: { ce } }`.
 *
 * @throws on logits that are not `[B, C]` float32, targets of another shape, a target outside [0, 1],
 *   or a row whose sum differs from 1 by more than 1e-3 (naming the row and its sum).
 */
export function softTargetCrossEntropyLoss(options: SoftTargetCrossEntropyLossOptions): LossResult<'ce'> {
  const where = 'softTargetCrossEntropyLoss';
  const reduction = checkReduction(where, options.reduction ?? 'mean');
  const [batch, numClasses] = checkLogits(where, 'logits', options.logits);
  const targets = readMultiLabelTargets(where, 'targets', options.targets, batch, numClasses);
  for (let b = 0; b < batch; b++) {
    let sum = 0;
    for (let c = 0; c < numClasses; c++) sum += targets[b * numClasses + c] as number;
    if (Math.abs(sum - 1) > ROW_SUM_TOLERANCE) {
      throw new RangeError(`${where}: targets row ${b} sums to ${sum}; class probabilities must sum to 1`);
    }
  }
  return tf.tidy(() => {
    const perSample = tf.neg(
      tf.sum(tf.mul(tf.tensor2d(targets, [batch, numClasses]), tf.logSoftmax(options.logits)), 1),
    );
    const loss = reduceBatch(perSample, reduction);
    return { loss, terms: { ce: tf.clone(loss) } };
  });
}
