import * as tf from '@tensorflow/tfjs-core';
import type { Reduction } from './types';

/**
 * Reduces per-sample values `[B]` over the batch: mean, sum, or unchanged. Call inside `tf.tidy`.
 */
export function reduceBatch(perSample: tf.Tensor, reduction: Reduction): tf.Tensor {
  if (reduction === 'none') return perSample;
  return reduction === 'sum' ? tf.sum(perSample) : tf.mean(perSample);
}

/**
 * The identity in the forward pass with a zero gradient (PyTorch's `tensor.detach()` inside a graph).
 * Call inside `tf.tidy`.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const detached = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  }));
  return detached(x) as T;
}

/**
 * `log σ(z) = −softplus(−z)`: finite for every finite `z` (about `z` for `z ≪ 0`). Call inside `tf.tidy`.
 */
export function logSigmoid(z: tf.Tensor): tf.Tensor {
  return tf.neg(tf.softplus(tf.neg(z)));
}

/** `log(1 − σ(z)) = −softplus(z)`: finite for every finite `z`. Call inside `tf.tidy`. */
export function logOneMinusSigmoid(z: tf.Tensor): tf.Tensor {
  return tf.neg(tf.softplus(z));
}

/**
 * Gathers one value per sample from a per-class vector: `out[b] = table[labels[b]]`, as a product
 * with the one-hot matrix (differentiable and free of gather kernels). Call inside `tf.tidy`.
 */
export function pickPerSample(oneHot: tf.Tensor, table: tf.Tensor): tf.Tensor {
  return tf.sum(tf.mul(oneHot, table), 1);
}

/** One-hot rows `[B, numClasses]` (float32) for integer labels. Call inside `tf.tidy`. */
export function oneHotFloat(labels: Int32Array, numClasses: number): tf.Tensor {
  return tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses), 'float32');
}
