/**
 * Former-DFER: Dynamic Facial Expression Recognition Transformer.
 * Paper: Zengqun Zhao, Qingshan Liu, ACM Multimedia 2021, pp. 1553–1561.
 * Origin: the authors' PyTorch code (github.com/zengqunzhao/Former-DFER, models/ST_Former.py, S_Former.py,
 * T_Former.py); every architecture fact used here is in `reference/former-dfer.md` and every state-dict
 * name and shape in `reference/former-dfer.state-dict.json` (169 tensors, 18,031,943 parameters).
 *
 * Layout: input clips `[B, T, H, W, 3]` (channels-last, RGB in [0, 1], no mean/std normalisation — the
 * authors' data loader only divides by 255). Frames are folded into the batch for the S-Former.
 */
import * as tf from '@tensorflow/tfjs-core';
import { onnxAttr, type OnnxGraph } from '@dfer/runtime';

import { ReLU } from '../nn/activations';
import { BatchNorm } from '../nn/batch-norm';
import { Conv2d } from '../nn/conv2d';
import { Linear } from '../nn/linear';
import { Module, Sequential } from '../nn/module';
import { addReshape, addTensorInitializer } from '../nn/onnx';
import { MaxPool2d } from '../nn/pooling';
import { normalValues, type Rng } from '../nn/rng';
import { TransformerEncoder, TransformerEncoderLayer } from '../nn/transformer';
import {
  createModelRng,
  type ModelBuildOptions,
  type ModelPreset,
  registerModel,
  type ModelInitialization,
} from '../registry';
import { type CheckpointBlock, type InputSpec, VideoModel, type VideoModelHeadOutput } from '../video-model';

// ---------------------------------------------------------------------------------------------------
// Blocks
// ---------------------------------------------------------------------------------------------------

/**
 * ResNet BasicBlock: y = ReLU(BN(conv3×3(ReLU(BN(conv3×3_s(x))))) + shortcut(x)), shortcut = identity or
 * `downsample` = [conv1×1_s (no bias), BN] when stride ≠ 1 or the width changes.
 * Names: `conv1`, `bn1`, `conv2`, `bn2`, `downsample.0`, `downsample.1`.
 */
export class BasicBlock extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm;
  readonly downsample: Sequential | undefined;

  constructor(inPlanes: number, planes: number, stride: number, rng: Rng) {
    super();
    const convInit = { bias: false, init: 'kaiming-normal-fan-out' as const, rng };
    this.conv1 = this.registerModule(
      'conv1',
      new Conv2d(inPlanes, planes, 3, { stride, padding: 1, ...convInit }),
    );
    this.bn1 = this.registerModule('bn1', new BatchNorm(planes));
    this.conv2 = this.registerModule('conv2', new Conv2d(planes, planes, 3, { padding: 1, ...convInit }));
    this.bn2 = this.registerModule('bn2', new BatchNorm(planes));
    this.downsample =
      stride !== 1 || inPlanes !== planes
        ? this.registerModule(
            'downsample',
            new Sequential([new Conv2d(inPlanes, planes, 1, { stride, ...convInit }), new BatchNorm(planes)]),
          )
        : undefined;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const y = this.bn2.forward(this.conv2.forward(tf.relu(this.bn1.forward(this.conv1.forward(x)))));
      const shortcut = this.downsample === undefined ? x : this.downsample.forward(x);
      return tf.relu(tf.add(y, shortcut));
    });
  }

  override toOnnx(graph: OnnxGraph, input: string): string {
    const a = graph.addNode('Relu', [this.bn1.toOnnx(graph, this.conv1.toOnnx(graph, input))]);
    const y = this.bn2.toOnnx(graph, this.conv2.toOnnx(graph, a));
    const shortcut = this.downsample === undefined ? input : this.downsample.toOnnx(graph, input);
    return graph.addNode('Relu', [graph.addNode('Add', [y, shortcut])]);
  }
}

