/** 3-D convolution over NDHWC tensors (PyTorch `nn.Conv3d`, channels-last). */
import * as tf from '@tensorflow/tfjs-core';
import { onnxAttr, type OnnxGraph } from '@dfer/runtime';

import { Module } from './module';
import { addTensorInitializer, addTranspose } from './onnx';
import { createRng, type Rng, uniformValues } from './rng';

/** A size given once for all three axes or as `[depth, height, width]`. */
export type Size3d = number | readonly [number, number, number];

/** Build-time options of {@link Conv3d}. */
export interface Conv3dConfig {
  /** Stride (default 1). */
  stride?: Size3d;
  /** Zero padding added on both sides of each axis, as PyTorch's `padding` (default 0). */
  padding?: Size3d;
  /** Add a bias (default `true`). */
  bias?: boolean;
  /** Generator for the initial weights (default `createRng(0)`). */
  rng?: Rng;
}

/** `[d, h, w]` from a {@link Size3d}, checked to be non-negative integers. */
export function toTriple(size: Size3d, what: string): [number, number, number] {
  const triple: [number, number, number] =
    typeof size === 'number' ? [size, size, size] : [size[0], size[1], size[2]];
  for (const v of triple) {
    if (!Number.isInteger(v) || v < 0) {
      throw new Error(`${what} must be non-negative integers, got ${JSON.stringify(size)}`);
    }
  }
  return triple;
}

/**
 * y[n, t, i, j, o] = b[o] + Σ_{a, u, v, c} x_pad[n, s_d·t + a, s_h·i + u, s_w·j + v, c] · W[a, u, v, c, o],
 * with x zero padded by `padding` on both sides of D, H and W (PyTorch semantics; tfjs 'same' pads
 * back/bottom/right only, so the padding is explicit — see reference/engine-notes.md). Output size per
 * axis ⌊(L + 2p − k)/s⌋ + 1. Used by R3D-18 in M3DFEL (reference/m3dfel.md §3) and by tubelet embeddings.
 *
 * Parameters: `weight` (tfjs `[kd, kh, kw, in, out]`, PyTorch `[out, in, kd, kh, kw]`), `bias` `[out]`.
 * Initialised as PyTorch: U(−1/√fanIn, 1/√fanIn), fanIn = in·kd·kh·kw. Dilation and groups are not
 * supported (no model here needs them).
 *
 * Gradients: the cpu backend's Conv3D, Conv3DBackpropInputV2 and Conv3DBackpropFilterV2 kernels match
 * finite differences (tested); wasm's Conv3DBackpropInputV2 is wrong unless `initEngine` from
 * `@dfer/runtime` has registered its fix.
 */
