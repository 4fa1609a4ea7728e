/**
 * M3DFEL — Wang et al., "Rethinking the Learning Paradigm for Dynamic Facial Expression Recognition",
 * CVPR 2023. Origin: Tencent/TFace `attribute/M3DFEL` (models/M3DFEL.py, utils.py), commit 171ec14; every
 * fact is cited from `reference/m3dfel.md` of the shared docs.
 *
 * A clip of 16 frames is split into 4 instances of 4 contiguous frames; each runs through R3D-18 (without
 * fc); the 4 instance features go through a 2-layer BiLSTM, multi-head self-attention without output
 * projection, DMIN and a sigmoid gate, then a Conv1d pools the instances and a Linear classifies.
 * Deliberate difference from the official forward: no bare `.squeeze()`, so a batch of one keeps its
 * batch axis (`[1, 7]`, not `[7]`; reference §9).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OnnxGraph } from '@dfer/runtime';

import { Conv1d } from '../nn/conv1d';
import { Linear } from '../nn/linear';
import { LSTM } from '../nn/lstm';
import { addReshape, addTranspose } from '../nn/onnx';
import {
  createModelRng,
  type ModelBuildOptions,
  type ModelPreset,
  registerModel,
  type ModelInitialization,
} from '../registry';
import { type CheckpointBlock, type InputSpec, VideoModel, type VideoModelHeadOutput } from '../video-model';
import { DMIN } from './m3dfel/dmin';
import { instanceSelfAttention, instanceSelfAttentionToOnnx } from './m3dfel/instance-attention';
import { R3dBasicBlock, R3dFeatures, type R3dWidths } from './m3dfel/r3d';

export { DMIN } from './m3dfel/dmin';
export { instanceSelfAttention, instanceSelfAttentionToOnnx } from './m3dfel/instance-attention';
export { R3dBasicBlock, R3dFeatures, type R3dWidths } from './m3dfel/r3d';

// ------------------------------------------------------------------------------------------------ model

/** Architecture of an M3DFEL preset (widths, depths, input). */
export interface M3dfelArchitecture {
  /** Frames per instance (paper: 4). */
  instanceLength: number;
  /** Instances per clip, the bag size (paper: 4); also the input channels of `pwconv`. */
  bagSize: number;
  /** R3D stem and stage widths (paper: 64, 128, 256, 512). */
  widths: R3dWidths;
  /** BiLSTM hidden size per direction (paper: 512); clip features are 2·lstmHidden wide. */
  lstmHidden: number;
  /** Attention heads (paper: 8, head size 128). */
  heads: number;
  /** Input the preset is trained on: frames = bagSize · instanceLength. */
  input: InputSpec;
}

/** Build-time options of {@link M3dfel}. */
export interface M3dfelConfig extends M3dfelArchitecture {
  /** Expression classes of `fc` (paper: 7, DFEW). */
  numClasses: number;
  /** Size of the optional AU head `AU_fc` = Linear(2·lstmHidden → n) on the clip features (AU-DFER); 0 for none. */
  numAus: number;
  /** Seed of the initial weights. */
  seed: number;
  /** `'random'` (default, seeded PyTorch-style) or `'zeros'` (weights are loaded next). */
  initialization?: ModelInitialization;
}

/**
 * The M3DFEL network (reference/m3dfel.md §2–§5). Input `[B, T, H, W, 3]` with T = bagSize·instanceLength
 * and values in [0, 1] (the official pipeline applies no mean/std normalisation). H and W may differ from
 * the preset's (R3D ends in an adaptive average pool); the preset's size is what the paper trains on.
 *
 * 1. Instance split: frames k·L … k·L + L − 1 form instance k; rows are instance-minor (row = b·bag + k).
 * 2. `features`: R3D-18 without fc → `[B·bag, w₃]` → `[B, bag, w₃]`.
 * 3. `lstm`: 2-layer BiLSTM → `ori` `[B, bag, 2H]`.
 * 4. `to_qkv` attention without output projection ({@link instanceSelfAttention}) → y.
 * 5. `norm` ({@link DMIN}) as a sigmoid gate: x = ori ⊙ σ(DMIN(y)) (a gate, not a residual).
 * 6. `pwconv` = Conv1d(bag → 1, k 3, p 1) with the instances as channels, sliding along the 2H features
 *    → clip features `[B, 2H]`; `fc` → logits; `AU_fc` → AU logits.
 *
 * State-dict names and shapes equal the official `M3DFEL` module's (145 entries, 46,823,384 parameters in
 * `paper`), plus `AU_fc.weight/bias` when the AU head is on.
 */
