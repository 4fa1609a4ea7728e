/** Batch normalisation over the last (channel) axis, any rank (PyTorch `nn.BatchNorm1d/2d/3d`, channels-last). */
import * as tf from '@tensorflow/tfjs-core';

import { float32TensorFrom, fusedBatchNormTrain, fusedKernelAvailable, type OnnxGraph } from '@dfer/runtime';

import { isRecomputing } from './checkpoint';
import { Module } from './module';
import { addTensorInitializer } from './onnx';

/** Build-time options of {@link BatchNorm}. */
export interface BatchNormConfig {
  /** ε added to the variance (default 1e-5, PyTorch's default). */
  eps?: number;
  /** Running-statistics momentum m: running ← (1 − m)·running + m·batch (default 0.1, PyTorch's default). */
  momentum?: number;
  /** Learnable scale and shift (default `true`). */
  affine?: boolean;
}

/**
 * Normalises channel c (the last axis) of input `[..., C]` (NC, NHWC or NDHWC):
 * y = (x − μ_c)/√(σ²_c + ε)·γ_c + β_c.
 *
 * Training mode: μ, σ² are the batch mean and biased variance over every axis but the last, and the
 * buffers update as in PyTorch: running_mean ← (1 − m)·running_mean + m·μ,
 * running_var ← (1 − m)·running_var + m·σ²·n/(n − 1) (unbiased), num_batches_tracked += 1.
 * Eval mode: μ, σ² are the running statistics.
 *
 * State (PyTorch names): `weight` γ (init 1), `bias` β (init 0), buffers `running_mean` (0),
 * `running_var` (1), `num_batches_tracked` (0, int64 in PyTorch, int32 here).
 */
export class BatchNorm extends Module {
  readonly weight: tf.Variable | undefined;
  readonly bias: tf.Variable | undefined;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  readonly numBatchesTracked: tf.Variable;
  readonly eps: number;
  readonly momentum: number;