export class Conv3d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;
  readonly kernelSize: [number, number, number];
  readonly stride: [number, number, number];
  readonly padding: [number, number, number];

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Size3d,
    config: Conv3dConfig = {},
  ) {
    super();
    for (const [name, v] of [
      ['inChannels', inChannels],
      ['outChannels', outChannels],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new Error(`Conv3d: ${name} must be a positive integer, got ${v}`);
    }
    this.kernelSize = toTriple(kernelSize, 'Conv3d: kernelSize');
    this.stride = toTriple(config.stride ?? 1, 'Conv3d: stride');
    this.padding = toTriple(config.padding ?? 0, 'Conv3d: padding');
    if (this.kernelSize.includes(0) || this.stride.includes(0)) {
      throw new Error(
        `Conv3d: kernelSize and stride must be ≥ 1, got kernelSize ${JSON.stringify(kernelSize)}, stride ${JSON.stringify(config.stride)}`,
      );
    }
    const rng = config.rng ?? createRng(0);
    const [kd, kh, kw] = this.kernelSize;
    const fanIn = inChannels * kd * kh * kw;
    const bound = 1 / Math.sqrt(fanIn);
    this.weight = this.registerParameter(
      'weight',
      tf.tensor5d(uniformValues(fanIn * outChannels, bound, rng), [kd, kh, kw, inChannels, outChannels]),
      { torchToTfjs: [2, 3, 4, 1, 0] },
    );
    this.bias =
      config.bias === false
        ? undefined
        : this.registerParameter('bias', tf.tensor1d(uniformValues(outChannels, bound, rng)));
  }

  /** Output `[N, D', H', W', out]` for input `[N, D, H, W, in]`. */
  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 5 || x.shape[4] !== this.inChannels) {
      throw new Error(
        `Conv3d.forward: expected NDHWC input [N, D, H, W, ${this.inChannels}], got [${x.shape.join(', ')}]`,
      );
    }
    const [pd, ph, pw] = this.padding;
    x.shape.slice(1, 4).forEach((len, axis) => {
      const k = this.kernelSize[axis] as number;
      const p = this.padding[axis] as number;
      if ((len as number) + 2 * p < k) {
        throw new Error(
          `Conv3d.forward: input axis ${['D', 'H', 'W'][axis]} = ${len} with padding ${p} is smaller than the kernel ${k}`,
        );
      }
    });
    return applyConv3d(x, this.weight, this.bias, this.stride, [pd, ph, pw]);
  }

  /**
   * One ONNX 2-D `Conv` per temporal tap of the kernel, summed: onnxruntime's 3-D `Conv` gathers a patch
   * matrix over the zero-padded volume, so on the few frames of M3DFEL's instances (4, 2, then 1 frame per
   * stage) most of its work multiplies padding; its 2-D `Conv` is also faster per output. The frames
   * `[N, D, C, H, W]` are the 2-D batch; each tap convolves only the frames it reads inside the clip and its
   * output is zero-padded to the output's length.
   *
   * When the export knows the input's size (`graph.staticShape`, as in `exportOnnx`), every bound is a
   * constant and a tap that reads no frame is left out (a 1-frame input is one 2-D `Conv`). Otherwise the
   * bounds are relative to the axis end and the shapes are read at run time (a tap that reads none
   * convolves an empty batch); with a temporal stride the frames are then zero-padded first and every tap
   * reads its frames with that step. Output `[N, D', H', W', out]` as {@link Conv3d.forward}.
   */
  override toOnnx(graph: OnnxGraph, input: string): string {
    const known = graph.staticShape(input);
    const frames = addTranspose(graph, input, [0, 1, 4, 2, 3]); // [N, D, C, H, W]
    const depth = known?.[1];
    const weights = this.weight.arraySync() as TapWeights;
    const taps =
      depth !== undefined && known?.[2] !== undefined && known[3] !== undefined
        ? this.staticTaps(graph, weights, frames, depth, known[2], known[3])
        : this.dynamicTaps(graph, weights, frames);
    let y = taps.length === 1 ? (taps[0] as string) : graph.addNode('Sum', taps); // [N, D', out, H', W']
    y = addTranspose(graph, y, [0, 1, 3, 4, 2]);
    if (this.bias !== undefined)
      y = graph.addNode('Add', [y, addTensorInitializer(graph, 'conv3d_bias', this.bias)]);
    return y;
  }

  /** The 2-D `Conv` of tap `a` over `frames` `[N, F, C, H, W]` viewed as `[N·F, C, H, W]` (4-D `shape`). */
  private tapConv(graph: OnnxGraph, weights: TapWeights, a: number, frames: string, shape: string): string {
    const [, kh, kw] = this.kernelSize;
    const [, sh, sw] = this.stride;
    const [, ph, pw] = this.padding;
    const tapWeight = new Float32Array(this.outChannels * this.inChannels * kh * kw);
    let i = 0;
    for (let o = 0; o < this.outChannels; o++)
      for (let c = 0; c < this.inChannels; c++)
        for (let u = 0; u < kh; u++)
          for (let v = 0; v < kw; v++) tapWeight[i++] = weights[a]![u]![v]![c]![o] as number;
    return graph.addNode(
      'Conv',
      [
        graph.addNode('Reshape', [frames, shape]),
        graph.addInitializer(graph.uniqueName('conv3d_tap_weight'), tapWeight, [
          this.outChannels,
          this.inChannels,
          kh,
          kw,
        ]),
      ],
      {
        kernel_shape: onnxAttr.ints([kh, kw]),
        strides: onnxAttr.ints([sh, sw]),
        pads: onnxAttr.ints([ph, pw, ph, pw]),
      },
    ); // [N·F, out, H', W']
  }

  /** Taps with constant bounds for an input of `depth` frames of `height` × `width`. */
  private staticTaps(
    graph: OnnxGraph,
    weights: TapWeights,
    frames: string,
    depth: number,
    height: number,
    width: number,
  ): string[] {
    const [kd, kh, kw] = this.kernelSize;
    const [sd, sh, sw] = this.stride;
    const [pd, ph, pw] = this.padding;
    const outDepth = Math.floor((depth + 2 * pd - kd) / sd) + 1;
    const outHeight = Math.floor((height + 2 * ph - kh) / sh) + 1;
    const outWidth = Math.floor((width + 2 * pw - kw) / sw) + 1;
    const taps: string[] = [];
    for (let a = 0; a < kd; a++) {
      // output frames [first, last] read input frames first·sd − pd + a, … inside [0, depth)
      const first = Math.max(0, Math.ceil((pd - a) / sd));
      const last = Math.min(outDepth - 1, Math.floor((depth - 1 + pd - a) / sd));
      if (last < first) continue;
      const count = last - first + 1;
      const begin = first * sd - pd + a;
      const sliced =
        begin === 0 && sd === 1 && count === depth
          ? frames
          : graph.addNode('Slice', [
              frames,
              graph.addInt64Constant('starts', [begin]),
              graph.addInt64Constant('ends', [begin + (count - 1) * sd + 1]),
              graph.addInt64Constant('axes', [1]),
              graph.addInt64Constant('steps', [sd]),
            ]);
      const conv = this.tapConv(
        graph,
        weights,
        a,
        sliced,
        graph.addInt64Constant('shape', [-1, this.inChannels, height, width]),
      );
      let tap = graph.addNode('Reshape', [
        conv,
        graph.addInt64Constant('shape', [-1, count, this.outChannels, outHeight, outWidth]),
      ]);
      if (first > 0 || last < outDepth - 1) {
        tap = graph.addNode('Pad', [
          tap,
          graph.addInt64Constant('pads', [0, first, 0, 0, 0, 0, outDepth - 1 - last, 0, 0, 0]),
        ]);
      }
      taps.push(tap);
    }
    if (taps.length === 0) {
      throw new Error(
        `Conv3d.toOnnx: no temporal tap reads a frame of a ${depth}-frame input (kernel ${kd}, padding ${pd}, stride ${sd})`,
      );
    }
    return taps;
  }

  /** Taps whose bounds are relative to the end of the frame axis and whose shapes are read at run time. */
  private dynamicTaps(graph: OnnxGraph, weights: TapWeights, frames: string): string[] {
    const [kd] = this.kernelSize;
    const [sd] = this.stride;
    const [pd] = this.padding;
    const padded =
      sd === 1 || pd === 0
        ? frames
        : graph.addNode('Pad', [frames, graph.addInt64Constant('pads', [0, pd, 0, 0, 0, 0, pd, 0, 0, 0])]);
    const taps: string[] = [];
    for (let a = 0; a < kd; a++) {
      // Frames read by tap a: [begin, end) with end relative to the axis length (≥ 0: to the end), and
      // the zero output frames before / after the ones it produces.
      let begin: number;
      let end: number;
      let step = 1;
      let zerosBefore = 0;
      let zerosAfter = 0;
      if (sd === 1) {
        begin = Math.max(0, a - pd);
        end = pd - kd + 1 + a;
        zerosBefore = Math.max(0, pd - a);
        zerosAfter = Math.max(0, end);
      } else {
        begin = a;
        end = a - kd + 1;
        step = sd;
      }
      const sliced = graph.addNode('Slice', [
        padded,
        graph.addInt64Constant('starts', [begin]),
        graph.addInt64Constant('ends', [end >= 0 ? END_OF_AXIS : end]),
        graph.addInt64Constant('axes', [1]),
        graph.addInt64Constant('steps', [step]),
      ]); // [N, F, C, H, W]
      const conv = this.tapConv(
        graph,
        weights,
        a,
        sliced,
        graph.addNode(
          'Concat',
          [graph.addInt64Constant('shape', [-1, this.inChannels]), sliceOfShape(graph, sliced, 3, 5)],
          { axis: onnxAttr.int(0) },
        ),
      );
      // back to [N, F, out, H', W'] (F may be 0: allowzero keeps it)
      const shape = graph.addNode(
        'Concat',
        [sliceOfShape(graph, sliced, 0, 2), sliceOfShape(graph, conv, 1, 4)],
        {
          axis: onnxAttr.int(0),
        },
      );
      let tap = graph.addNode('Reshape', [conv, shape], { allowzero: onnxAttr.int(1) });
      if (zerosBefore + zerosAfter > 0) {
        tap = graph.addNode('Pad', [
          tap,
          graph.addInt64Constant('pads', [0, zerosBefore, 0, 0, 0, 0, zerosAfter, 0, 0, 0]),
        ]);
      }
      taps.push(tap);
    }
    return taps;
  }
}

