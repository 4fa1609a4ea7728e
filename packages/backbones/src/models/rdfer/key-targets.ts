/**
 * RDFER's key-position supervision: the lab's "manual" key target from the instance logits
 * ({@link rdferKeyTargets}) and the L1 loss between predicted key centres and targets
 * ({@link rdferKeyPositionLoss}).
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * The lab's "manual" key-position target (`reference/rdfer.md`, table): for each class c, the long-term
 * frame `i*_c = argmax_i z_{i,c}` with the highest instance score; the P classes with the largest such
 * scores give P positions, converted to input frames (`i*·longStride`) and sorted ascending.
 *
 * @param instanceLogits - `[B, T_long, C]` (`RdferOutput.instanceLogits` of the model); read on the CPU.
 * @returns `Float32Array` `[B, P]` of frame positions.
 */
export function rdferKeyTargets(instanceLogits: tf.Tensor, clips: number, longStride: number): Float32Array {
  if (instanceLogits.rank !== 3) {
    throw new Error(
      `rdferKeyTargets: instanceLogits must be [B, T, C], got [${instanceLogits.shape.join(', ')}]`,
    );
  }
  const [b, t, c] = instanceLogits.shape as [number, number, number];
  if (!Number.isInteger(clips) || clips < 1 || clips > c) {
    throw new Error(
      `rdferKeyTargets: clips must be an integer in [1, ${c}] (one position per class), got ${clips}`,
    );
  }
  const z = instanceLogits.dataSync();
  const out = new Float32Array(b * clips);
  for (let s = 0; s < b; s++) {
    const best: Array<{ score: number; frame: number }> = [];
    for (let k = 0; k < c; k++) {
      let frame = 0;
      for (let i = 1; i < t; i++)
        if ((z[(s * t + i) * c + k] as number) > (z[(s * t + frame) * c + k] as number)) frame = i;
      best.push({ score: z[(s * t + frame) * c + k] as number, frame });
    }
    best.sort((a, b2) => b2.score - a.score);
    const frames = best
      .slice(0, clips)
      .map((e) => e.frame * longStride)
      .sort((a, b2) => a - b2);
    out.set(frames, s * clips);
  }
  return out;
}

/**
 * Key-position loss: mean L1 distance between the sorted predicted centres and the sorted targets, in
 * units of the video length (our normalisation):
 *
 *     L_key = (1/(B·P)) Σ_b Σ_p |sort(c_b)_p − sort(τ_b)_p| / (T − 1).
 *
 * Sorting matches the P unordered centres to the P targets; it is a constant permutation of `c`, so the
 * gradient reaches every centre. `targets` may be {@link rdferKeyTargets} or known key frames.
 *
 * @param centres - `[B, P]` (`RdferOutput.keyCentres` of the model). Call inside `tf.tidy` or dispose the result.
 */
export function rdferKeyPositionLoss(
  centres: tf.Tensor,
  targets: ArrayLike<number>,
  frames: number,
): tf.Scalar {
  if (centres.rank !== 2)
    throw new Error(`rdferKeyPositionLoss: centres must be [B, P], got [${centres.shape.join(', ')}]`);
  const [b, p] = centres.shape as [number, number];
  if (targets.length !== b * p) {
    throw new Error(`rdferKeyPositionLoss: targets has ${targets.length} values, expected B·P = ${b * p}`);
  }
  if (!Number.isInteger(frames) || frames < 2)
    throw new Error(`rdferKeyPositionLoss: frames must be ≥ 2, got ${frames}`);
  const values = centres.dataSync();
  const perm = new Float32Array(b * p * p);
  const sortedTargets = new Float32Array(b * p);
  for (let s = 0; s < b; s++) {
    const order = Array.from({ length: p }, (_, i) => i).sort(
      (i, j) => (values[s * p + i] as number) - (values[s * p + j] as number),
    );
    order.forEach((src, dst) => (perm[(s * p + dst) * p + src] = 1));
    const tgt = Array.from({ length: p }, (_, i) => targets[s * p + i] as number).sort((x, y) => x - y);
    sortedTargets.set(tgt, s * p);
  }
  return tf.tidy(() => {
    const sorted = tf.reshape(tf.matMul(tf.tensor3d(perm, [b, p, p]), tf.reshape(centres, [b, p, 1])), [
      b,
      p,
    ]);
    return tf.div(
      tf.mean(tf.abs(tf.sub(sorted, tf.tensor2d(sortedTargets, [b, p])))),
      frames - 1,
    ) as tf.Scalar;
  });
}
