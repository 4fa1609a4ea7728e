/** Pooling layers: 2-D max pooling with PyTorch padding, global and temporal average pooling. */
import * as tf from '@tensorflow/tfjs-core';

import { onnxAttr, type OnnxGraph, transposeToChannelsFirst, transposeToChannelsLast } from '@dfer/runtime';

import { type Size2d, toPair } from './conv2d';
import { Module } from './module';

/** Build-time options of {@link MaxPool2d}. */
export interface MaxPool2dConfig {
  /** Stride (default: the kernel size, as PyTorch). */
  stride?: Size2d;
  /** Implicit −∞ padding on both sides of each spatial axis (default 0). */
  padding?: Size2d;
}

/**
 * y[n, i, j, c] = max_{u < k_h, v < k_w} x_pad[n, s_h·i + u, s_w·j + v, c] over NHWC input, where padded
 * positions never win (PyTorch `nn.MaxPool2d`, floor mode). Output size ⌊(H + 2p − k)/s⌋ + 1.
 */
export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(kernelSize: Size2d, config: MaxPool2dConfig = {}) {
    super();
    this.kernelSize = toPair(kernelSize, 'MaxPool2d: kernelSize');
    this.stride = toPair(config.stride ?? kernelSize, 'MaxPool2d: stride');
    this.padding = toPair(config.padding ?? 0, 'MaxPool2d: padding');
    if (this.padding[0] * 2 > this.kernelSize[0] || this.padding[1] * 2 > this.kernelSize[1]) {
      throw new Error('MaxPool2d: padding must be at most half the kernel size (as PyTorch requires)');
    }
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4) throw new Error(`MaxPool2d.forward: expected NHWC input, got [${x.shape.join(', ')}]`);
    return tf.tidy(() => {
      const [ph, pw] = this.padding;
      // Pad with the per-channel minimum minus one so padded cells never win, then pool 'valid'.
      const padded =
        ph === 0 && pw === 0
          ? x
          : tf.pad(
              x,
              [
                [0, 0],
                [ph, ph],
                [pw, pw],
                [0, 0],
              ],
              -3.4e38,
            );
      return tf.maxPool(padded as tf.Tensor4D, this.kernelSize, this.stride, 'valid');
    });
  }

  /** NHWC → NCHW, ONNX `MaxPool` (its pads never win the max), → NHWC. */
  override toOnnx(graph: OnnxGraph, input: string): string {
    const [ph, pw] = this.padding;
    const y = graph.addNode('MaxPool', [transposeToChannelsFirst(graph, input, 4)], {
      kernel_shape: onnxAttr.ints(this.kernelSize),
      strides: onnxAttr.ints(this.stride),
      pads: onnxAttr.ints([ph, pw, ph, pw]),
    });
    return transposeToChannelsLast(graph, y, 4);
  }
}

/**
 * Mean over the given axes (default the spatial axes 1, 2 of NHWC): y = (1/|axes|) Σ x — global average
 * pooling (PyTorch `AdaptiveAvgPool2d(1)` + flatten) or temporal pooling over a `[B, T, C]` axis 1.
 */
export class MeanPool extends Module {
  readonly axes: number[];

  constructor(axes: readonly number[] = [1, 2]) {
    super();
    if (axes.length === 0 || axes.some((a) => !Number.isInteger(a) || a < 0)) {
      throw new Error(`MeanPool: axes must be non-negative integers, got ${JSON.stringify(axes)}`);
    }
    this.axes = [...axes];
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (this.axes.some((a) => a >= x.rank)) {
      throw new Error(
        `MeanPool.forward: axes ${JSON.stringify(this.axes)} out of range for [${x.shape.join(', ')}]`,
      );
    }
    return tf.mean(x, this.axes);
  }

  /** ONNX `ReduceMean` over the same axes (opset 17: axes as an attribute), keepdims 0. */
  override toOnnx(graph: OnnxGraph, input: string): string {
    return graph.addNode('ReduceMean', [input], {
      axes: onnxAttr.ints(this.axes),
      keepdims: onnxAttr.int(0),
    });
  }
}
