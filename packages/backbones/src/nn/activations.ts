/** Parameter-free element-wise layers: GELU (tanh or erf), ReLU, Identity, Dropout. */
import * as tf from '@tensorflow/tfjs-core';

import { Module } from './module';
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
    return tf.tidy(() => {
      if (this.approximate === 'tanh') {
        const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
        return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
      }
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
    });
  }
}

/** ReLU(x) = max(x, 0). */
export class ReLU extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.relu(x);
  }
}

/** Returns its input unchanged (PyTorch `nn.Identity`). */
export class Identity extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return x;
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
    return tf.dropout(x, this.p, undefined, this.rng.seed());
  }
}