function makeLayer(inPlanes: number, planes: number, blocks: number, stride: number, rng: Rng): Sequential {
  const list: BasicBlock[] = [];
  for (let i = 0; i < blocks; i++)
    list.push(new BasicBlock(i === 0 ? inPlanes : planes, planes, i === 0 ? stride : 1, rng));
  return new Sequential(list);
}

/** Architecture hyper-parameters of Former-DFER (one per preset). */
export interface FormerDferArchitecture {
  /** Widths of conv1/layer1 … layer4 (paper: 64, 128, 256, 512). */
  widths: readonly [number, number, number, number];
  /** BasicBlocks per stage (paper: 2, 2, 2, 2). */
  blocks: readonly [number, number, number, number];
  /** Spatial transformer: depth, heads, head width, MLP width (paper: 1, 8, 32, 512). */
  spatial: { depth: number; heads: number; dimHead: number; mlpDim: number };
  /** Temporal transformer: depth, heads, head width, MLP width (paper: 3, 8, 64, 1024). */
  temporal: { depth: number; heads: number; dimHead: number; mlpDim: number };
  /** Input the architecture is built for (frames and size fix the position embeddings). */
  input: InputSpec;
}

/** Side of the feature map after conv1 (stride 2, pad 3, k 7) + max-pool (3, 2, 1) + layer2 + layer3 (stride 2 each). */
function spatialSide(size: number): number {
  const conv = (n: number, k: number, s: number, p: number): number => Math.floor((n + 2 * p - k) / s) + 1;
  let n = conv(size, 7, 2, 3);
  n = conv(n, 3, 2, 1);
  n = conv(n, 3, 2, 1);
  return conv(n, 3, 2, 1);
}

/**
 * S-Former: ResNet-18-style CNN per frame with a spatial transformer between layer3 and layer4
 * (reference/former-dfer.md, "S-Former"). Input `[N, H, W, 3]`, output `[N, widths[3]]`.
 * Tokens are the row-major positions h·W + w of the layer3 map (NHWC reshape gives exactly that order).
 */
export class SFormer extends Module {
  readonly posEmbedding: tf.Variable;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm;
  readonly maxPool = new MaxPool2d(3, { stride: 2, padding: 1 });
  readonly layers: Sequential[];
  readonly spatialTransformer: TransformerEncoder;
  readonly side: number;

  constructor(arch: FormerDferArchitecture, rng: Rng) {
    super();
    const [w1, w2, w3, w4] = arch.widths;
    if (arch.input.height !== arch.input.width) {
      throw new Error(`SFormer: square frames required, got ${arch.input.height}×${arch.input.width}`);
    }
    this.side = spatialSide(arch.input.height);
    // Parameter registered first: PyTorch lists a module's own parameters before its children.
    this.posEmbedding = this.registerParameter(
      'pos_embedding',
      tf.tensor3d(normalValues(this.side * this.side * w3, 1, rng), [1, this.side * this.side, w3]),
    );
    this.conv1 = this.registerModule(
      'conv1',
      new Conv2d(arch.input.channels, w1, 7, {
        stride: 2,
        padding: 3,
        bias: false,
        init: 'kaiming-normal-fan-out',
        rng,
      }),
    );
    this.bn1 = this.registerModule('bn1', new BatchNorm(w1));
    this.registerModule('relu', new ReLU());
    this.registerModule('maxpool', this.maxPool);
    const [b1, b2, b3, b4] = arch.blocks;
    this.layers = [
      this.registerModule('layer1', makeLayer(w1, w1, b1, 1, rng)),
      this.registerModule('layer2', makeLayer(w1, w2, b2, 2, rng)),
      this.registerModule('layer3', makeLayer(w2, w3, b3, 2, rng)),
      this.registerModule('layer4', makeLayer(w3, w4, b4, 2, rng)),
    ];
    this.spatialTransformer = this.registerModule(
      'spatial_transformer',
      new TransformerEncoder(w3, arch.spatial.depth, { ...arch.spatial, gelu: 'tanh', rng }),
    );
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [l1, l2, l3, l4] = this.layers as [Sequential, Sequential, Sequential, Sequential];
      let y = this.maxPool.forward(tf.relu(this.bn1.forward(this.conv1.forward(x))));
      y = l3.forward(l2.forward(l1.forward(y)));
      const [n, h, w, c] = y.shape as [number, number, number, number];
      const tokens = tf.add(tf.reshape(y, [n, h * w, c]), this.posEmbedding);
      y = tf.reshape(this.spatialTransformer.forward(tokens), [n, h, w, c]);
      y = l4.forward(y);
      return tf.mean(y, [1, 2]);
    });
  }

  override toOnnx(graph: OnnxGraph, input: string): string {
    const [l1, l2, l3, l4] = this.layers as [Sequential, Sequential, Sequential, Sequential];
    let y = this.maxPool.toOnnx(
      graph,
      graph.addNode('Relu', [this.bn1.toOnnx(graph, this.conv1.toOnnx(graph, input))]),
    );
    y = l3.toOnnx(graph, l2.toOnnx(graph, l1.toOnnx(graph, y)));
    const c = this.posEmbedding.shape[2] as number;
    const tokens = graph.addNode('Add', [
      addReshape(graph, y, [0, this.side * this.side, c]),
      addTensorInitializer(graph, 's_former_pos_embedding', this.posEmbedding),
    ]);
    y = addReshape(graph, this.spatialTransformer.toOnnx(graph, tokens), [0, this.side, this.side, c]);
    return graph.addNode('ReduceMean', [l4.toOnnx(graph, y)], {
      axes: onnxAttr.ints([1, 2]),
      keepdims: onnxAttr.int(0),
    });
  }
}

