import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Reduction } from '@dfer/losses';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '@dfer/runtime';

/** A nested array of numbers as JSON stores it. */
export type Nested = number | Nested[];

/** One reference case: the loss under one reduction and PyTorch's gradient of its sum. */
export interface GradCase {
  reduction: Reduction;
  loss: number | number[];
  gradLogits: number[][];
}

/** Inputs of the expression-loss sections. */
export interface ExpressionSection<C> {
  logits: number[][];
  labels: number[];
  cases: C[];
}

export interface AuDferCase {
  posWeightMode: 'global' | 'perExpression';
  lambda: number;
  labelSmoothing: number;
  scale: number;
  reduction: Reduction;
  loss: number | number[];
  ce: number | number[];
  au: number | number[];
  gradExprLogits: number[][];
  gradAuLogits: number[][];
}

/** The layout of `fixtures/reference-values.json` (see `fixtures/make-fixtures.py`). */
export interface ReferenceValues {
  crossEntropy: ExpressionSection<GradCase & { labelSmoothing: number; classWeights: number[] | null }>;
  focal: ExpressionSection<GradCase & { gamma: number; alpha: number[] | null }>;
  classBalanced: ExpressionSection<
    GradCase & { beta: number; baseLoss: 'softmax' | 'focal'; gamma: number; weights: number[] }
  > & { classCounts: number[] };
  logitAdjusted: ExpressionSection<GradCase & { tau: number }> & {
    classPriors: number[];
    classCounts: number[];
  };
  balancedSoftmax: ExpressionSection<GradCase> & { classCounts: number[] };
  softTargetCrossEntropy: { logits: number[][]; targets: number[][]; cases: GradCase[] };
  auDfer: {
    exprLogits: number[][];
    labels: number[];
    auLogits: number[][];
    auTargets: number[][];
    prior: number[][];
    posWeightGlobal: number[];
    posWeightPerExpression: number[][];
    cases: AuDferCase[];
  };
  auDetection: {
    logits: number[][];
    targets: number[][];
    weightedBce: (GradCase & { classWeights: number[] | null; posWeight: number[] | null })[];
    weightedAsymmetric: (GradCase & { classWeights: number[] | null })[];
    dice: (GradCase & {
      baseLoss: 'weightedBce' | 'weightedAsymmetric';
      classWeights: number[] | null;
      diceWeight: number;
      smooth: number;
      dice: number;
    })[];
  };
}

/** PyTorch reference values written by `fixtures/make-fixtures.py` (committed beside it). */
export const reference = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'reference-values.json'), 'utf8'),
) as ReferenceValues;

/** `[name, case]` rows for `it.each`. */
export function named<C>(cases: readonly C[], name: (c: C) => string): [string, C][] {
  return cases.map((c) => [name(c), c]);
}

/**
 * Runs every test of the file on the cpu backend, with tfjs's gradient functions registered (the
 * `@tensorflow/tfjs-core` bundle alone carries none; `initEngine` registers them).
 */
export async function useCpuBackend(): Promise<void> {
  await initEngine({ backend: 'cpu', log: false });
}

/** Flattens a nested JSON array (or a number) to a plain array. */
export function flat(value: Nested): number[] {
  return Array.isArray(value) ? value.flatMap((v) => flat(v)) : [value];
}

/** A float32 tensor of the nested array's shape. */
export function tensorOf(value: Nested[]): tf.Tensor {
  return tf.tensor(value as number[][], undefined, 'float32');
}

/**
 * Expects `actual` (a tensor) to match the float64 reference element-wise within
 * `atol + rtol·|expected|` (float32 arithmetic against float64).
 */
export function expectClose(actual: tf.Tensor, expected: Nested, atol = 2e-5, rtol = 2e-5): void {
  const want = flat(expected);
  const got = Array.from(actual.dataSync());
  expect(got).toHaveLength(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as number;
    const g = got[i] as number;
    if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) {
      throw new Error(`element ${i}: got ${g}, expected ${w} (tolerance ${atol} + ${rtol}·|expected|)`);
    }
  }
}

/**
 * Gradient of `sum(f(x))` with respect to `x`, as tfjs autograd computes it; disposes everything
 * else it allocates.
 */
export function gradOfSum(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor): tf.Tensor {
  return tf.grad((input: tf.Tensor) => tf.sum(f(input)))(x);
}
