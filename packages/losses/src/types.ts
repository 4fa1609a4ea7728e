import type * as tf from '@tensorflow/tfjs-core';

/**
 * How a loss collapses the batch:
 * - `'mean'`: the average over samples (cross-entropy with class weights divides by the summed
 *   weights of the targets instead, as PyTorch does; see {@link crossEntropyLoss});
 * - `'sum'`: the sum over samples;
 * - `'none'`: one value per sample, a tensor of shape `[B]`.
 */
export type Reduction = 'mean' | 'sum' | 'none';

/** The reductions accepted by every loss, in a fixed order (for error messages and configs). */
export const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];

/**
 * What every loss returns: the total it minimises and each named term it is made of, reduced the
 * same way as the total. The caller owns every tensor (dispose them, or call the loss inside
 * `tf.tidy`). A single-term loss returns its term as a separate handle on the same values, so
 * disposing `loss` leaves `terms` readable. `tf.dispose(result)` frees all of them.
 */
// A type alias (not an interface) so that a result is a tfjs `TensorContainer`: `tf.dispose(result)`
// and `tf.tidy(() => loss(...))` accept it.
export type LossResult<TermName extends string = string> = {
  /** The total loss: a scalar, or `[B]` with reduction `'none'`. */
  loss: tf.Tensor;
  /** Named terms, reduced like `loss`. */
  terms: Record<TermName, tf.Tensor>;
};

/**
 * Integer class labels, one per sample: a rank-1 tensor (int32 or float holding integers) or a plain
 * array / typed array. Values are read on the CPU to validate their range.
 */
export type LabelsInput = tf.Tensor | ArrayLike<number>;

/**
 * Binary (or soft, in [0, 1]) targets for a multi-label head, shape `[B, A]`: a rank-2 tensor, or a
 * row-major array / typed array of length `B·A` (e.g. a clip's `Uint8Array` of AU presences).
 */
export type MultiLabelTargetsInput = tf.Tensor | ArrayLike<number>;