/**
 * T-Former: prepend `cls_token`, add `pos_embedding` `[1, T + 1, C]`, pre-norm transformer, take token 0
 * (reference/former-dfer.md, "T-Former"). Input `[B, T, C]`, output `[B, C]`.
 * Its transformer is named `spatial_transformer` in the authors' code too.
 */
export class TFormer extends Module {
  readonly clsToken: tf.Variable;
  readonly posEmbedding: tf.Variable;
  readonly spatialTransformer: TransformerEncoder;

  constructor(
    readonly dim: number,
    readonly frames: number,
    config: FormerDferArchitecture['temporal'],
    rng: Rng,
  ) {
    super();
    this.clsToken = this.registerParameter('cls_token', tf.tensor3d(normalValues(dim, 1, rng), [1, 1, dim]));
    this.posEmbedding = this.registerParameter(
      'pos_embedding',
      tf.tensor3d(normalValues((frames + 1) * dim, 1, rng), [1, frames + 1, dim]),
    );
    this.spatialTransformer = this.registerModule(
      'spatial_transformer',
      new TransformerEncoder(dim, config.depth, { ...config, gelu: 'tanh', rng }),
    );
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const b = x.shape[0] as number;
      const cls = tf.tile(this.clsToken, [b, 1, 1]);
      const tokens = tf.add(tf.concat([cls, x], 1), this.posEmbedding);
      const y = this.spatialTransformer.forward(tokens);
      return tf.reshape(tf.slice(y, [0, 0, 0], [b, 1, this.dim]), [b, this.dim]);
    });
  }

  /** The class token is broadcast to the dynamic batch with `Expand` to [B, 1, C] (B read by `Shape`). */
  override toOnnx(graph: OnnxGraph, input: string): string {
    const batch = graph.addNode('Shape', [input], { start: onnxAttr.int(0), end: onnxAttr.int(1) });
    const clsShape = graph.addNode('Concat', [batch, graph.addInt64Constant('cls_dims', [1, this.dim])], {
      axis: onnxAttr.int(0),
    });
    const cls = graph.addNode('Expand', [
      addTensorInitializer(graph, 't_former_cls_token', this.clsToken),
      clsShape,
    ]);
    const tokens = graph.addNode('Add', [
      graph.addNode('Concat', [cls, input], { axis: onnxAttr.int(1) }),
      addTensorInitializer(graph, 't_former_pos_embedding', this.posEmbedding),
    ]);
    const y = this.spatialTransformer.toOnnx(graph, tokens);
    return graph.addNode('Gather', [y, graph.addInitializer(graph.uniqueName('token0'), [0], [], 'int64')], {
      axis: onnxAttr.int(1),
    });
  }
}