  constructor(
    readonly numFeatures: number,
    config: BatchNormConfig = {},
  ) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 1) {
      throw new Error(`BatchNorm: numFeatures must be a positive integer, got ${numFeatures}`);
    }
    this.eps = config.eps ?? 1e-5;
    this.momentum = config.momentum ?? 0.1;
    if (!(this.eps > 0)) throw new Error(`BatchNorm: eps must be > 0, got ${this.eps}`);
    if (!(this.momentum >= 0 && this.momentum <= 1)) {
      throw new Error(`BatchNorm: momentum must be in [0, 1], got ${this.momentum}`);
    }
    const affine = config.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', tf.ones([numFeatures])) : undefined;
    this.bias = affine ? this.registerParameter('bias', tf.zeros([numFeatures])) : undefined;
    this.runningMean = this.registerBuffer('running_mean', tf.zeros([numFeatures]));
    this.runningVar = this.registerBuffer('running_var', tf.ones([numFeatures]));
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', tf.scalar(0, 'int32'), {
      torchDtype: 'int64',
    });
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank < 2 || x.shape[x.rank - 1] !== this.numFeatures) {
      throw new Error(
        `BatchNorm.forward: expected input [..., ${this.numFeatures}] of rank ≥ 2, got [${x.shape.join(', ')}]`,
      );
    }
    return tf.tidy(() => {
      // Statistics and the affine map on the [values, channels] matrix: the same numbers, but every
      // reduction (forward moments, backward broadcast gradients) is over axis 0 of a rank-2 tensor, which
      // the wasm backend does far faster than over the leading axes of a rank-5 one (measured: 173 of
      // 724 ms of an M3DFEL-tiny training step went to those Sum/Mean kernels).
      const x2 = x.rank === 2 ? x : tf.reshape(x, [-1, this.numFeatures]);
      let mean: tf.Tensor;
      let variance: tf.Tensor;
      if (this.training) {
        const n = x2.shape[0] as number;
        if (n < 2) {
          throw new Error(
            `BatchNorm.forward: training mode needs more than one value per channel, got input [${x.shape.join(', ')}]`,
          );
        }
        if (this.weight !== undefined && this.bias !== undefined && fusedKernelAvailable('batchNorm')) {
          // One kernel forward (y and the statistics) and one backward (runtime's fused BatchNorm).
          const [y, batchMean, batchVar] = fusedBatchNormTrain(
            x2 as tf.Tensor2D,
            this.weight,
            this.bias,
            this.eps,
          );
          if (!isRecomputing()) this.updateRunningStatistics(batchMean, batchVar, n, true);
          return x.rank === 2 ? y : tf.reshape(y, x.shape);
        }
        const moments = tf.moments(x2, 0);
        mean = moments.mean;
        variance = moments.variance;
        // A checkpointed block recomputing its forward for the gradient: the first pass already updated them.
        if (!isRecomputing()) this.updateRunningStatistics(mean, variance, n);
      } else {
        mean = this.runningMean;
        variance = this.runningVar;
      }
      // y = x·s + t with per-channel s = γ/√(σ² + ε), t = β − μ·s: two full-size ops instead of four
      let scale: tf.Tensor = tf.rsqrt(tf.add(variance, this.eps));
      if (this.weight !== undefined) scale = tf.mul(scale, this.weight);
      let shift: tf.Tensor = tf.neg(tf.mul(mean, scale));
      if (this.bias !== undefined) shift = tf.add(shift, this.bias);
      const y = tf.add(tf.mul(x2, scale), shift);
      return x.rank === 2 ? y : tf.reshape(y, x.shape);
    });
  }

  /**
   * running ← (1 − m)·running + m·batch (the variance made unbiased, ·n/(n − 1)). `typed` (with the fused
   * kernel, cpu or wasm): one typed-array pass per buffer in float64, rounded once, as PyTorch's CPU kernel
   * accumulates in double — instead of four tfjs ops each (a step of M3DFEL `tiny` has 20 BatchNorm layers).
   */
  private updateRunningStatistics(mean: tf.Tensor, variance: tf.Tensor, n: number, typed = false): void {
    const m = this.momentum;
    const unbiased = n / (n - 1);
    tf.tidy(() => {
      if (typed) {
        const blend = (running: tf.Tensor, batch: tf.Tensor, factor: number): tf.Tensor =>
          float32TensorFrom(running.shape, [running, batch], (out, [r, b]) => {
            for (let i = 0; i < out.length; i++) out[i] = (1 - m) * r![i]! + m * factor * b![i]!;
          });
        this.runningMean.assign(blend(this.runningMean, mean, 1));
        this.runningVar.assign(blend(this.runningVar, variance, unbiased));
      } else {
        this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
        this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(variance, (m * n) / (n - 1))));
      }
      this.numBatchesTracked.assign(tf.add(this.numBatchesTracked, tf.scalar(1, 'int32')));
    });
  }

  /**
   * Inference form folded into one scale and shift over the last axis: y = x·s + t with
   * s = γ/√(running_var + ε), t = β − running_mean·s (no layout change needed).
   */
  override toOnnx(graph: OnnxGraph, input: string): string {
    const [scale, shift] = tf.tidy(() => {
      let s: tf.Tensor = tf.rsqrt(tf.add(this.runningVar, this.eps));
      if (this.weight !== undefined) s = tf.mul(s, this.weight);
      let t: tf.Tensor = tf.neg(tf.mul(this.runningMean, s));
      if (this.bias !== undefined) t = tf.add(t, this.bias);
      return [s, t];
    });
    const y = graph.addNode('Mul', [input, addTensorInitializer(graph, 'bn_scale', scale)]);
    const out = graph.addNode('Add', [y, addTensorInitializer(graph, 'bn_shift', shift)]);
    tf.dispose([scale, shift]);
    return out;
  }
}
