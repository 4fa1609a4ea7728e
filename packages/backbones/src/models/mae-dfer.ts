/**
 * MAE-DFER's LGI-Former (fine-tuning network for dynamic facial expression recognition).
 *
 * Paper: Sun, Lian, Liu, Tao, "MAE-DFER: Efficient Masked Autoencoder for Self-supervised Dynamic Facial
 * Expression Recognition", ACM MM 2023 (arXiv 2307.02227). Origin: sunlicai/MAE-DFER
 * `modeling_finetune.py` @ 80b651d, model `vit_base_dim512_no_depth_patch16_160` with depth 16,
 * `attn_type local_global`, `lg_region_size 2 5 10`, `lg_classify_token_type region`; every fact used here
 * is recorded in reference/mae-dfer.md. State-dict names and shapes equal the official ones
 * (reference/mae-dfer.state-dict.json: 519 tensors, 84,878,343 parameters).
 *
 * Pipeline for a clip `[B, T, H, W, 3]`: tubelet embedding (2×16×16) → + fixed sinusoidal positions →
 * split the token grid into n regions and prepend one learned region token to each → 16 LGI blocks
 * (intra-region self-attention, inter-region attention of the region tokens, local-to-region
 * cross-attention, shared MLP) → mean of the n region tokens → LayerNorm (`fc_norm`) → Linear head.
 */
import * as tf from '@tensorflow/tfjs-core';
import { onnxAttr, type OnnxGraph } from '@dfer/runtime';

import { LayerNorm } from '../nn/layer-norm';
import { LgiBlock } from '../nn/lgi-attention';
import { Linear } from '../nn/linear';
import { ModuleList } from '../nn/module';
import { addReshape, addTensorInitializer, addTranspose } from '../nn/onnx';
import { createRng, normalValues, type Rng } from '../nn/rng';
import { sinusoidPositionTable } from '../nn/sinusoidal-position';
import { TubeletEmbedding } from '../nn/tubelet-embedding';
import {
  assertModelInitialization,
  createModelRng,
  type ModelBuildOptions,
  type ModelInitialization,
  type ModelPreset,
  registerModel,
} from '../registry';
import { type CheckpointBlock, type InputSpec, VideoModel, type VideoModelHeadOutput } from '../video-model';

export { DropPath, type DropPathConfig } from '../nn/drop-path';
export {
  GeneralAttention,
  LgiBlock,
  LgiMlp,
  type GeneralAttentionConfig,
  type LgiBlockConfig,
  type LgiMlpConfig,
} from '../nn/lgi-attention';
export { sinusoidPositionTable } from '../nn/sinusoidal-position';
export { TubeletEmbedding, type TubeletEmbeddingConfig } from '../nn/tubelet-embedding';

/** Architecture of an LGI-Former ({@link MaeDfer}); every field has the `paper` value as default. */
export interface MaeDferConfig {
  /** Expression classes (default 7, DFEW). */
  numClasses?: number;
  /** Width of the AU head (a second output Linear(dim → numAus), as AU-DFER adds it); 0 or omitted: none. */
  numAus?: number;
  /** Frames per clip T (default 16). */
  numFrames?: number;
  /** Frame height and width `[H, W]` (default `[160, 160]`). */
  inputSize?: readonly [number, number];
  /** Token width (default 512). */
  dim?: number;
  /** Number of LGI blocks (default 16). */
  depth?: number;
  /** Attention heads (default 8). */
  heads?: number;
  /** MLP hidden width = dim · mlpRatio (default 4). */
  mlpRatio?: number;
  /** Frames per tubelet (default 2). */
  tubeletSize?: number;
  /** Patch height/width in pixels (default 16). */
  patchSize?: number;
  /** Region size in tokens `[t, h, w]` (default `[2, 5, 10]`); each must divide the token grid. */
  regionSize?: readonly [number, number, number];
  /** Stochastic depth: block i of `depth` drops with rate dropPathRate · i / (depth − 1) (default 0.1). */
  dropPathRate?: number;
  /** LayerNorm ε everywhere (default 1e-6). */
  eps?: number;
  /** Seed of the parameter initialisation and drop-path masks (default 0). */
  seed?: number;
  /**
   * `'random'` (default): the official seeded initialisation (Linear N(0, 0.02²), head × 0.001 — made for
   * fine-tuning from the pre-trained checkpoint); `'layer_defaults'`: every Linear keeps PyTorch's default
   * U(±1/√fanIn) weight and bias and the head is not scaled — for training from scratch, which the official
   * initialisation stalls (measured: trainer README); `'zeros'`: every weight starts at 0 (LayerNorm scales
   * at 1), skipping the random draws — for weights loaded right after construction.
   */
  initialization?: ModelInitialization;
}

