/** 2-D convolution over NHWC tensors (PyTorch `nn.Conv2d`, channels-last). */
import * as tf from '@tensorflow/tfjs-core';

import { onnxAttr, type OnnxGraph, transposeToChannelsFirst, transposeToChannelsLast } from '@dfer/runtime';

import { Module } from './module';
import { addTensorInitializer } from './onnx';
import { createRng, normalValues, type Rng, uniformValues } from './rng';

/** A size given once for both spatial axes or as `[height, width]`. */
export type Size2d = number | readonly [number, number];

/** Build-time options of {@link Conv2d}. */
export interface Conv2dConfig {
  /** Stride (default 1). */
  stride?: Size2d;
  /** Zero padding added on both sides of each spatial axis, as PyTorch's `padding` (default 0). */
  padding?: Size2d;
  /** Dilation (default 1). */
  dilation?: Size2d;
  /** Add a bias (default `true`). */
  bias?: boolean;
  /**
   * Weight initialisation: `'uniform'` (PyTorch's default, U(−1/√fanIn, 1/√fanIn)) or
   * `'kaiming-normal-fan-out'` (N(0, 2/fanOut) with fanOut = out·kh·kw, torchvision's ResNet init).
   */
  init?: 'uniform' | 'kaiming-normal-fan-out';
  /** Generator for the initial weights (default `createRng(0)`). */
  rng?: Rng;
}

/** `[h, w]` from a {@link Size2d}. */
export function toPair(size: Size2d, what: string): [number, number] {
  const pair: [number, number] = typeof size === 'number' ? [size, size] : [size[0], size[1]];
  for (const v of pair) {
    if (!Number.isInteger(v) || v < 0)
      throw new Error(`${what} must be non-negative integers, got ${JSON.stringify(size)}`);
  }
  return pair;
}

/**
 * y[n, i, j, o] = b[o] + Σ_{u, v, c} x_pad[n, s_h·i + d_h·u, s_w·j + d_w·v, c] · W[u, v, c, o], with x zero
 * padded by `padding` on both sides (PyTorch semantics: tfjs 'same' pads bottom/right only, so the padding
 * is explicit — see engine-notes.md). Output size ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1.
 *
 * Parameters: `weight` (tfjs `[kh, kw, in, out]`, PyTorch `[out, in, kh, kw]`), `bias` `[out]`.
 * Initialised as PyTorch: U(−1/√fanIn, 1/√fanIn), fanIn = in·kh·kw.
 */
export class Conv2d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Size2d,
    config: Conv2dConfig = {},
  ) {
    super();
    for (const [name, v] of [
      ['inChannels', inChannels],
      ['outChannels', outChannels],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new Error(`Conv2d: ${name} must be a positive integer, got ${v}`);
    }
    this.kernelSize = toPair(kernelSize, 'Conv2d: kernelSize');
    this.stride = toPair(config.stride ?? 1, 'Conv2d: stride');
    this.padding = toPair(config.padding ?? 0, 'Conv2d: padding');
    this.dilation = toPair(config.dilation ?? 1, 'Conv2d: dilation');
    if (this.kernelSize.includes(0) || this.stride.includes(0) || this.dilation.includes(0)) {
      throw new Error('Conv2d: kernelSize, stride and dilation must be ≥ 1');
    }
    const rng = config.rng ?? createRng(0);
    const [kh, kw] = this.kernelSize;
    const bound = 1 / Math.sqrt(inChannels * kh * kw);
    const n = kh * kw * inChannels * outChannels;
    const values =
      config.init === 'kaiming-normal-fan-out'
        ? normalValues(n, Math.sqrt(2 / (outChannels * kh * kw)), rng)
        : uniformValues(n, bound, rng);
    this.weight = this.registerParameter('weight', tf.tensor4d(values, [kh, kw, inChannels, outChannels]), {
      torchToTfjs: [2, 3, 1, 0],
    });
    this.bias =
      config.bias === false
        ? undefined
        : this.registerParameter('bias', tf.tensor1d(uniformValues(outChannels, bound, rng)));
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4 || x.shape[3] !== this.inChannels) {
      throw new Error(
        `Conv2d.forward: expected NHWC input [N, H, W, ${this.inChannels}], got [${x.shape.join(', ')}]`,
      );
    }
    return tf.tidy(() => {
      const [ph, pw] = this.padding;
      const pad: [[number, number], [number, number], [number, number], [number, number]] = [
        [0, 0],
        [ph, ph],
        [pw, pw],
        [0, 0],
      ];
      let y: tf.Tensor4D = tf.conv2d(
        x as tf.Tensor4D,
        this.weight as tf.Tensor4D,
        this.stride,
        pad,
        'NHWC',
        this.dilation,
      );
      if (this.bias !== undefined) y = tf.add(y, this.bias);
      return y;
    });
  }

  /** NHWC → NCHW, ONNX `Conv` (OIHW weight, symmetric pads), → NHWC. */
  override toOnnx(graph: OnnxGraph, input: string): string {
    const [ph, pw] = this.padding;
    const inputs = [
      transposeToChannelsFirst(graph, input, 4),
      addTensorInitializer(graph, 'conv_weight', this.weight, [3, 2, 0, 1]),
    ];
    if (this.bias !== undefined) inputs.push(addTensorInitializer(graph, 'conv_bias', this.bias));
    const y = graph.addNode('Conv', inputs, {
      kernel_shape: onnxAttr.ints(this.kernelSize),
      strides: onnxAttr.ints(this.stride),
      pads: onnxAttr.ints([ph, pw, ph, pw]),
      dilations: onnxAttr.ints(this.dilation),
    });
    return transposeToChannelsLast(graph, y, 4);
  }
}