/** The weight `[kd, kh, kw, in, out]` as nested arrays. */
type TapWeights = number[][][][][];

/** ONNX Slice's end for "to the end of the axis". */
const END_OF_AXIS = 2147483647;

/** `Shape(value)[from:to]` as an int64 vector. */
function sliceOfShape(graph: OnnxGraph, value: string, from: number, to: number): string {
  return graph.addNode('Slice', [
    graph.addNode('Shape', [value]),
    graph.addInt64Constant('starts', [from]),
    graph.addInt64Constant('ends', [to]),
  ]);
}

/**
 * The computation of {@link Conv3d} as a pure function of its tensors (input NDHWC, weight
 * `[kd, kh, kw, in, out]`, optional bias `[out]`): explicit zero padding on both sides, then a 'valid'
 * tfjs conv3d. Differentiable with respect to every tensor argument.
 */
export function applyConv3d(
  x: tf.Tensor,
  weight: tf.Tensor,
  bias: tf.Tensor | undefined,
  stride: readonly [number, number, number],
  padding: readonly [number, number, number],
): tf.Tensor {
  return tf.tidy(() => {
    const [pd, ph, pw] = padding;
    const padded =
      pd + ph + pw === 0
        ? (x as tf.Tensor5D)
        : tf.pad(x as tf.Tensor5D, [
            [0, 0],
            [pd, pd],
            [ph, ph],
            [pw, pw],
            [0, 0],
          ]);
    const y = tf.conv3d(padded, weight as tf.Tensor5D, [stride[0], stride[1], stride[2]], 'valid');
    return bias === undefined ? y : tf.add(y, bias);
  });
}
