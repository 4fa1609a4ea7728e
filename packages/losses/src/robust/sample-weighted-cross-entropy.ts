import * as tf from '@tensorflow/tfjs-core';

import { crossEntropyParts, readCrossEntropySettings } from '../expression/cross-entropy';
import { reduceBatch } from '../tensor-ops';
import type { LabelsInput, LossResult, Reduction } from '../types';
import { checkReduction, readVector } from '../validate';

/** Per-call options of {@link sampleWeightedCrossEntropyLoss}. */
export interface SampleWeightedCrossEntropyLossOptions {
  /** Expression logits `[B, C]` (float32). */
  logits: tf.Tensor;
  /** Class index per sample (e.g. `analyseClipAgreement(...).relabel`). */
  labels: LabelsInput;
  /** Weight `v_b ≥ 0` per sample, length B (e.g. `analyseClipAgreement(...).weights`); not differentiated. */
  sampleWeights: ArrayLike<number>;
  /** Label smoothing ε in [0, 1] (default 0), as in {@link crossEntropyLoss}. */
  labelSmoothing?: number;
  /** Batch reduction; default `'mean'`. */
  reduction?: Reduction;
}

/**
 * Cross-entropy with one constant weight per sample, the loss the clip-agreement weighting trains with
 * (`reference/rdfer.md` idea 1; the reduction is our choice):
 *
 *     ℓ_b = v_b · CE(z_b, y_b)          (CE of {@link crossEntropyLoss}, with smoothing ε)
 *     mean = (1/B) Σ_b ℓ_b,   sum = Σ_b ℓ_b,   none = ℓ_b
 *
 * The mean divides by B, not by Σ v_b, so down-weighting a likely-noisy sample lowers its gradient in
 * absolute terms instead of re-scaling every other sample up. Returns `{ loss, terms: { ce } }`.
 *
 * @throws on invalid logits / labels (see {@link crossEntropyLoss}) or sample weights that are not B
 *   finite numbers ≥ 0.
 */
export function sampleWeightedCrossEntropyLoss(
  options: SampleWeightedCrossEntropyLossOptions,
): LossResult<'ce'> {
  const where = 'sampleWeightedCrossEntropyLoss';
  const reduction = checkReduction(where, options.reduction ?? 'mean');
  const settings = readCrossEntropySettings(
    where,
    options.logits,
    options.labels,
    options.labelSmoothing,
    undefined,
  );
  const weights = readVector(where, 'sampleWeights', options.sampleWeights, settings.labels.length);
  return tf.tidy(() => {
    const { perSample } = crossEntropyParts(options.logits, settings);
    const loss = reduceBatch(tf.mul(perSample, tf.tensor1d(weights)), reduction);
    return { loss, terms: { ce: tf.clone(loss) } };
  });
}
