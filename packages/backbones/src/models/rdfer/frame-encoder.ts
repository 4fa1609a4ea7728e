/** RDFER's per-frame CNN: frames folded into the batch, strided 3×3 convolutions, spatial mean. */
import * as tf from '@tensorflow/tfjs-core';
import { onnxAttr, type OnnxGraph } from '@dfer/runtime';

import { ReLU } from '../../nn/activations';
import { BatchNorm } from '../../nn/batch-norm';
import { Conv2d } from '../../nn/conv2d';
import { Module, Sequential } from '../../nn/module';
import type { Rng } from '../../nn/rng';

/**
 * How the per-frame CNN's stages are built:
 * - `'batch'`: Conv2d(bias-free, torchvision's ResNet init N(0, 2/fan_out)) → BatchNorm → ReLU, the
 *   conv–BN–ReLU unit and initialisation of the torchvision ResNet the lab's code uses as its per-frame
 *   CNN (`reference/rdfer.md`; the lab's TSM wraps `torchvision.models.resnet50`);
 * - `'none'`: Conv2d(with bias, PyTorch's default init U(±1/√fan_in)) → ReLU, no normalisation. With this
 *   init each stage shrinks the signal (the per-sample differences of the frame features are ~1 % of their
 *   mean at init for the tiny preset) and the network cannot learn from scratch; kept to load older
 *   checkpoints.
 */
export type RdferFrameNorm = 'batch' | 'none';

/**
 * Per-frame feature extractor of both RDFER streams: for each width w_i a stride-2 3×3 convolution
 * (padding 1), BatchNorm when `norm` is `'batch'`, and ReLU; then the mean over the spatial axes. Input
 * `[N, H, W, C]` (N = B·T, frames folded into the batch — engine-notes.md: 2-D convolutions per frame are
 * much faster on wasm than Conv3d or time-distributed layers), output `[N, w_last]`. The lab's code uses a
 * per-frame CNN here (`reference/rdfer.md`, "long-term stream"); its exact depth is ours.
 *
 * State (PyTorch `Sequential` numbering): `norm: 'batch'` — `convs.{3i}.weight`, `convs.{3i+1}.*`
 * (BatchNorm), ReLU at `3i+2`; `norm: 'none'` — `convs.{2i}.weight/bias`, ReLU at odd indices.
 */
export class FrameEncoder extends Module {
  readonly convs: Sequential;
  readonly outDim: number;

  constructor(inChannels: number, widths: readonly number[], rng: Rng, norm: RdferFrameNorm = 'batch') {
    super();
    if (widths.length === 0) throw new Error('FrameEncoder: widths must name at least one stage');
    if (norm !== 'batch' && norm !== 'none') {
      throw new Error(`FrameEncoder: norm must be 'batch' or 'none', got ${JSON.stringify(norm)}`);
    }
    const layers = [];
    let cin = inChannels;
    for (const w of widths) {
      if (norm === 'batch') {
        layers.push(
          new Conv2d(cin, w, 3, { stride: 2, padding: 1, bias: false, init: 'kaiming-normal-fan-out', rng }),
          new BatchNorm(w),
          new ReLU(),
        );
      } else {
        layers.push(new Conv2d(cin, w, 3, { stride: 2, padding: 1, rng }), new ReLU());
      }
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
