import type * as tf from '@tensorflow/tfjs-core';
import type { MultiLabelTargetsInput, Reduction } from '../types';
import { checkLogits, checkNumber, checkReduction, readMultiLabelTargets, readVector } from '../validate';

/** The optional soft-Dice term of the AU-detection losses (see {@link auDiceLoss}). */
export interface DiceTermOptions {
  /** Factor on the Dice term in the total, ≥ 0. */
  weight: number;
  /** Smoothing constant s > 0 of the Dice ratio; default 1 (JAA-Net). */
  smooth?: number;
}

/** Validated multi-label inputs. @internal */
export interface MultiLabelSettings {
  batch: number;
  width: number;
  targets: Float32Array;
  classWeights: Float32Array;
  reduction: Reduction;
  dice: { weight: number; smooth: number } | undefined;
}

/** Validates AU-detection inputs: logits `[B, A]`, targets, per-AU weights, reduction, Dice term. @internal */
export function readMultiLabelSettings(
  where: string,
  logits: tf.Tensor,
  targets: MultiLabelTargetsInput,
  classWeights: ArrayLike<number> | undefined,
  reduction: Reduction | undefined,
  dice: DiceTermOptions | undefined,
): MultiLabelSettings {
  const red = checkReduction(where, reduction ?? 'mean');
  const [batch, width] = checkLogits(where, 'logits', logits);
  const targetValues = readMultiLabelTargets(where, 'targets', targets, batch, width);
  const weights =
    classWeights === undefined
      ? new Float32Array(width).fill(1)
      : readVector(where, 'classWeights', classWeights, width);
  let diceSettings: MultiLabelSettings['dice'];
  if (dice !== undefined) {
    if (red === 'none') {
      throw new RangeError(
        `${where}: the Dice term is a batch statistic and has no per-sample value; use reduction 'mean' or 'sum'`,
      );
    }
    diceSettings = {
      weight: checkNumber(where, 'dice.weight', dice.weight, 0, Number.MAX_VALUE),
      smooth: checkNumber(where, 'dice.smooth', dice.smooth ?? 1, Number.MIN_VALUE, Number.MAX_VALUE),
    };
  }
  return { batch, width, targets: targetValues, classWeights: weights, reduction: red, dice: diceSettings };
}
