/** RDFER's self-attention gate over a sequence: x ⊙ σ(LayerNorm(MHA(x))). */
import * as tf from '@tensorflow/tfjs-core';
import type { OnnxGraph } from '@dfer/runtime';

import { MultiHeadAttention } from '../../nn/attention';
import { LayerNorm } from '../../nn/layer-norm';
import { Module } from '../../nn/module';
import type { Rng } from '../../nn/rng';

/**
 * `y = x ⊙ σ(LN(MHA(x)))` over `[B, N, dim]`: multi-head self-attention (with output projection), a
 * LayerNorm, and a sigmoid gate on the input — the "8-head self-attention used as a sigmoid gate
 * (LayerNorm, x·σ(attn))" of the lab's code (`reference/rdfer.md`, "long-term stream" and "short-term
 * stream"). State: `attn.*`, `norm.weight/bias`.
 */
export class GatedSelfAttention extends Module {
  readonly attn: MultiHeadAttention;
  readonly norm: LayerNorm;

  constructor(dim: number, heads: number, rng: Rng) {
    super();
    if (!Number.isInteger(heads) || heads < 1 || dim % heads !== 0) {
      throw new Error(`GatedSelfAttention: dim ${dim} must be divisible by heads ${heads}`);
    }
    this.attn = this.registerModule(
      'attn',
      new MultiHeadAttention(dim, { heads, dimHead: dim / heads, projectOut: true, rng }),
    );
    this.norm = this.registerModule('norm', new LayerNorm(dim));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.mul(x, tf.sigmoid(this.norm.forward(this.attn.forward(x)))));
  }

  override toOnnx(graph: OnnxGraph, input: string): string {
    const gate = graph.addNode('Sigmoid', [this.norm.toOnnx(graph, this.attn.toOnnx(graph, input))]);
    return graph.addNode('Mul', [input, gate]);
  }
}
