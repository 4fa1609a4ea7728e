/** 1-D convolution over NLC tensors (PyTorch `nn.Conv1d`, channels-last). */
import * as tf from '@tensorflow/tfjs-core';
import { onnxAttr, type OnnxGraph, transposeToChannelsFirst, transposeToChannelsLast } from '@dfer/runtime';

import { Module } from './module';
import { addTensorInitializer } from './onnx';
import { createRng, type Rng, uniformValues } from './rng';

/** Build-time options of {@link Conv1d}. */
export interface Conv1dConfig {
  /** Stride (default 1). */
  stride?: number;
  /** Zero padding added on both ends of the length axis, as PyTorch's `padding` (default 0). */
  padding?: number;
  /** Add a bias (default `true`). */
  bias?: boolean;
  /** Generator for the initial weights (default `createRng(0)`). */
  rng?: Rng;
}

/**
 * y[n, l, o] = b[o] + Σ_{u, c} x_pad[n, s·l + u, c] · W[u, c, o], with x zero padded by `padding` at both
 * ends of the length axis (PyTorch semantics). Output length ⌊(L + 2p − k)/s⌋ + 1. M3DFEL's `pwconv`
 * (reference/m3dfel.md §4.5) is `Conv1d(4, 1, 3, padding 1)` with the 4 instances as input channels and
 * the 1024 features as the length axis.
 *
 * Parameters: `weight` (tfjs `[k, in, out]`, PyTorch `[out, in, k]`), `bias` `[out]`. Initialised as
 * PyTorch: U(−1/√fanIn, 1/√fanIn), fanIn = in·k. Dilation and groups are not supported.
 */
export class Conv1d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;
  readonly stride: number;
  readonly padding: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    config: Conv1dConfig = {},
  ) {
    super();
    for (const [name, v] of [
      ['inChannels', inChannels],
      ['outChannels', outChannels],
      ['kernelSize', kernelSize],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new Error(`Conv1d: ${name} must be a positive integer, got ${v}`);
    }
    this.stride = config.stride ?? 1;
    this.padding = config.padding ?? 0;
    if (!Number.isInteger(this.stride) || this.stride < 1) {
      throw new Error(`Conv1d: stride must be a positive integer, got ${this.stride}`);
    }
    if (!Number.isInteger(this.padding) || this.padding < 0) {
      throw new Error(`Conv1d: padding must be a non-negative integer, got ${this.padding}`);
    }
    const rng = config.rng ?? createRng(0);
    const bound = 1 / Math.sqrt(inChannels * kernelSize);
    this.weight = this.registerParameter(
      'weight',
      tf.tensor3d(uniformValues(kernelSize * inChannels * outChannels, bound, rng), [
        kernelSize,
        inChannels,
        outChannels,
      ]),
      { torchToTfjs: [2, 1, 0] },
    );
    this.bias =
      config.bias === false
        ? undefined
        : this.registerParameter('bias', tf.tensor1d(uniformValues(outChannels, bound, rng)));
  }

  /** Output `[N, L', out]` for input `[N, L, in]`. */
  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.inChannels) {
      throw new Error(
        `Conv1d.forward: expected NLC input [N, L, ${this.inChannels}], got [${x.shape.join(', ')}]`,
      );
    }
    if ((x.shape[1] as number) + 2 * this.padding < this.kernelSize) {
      throw new Error(
        `Conv1d.forward: length ${x.shape[1]} with padding ${this.padding} is smaller than the kernel ${this.kernelSize}`,
      );
    }
    return applyConv1d(x, this.weight, this.bias, this.stride, this.padding);
  }

  /** NLC → `Transpose` → ONNX `Conv` (weight `[out, in, k]`, symmetric pads) → `Transpose` back. */
  override toOnnx(graph: OnnxGraph, input: string): string {
    const inputs = [
      transposeToChannelsFirst(graph, input, 3),
      addTensorInitializer(graph, 'conv1d_weight', this.weight, [2, 1, 0]),
    ];
    if (this.bias !== undefined) inputs.push(addTensorInitializer(graph, 'conv1d_bias', this.bias));
    const y = graph.addNode('Conv', inputs, {
      kernel_shape: onnxAttr.ints([this.kernelSize]),
      strides: onnxAttr.ints([this.stride]),
      pads: onnxAttr.ints([this.padding, this.padding]),
    });
    return transposeToChannelsLast(graph, y, 3);
  }
}

/**
 * The computation of {@link Conv1d} as a pure function of its tensors (input NLC, weight `[k, in, out]`,
 * optional bias `[out]`): explicit zero padding at both ends, then a 'valid' tfjs conv1d.
 */
export function applyConv1d(
  x: tf.Tensor,
  weight: tf.Tensor,
  bias: tf.Tensor | undefined,
  stride: number,
  padding: number,
): tf.Tensor {
  return tf.tidy(() => {
    const padded =
      padding === 0
        ? (x as tf.Tensor3D)
        : tf.pad(x as tf.Tensor3D, [
            [0, 0],
            [padding, padding],
            [0, 0],
          ]);
    const y = tf.conv1d(padded, weight as tf.Tensor3D, stride, 'valid');
    return bias === undefined ? y : tf.add(y, bias);
  });
}