export class M3dfel extends VideoModel {
  readonly config: Readonly<M3dfelConfig>;
  readonly featureDim: number;
  readonly numClasses: number;
  readonly numAus: number;
  readonly inputSpec: InputSpec;
  readonly features: R3dFeatures;
  readonly lstm: LSTM;
  readonly toQkv: Linear;
  readonly norm: DMIN;
  readonly pwconv: Conv1d;
  readonly fc: Linear;
  readonly auFc: Linear | undefined;

  constructor(config: M3dfelConfig) {
    super();
    validateM3dfelConfig(config);
    this.config = { ...config };
    this.featureDim = 2 * config.lstmHidden;
    this.numClasses = config.numClasses;
    this.numAus = config.numAus;
    this.inputSpec = config.input;
    const rng = createModelRng({ seed: config.seed, initialization: config.initialization ?? 'random' });
    const dim = this.featureDim;
    this.features = this.registerModule('features', new R3dFeatures(config.widths, rng));
    this.lstm = this.registerModule(
      'lstm',
      new LSTM(config.widths[3], config.lstmHidden, { numLayers: 2, bidirectional: true, rng }),
    );
    this.toQkv = this.registerModule('to_qkv', new Linear(dim, 3 * dim, { bias: false, rng }));
    this.norm = this.registerModule('norm', new DMIN(dim));
    this.pwconv = this.registerModule('pwconv', new Conv1d(config.bagSize, 1, 3, { padding: 1, rng }));
    this.fc = this.registerModule('fc', new Linear(dim, config.numClasses, { rng }));
    this.auFc =
      config.numAus > 0 ? this.registerModule('AU_fc', new Linear(dim, config.numAus, { rng })) : undefined;
  }

  /**
   * Splits `[B, T, H, W, C]` into instances `[B·bag, instanceLength, H, W, C]`: instance k of clip b is
   * frames k·L … k·L + L − 1 and lands on row b·bag + k (reference §2,
   * `rearrange('b (t1 t2) c h w -> (b t1) c t2 h w')`).
   */
  splitInstances(x: tf.Tensor): tf.Tensor {
    const { bagSize, instanceLength } = this.config;
    if (x.rank !== 5 || x.shape[1] !== bagSize * instanceLength || x.shape[4] !== 3) {
      throw new Error(
        `m3dfel: expected input [B, ${bagSize * instanceLength} frames, H, W, 3] (B, T, H, W, C), got [${x.shape.join(', ')}]`,
      );
    }
    const [b, , h, w, c] = x.shape as [number, number, number, number, number];
    return tf.reshape(x, [b * bagSize, instanceLength, h, w, c]);
  }

  /** Clip features `[B, 2·lstmHidden]`: steps 1–6 up to and including `pwconv`. */
  /** Checkpointed blocks: the eight R3D BasicBlocks. */
  protected override checkpointBlocks(): readonly CheckpointBlock[] {
    return this.namedModules()
      .map(([, m]) => m)
      .filter((m): m is R3dBasicBlock => m instanceof R3dBasicBlock)
      .map((module) => ({ module }));
  }

