/** Shared helpers of the MAE-DFER tests: the deterministic weights and inputs of the PyTorch fixtures. */
import * as tf from '@tensorflow/tfjs-core';

import type { Module } from '../src/nn/module';

/** What the weight helpers need of a module (any `Module`, whatever its forward/ONNX types). */
type StateDictHolder = Pick<Module, 'stateDictSpec' | 'loadStateDict'>;

/**
 * The deterministic weights of make_parity_fixture.py (`deterministic_values`), in PyTorch layout and
 * state-dict order. Tensor k of PyTorch shape [d0, d1, …], flat index i, phase(i) = 0.7·i + 1e-4·i² + k:
 * LayerNorm weights `1 + 0.1·sin(phase)`, other 1-D tensors `0.1·sin(phase)`, tensors of rank ≥ 2
 * `sin(phase) / √(d1·d2·…)`. (i² is exact in float64 for every tensor here, so both sides agree.)
 */
export function deterministicStateDict(module: StateDictHolder): Record<string, tf.Tensor> {
  const dict: Record<string, tf.Tensor> = {};
  module.stateDictSpec('pytorch').forEach((entry, k) => {
    const size = entry.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    const isNormWeight = /norm\d*\.weight$/.test(entry.name);
    const scale = entry.shape.length === 1 ? 0.1 : 1 / Math.sqrt(size / (entry.shape[0] as number));
    for (let i = 0; i < size; i++) {
      const base = Math.sin(0.7 * i + 1e-4 * (i * i) + k);
      values[i] = isNormWeight ? 1 + 0.1 * base : scale * base;
    }
    dict[entry.name] = tf.tensor(values, entry.shape);
  });
  return dict;
}

/** Loads {@link deterministicStateDict} into the module (and disposes the dict). */
export function loadDeterministicWeights(module: StateDictHolder): void {
  const dict = deterministicStateDict(module);
  try {
    module.loadStateDict(dict, { layout: 'pytorch' });
  } finally {
    tf.dispose(Object.values(dict));
  }
}

/** A tensor whose flat element j is `sin(scale·j + phase)`. */
export function sineTensor(shape: number[], scale: number, phase: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let j = 0; j < n; j++) values[j] = Math.sin(scale * j + phase);
  return tf.tensor(values, shape);
}

/** Asserts |actual − expected| ≤ atol + rtol·|expected| element-wise, naming the first failing index. */
export function expectAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      throw new Error(`element ${i}: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
    }
  }
}
