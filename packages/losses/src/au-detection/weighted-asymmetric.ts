import * as tf from '@tensorflow/tfjs-core';
import { logOneMinusSigmoid, logSigmoid, reduceBatch, stopGradient } from '../tensor-ops';
import type { LossResult, MultiLabelTargetsInput, Reduction } from '../types';
import { diceTermPerAu } from './dice';
import type { DiceTermOptions } from './multi-label-settings';
import { readMultiLabelSettings } from './multi-label-settings';

/** Per-call options of {@link weightedAsymmetricLoss}. */
export interface WeightedAsymmetricLossOptions {
  /** AU logits `[B, A]` (float32). */
  logits: tf.Tensor;
  /** AU targets `[B, A]` in [0, 1]. */
  targets: MultiLabelTargetsInput;
  /** Per-AU weights w_j ≥ 0 (length A); default 1. */
  classWeights?: ArrayLike<number>;
  /** Adds `dice.weight · auDiceLoss(…)` (same class weights) to the total. */
  dice?: DiceTermOptions;
  /** Batch reduction; default `'mean'`. `'none'` is refused together with `dice`. */
  reduction?: Reduction;
}

/**
 * Weighted asymmetric loss (ME-GraphAU, Luo et al., IJCAI 2022; `reference/au-detection.md`), with
 * p = σ(z) and sg(·) a stop-gradient:
 *
 *     ℓ_{b,j} = −w_j · ( a_{b,j} · log p_{b,j} + (1 − a_{b,j}) · sg(p_{b,j}) · log(1 − p_{b,j}) )
 *     ℓ_b     = (1/A) Σ_j ℓ_{b,j},   mean = (1/B) Σ_b ℓ_b
 *     total   = asymmetric + dice.weight · dice   (when `dice` is given; see {@link auDiceLoss})
 *
 * Negatives are down-weighted by their own (constant) probability, so easy negatives barely count.
 * Unlike the authors' code, which clamps p at 1e-8 before the log, this uses `log σ(z) = −softplus(−z)`,
 * exact at logits of ±100. Returns `{ loss, terms: { asymmetric, dice? } }`.
 *
 * @throws on logits that are not `[B, A]` float32, targets outside [0, 1], weights of the wrong
 *   length or negative, or `dice` with reduction `'none'`.
 */
export function weightedAsymmetricLoss(
  options: WeightedAsymmetricLossOptions,
): LossResult<'asymmetric' | 'dice'> {
  const where = 'weightedAsymmetricLoss';
  const s = readMultiLabelSettings(
    where,
    options.logits,
    options.targets,
    options.classWeights,
    options.reduction,
    options.dice,
  );
  return tf.tidy(() => {
    const a = tf.tensor2d(s.targets, [s.batch, s.width]);
    const positive = tf.mul(a, logSigmoid(options.logits));
    const negativeScale = stopGradient(tf.sigmoid(options.logits));
    const negative = tf.mul(tf.mul(tf.sub(1, a), negativeScale), logOneMinusSigmoid(options.logits));
    const elementwise = tf.neg(tf.mul(tf.tensor1d(s.classWeights), tf.add(positive, negative)));
    const asymmetric = reduceBatch(tf.mean(elementwise, 1), s.reduction);
    if (s.dice === undefined) return { loss: tf.clone(asymmetric), terms: { asymmetric } };
    const dice = tf.mean(diceTermPerAu(options.logits, a, s.classWeights, s.dice.smooth));
    return { loss: tf.add(asymmetric, tf.mul(s.dice.weight, dice)), terms: { asymmetric, dice } };
  }) as LossResult<'asymmetric' | 'dice'>;
}
