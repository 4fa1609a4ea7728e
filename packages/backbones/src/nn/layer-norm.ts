/** Layer normalisation over the last axis (PyTorch `nn.LayerNorm(dim)`). */
import * as tf from '@tensorflow/tfjs-core';

import { fusedKernelAvailable, fusedLayerNorm, onnxAttr, type OnnxGraph } from '@dfer/runtime';

import { Module } from './module';
import { addTensorInitializer } from './onnx';

/** Build-time options of {@link LayerNorm}. */
export interface LayerNormConfig {
  /** ε added to the variance (default 1e-5, PyTorch's default; MAE-DFER uses 1e-6). */
  eps?: number;
  /** Learnable scale and shift (default `true`). */
  affine?: boolean;
}

/**
 * y = (x − μ)/√(σ² + ε)·γ + β with μ, σ² the mean and biased variance over the last axis of `[..., dim]`.
 * Parameters (PyTorch names): `weight` γ (init 1), `bias` β (init 0).
 */
export class LayerNorm extends Module {
  readonly weight: tf.Variable | undefined;
  readonly bias: tf.Variable | undefined;
  readonly eps: number;

  constructor(
    readonly dim: number,
    config: LayerNormConfig = {},
  ) {
    super();
    if (!Number.isInteger(dim) || dim < 1)
      throw new Error(`LayerNorm: dim must be a positive integer, got ${dim}`);
    this.eps = config.eps ?? 1e-5;
    if (!(this.eps > 0)) throw new Error(`LayerNorm: eps must be > 0, got ${this.eps}`);
    const affine = config.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', tf.ones([dim])) : undefined;
    this.bias = affine ? this.registerParameter('bias', tf.zeros([dim])) : undefined;
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (x.shape[x.rank - 1] !== this.dim) {
      throw new Error(
        `LayerNorm.forward: expected last axis ${this.dim}, got input shape [${x.shape.join(', ')}]`,
      );
    }
    if (this.weight !== undefined && this.bias !== undefined && fusedKernelAvailable('layerNorm')) {
      // One kernel forward and one backward (runtime's fused LayerNorm) instead of ~10 ops and their gradients.
      return fusedLayerNorm(x, this.weight, this.bias, this.eps);
    }
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, -1, true);
      let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.eps)));
      if (this.weight !== undefined) y = tf.mul(y, this.weight);
      if (this.bias !== undefined) y = tf.add(y, this.bias);
      return y;
    });
  }

  /** ONNX `LayerNormalization` (axis −1, opset 17). */
  override toOnnx(graph: OnnxGraph, input: string): string {
    const gamma = this.weight ?? tf.ones([this.dim]);
    const beta = this.bias ?? tf.zeros([this.dim]);
    const out = graph.addNode(
      'LayerNormalization',
      [input, addTensorInitializer(graph, 'ln_weight', gamma), addTensorInitializer(graph, 'ln_bias', beta)],
      { axis: onnxAttr.int(-1), epsilon: onnxAttr.float(this.eps) },
    );
    if (gamma !== this.weight) gamma.dispose();
    if (beta !== this.bias) beta.dispose();
    return out;
  }
}
