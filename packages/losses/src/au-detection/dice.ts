import * as tf from '@tensorflow/tfjs-core';
import type { LossResult, MultiLabelTargetsInput, Reduction } from '../types';
import { checkNumber } from '../validate';
import { readMultiLabelSettings } from './multi-label-settings';

/** Per-call options of {@link auDiceLoss}. */
export interface AuDiceLossOptions {
  /** AU logits `[B, A]` (float32). */
  logits: tf.Tensor;
  /** AU targets `[B, A]` in [0, 1]. */
  targets: MultiLabelTargetsInput;
  /** Per-AU weights w_j ≥ 0 (length A); default 1. */
  classWeights?: ArrayLike<number>;
  /** Smoothing constant s > 0; default 1. */
  smooth?: number;
  /**
   * Reduction over AUs (Dice is computed over the batch, per AU): `'mean'` (default) averages the
   * weighted per-AU values, `'sum'` adds them, `'none'` returns them `[A]`.
   */
  reduction?: Reduction;
}

/**
 * Weighted soft-Dice values per AU `[A]` (formula in {@link auDiceLoss}). Call inside `tf.tidy`.
 * @internal
 */
export function diceTermPerAu(
  logits: tf.Tensor,
  targets: tf.Tensor,
  classWeights: Float32Array,
  smooth: number,
): tf.Tensor {
  const p = tf.sigmoid(logits);
  const intersection = tf.sum(tf.mul(p, targets), 0);
  const denominator = tf.add(tf.add(tf.sum(p, 0), tf.sum(targets, 0)), smooth);
  const dice = tf.sub(1, tf.div(tf.add(tf.mul(2, intersection), smooth), denominator));
  return tf.mul(tf.tensor1d(classWeights), dice);
}

/**
 * Soft Dice loss for multi-label AU detection (JAA-Net, Shao et al., ECCV 2018, eq. 3; Milletari et
 * al. 2016), computed over the batch for each AU j with p = σ(z):
 *
 *     d_j  = 1 − (2 Σ_b p_{b,j} a_{b,j} + s) / (Σ_b p_{b,j} + Σ_b a_{b,j} + s)
 *     mean = (1/A) Σ_j w_j d_j,   sum = Σ_j w_j d_j,   none = w_j d_j
 *
 * Returns `{ loss, terms: { dice } }`.
 *
 * @throws on logits that are not `[B, A]`, targets outside [0, 1], weights of the wrong length or
 *   negative, or s ≤ 0.
 */
export function auDiceLoss(options: AuDiceLossOptions): LossResult<'dice'> {
  const where = 'auDiceLoss';
  const settings = readMultiLabelSettings(
    where,
    options.logits,
    options.targets,
    options.classWeights,
    options.reduction,
    undefined,
  );
  const smooth = checkNumber(where, 'smooth', options.smooth ?? 1, Number.MIN_VALUE, Number.MAX_VALUE);
  return tf.tidy(() => {
    const targets = tf.tensor2d(settings.targets, [settings.batch, settings.width]);
    const perAu = diceTermPerAu(options.logits, targets, settings.classWeights, smooth);
    const loss =
      settings.reduction === 'none' ? perAu : settings.reduction === 'sum' ? tf.sum(perAu) : tf.mean(perAu);
    return { loss, terms: { dice: tf.clone(loss) } };
  });
}
