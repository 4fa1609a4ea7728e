/** Parameter-free element-wise layers: GELU (tanh or erf), ReLU, Identity, Dropout. */
import * as tf from '@tensorflow/tfjs-core';

import { fusedGelu, fusedKernelAvailable, fusedScaledSoftmax, type OnnxGraph } from '@dfer/runtime';

import { drawSeed } from './checkpoint';
import { Module } from './module';
import { addScalar } from './onnx';
import { createRng, type Rng } from './rng';

/** GELU variant: the exact erf form or the tanh approximation. */
export type GeluApproximation = 'none' | 'tanh';

/**
 * Gaussian error linear unit (Hendrycks & Gimpel 2016; PyTorch `nn.GELU(approximate)`):
 * - `'none'` (exact): GELU(x) = 0.5·x·(1 + erf(x/√2));
 * - `'tanh'`: GELU(x) ≈ 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) — the form Former-DFER's
 *   FeedForward uses (reference/former-dfer.md).
 */
export class GELU extends Module {
  constructor(readonly approximate: GeluApproximation = 'none') {
    super();
    if (approximate !== 'none' && approximate !== 'tanh') {
      throw new Error(`GELU: approximate must be 'none' or 'tanh', got '${String(approximate)}'`);
    }
  }

  forward(x: tf.Tensor): tf.Tensor {
    // One kernel forward and one backward (runtime's fused GELU) instead of 5–8 ops and their gradients.
    if (fusedKernelAvailable('gelu')) return fusedGelu(x, this.approximate);
    return tf.tidy(() => {
      if (this.approximate === 'tanh') {
        const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
        return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
      }
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
    });
  }

  /** The same formula from elementwise ops (opset 17 has no Gelu): Tanh or Erf, Mul, Add. */
  override toOnnx(graph: OnnxGraph, input: string): string {
    let inner: string;
    if (this.approximate === 'tanh') {
      const cube = graph.addNode('Mul', [graph.addNode('Mul', [input, input]), input]);
      const sum = graph.addNode('Add', [
        input,
        graph.addNode('Mul', [cube, addScalar(graph, 'gelu_c', 0.044715)]),
      ]);
      inner = graph.addNode('Tanh', [
        graph.addNode('Mul', [sum, addScalar(graph, 'gelu_k', Math.sqrt(2 / Math.PI))]),
      ]);
    } else {
      inner = graph.addNode('Erf', [graph.addNode('Mul', [input, addScalar(graph, 'gelu_r', Math.SQRT1_2)])]);
    }
    const onePlus = graph.addNode('Add', [inner, addScalar(graph, 'gelu_one', 1)]);
    return graph.addNode('Mul', [graph.addNode('Mul', [input, addScalar(graph, 'gelu_half', 0.5)]), onePlus]);
  }
}

/**
 * softmax(s·x) over the last axis: runtime's fused kernel (one op forward, one backward) when available,
 * else `tf.softmax(tf.mul(x, s))`. The attention weights of the transformer layers.
 */
export function scaledSoftmax(x: tf.Tensor, scale = 1): tf.Tensor {
  if (fusedKernelAvailable('softmax')) return fusedScaledSoftmax(x, scale);
  return tf.tidy(() => tf.softmax(scale === 1 ? x : tf.mul(x, scale), -1));
}

/** ReLU(x) = max(x, 0). */
export class ReLU extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.relu(x);
  }

  override toOnnx(graph: OnnxGraph, input: string): string {
    return graph.addNode('Relu', [input]);
  }
}

/** Returns its input unchanged (PyTorch `nn.Identity`). */
export class Identity extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return x;
  }

  override toOnnx(_graph: OnnxGraph, input: string): string {
    return input;
  }
}

/** Build-time options of {@link Dropout}. */
export interface DropoutConfig {
  /** Generator of the per-call mask seeds (default `createRng(0)`), so runs are reproducible. */
  rng?: Rng;
}

/**
 * Inverted dropout (PyTorch `nn.Dropout(p)`): in training mode y = x·mask/(1 − p) with mask ~ Bernoulli(1 − p)
 * drawn from a seed taken from the module's generator; identity in eval mode or when p = 0.
 */
export class Dropout extends Module {
  private readonly rng: Rng;

  constructor(
    readonly p = 0.5,
    config: DropoutConfig = {},
  ) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`Dropout: p must be in [0, 1), got ${p}`);
    this.rng = config.rng ?? createRng(0);
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.p === 0) return x;
    return tf.dropout(x, this.p, undefined, drawSeed(this.rng));
  }

  /** Identity: ONNX export is inference. */
  override toOnnx(_graph: OnnxGraph, input: string): string {
    return input;
  }
}
