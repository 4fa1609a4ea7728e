/** RDFER's per-frame CNN: frames folded into the batch, strided 3×3 convolutions, spatial mean. */
import * as tf from '@tensorflow/tfjs-core';
import { onnxAttr, type OnnxGraph } from '@dfer/runtime';

import { ReLU } from '../../nn/activations';
import { Conv2d } from '../../nn/conv2d';
import { Module, Sequential } from '../../nn/module';
import type { Rng } from '../../nn/rng';

/**
 * Per-frame feature extractor of both RDFER streams: for each width w_i, Conv2d(3×3, stride 2, padding 1)
 * then ReLU; then the mean over the spatial axes. Input `[N, H, W, C]` (N = B·T, frames folded into the
 * batch — engine-notes.md: 2-D convolutions per frame are much faster on wasm than Conv3d or
 * time-distributed layers), output `[N, w_last]`. The lab's code uses a per-frame CNN here
 * (`reference/rdfer.md`, "long-term stream"); its exact depth is not given, so this is ours.
 *
 * State: `convs.{2i}.weight/bias` (PyTorch `Sequential` numbering, ReLU at odd indices).
 */
export class FrameEncoder extends Module {
  readonly convs: Sequential;
  readonly outDim: number;

  constructor(inChannels: number, widths: readonly number[], rng: Rng) {
    super();
    if (widths.length === 0) throw new Error('FrameEncoder: widths must name at least one stage');
    const layers = [];
    let cin = inChannels;
    for (const w of widths) {
      layers.push(new Conv2d(cin, w, 3, { stride: 2, padding: 1, rng }), new ReLU());
      cin = w;
    }
    this.convs = this.registerModule('convs', new Sequential(layers));
    this.outDim = cin;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.mean(this.convs.forward(x), [1, 2]));
  }

  override toOnnx(graph: OnnxGraph, input: string): string {
    return graph.addNode('ReduceMean', [this.convs.toOnnx(graph, input)], {
      axes: onnxAttr.ints([1, 2]),
      keepdims: onnxAttr.int(0),
    });
  }
}
