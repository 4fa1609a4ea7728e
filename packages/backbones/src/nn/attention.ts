/** Multi-head scaled dot-product self-attention (the `Attention` block of vit-pytorch, used by Former-DFER). */
import * as tf from '@tensorflow/tfjs-core';

import { onnxAttr, type OnnxGraph } from '@dfer/runtime';

import { Dropout, scaledSoftmax } from './activations';
import { Linear } from './linear';
import { Module, Sequential } from './module';
import { addReshape, addScalar, addTranspose } from './onnx';
import { createRng, type Rng } from './rng';

/** Build-time options of {@link MultiHeadAttention}. */
export interface MultiHeadAttentionConfig {
  /** Number of heads h (default 8). */
  heads?: number;
  /** Width of one head d (default 64). */
  dimHead?: number;
  /** Bias on `to_qkv` (default `false`, as in Former-DFER and M3DFEL). */
  qkvBias?: boolean;
  /**
   * Output projection `to_out.0` Linear(h·d → dim, with bias) followed by dropout (`to_out.1`).
   * Default: `true` unless h = 1 and d = dim (vit-pytorch's rule). M3DFEL has none.
   */
  projectOut?: boolean;
  /** Dropout probability after the output projection (default 0). */
  dropout?: number;
  /** Generator for the initial weights (default `createRng(0)`). */
  rng?: Rng;
}

/**
 * Self-attention over the tokens of x `[B, N, dim]`:
 * [q, k, v] = split₃(x·W_qkv) along the last axis (in that order); each reshaped to `[B, h, N, d]`;
 * A = softmax(q·kᵀ·d^−½) over keys; out = concat_heads(A·v) `[B, N, h·d]` (heads in order); then
 * `to_out` Linear(h·d → dim) when projecting. Source: reference/former-dfer.md ("Transformer layer").
 *
 * State-dict names: `to_qkv.weight` (PyTorch `[3·h·d, dim]`), `to_out.0.weight`, `to_out.0.bias`.
 */
export class MultiHeadAttention extends Module {
  readonly heads: number;
  readonly dimHead: number;
  readonly toQkv: Linear;
  readonly toOut: Sequential | undefined;
  readonly scale: number;

  constructor(
    readonly dim: number,
    config: MultiHeadAttentionConfig = {},
  ) {
    super();
    this.heads = config.heads ?? 8;
    this.dimHead = config.dimHead ?? 64;
    for (const [name, v] of [
      ['dim', dim],
      ['heads', this.heads],
      ['dimHead', this.dimHead],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new Error(`MultiHeadAttention: ${name} must be a positive integer, got ${v}`);
    }
    const rng = config.rng ?? createRng(0);
    const inner = this.heads * this.dimHead;
    this.scale = this.dimHead ** -0.5;
    this.toQkv = this.registerModule(
      'to_qkv',
      new Linear(dim, 3 * inner, { bias: config.qkvBias ?? false, rng }),
    );
    const projectOut = config.projectOut ?? !(this.heads === 1 && this.dimHead === dim);
    if (!projectOut && inner !== dim) {
      throw new Error(
        `MultiHeadAttention: without output projection heads·dimHead (${inner}) must equal dim (${dim})`,
      );
    }
    this.toOut = projectOut
      ? this.registerModule(
          'to_out',
          new Sequential([
            new Linear(inner, dim, { rng }),
            new Dropout(config.dropout ?? 0, { rng: createRng(rng.seed()) }),
          ]),
        )
      : undefined;
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.dim) {
      throw new Error(
        `MultiHeadAttention.forward: expected [B, N, ${this.dim}], got [${x.shape.join(', ')}]`,
      );
    }
    return tf.tidy(() => {
      const [b, n] = x.shape as [number, number, number];
      const h = this.heads;
      const d = this.dimHead;
      const qkv = this.toQkv.forward(x);
      const [q, k, v] = tf.split(qkv, 3, 2) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const heads = (t: tf.Tensor): tf.Tensor3D =>
        tf.reshape(tf.transpose(tf.reshape(t, [b, n, h, d]), [0, 2, 1, 3]), [b * h, n, d]);
      const attn = scaledSoftmax(tf.matMul(heads(q), heads(k), false, true), this.scale);
      const out = tf.reshape(
        tf.transpose(tf.reshape(tf.matMul(attn as tf.Tensor3D, heads(v)), [b, h, n, d]), [0, 2, 1, 3]),
        [b, n, h * d],
      );
      return this.toOut === undefined ? out : this.toOut.forward(out);
    });
  }

  /** The same computation with MatMul, Split, Reshape/Transpose to heads, Softmax over keys. */
  override toOnnx(graph: OnnxGraph, input: string): string {
    const h = this.heads;
    const d = this.dimHead;
    const inner = h * d;
    const qkv = this.toQkv.toOnnx(graph, input);
    const [q, k, v] = graph.addNodeWithOutputs(
      'Split',
      [qkv, graph.addInt64Constant('split', [inner, inner, inner])],
      { axis: onnxAttr.int(-1) },
      { outputs: 3 },
    ) as [string, string, string];
    const heads = (t: string): string =>
      addTranspose(graph, addReshape(graph, t, [0, 0, h, d]), [0, 2, 1, 3]);
    const kT = addTranspose(graph, addReshape(graph, k, [0, 0, h, d]), [0, 2, 3, 1]);
    const scores = graph.addNode('Mul', [
      graph.addNode('MatMul', [heads(q), kT]),
      addScalar(graph, 'attn_scale', this.scale),
    ]);
    const attn = graph.addNode('Softmax', [scores], { axis: onnxAttr.int(-1) });
    const merged = addReshape(
      graph,
      addTranspose(graph, graph.addNode('MatMul', [attn, heads(v)]), [0, 2, 1, 3]),
      [0, 0, inner],
    );
    return this.toOut === undefined ? merged : this.toOut.toOnnx(graph, merged);
  }
}
