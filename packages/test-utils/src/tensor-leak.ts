import * as tf from '@tensorflow/tfjs-core';

/** Number of live tensors in the tfjs engine. */
export function countTensors(): number {
  return tf.memory().numTensors;
}

/**
 * Runs `fn` and fails when it leaves more live tensors behind than it found. Tensors returned by
 * `fn` are disposed before counting, so a function may return its result.
 */
export async function expectNoTensorLeak<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const returned = collectTensors(result);
  const after = tf.memory().numTensors - returned.size;
  if (after !== before) {
    throw new Error(`tensor leak: ${before} live tensors before, ${after} after (${after - before} leaked)`);
  }
  return result;
}

function collectTensors(value: unknown, seen = new Set<tf.Tensor>()): Set<tf.Tensor> {
  if (value instanceof tf.Tensor) {
    if (!value.isDisposed) seen.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collectTensors(v, seen);
  } else if (
    value !== null &&
    typeof value === 'object' &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    for (const v of Object.values(value)) collectTensors(v, seen);
  }
  return seen;
}