  forwardFeatures(x: tf.Tensor): tf.Tensor {
    const b = x.shape[0] as number;
    const { bagSize } = this.config;
    return tf.tidy(() => {
      const instances = this.features.forward(this.splitInstances(x)); // [B·bag, w3]
      const bag = tf.reshape(instances, [b, bagSize, this.config.widths[3]]);
      const ori = this.lstm.forward(bag);
      const attended = instanceSelfAttention(ori, this.toQkv.weight, this.config.heads);
      const gated = tf.mul(ori, tf.sigmoid(this.norm.forward(attended)));
      // Conv1d with the instances as channels: NLC input [B, 2H, bag].
      const pooled = this.pwconv.forward(tf.transpose(gated, [0, 2, 1]));
      return tf.reshape(pooled, [b, this.featureDim]);
    });
  }

  /** `fc` logits and, when present, `AU_fc` AU logits from clip features `[B, 2·lstmHidden]`. */
  forwardHead(features: tf.Tensor): VideoModelHeadOutput {
    return this.linearHeads('m3dfel', features, this.fc, this.auFc);
  }

  /**
   * The same network in ONNX (opset 17) for input `[B, T, H, W, 3]` (dynamic batch): Reshape to instances,
   * R3D (Conv/BN folded to Mul+Add/Relu/ReduceMean), LSTM nodes, attention, DMIN, Sigmoid gate, Conv1d,
   * MatMul heads. Outputs `logits`, `features` and, with the AU head, `auLogits`.
   */
  override toOnnx(graph: OnnxGraph, input: string): Record<string, string> {
    const { bagSize, instanceLength, widths, heads } = this.config;
    const instances = addReshape(graph, input, [-1, instanceLength, 0, 0, 0]); // 0 keeps H, W, C
    const bag = addReshape(graph, this.features.toOnnx(graph, instances), [-1, bagSize, widths[3]]);
    const ori = this.lstm.toOnnx(graph, bag);
    const attended = instanceSelfAttentionToOnnx(graph, ori, this.toQkv.weight, heads);
    const gated = graph.addNode('Mul', [ori, graph.addNode('Sigmoid', [this.norm.toOnnx(graph, attended)])]);
    const pooled = this.pwconv.toOnnx(graph, addTranspose(graph, gated, [0, 2, 1]));
    const features = addReshape(graph, pooled, [-1, this.featureDim]);
    const out: Record<string, string> = { logits: this.fc.toOnnx(graph, features), features };
    if (this.auFc !== undefined) out.auLogits = this.auFc.toOnnx(graph, features);
    return out;
  }
}