/** A fully resolved {@link MaeDferConfig}. */
export type ResolvedMaeDferConfig = Required<MaeDferConfig>;

/** ImageNet normalisation of the official pipeline (reference/mae-dfer.md §9). */
const MAE_DFER_MEAN = Object.freeze([0.485, 0.456, 0.406]);
const MAE_DFER_STD = Object.freeze([0.229, 0.224, 0.225]);

/** Default architecture: the official DFEW fine-tuning network (reference/mae-dfer.md §1). */
export const MAE_DFER_PAPER_CONFIG: ResolvedMaeDferConfig = Object.freeze({
  numClasses: 7,
  numAus: 0,
  numFrames: 16,
  inputSize: [160, 160] as const,
  dim: 512,
  depth: 16,
  heads: 8,
  mlpRatio: 4,
  tubeletSize: 2,
  patchSize: 16,
  regionSize: [2, 5, 10] as const,
  dropPathRate: 0.1,
  eps: 1e-6,
  seed: 0,
  initialization: 'random',
});

function positiveInteger(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`MaeDfer: config.${field} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** Fills defaults and validates every field (the caller's object is not modified). */
export function resolveMaeDferConfig(config: MaeDferConfig = {}): ResolvedMaeDferConfig {
  const c = { ...MAE_DFER_PAPER_CONFIG, ...config };
  for (const field of [
    'numClasses',
    'numFrames',
    'dim',
    'depth',
    'heads',
    'tubeletSize',
    'patchSize',
  ] as const) {
    positiveInteger(c[field], field);
  }
  if (!Number.isInteger(c.numAus) || c.numAus < 0) {
    throw new Error(`MaeDfer: config.numAus must be a non-negative integer, got ${String(c.numAus)}`);
  }
  if (c.inputSize.length !== 2)
    throw new Error(`MaeDfer: config.inputSize must be [H, W], got ${JSON.stringify(c.inputSize)}`);
  if (c.regionSize.length !== 3) {
    throw new Error(
      `MaeDfer: config.regionSize must be [t, h, w] in tokens, got ${JSON.stringify(c.regionSize)}`,
    );
  }
  c.inputSize.forEach((v, i) => positiveInteger(v, `inputSize[${i}]`));
  c.regionSize.forEach((v, i) => positiveInteger(v, `regionSize[${i}]`));
  if (c.dim % c.heads !== 0)
    throw new Error(`MaeDfer: config.dim (${c.dim}) must be divisible by config.heads (${c.heads})`);
  if (!(c.mlpRatio > 0)) throw new Error(`MaeDfer: config.mlpRatio must be > 0, got ${c.mlpRatio}`);
  if (!(c.dropPathRate >= 0 && c.dropPathRate < 1)) {
    throw new Error(`MaeDfer: config.dropPathRate must be in [0, 1), got ${c.dropPathRate}`);
  }
  if (!(c.eps > 0)) throw new Error(`MaeDfer: config.eps must be > 0, got ${c.eps}`);
  if (!Number.isFinite(c.seed))
    throw new Error(`MaeDfer: config.seed must be a finite number, got ${c.seed}`);
  assertModelInitialization(c.initialization, 'MaeDfer: config.initialization');
  const grid = [c.numFrames / c.tubeletSize, c.inputSize[0] / c.patchSize, c.inputSize[1] / c.patchSize];
  const axes = ['numFrames / tubeletSize', 'inputSize[0] / patchSize', 'inputSize[1] / patchSize'];
  grid.forEach((g, i) => {
    const r = c.regionSize[i] as number;
    if (!Number.isInteger(g) || g % r !== 0) {
      throw new Error(
        `MaeDfer: the token grid ${axes[i]} = ${g} must be an integer divisible by regionSize[${i}] = ${r}`,
      );
    }
  });
  return c;
}

/**
 * The LGI-Former of MAE-DFER (see the file header and reference/mae-dfer.md). Input: a clip
 * `[B, T, H, W, 3]` (normalised with the preset's mean/std); the positional table is fixed for the
 * configured `numFrames` × `inputSize`, so other sizes are rejected.
 *
 * Token bookkeeping (§2–3): tokens are numbered (t, h, w) over the grid `[T', H', W']`; region
 * (ri, rj, rk) of size `[rt, rh, rw]` holds the tokens with t ∈ [ri·rt, (ri+1)·rt), h ∈ [rj·rh, …),
 * w ∈ [rk·rw, …) in (t, h, w) order, regions numbered (ri, rj, rk); `lg_region_tokens[r]` is prepended to
 * region r. Head (§5): features = fc_norm(mean_r regionToken_r), logits = head(features), auLogits =
 * au_head(features).
 *
 * Initialisation (§6): Linear weights N(0, 0.02²) with zero bias, LayerNorm 1/0, region tokens
 * N(0, 0.02²), the tubelet Conv3d as PyTorch's default, the head's weight and bias scaled by 0.001 after
 * initialisation (`init_scale`). The sinusoidal table is a constant, not a parameter (not in the state
 * dict, as in the official model).
 */
export class MaeDfer extends VideoModel {
  readonly config: ResolvedMaeDferConfig;
  readonly featureDim: number;
  readonly numClasses: number;
  readonly numAus: number;
  readonly inputSpec: InputSpec;
  /** Token grid `[T', H', W']`. */
  readonly tokenGrid: readonly [number, number, number];
  /** Regions per axis `[nt, nh, nw]`. */
  readonly regionGrid: readonly [number, number, number];
  /** Number of regions n = nt·nh·nw. */
  readonly numRegions: number;
  readonly lgRegionTokens: tf.Variable;
  readonly patchEmbed: TubeletEmbedding;
  readonly blocks: ModuleList<LgiBlock>;
  readonly fcNorm: LayerNorm;
  readonly head: Linear;
  readonly auHead: Linear | undefined;
  /** Fixed sinusoidal positions `[1, T'·H'·W', dim]`. */
  private readonly posEmbed: tf.Tensor3D;

  constructor(config: MaeDferConfig = {}) {
    super();
    const c = resolveMaeDferConfig(config);
    this.config = c;
    this.featureDim = c.dim;
    this.numClasses = c.numClasses;
    this.numAus = c.numAus;
    this.inputSpec = presetInput(c);
    const rng = createModelRng({ seed: c.seed, initialization: c.initialization });
    // With the official initialisation every Linear is re-initialised by initWeights, so the layers are
    // built without drawing their PyTorch-default weights (a zero-initialising generator; it still seeds the
    // drop-path masks). With 'layer_defaults' they keep those defaults and initWeights is skipped.
    const layerDefaults = c.initialization === 'layer_defaults';
    const linearRng = createRng(rng.seed(), { zeros: !layerDefaults });
    const grid: [number, number, number] = [
      c.numFrames / c.tubeletSize,
      c.inputSize[0] / c.patchSize,
      c.inputSize[1] / c.patchSize,
    ];
    this.tokenGrid = grid;
    this.regionGrid = [grid[0] / c.regionSize[0], grid[1] / c.regionSize[1], grid[2] / c.regionSize[2]];
    this.numRegions = this.regionGrid[0] * this.regionGrid[1] * this.regionGrid[2];
    this.lgRegionTokens = this.registerParameter(
      'lg_region_tokens',
      tf.tensor2d(normalValues(this.numRegions * c.dim, 0.02, rng), [this.numRegions, c.dim]),
    );
    this.patchEmbed = this.registerModule(
      'patch_embed',
      new TubeletEmbedding(c.dim, { tubeletSize: c.tubeletSize, patchSize: c.patchSize, rng }),
    );
    const blocks: LgiBlock[] = [];
    for (let i = 0; i < c.depth; i++) {
      const dropPath = c.depth > 1 ? (c.dropPathRate * i) / (c.depth - 1) : 0;
      blocks.push(
        new LgiBlock(c.dim, this.numRegions, {
          heads: c.heads,
          mlpRatio: c.mlpRatio,
          eps: c.eps,
          dropPath,
          rng: linearRng,
        }),
      );
    }
    this.blocks = this.registerModule('blocks', new ModuleList(blocks));
    this.fcNorm = this.registerModule('fc_norm', new LayerNorm(c.dim, { eps: c.eps }));
    this.head = this.registerModule('head', new Linear(c.dim, c.numClasses, { rng: linearRng }));
    this.auHead =
      c.numAus > 0
        ? this.registerModule('au_head', new Linear(c.dim, c.numAus, { rng: linearRng }))
        : undefined;
    if (!layerDefaults) this.initWeights(rng);
    const numTokens = grid[0] * grid[1] * grid[2];
    this.posEmbed = tf.tensor3d(sinusoidPositionTable(numTokens, c.dim), [1, numTokens, c.dim]);
  }

  /**
   * Parameters that cannot influence any output, so their gradient is exactly zero — a property of the
   * official network, not of this port: the head reads only the region tokens, and step S3 (local-to-region
   * cross-attention) of the **last** block updates only the local tokens, which nothing reads afterwards.
   * Hence `blocks.<depth−1>.third_attn_norm0.*`, `third_attn_norm1.*` and `third_attn.*` (10 tensors) get no
   * gradient; they exist because the pre-training decoder reads the local tokens, and they load from
   * checkpoints like every other tensor. Training loops and "every parameter gets a gradient" checks should
   * exempt exactly these names.
   */
  get parametersWithoutGradient(): readonly string[] {
    const last = `blocks.${this.config.depth - 1}`;
    return this.blocks
      .get(this.config.depth - 1)
      .namedParameters()
      .map(([name]) => `${last}.${name}`)
      .filter((name) => name.startsWith(`${last}.third_attn`));
  }

  /** Official `_init_weights`: Linear N(0, 0.02²) (timm trunc_normal with ±2 absolute cut-offs), bias 0; head × 0.001. */
  private initWeights(rng: Rng): void {
    if (rng.zeros) return;
    for (const [, m] of this.namedModules()) {
      if (!(m instanceof Linear)) continue;
      const scale = m === this.head ? 0.001 : 1;
      const values = normalValues(m.inFeatures * m.outFeatures, 0.02, rng);
      if (scale !== 1) for (let i = 0; i < values.length; i++) values[i] = (values[i] as number) * scale;
      tf.tidy(() => {
        m.weight.assign(tf.tensor2d(values, [m.inFeatures, m.outFeatures]));
        m.bias?.assign(tf.zeros([m.outFeatures]));
      });
    }
  }

  /** Checkpointed blocks: the LGI blocks. */
  protected override checkpointBlocks(): readonly CheckpointBlock[] {
    return [...this.blocks].map((module) => ({ module }));
  }

  /** Clip `[B, T, H, W, 3]` → pooled features `[B, dim]` (before the heads). */
  forwardFeatures(x: tf.Tensor): tf.Tensor2D {
    this.assertAlive();
    this.checkInput(x, 'mae_dfer.forwardFeatures');
    const c = this.config;
    return tf.tidy(() => {
      const b = x.shape[0] as number;
      const [nt, nh, nw] = this.regionGrid;
      const [rt, rh, rw] = c.regionSize;
      const n = this.numRegions;
      const s = rt * rh * rw;
      const d = c.dim;
      const tokens = tf.add(this.patchEmbed.forward(x), this.posEmbed);
      // 'b (nt t nh h nw w) c -> (b nt nh nw) (t h w) c', with (b nt) and (w c) kept merged (rank ≤ 6).
      const regions = tf.reshape(
        tf.transpose(tf.reshape(tokens, [b * nt, rt, nh, rh, nw, rw * d]), [0, 2, 4, 1, 3, 5]),
        [b * n, s, d],
      );
      const regionTokens = tf.reshape(tf.tile(tf.reshape(this.lgRegionTokens, [1, n, d]), [b, 1, 1]), [
        b * n,
        1,
        d,
      ]);
      let h: tf.Tensor = tf.concat([regionTokens, regions], 1);
      for (const block of this.blocks) h = block.forward(h);
      const pooled = tf.mean(tf.reshape(tf.slice(h, [0, 0, 0], [b * n, 1, d]), [b, n, d]), 1);
      return this.fcNorm.forward(pooled) as tf.Tensor2D;
    });
  }

  /** Features `[B, dim]` → `{ logits, auLogits? }`. */
  forwardHead(features: tf.Tensor): VideoModelHeadOutput {
    return this.linearHeads('mae_dfer', features, this.head, this.auHead);
  }

  /**
   * ONNX lowering of the inference forward for a clip input `[batch, T, H, W, 3]` (dynamic batch): the same
   * steps as {@link MaeDfer.forwardFeatures} (region tokens broadcast to the batch with `Expand`), then the
   * heads. Returns the value names `{ logits, features }` (+ `auLogits` with an AU head).
   */
  override toOnnx(graph: OnnxGraph, input: string): Record<string, string> {
    const c = this.config;
    const d = c.dim;
    const [, nh, nw] = this.regionGrid;
    const [rt, rh, rw] = c.regionSize;
    const n = this.numRegions;
    const tokens = graph.addNode('Add', [
      this.patchEmbed.toOnnx(graph, input),
      addTensorInitializer(graph, 'pos_embed', this.posEmbed),
    ]);
    const regions = addReshape(
      graph,
      addTranspose(graph, addReshape(graph, tokens, [-1, rt, nh, rh, nw, rw * d]), [0, 2, 4, 1, 3, 5]),
      [-1, rt * rh * rw, d],
    );
    const batch = graph.addNode('Slice', [
      graph.addNode('Shape', [input]),
      graph.addInt64Constant('starts', [0]),
      graph.addInt64Constant('ends', [1]),
    ]);
    const expandShape = graph.addNode('Concat', [batch, graph.addInt64Constant('shape', [n, d])], {
      axis: onnxAttr.int(0),
    });
    const regionTokens = addReshape(
      graph,
      graph.addNode('Expand', [
        addReshape(graph, addTensorInitializer(graph, 'lg_region_tokens', this.lgRegionTokens), [1, n, d]),
        expandShape,
      ]),
      [-1, 1, d],
    );
    let h = graph.addNode('Concat', [regionTokens, regions], { axis: onnxAttr.int(1) });
    for (const block of this.blocks) h = block.toOnnx(graph, h);
    const regionOut = addReshape(
      graph,
      graph.addNode('Slice', [
        h,
        graph.addInt64Constant('starts', [0]),
        graph.addInt64Constant('ends', [1]),
        graph.addInt64Constant('axes', [1]),
      ]),
      [-1, n, d],
    );
    const pooled = graph.addNode('ReduceMean', [regionOut], {
      axes: onnxAttr.ints([1]),
      keepdims: onnxAttr.int(0),
    });
    const features = this.fcNorm.toOnnx(graph, pooled);
    const out: Record<string, string> = { logits: this.head.toOnnx(graph, features), features };
    if (this.auHead !== undefined) out.auLogits = this.auHead.toOnnx(graph, features);
    return out;
  }

  /** Disposes the parameters and the positional table. Idempotent. */
  override dispose(): void {
    if (!this.isDisposed) this.posEmbed.dispose();
    super.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------
// Default configs
// ---------------------------------------------------------------------------------------------------

/**
 * The `tiny` preset: the same LGI-Former family at CPU-test size — dim 64, depth 2, 4 heads, tubelet
 * 2×16×16, 16 frames of 64×64 (token grid 8×4×4), regions of 2×2×4 tokens, so 8 regions laid out as in
 * the paper (4 temporal chunks × top/bottom half of the face); no stochastic depth at depth 2.
 */
export const MAE_DFER_TINY_CONFIG: ResolvedMaeDferConfig = Object.freeze({
  ...MAE_DFER_PAPER_CONFIG,
  inputSize: [64, 64] as const,
  dim: 64,
  depth: 2,
  heads: 4,
  regionSize: [2, 2, 4] as const,
  dropPathRate: 0,
});

const MAE_DFER_CONFIGS: Record<string, ResolvedMaeDferConfig> = {
  paper: MAE_DFER_PAPER_CONFIG,
  tiny: MAE_DFER_TINY_CONFIG,
};

function presetInput(c: ResolvedMaeDferConfig): InputSpec {
  return {
    frames: c.numFrames,
    height: c.inputSize[0],
    width: c.inputSize[1],
    channels: 3,
    mean: MAE_DFER_MEAN,
    std: MAE_DFER_STD,
  };
}

const MAE_DFER_PRESETS: Record<string, ModelPreset> = {
  paper: {
    input: presetInput(MAE_DFER_PAPER_CONFIG),
    numParameters: 84_878_343,
    description:
      'official MAE-DFER LGI-Former (dim 512, depth 16, 8 regions of 2×5×10 tokens), 16 × 160 × 160',
  },
  tiny: {
    input: presetInput(MAE_DFER_TINY_CONFIG),
    numParameters: 266_375,
    description:
      'LGI-Former family at CPU-test size (dim 64, depth 2, 8 regions of 2×2×4 tokens), 16 × 64 × 64',
  },
};

// ---------------------------------------------------------------------------------------------------
// Registered factories
// ---------------------------------------------------------------------------------------------------

/**
 * Builds MAE-DFER's LGI-Former from a preset (same as `createModel('mae_dfer', …)`).
 * @param options - preset (default `'paper'`), numClasses (default 7), numAus (default 0), seed (default 0)
 */
export function createMaeDfer(options: Partial<ModelBuildOptions> = {}): MaeDfer {
  const preset = options.preset ?? 'paper';
  const config = MAE_DFER_CONFIGS[preset];
  if (config === undefined) {
    throw new Error(
      `createMaeDfer: unknown preset '${preset}'; presets: ${Object.keys(MAE_DFER_CONFIGS).join(', ')}`,
    );
  }
  return new MaeDfer({
    ...config,
    numClasses: options.numClasses ?? config.numClasses,
    numAus: options.numAus ?? 0,
    seed: options.seed ?? 0,
    initialization: options.initialization ?? 'random',
  });
}

registerModel({
  name: 'mae_dfer',
  description: 'MAE-DFER LGI-Former: tubelet ViT with region tokens and local-global interaction attention',
  source: {
    paper:
      'Sun, Lian, Liu, Tao, MAE-DFER: Efficient Masked Autoencoder for Self-supervised Dynamic Facial Expression Recognition, ACM MM 2023',
    code: 'https://github.com/sunlicai/MAE-DFER',
    reference: 'reference/mae-dfer.md',
  },
  presets: MAE_DFER_PRESETS,
  defaultNumClasses: 7,
  // No decay as in the official optimizer: biases (q_bias, v_bias too), LayerNorms, lg_region_tokens.
  training: { noWeightDecay: /(?:^|\.)(?:[qv]_)?bias$|(?:^|[._])norm\d*\.weight$|^lg_region_tokens$/ },
  parametersWithoutGradient: {
    names: (model) => (model as MaeDfer).parametersWithoutGradient,
    reason:
      'the head reads only the region tokens; step S3 (local-to-region cross-attention) of the last block updates only local tokens, which nothing reads afterwards (they exist for the pre-training decoder)',
  },
  create: (options: ModelBuildOptions) => createMaeDfer(options),
});