// ---------------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------------

/** Build-time options of {@link FormerDfer}. */
export interface FormerDferConfig {
  architecture: FormerDferArchitecture;
  numClasses: number;
  /** AU head width (`AU_fc`, as in AU-DFER); 0 for none. */
  numAus: number;
  seed: number;
  /** Skip random initialisation (weights are loaded next); default `'random'`. */
  initialization?: ModelInitialization;
}

/**
 * Former-DFER: S-Former per frame → T-Former over frames → `fc` (and `AU_fc` with an AU head).
 * forwardFeatures: `[B, T, H, W, 3]` → `[B, widths[3]]`; forwardHead: → logits `[B, numClasses]`.
 * State-dict names: `s_former.*`, `t_former.*`, `fc.*`, `AU_fc.*` (reference/former-dfer.md).
 */
export class FormerDfer extends VideoModel {
  readonly sFormer: SFormer;
  readonly tFormer: TFormer;
  readonly fc: Linear;
  readonly auFc: Linear | undefined;
  readonly featureDim: number;
  readonly numClasses: number;
  readonly numAus: number;
  readonly inputSpec: InputSpec;

  constructor(config: FormerDferConfig) {
    super();
    const arch = config.architecture;
    const rng = createModelRng({ seed: config.seed, initialization: config.initialization ?? 'random' });
    this.inputSpec = arch.input;
    this.featureDim = arch.widths[3];
    this.numClasses = config.numClasses;
    this.numAus = config.numAus;
    this.sFormer = this.registerModule('s_former', new SFormer(arch, rng));
    this.tFormer = this.registerModule(
      't_former',
      new TFormer(this.featureDim, arch.input.frames, arch.temporal, rng),
    );
    this.fc = this.registerModule('fc', new Linear(this.featureDim, config.numClasses, { rng }));
    this.auFc =
      config.numAus > 0
        ? this.registerModule('AU_fc', new Linear(this.featureDim, config.numAus, { rng }))
        : undefined;
  }

  /** Checkpointed blocks: every ResNet BasicBlock and every transformer layer (spatial and temporal). */
  protected override checkpointBlocks(): readonly CheckpointBlock[] {
    return this.namedModules()
      .map(([, m]) => m)
      .filter((m) => m instanceof BasicBlock || m instanceof TransformerEncoderLayer)
      .map((m) => ({ module: m as BasicBlock | TransformerEncoderLayer }));
  }

  forwardFeatures(x: tf.Tensor): tf.Tensor {
    this.checkInput(x, 'former_dfer.forwardFeatures');
    return tf.tidy(() => {
      const [b, t, h, w, c] = x.shape as [number, number, number, number, number];
      const perFrame = this.sFormer.forward(tf.reshape(x, [b * t, h, w, c]));
      return this.tFormer.forward(tf.reshape(perFrame, [b, t, this.featureDim]));
    });
  }

  forwardHead(features: tf.Tensor): VideoModelHeadOutput {
    return this.linearHeads('former_dfer', features, this.fc, this.auFc);
  }

  /**
   * ONNX graph of the eval-mode network on `[B, T, H, W, 3]` input (dynamic B), outputs `logits`,
   * `features` and (with an AU head) `auLogits`.
   */
  override toOnnx(graph: OnnxGraph, input: string): Record<string, string> {
    const { frames, height, width, channels } = this.inputSpec;
    const perFrame = this.sFormer.toOnnx(graph, addReshape(graph, input, [-1, height, width, channels]));
    const features = this.tFormer.toOnnx(graph, addReshape(graph, perFrame, [-1, frames, this.featureDim]));
    const out: Record<string, string> = { logits: this.fc.toOnnx(graph, features), features };
    if (this.auFc !== undefined) out.auLogits = this.auFc.toOnnx(graph, features);
    return out;
  }
}

// ---------------------------------------------------------------------------------------------------
// Default configs
// ---------------------------------------------------------------------------------------------------

