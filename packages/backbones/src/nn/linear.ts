/** Fully connected layer (PyTorch `nn.Linear`). */
import * as tf from '@tensorflow/tfjs-core';

import type { OnnxGraph } from '@dfer/runtime';

import { Module } from './module';
import { addTensorInitializer } from './onnx';
import { createRng, type Rng, uniformValues } from './rng';

/** Build-time options of {@link Linear}. */
export interface LinearConfig {
  /** Add a bias (default `true`). */
  bias?: boolean;
  /** Generator for the initial weights (default `createRng(0)`). */
  rng?: Rng;
}

/**
 * y = x·W + b over the last axis, for input of any rank `[..., inFeatures]` → `[..., outFeatures]`.
 *
 * Parameters: `weight` (tfjs `[in, out]`, PyTorch `[out, in]`), `bias` `[out]`. Initialised as PyTorch
 * does: W, b ~ U(−1/√in, 1/√in) (kaiming-uniform with a = √5).
 */
export class Linear extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    config: LinearConfig = {},
  ) {
    super();
    for (const [name, v] of [
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new Error(`Linear: ${name} must be a positive integer, got ${v}`);
    }
    const rng = config.rng ?? createRng(0);
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.registerParameter(
      'weight',
      tf.tensor2d(uniformValues(inFeatures * outFeatures, bound, rng), [inFeatures, outFeatures]),
      { torchToTfjs: [1, 0] },
    );
    this.bias =
      config.bias === false
        ? undefined
        : this.registerParameter('bias', tf.tensor1d(uniformValues(outFeatures, bound, rng)));
  }

  forward(x: tf.Tensor): tf.Tensor {
    const last = x.shape[x.rank - 1];
    if (last !== this.inFeatures) {
      throw new Error(
        `Linear.forward: expected last axis ${this.inFeatures}, got input shape [${x.shape.join(', ')}]`,
      );
    }
    return tf.tidy(() => {
      const flat = tf.reshape(x, [-1, this.inFeatures]);
      let y = tf.matMul(flat, this.weight);
      if (this.bias !== undefined) y = tf.add(y, this.bias);
      return tf.reshape(y, [...x.shape.slice(0, -1), this.outFeatures]);
    });
  }

  /** `MatMul(x, W)` (+ `Add(b)`): ONNX MatMul broadcasts over the leading axes. */
  override toOnnx(graph: OnnxGraph, input: string): string {
    const y = graph.addNode('MatMul', [input, addTensorInitializer(graph, 'linear_weight', this.weight)]);
    return this.bias === undefined
      ? y
      : graph.addNode('Add', [y, addTensorInitializer(graph, 'linear_bias', this.bias)]);
  }
}
