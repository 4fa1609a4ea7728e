/** Non-overlapping spatio-temporal patch ("tubelet") embedding of video transformers (VideoMAE, MAE-DFER). */
import * as tf from '@tensorflow/tfjs-core';
import { onnxAttr, type OnnxGraph, transposeToChannelsFirst, transposeToChannelsLast } from '@dfer/runtime';

import { Conv3d } from './conv3d';
import { Module } from './module';
import { addReshape, addTensorInitializer } from './onnx';
import { createRng, type Rng } from './rng';

/** Build-time options of {@link TubeletEmbedding}. */
export interface TubeletEmbeddingConfig {
  /** Input channels (default 3). */
  inChannels?: number;
  /** Frames per tubelet kt (default 2). */
  tubeletSize?: number;
  /** Patch height and width p (default 16). */
  patchSize?: number;
  /** Generator for the initial weights (default `createRng(0)`; PyTorch's Conv3d initialisation). */
  rng?: Rng;
}

/**
 * Tubelet embedding (MAE-DFER `PatchEmbed`, reference/mae-dfer.md §2): a Conv3d with kernel = stride =
 * (kt, p, p), no padding, followed by flattening to tokens in (t, h, w) order. Because the windows do not
 * overlap, it is computed exactly as a reshape and one matrix product: for clip x `[B, T, H, W, C]`,
 *
 *   token[b, (t·H' + i)·W' + j, o] = bias[o] + Σ_{a<kt, u<p, v<p, c} x[b, kt·t + a, p·i + u, p·j + v, c] · W[a, u, v, c, o],
 *
 * with T' = T/kt, H' = H/p, W' = W/p (each must divide exactly). Output `[B, T'·H'·W', dim]`.
 *
 * Parameters: `proj.weight` (tfjs `[kt, p, p, C, dim]`, PyTorch `[dim, C, kt, p, p]`), `proj.bias` `[dim]`.
 */
export class TubeletEmbedding extends Module {
  readonly proj: Conv3d;
  readonly inChannels: number;
  readonly tubeletSize: number;
  readonly patchSize: number;

  constructor(
    readonly dim: number,
    config: TubeletEmbeddingConfig = {},
  ) {
    super();
    this.inChannels = config.inChannels ?? 3;
    this.tubeletSize = config.tubeletSize ?? 2;
    this.patchSize = config.patchSize ?? 16;
    const kernel = [this.tubeletSize, this.patchSize, this.patchSize] as const;
    this.proj = this.registerModule(
      'proj',
      new Conv3d(this.inChannels, dim, kernel, { stride: kernel, rng: config.rng ?? createRng(0) }),
    );
  }

  /** Token grid `[T', H', W']` for a clip of `frames` × `height` × `width`; throws when a size does not divide. */
  tokenGrid(frames: number, height: number, width: number): [number, number, number] {
    const check = (len: number, k: number, axis: string): number => {
      if (!Number.isInteger(len) || len < k || len % k !== 0) {
        throw new Error(`TubeletEmbedding: input ${axis} = ${len} must be a positive multiple of ${k}`);
      }
      return len / k;
    };
    return [
      check(frames, this.tubeletSize, 'frames (T)'),
      check(height, this.patchSize, 'height (H)'),
      check(width, this.patchSize, 'width (W)'),
    ];
  }

  /** `[B, T, H, W, C]` → `[B, T'·H'·W', dim]`. */
  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 5 || x.shape[4] !== this.inChannels) {
      throw new Error(
        `TubeletEmbedding.forward: expected a clip [B, T, H, W, ${this.inChannels}], got [${x.shape.join(', ')}]`,
      );
    }
    const [b, t, h, w, c] = x.shape as [number, number, number, number, number];
    const [gt, gh, gw] = this.tokenGrid(t, h, w);
    const kt = this.tubeletSize;
    const p = this.patchSize;
    return tf.tidy(() => {
      // [B·T', kt, H', p, W', p·C] → [B·T', H', W', kt, p, p·C] → rows (a, u, v, c) as in the weight.
      const blocks = tf.transpose(tf.reshape(x, [b * gt, kt, gh, p, gw, p * c]), [0, 2, 4, 1, 3, 5]);
      const rows = tf.reshape(blocks, [b * gt * gh * gw, kt * p * p * c]);
      const weight = tf.reshape(this.proj.weight, [kt * p * p * c, this.dim]);
      let y = tf.matMul(rows, weight);
      if (this.proj.bias !== undefined) y = tf.add(y, this.proj.bias);
      return tf.reshape(y, [b, gt * gh * gw, this.dim]);
    });
  }

  /**
   * ONNX lowering: the Conv3d itself (`Conv` with kernel = stride = (kt, p, p) on the channels-first clip,
   * weight in PyTorch layout), back to channels-last, then Reshape to `[B, T'·H'·W', dim]`.
   */
  override toOnnx(graph: OnnxGraph, input: string): string {
    const kernel = [this.tubeletSize, this.patchSize, this.patchSize];
    const inputs = [
      transposeToChannelsFirst(graph, input, 5),
      addTensorInitializer(graph, 'tubelet_weight', this.proj.weight, [4, 3, 0, 1, 2]),
    ];
    if (this.proj.bias !== undefined)
      inputs.push(addTensorInitializer(graph, 'tubelet_bias', this.proj.bias));
    const conv = graph.addNode('Conv', inputs, {
      kernel_shape: onnxAttr.ints(kernel),
      strides: onnxAttr.ints(kernel),
    });
    return addReshape(graph, transposeToChannelsLast(graph, conv, 5), [0, -1, this.dim]);
  }
}
