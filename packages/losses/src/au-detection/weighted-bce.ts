import * as tf from '@tensorflow/tfjs-core';
import { logOneMinusSigmoid, logSigmoid, reduceBatch } from '../tensor-ops';
import type { LossResult, MultiLabelTargetsInput, Reduction } from '../types';
import { readVector } from '../validate';
import { diceTermPerAu } from './dice';
import type { DiceTermOptions } from './multi-label-settings';
import { readMultiLabelSettings } from './multi-label-settings';

/** Per-call options of {@link weightedBceLoss}. */
export interface WeightedBceLossOptions {
  /** AU logits `[B, A]` (float32). */
  logits: tf.Tensor;
  /** AU targets `[B, A]` in [0, 1]. */
  targets: MultiLabelTargetsInput;
  /**
   * Per-AU weights w_j ≥ 0 (length A), e.g. from AU base rates with the JAA-Net rule or a smooth
   * variant (`@dfer/au-knowledge`); default 1.
   */
  classWeights?: ArrayLike<number>;
  /** Per-AU pos-weights p_j ≥ 0 on the positive term (length A), e.g. `(1 − r_j) / r_j`; default 1. */
  posWeight?: ArrayLike<number>;
  /** Adds `dice.weight · auDiceLoss(…)` (same class weights) to the total. */
  dice?: DiceTermOptions;
  /** Batch reduction; default `'mean'`. `'none'` is refused together with `dice`. */
  reduction?: Reduction;
}

/**
 * Class-weighted binary cross-entropy for multi-label AU detection (JAA-Net's weighted loss, Shao et
 * al., ECCV 2018, eq. 2; PyTorch `BCEWithLogitsLoss(weight=w, pos_weight=p)`):
 *
 *     ℓ_{b,j} = −w_j · ( p_j · a_{b,j} · log σ(z_{b,j}) + (1 − a_{b,j}) · log(1 − σ(z_{b,j})) )
 *     ℓ_b     = (1/A) Σ_j ℓ_{b,j},   mean = (1/B) Σ_b ℓ_b
 *     total   = bce + dice.weight · dice   (when `dice` is given; see {@link auDiceLoss})
 *
 * Log-sigmoid form: finite at logits of ±100. Returns `{ loss, terms: { bce, dice? } }`.
 *
 * @throws on logits that are not `[B, A]` float32, targets outside [0, 1], weights or pos-weights of
 *   the wrong length or negative, or `dice` with reduction `'none'`.
 */
export function weightedBceLoss(options: WeightedBceLossOptions): LossResult<'bce' | 'dice'> {
  const where = 'weightedBceLoss';
  const s = readMultiLabelSettings(
    where,
    options.logits,
    options.targets,
    options.classWeights,
    options.reduction,
    options.dice,
  );
  const posWeight =
    options.posWeight === undefined
      ? new Float32Array(s.width).fill(1)
      : readVector(where, 'posWeight', options.posWeight, s.width);
  return tf.tidy(() => {
    const a = tf.tensor2d(s.targets, [s.batch, s.width]);
    const positive = tf.mul(tf.mul(tf.tensor1d(posWeight), a), logSigmoid(options.logits));
    const negative = tf.mul(tf.sub(1, a), logOneMinusSigmoid(options.logits));
    const elementwise = tf.neg(tf.mul(tf.tensor1d(s.classWeights), tf.add(positive, negative)));
    const bce = reduceBatch(tf.mean(elementwise, 1), s.reduction);
    if (s.dice === undefined) return { loss: tf.clone(bce), terms: { bce } };
    const dice = tf.mean(diceTermPerAu(options.logits, a, s.classWeights, s.dice.smooth));
    return { loss: tf.add(bce, tf.mul(s.dice.weight, dice)), terms: { bce, dice } };
  }) as LossResult<'bce' | 'dice'>;
}