/** The official network (reference/former-dfer.md): 16 frames of 112×112, no normalisation. */
export const FORMER_DFER_PAPER: FormerDferArchitecture = {
  widths: [64, 128, 256, 512],
  blocks: [2, 2, 2, 2],
  spatial: { depth: 1, heads: 8, dimHead: 32, mlpDim: 512 },
  temporal: { depth: 3, heads: 8, dimHead: 64, mlpDim: 1024 },
  input: { frames: 16, height: 112, width: 112, channels: 3, mean: [0, 0, 0], std: [1, 1, 1] },
};

/** Same family at CPU-test size: widths ÷ 8, one block per stage, 16 frames of 32×32. */
export const FORMER_DFER_TINY: FormerDferArchitecture = {
  widths: [8, 16, 32, 64],
  blocks: [1, 1, 1, 1],
  spatial: { depth: 1, heads: 2, dimHead: 16, mlpDim: 64 },
  temporal: { depth: 2, heads: 2, dimHead: 32, mlpDim: 128 },
  input: { frames: 16, height: 32, width: 32, channels: 3, mean: [0, 0, 0], std: [1, 1, 1] },
};

const FORMER_DFER_ARCHITECTURES: Record<string, FormerDferArchitecture> = {
  paper: FORMER_DFER_PAPER,
  tiny: FORMER_DFER_TINY,
};

const FORMER_DFER_PRESETS: Record<string, ModelPreset> = {
  paper: {
    input: FORMER_DFER_PAPER.input,
    numParameters: 18_031_943,
    description: 'official Former-DFER (ResNet-18 S-Former + 3-layer T-Former), 16 × 112 × 112',
  },
  tiny: {
    input: FORMER_DFER_TINY.input,
    numParameters: 155_055,
    description: 'Former-DFER family at CPU-test size (widths 8–64, one block per stage), 16 × 32 × 32',
  },
};

// ---------------------------------------------------------------------------------------------------
// Registered factories
// ---------------------------------------------------------------------------------------------------

registerModel({
  name: 'former_dfer',
  description:
    'Former-DFER: ResNet-18 S-Former with a spatial transformer, temporal transformer T-Former, fc head',
  source: {
    paper: 'Zhao & Liu, Former-DFER: Dynamic Facial Expression Recognition Transformer, ACM MM 2021',
    code: 'https://github.com/zengqunzhao/Former-DFER',
    reference: 'reference/former-dfer.md',
  },
  presets: FORMER_DFER_PRESETS,
  defaultNumClasses: 7,
  training: {
    // 8 segments × 2 consecutive frames for 16 frames (the official training recipe).
    frameSampling: { framesPerSegment: 2 },
    // Biases; BatchNorms (bn1, bn2 and the numbered downsample.1); transformer LayerNorms (…fn.norm);
    // the S-Former and T-Former positional embeddings and the T-Former class token.
    noWeightDecay: /(?:^|\.)(?:bias|pos_embedding|cls_token)$|\.(?:bn\d+|norm|downsample\.1)\.weight$/,
  },
  create: (options: ModelBuildOptions) => {
    const architecture = FORMER_DFER_ARCHITECTURES[options.preset];
    if (architecture === undefined)
      throw new Error(`former_dfer: no architecture for preset '${options.preset}'`);
    return new FormerDfer({ architecture, ...options });
  },
});

/** Builds Former-DFER directly (same as `createModel('former_dfer', …)`). */
export function createFormerDfer(options: Partial<ModelBuildOptions> = {}): FormerDfer {
  const preset = options.preset ?? 'paper';
  const architecture = FORMER_DFER_ARCHITECTURES[preset];
  if (architecture === undefined) {
    throw new Error(
      `createFormerDfer: unknown preset '${preset}'; presets: ${Object.keys(FORMER_DFER_ARCHITECTURES).join(', ')}`,
    );
  }
  return new FormerDfer({
    architecture,
    numClasses: options.numClasses ?? 7,
    numAus: options.numAus ?? 0,
    seed: options.seed ?? 0,
    initialization: options.initialization ?? 'random',
  });
}
