/** Stochastic depth (timm `DropPath`), used on the residual branches of MAE-DFER's LGI-Former. */
import * as tf from '@tensorflow/tfjs-core';
import type { OnnxGraph } from '@dfer/runtime';

import { drawSeed } from './checkpoint';
import { Module } from './module';
import { createRng, type Rng } from './rng';

/** Build-time options of {@link DropPath}. */
export interface DropPathConfig {
  /** Generator of the per-call mask seeds (default `createRng(0)`), so runs are reproducible. */
  rng?: Rng;
}

/**
 * Drops a whole residual branch per sample (Huang et al. 2016, "Deep Networks with Stochastic Depth";
 * timm `drop_path`, reference/mae-dfer.md §4): in training mode with drop probability p and keep = 1 − p,
 *
 *   mask[n] = ⌊keep + u[n]⌋, u[n] ~ U[0, 1) drawn once per sample n of the first axis,
 *   y[n, …] = x[n, …] / keep · mask[n];
 *
 * identity in eval mode or when p = 0. Each training call draws a fresh seed from the module's generator.
 */
export class DropPath extends Module {
  private readonly rng: Rng;

  constructor(
    readonly p = 0,
    config: DropPathConfig = {},
  ) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`DropPath: p must be in [0, 1), got ${p}`);
    this.rng = config.rng ?? createRng(0);
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.p === 0) return x;
    const keep = 1 - this.p;
    const seed = drawSeed(this.rng);
    return tf.tidy(() => {
      const maskShape = [x.shape[0] as number, ...new Array<number>(x.rank - 1).fill(1)];
      const mask = tf.floor(tf.add(tf.randomUniform(maskShape, 0, 1, 'float32', seed), keep));
      return tf.mul(tf.div(x, keep), mask);
    });
  }

  /** Identity: ONNX export is inference. */
  override toOnnx(_graph: OnnxGraph, input: string): string {
    return input;
  }
}