function validateM3dfelConfig(config: M3dfelConfig): void {
  const positive: Array<[string, number]> = [
    ['numClasses', config.numClasses],
    ['instanceLength', config.instanceLength],
    ['bagSize', config.bagSize],
    ['lstmHidden', config.lstmHidden],
    ['heads', config.heads],
    ...config.widths.map((w, i): [string, number] => [`widths[${i}]`, w]),
  ];
  for (const [name, v] of positive) {
    if (!Number.isInteger(v) || v < 1)
      throw new Error(`m3dfel: config.${name} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(config.numAus) || config.numAus < 0) {
    throw new Error(`m3dfel: config.numAus must be a non-negative integer, got ${config.numAus}`);
  }
  if (config.bagSize < 2) {
    throw new Error(`m3dfel: config.bagSize must be ≥ 2 (DMIN's unbiased variance), got ${config.bagSize}`);
  }
  if ((2 * config.lstmHidden) % config.heads !== 0) {
    throw new Error(
      `m3dfel: 2·lstmHidden = ${2 * config.lstmHidden} must be divisible by heads = ${config.heads}`,
    );
  }
  if (config.input.frames !== config.bagSize * config.instanceLength || config.input.channels !== 3) {
    throw new Error(
      `m3dfel: config.input must have frames = bagSize·instanceLength = ${config.bagSize * config.instanceLength} and 3 channels, got ${config.input.frames} frames, ${config.input.channels} channels`,
    );
  }
}

// ------------------------------------------------------------------------------------------------ default configs

/**
 * The official network (reference/m3dfel.md §3–§6): 16 frames of 112×112 in [0, 1], no mean/std
 * normalisation (§2); 46,823,384 parameters with 7 classes.
 */
export const M3DFEL_PAPER: Readonly<M3dfelArchitecture> = Object.freeze({
  instanceLength: 4,
  bagSize: 4,
  widths: [64, 128, 256, 512] as const,
  lstmHidden: 512,
  heads: 8,
  input: { frames: 16, height: 112, width: 112, channels: 3, mean: [0, 0, 0], std: [1, 1, 1] },
});

/** Same architecture family at CPU-test size: widths 8–32, BiLSTM hidden 32, 4 heads; 16 frames of 16×16 (the smallest size at which every R3D stage still has a spatial extent above 1×1 before layer4; 3-D convolutions are slow on tfjs-cpu). */
export const M3DFEL_TINY: Readonly<M3dfelArchitecture> = Object.freeze({
  instanceLength: 4,
  bagSize: 4,
  widths: [8, 16, 24, 32] as const,
  lstmHidden: 32,
  heads: 4,
  input: { frames: 16, height: 16, width: 16, channels: 3, mean: [0, 0, 0], std: [1, 1, 1] },
});

const M3DFEL_ARCHITECTURES: Readonly<Record<string, Readonly<M3dfelArchitecture>>> = {
  paper: M3DFEL_PAPER,
  tiny: M3DFEL_TINY,
};

const M3DFEL_PRESETS: Record<string, ModelPreset> = {
  paper: {
    input: M3DFEL_PAPER.input,
    numParameters: 46_823_384,
    description:
      'official M3DFEL (4 instances × 4 frames, R3D-18, BiLSTM 512, DMIN gate, Conv1d pooling), 16 × 112 × 112',
  },
  tiny: {
    input: M3DFEL_TINY.input,
    numParameters: 252_288,
    description: 'M3DFEL family at CPU-test size (R3D widths 8–32, BiLSTM 32, 4 heads), 16 × 16 × 16',
  },
};

// ------------------------------------------------------------------------------------------------ registered factories

/** Builds an M3DFEL preset (`'paper'` or `'tiny'`) with the registry's build options. */
export function createM3dfel(options: ModelBuildOptions): M3dfel {
  const arch = M3DFEL_ARCHITECTURES[options.preset];
  if (arch === undefined) {
    throw new Error(
      `createM3dfel: unknown preset '${options.preset}'; presets: ${Object.keys(M3DFEL_ARCHITECTURES).join(', ')}`,
    );
  }
  return new M3dfel({
    ...arch,
    numClasses: options.numClasses,
    numAus: options.numAus,
    seed: options.seed,
    initialization: options.initialization,
  });
}

registerModel({
  name: 'm3dfel',
  description:
    'M3DFEL: multi-instance R3D-18 + BiLSTM, self-attention with a DMIN sigmoid gate, Conv1d instance pooling',
  source: {
    paper:
      'Wang et al., Rethinking the Learning Paradigm for Dynamic Facial Expression Recognition, CVPR 2023',
    code: 'https://github.com/Tencent/TFace/tree/master/attribute/M3DFEL',
    reference: 'reference/m3dfel.md',
  },
  presets: M3DFEL_PRESETS,
  defaultNumClasses: 7,
  training: {
    // Biases (LSTM bias_ih/bias_hh included); the R3D BatchNorms, numbered inside their Sequentials
    // (stem features.0.1, conv1.1, conv2.1, downsample.1); DMIN's scale, shift and mixing weights (norm.*).
    // The official code decays every parameter (reference/m3dfel.md): turn the trainer's bias/norm exclusion
    // off to match it.
    noWeightDecay:
      /(?:^|\.)bias(?:_[ih]h_l\d+(?:_reverse)?)?$|^features\.0\.1\.weight$|\.(?:conv[12]|downsample)\.1\.weight$|^norm\.(?:weight|mean_weight|var_weight)$/,
  },
  create: (options: ModelBuildOptions) => createM3dfel(options),
});
