/**
 * Pre-norm transformer encoder in vit-pytorch's module layout, as Former-DFER uses it
 * (reference/former-dfer.md, "Transformer layer"): each layer is
 * x = x + Attn(LayerNorm(x)); x = x + FF(LayerNorm(x)), with state-dict names
 * `layers.L.0.fn.norm`, `layers.L.0.fn.fn.to_qkv`, `layers.L.0.fn.fn.to_out.0`, `layers.L.1.fn.norm`,
 * `layers.L.1.fn.fn.net.0`, `layers.L.1.fn.fn.net.3`.
 */
import * as tf from '@tensorflow/tfjs-core';

import type { OnnxGraph } from '@dfer/runtime';

import { Dropout, GELU, type GeluApproximation } from './activations';
import { MultiHeadAttention } from './attention';
import { LayerNorm } from './layer-norm';
import { Linear } from './linear';
import { Module, ModuleList, Sequential, type TensorModule } from './module';
import { createRng, type Rng } from './rng';

/** fn(LayerNorm(x)) (vit-pytorch `PreNorm`; names `norm.*`, `fn.*`). */
export class PreNorm extends Module {
  readonly norm: LayerNorm;
  readonly fn: TensorModule;

  constructor(dim: number, fn: TensorModule, config: { eps?: number } = {}) {
    super();
    this.norm = this.registerModule(
      'norm',
      new LayerNorm(dim, config.eps === undefined ? {} : { eps: config.eps }),
    );
    this.fn = this.registerModule('fn', fn);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.fn.forward(this.norm.forward(x)));
  }

  override toOnnx(graph: OnnxGraph, input: string): string {
    return this.fn.toOnnx(graph, this.norm.toOnnx(graph, input));
  }
}

/** x + fn(x) (vit-pytorch `Residual`; names `fn.*`). */
export class Residual extends Module {
  readonly fn: TensorModule;

  constructor(fn: TensorModule) {
    super();
    this.fn = this.registerModule('fn', fn);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.add(x, this.fn.forward(x)));
  }

  override toOnnx(graph: OnnxGraph, input: string): string {
    return graph.addNode('Add', [input, this.fn.toOnnx(graph, input)]);
  }
}

/** Build-time options of {@link FeedForward}. */
export interface FeedForwardConfig {
  /** GELU form (default `'tanh'`, as Former-DFER). */
  gelu?: GeluApproximation;
  /** Dropout after the GELU and after the second Linear (default 0). */
  dropout?: number;
  rng?: Rng;
}

/**
 * Linear(dim → hidden) → GELU → Dropout → Linear(hidden → dim) → Dropout (vit-pytorch `FeedForward`;
 * names `net.0`, `net.3`).
 */
export class FeedForward extends Module {
  readonly net: Sequential;

  constructor(dim: number, hiddenDim: number, config: FeedForwardConfig = {}) {
    super();
    const rng = config.rng ?? createRng(0);
    const p = config.dropout ?? 0;
    this.net = this.registerModule(
      'net',
      new Sequential([
        new Linear(dim, hiddenDim, { rng }),
        new GELU(config.gelu ?? 'tanh'),
        new Dropout(p, { rng: createRng(rng.seed()) }),
        new Linear(hiddenDim, dim, { rng }),
        new Dropout(p, { rng: createRng(rng.seed()) }),
      ]),
    );
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.net.forward(x);
  }

  override toOnnx(graph: OnnxGraph, input: string): string {
    return this.net.toOnnx(graph, input);
  }
}

/** Build-time options of {@link TransformerEncoderLayer} and {@link TransformerEncoder}. */
export interface TransformerEncoderConfig {
  /** Number of heads (default 8). */
  heads?: number;
  /** Width of one head (default 64). */
  dimHead?: number;
  /** Hidden width of the feed-forward block. */
  mlpDim: number;
  /** Dropout in attention output and feed-forward (default 0). */
  dropout?: number;
  /** GELU form (default `'tanh'`). */
  gelu?: GeluApproximation;
  /** LayerNorm ε (default 1e-5). */
  eps?: number;
  rng?: Rng;
}

/**
 * One pre-norm layer: x ← x + Attn(LN(x)); x ← x + FF(LN(x)). Children `0` = Residual(PreNorm(Attn)),
 * `1` = Residual(PreNorm(FeedForward)), matching vit-pytorch's `nn.ModuleList([...])` per layer.
 * Input and output `[B, N, dim]`.
 */
export class TransformerEncoderLayer extends Module {
  readonly attention: Residual;
  readonly feedForward: Residual;

  constructor(
    readonly dim: number,
    config: TransformerEncoderConfig,
  ) {
    super();
    const rng = config.rng ?? createRng(0);
    const eps = config.eps === undefined ? {} : { eps: config.eps };
    this.attention = this.registerModule(
      '0',
      new Residual(
        new PreNorm(
          dim,
          new MultiHeadAttention(dim, {
            heads: config.heads ?? 8,
            dimHead: config.dimHead ?? 64,
            dropout: config.dropout ?? 0,
            rng,
          }),
          eps,
        ),
      ),
    );
    this.feedForward = this.registerModule(
      '1',
      new Residual(
        new PreNorm(
          dim,
          new FeedForward(dim, config.mlpDim, {
            gelu: config.gelu ?? 'tanh',
            dropout: config.dropout ?? 0,
            rng,
          }),
          eps,
        ),
      ),
    );
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.feedForward.forward(this.attention.forward(x)));
  }

  override toOnnx(graph: OnnxGraph, input: string): string {
    return this.feedForward.toOnnx(graph, this.attention.toOnnx(graph, input));
  }
}

/** `depth` pre-norm layers in a ModuleList named `layers` (vit-pytorch `Transformer`). */
export class TransformerEncoder extends Module {
  readonly layers: ModuleList<TransformerEncoderLayer>;

  constructor(
    readonly dim: number,
    readonly depth: number,
    config: TransformerEncoderConfig,
  ) {
    super();
    if (!Number.isInteger(depth) || depth < 1) {
      throw new Error(`TransformerEncoder: depth must be a positive integer, got ${depth}`);
    }
    const rng = config.rng ?? createRng(0);
    this.layers = this.registerModule(
      'layers',
      new ModuleList(
        Array.from({ length: depth }, () => new TransformerEncoderLayer(dim, { ...config, rng })),
      ),
    );
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let y = x;
      for (const layer of this.layers) y = layer.forward(y);
      return y;
    });
  }

  override toOnnx(graph: OnnxGraph, input: string): string {
    let y = input;
    for (const layer of this.layers) y = layer.toOnnx(graph, y);
    return y;
  }
}
