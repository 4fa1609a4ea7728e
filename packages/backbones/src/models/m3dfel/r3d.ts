/**
 * The R3D-18 video ResNet of torchvision (`torchvision.models.video.r3d_18`, Tran et al., "A Closer Look
 * at Spatiotemporal Convolutions for Action Recognition", CVPR 2018) without its `fc`, as M3DFEL uses it:
 * `nn.Sequential(*list(r3d_18.children())[:-1])` (reference/m3dfel.md §3). Channels-last (NDHWC).
 */
import * as tf from '@tensorflow/tfjs-core';
import { onnxAttr, type OnnxGraph } from '@dfer/runtime';

import { ReLU } from '../../nn/activations';
import { BatchNorm } from '../../nn/batch-norm';
import { Conv3d } from '../../nn/conv3d';
import { Module, Sequential } from '../../nn/module';
import type { Rng } from '../../nn/rng';

/** Conv3d(k, stride, padding, no bias) → BatchNorm3d, as torchvision's `Conv3DSimple` + BN. */
function convBn(
  inChannels: number,
  outChannels: number,
  kernel: number,
  stride: number,
  rng: Rng,
): [Conv3d, BatchNorm] {
  return [
    new Conv3d(inChannels, outChannels, kernel, { stride, padding: kernel === 3 ? 1 : 0, bias: false, rng }),
    new BatchNorm(outChannels),
  ];
}

/**
 * torchvision's video `BasicBlock` with `Conv3DSimple` (reference/m3dfel.md §3):
 * out = BN(conv₂(ReLU(BN(conv₁(x, stride))))); y = ReLU(out + (downsample(x) or x)), all convs 3×3×3 with
 * padding 1 and no bias; the stride applies equally to T, H and W; `downsample` = Conv3d 1×1×1 (stride s)
 * + BN when the stride or the width changes. State names: `conv1.0`, `conv1.1`, `conv2.0`, `conv2.1`,
 * `downsample.0`, `downsample.1`.
 */
export class R3dBasicBlock extends Module {
  readonly conv1: Sequential;
  readonly conv2: Sequential;
  readonly downsample: Sequential | undefined;

  constructor(inChannels: number, outChannels: number, stride: number, rng: Rng) {
    super();
    this.conv1 = this.registerModule(
      'conv1',
      new Sequential([...convBn(inChannels, outChannels, 3, stride, rng), new ReLU()]),
    );
    this.conv2 = this.registerModule('conv2', new Sequential(convBn(outChannels, outChannels, 3, 1, rng)));
    this.downsample =
      stride !== 1 || inChannels !== outChannels
        ? this.registerModule('downsample', new Sequential(convBn(inChannels, outChannels, 1, stride, rng)))
        : undefined;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const out = this.conv2.forward(this.conv1.forward(x));
      const residual = this.downsample === undefined ? x : this.downsample.forward(x);
      return tf.relu(tf.add(out, residual));
    });
  }

  override toOnnx(graph: OnnxGraph, input: string): string {
    const out = this.conv2.toOnnx(graph, this.conv1.toOnnx(graph, input));
    const residual = this.downsample === undefined ? input : this.downsample.toOnnx(graph, input);
    return graph.addNode('Relu', [graph.addNode('Add', [out, residual])]);
  }
}

/** Widths of the stem and the four stages of {@link R3dFeatures} (R3D-18: 64, 128, 256, 512). */
export type R3dWidths = readonly [number, number, number, number];

/**
 * R3D-18 without `fc`: children `0` stem (Conv3d 3→w₀, k (3,7,7), s (1,2,2), p (1,3,3), no bias → BN →
 * ReLU; no max-pool), `1`…`4` stages of two {@link R3dBasicBlock}s (strides 1, 2, 2, 2), then
 * AdaptiveAvgPool3d(1) (no parameters, so no state-dict entry) computed as a mean over D, H and W.
 * Input `[N, D, H, W, 3]`, output `[N, w₃]`.
 */
export class R3dFeatures extends Module {
  private readonly stages: Sequential[] = [];

  constructor(
    readonly widths: R3dWidths,
    rng: Rng,
  ) {
    super();
    const [w0] = widths;
    const stem = new Sequential([
      new Conv3d(3, w0, [3, 7, 7], { stride: [1, 2, 2], padding: [1, 3, 3], bias: false, rng }),
      new BatchNorm(w0),
      new ReLU(),
    ]);
    this.stages.push(this.registerModule('0', stem));
    let inChannels = w0;
    widths.forEach((width, i) => {
      const stride = i === 0 ? 1 : 2;
      const stage = new Sequential([
        new R3dBasicBlock(inChannels, width, stride, rng),
        new R3dBasicBlock(width, width, 1, rng),
      ]);
      this.stages.push(this.registerModule(String(i + 1), stage));
      inChannels = width;
    });
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 5 || x.shape[4] !== 3) {
      throw new Error(
        `R3dFeatures.forward: expected NDHWC input [N, D, H, W, 3], got [${x.shape.join(', ')}]`,
      );
    }
    return tf.tidy(() => {
      const y = this.stages.reduce<tf.Tensor>((h, stage) => stage.forward(h), x);
      return tf.mean(y, [1, 2, 3]);
    });
  }

  /** Stem and stages, then `ReduceMean` over D, H, W (NDHWC axes 1–3). */
  override toOnnx(graph: OnnxGraph, input: string): string {
    const y = this.stages.reduce((h, stage) => stage.toOnnx(graph, h), input);
    return graph.addNode('ReduceMean', [y], { axes: onnxAttr.ints([1, 2, 3]), keepdims: onnxAttr.int(0) });
  }
}
