/**
 * The attention and block of MAE-DFER's LGI-Former (local–global interaction Transformer).
 *
 * Source: Sun, Lian, Liu, Tao, "MAE-DFER: Efficient Masked Autoencoder for Self-supervised Dynamic Facial
 * Expression Recognition", ACM MM 2023 (arXiv 2307.02227); facts from the authors' `modeling_finetune.py`
 * (`GeneralAttention`, `LGBlock`) as recorded in reference/mae-dfer.md §4. Parameter names equal the
 * official PyTorch names.
 */
import * as tf from '@tensorflow/tfjs-core';
import { onnxAttr, type OnnxGraph } from '@dfer/runtime';

import { GELU, scaledSoftmax } from './activations';
import { DropPath } from './drop-path';
import { LayerNorm } from './layer-norm';
import { Linear } from './linear';
import { Module } from './module';
import { addReshape, addScalar, addTensorInitializer, addTranspose } from './onnx';
import { createRng, type Rng } from './rng';

/** `Slice` of `input` along `axis` from `start` to `end` (exclusive). */
function addSlice(graph: OnnxGraph, input: string, axis: number, start: number, end: number): string {
  return graph.addNode('Slice', [
    input,
    graph.addInt64Constant('starts', [start]),
    graph.addInt64Constant('ends', [end]),
    graph.addInt64Constant('axes', [axis]),
  ]);
}

/** Build-time options of {@link GeneralAttention}. */
export interface GeneralAttentionConfig {
  /** Number of heads H (default 8); `dim` must be divisible by H. */
  heads?: number;
  /** Generator for the initial weights (default `createRng(0)`). */
  rng?: Rng;
}

/**
 * Multi-head attention with separate query and key/value projections, usable as self-attention
 * (`forward(x)`) or cross-attention (`attend(x, context)`). With x `[B, T1, dim]`, context `[B, T2, dim]`,
 * d = dim / H:
 *
 *   q = x·W_q + q_bias,  [k ‖ v] = context·W_kv + [0 ‖ v_bias]   (the key bias is fixed at zero),
 *   per head h (features h·d … h·d + d − 1):  A_h = softmax((q_h · d^−½) k_hᵀ) over the T2 keys,
 *   out = proj(concat_h(A_h v_h)).
 *
 * Parameters (PyTorch names, state-dict order): `q_bias` `[dim]`, `v_bias` `[dim]` (both init 0),
 * `q.weight` (PyTorch `[dim, dim]`), `kv.weight` (`[2·dim, dim]`: rows 0…dim−1 give K, the rest V),
 * `proj.weight` `[dim, dim]`, `proj.bias` `[dim]`. No mask, no relative position bias, no dropout
 * (MAE-DFER uses rate 0). Source: reference/mae-dfer.md §4 "GeneralAttention".
 */
export class GeneralAttention extends Module {
  readonly heads: number;
  readonly headDim: number;
  /** d^−½, applied to q before the product with kᵀ. */
  readonly scale: number;
  readonly qBias: tf.Variable;
  readonly vBias: tf.Variable;
  readonly q: Linear;
  readonly kv: Linear;
  readonly proj: Linear;

  constructor(
    readonly dim: number,
    config: GeneralAttentionConfig = {},
  ) {
    super();
    this.heads = config.heads ?? 8;
    if (!Number.isInteger(dim) || dim < 1)
      throw new Error(`GeneralAttention: dim must be a positive integer, got ${dim}`);
    if (!Number.isInteger(this.heads) || this.heads < 1 || dim % this.heads !== 0) {
      throw new Error(
        `GeneralAttention: heads must be a positive integer dividing dim (${dim}), got ${this.heads}`,
      );
    }
    this.headDim = dim / this.heads;
    this.scale = this.headDim ** -0.5;
    const rng = config.rng ?? createRng(0);
    this.qBias = this.registerParameter('q_bias', tf.zeros([dim]));
    this.vBias = this.registerParameter('v_bias', tf.zeros([dim]));
    this.q = this.registerModule('q', new Linear(dim, dim, { bias: false, rng }));
    this.kv = this.registerModule('kv', new Linear(dim, 2 * dim, { bias: false, rng }));
    this.proj = this.registerModule('proj', new Linear(dim, dim, { rng }));
  }

  /** Self-attention: `attend(x, x)`. */
  forward(x: tf.Tensor): tf.Tensor {
    return this.attend(x, x);
  }

  /**
   * Cross-attention of the queries of x `[B, T1, dim]` over the keys/values of context `[B, T2, dim]`.
   * @returns `[B, T1, dim]`
   */
  attend(x: tf.Tensor, context: tf.Tensor): tf.Tensor {
    for (const [name, t] of [
      ['x', x],
      ['context', context],
    ] as const) {
      if (t.rank !== 3 || t.shape[2] !== this.dim) {
        throw new Error(
          `GeneralAttention.attend: expected ${name} [B, T, ${this.dim}], got [${t.shape.join(', ')}]`,
        );
      }
    }
    if (x.shape[0] !== context.shape[0]) {
      throw new Error(
        `GeneralAttention.attend: x and context must have the same batch, got [${x.shape.join(', ')}] and [${context.shape.join(', ')}]`,
      );
    }
    return tf.tidy(() => {
      const [b, t1] = x.shape as [number, number, number];
      const t2 = context.shape[1] as number;
      const h = this.heads;
      const d = this.headDim;
      const toHeads = (t: tf.Tensor, n: number): tf.Tensor3D =>
        tf.reshape(tf.transpose(tf.reshape(t, [b, n, h, d]), [0, 2, 1, 3]), [b * h, n, d]);
      const q = tf.mul(tf.add(this.q.forward(x), this.qBias), this.scale);
      const [k, v0] = tf.split(this.kv.forward(context), 2, 2) as [tf.Tensor, tf.Tensor];
      const v = tf.add(v0, this.vBias);
      const attn = scaledSoftmax(tf.matMul(toHeads(q, t1), toHeads(k, t2), false, true));
      const heads = tf.reshape(tf.matMul(attn as tf.Tensor3D, toHeads(v, t2)), [b, h, t1, d]);
      return this.proj.forward(tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [b, t1, this.dim]));
    });
  }

  /** ONNX lowering of self-attention (see {@link GeneralAttention.attendToOnnx}). */
  override toOnnx(graph: OnnxGraph, input: string): string {
    return this.attendToOnnx(graph, input, input);
  }

  /**
   * ONNX lowering of {@link GeneralAttention.attend} for values `x` `[B, T1, dim]` and `context`
   * `[B, T2, dim]`: MatMul/Add projections (W_kv split into its K and V halves), Reshape + Transpose into
   * heads, MatMul, Softmax, MatMul, and the output projection.
   */
  attendToOnnx(graph: OnnxGraph, x: string, context: string): string {
    const [h, d, dim] = [this.heads, this.headDim, this.dim];
    const q = graph.addNode('Mul', [
      graph.addNode('Add', [this.q.toOnnx(graph, x), addTensorInitializer(graph, 'q_bias', this.qBias)]),
      addScalar(graph, 'attn_scale', this.scale),
    ]);
    const [wk, wv] = tf.split(this.kv.weight, 2, 1) as [tf.Tensor, tf.Tensor];
    const k = graph.addNode('MatMul', [context, addTensorInitializer(graph, 'k_weight', wk)]);
    const v = graph.addNode('Add', [
      graph.addNode('MatMul', [context, addTensorInitializer(graph, 'v_weight', wv)]),
      addTensorInitializer(graph, 'v_bias', this.vBias),
    ]);
    tf.dispose([wk, wv]);
    const split = (t: string, perm: number[]): string =>
      addTranspose(graph, addReshape(graph, t, [0, 0, h, d]), perm);
    const scores = graph.addNode('MatMul', [split(q, [0, 2, 1, 3]), split(k, [0, 2, 3, 1])]);
    const attn = graph.addNode('Softmax', [scores], { axis: onnxAttr.int(-1) });
    const heads = graph.addNode('MatMul', [attn, split(v, [0, 2, 1, 3])]);
    return this.proj.toOnnx(graph, addReshape(graph, addTranspose(graph, heads, [0, 2, 1, 3]), [0, 0, dim]));
  }
}

/** Build-time options of {@link LgiMlp}. */
export interface LgiMlpConfig {
  /** Generator for the initial weights (default `createRng(0)`). */
  rng?: Rng;
}

/**
 * The block's feed-forward network (timm `Mlp`): y = fc2(GELU(fc1(x))) with the exact erf GELU and no
 * dropout (rate 0). Parameters: `fc1.weight` (PyTorch `[hidden, dim]`), `fc1.bias`, `fc2.weight`
 * (`[dim, hidden]`), `fc2.bias`. Source: reference/mae-dfer.md §4 step 4.
 */
export class LgiMlp extends Module {
  readonly fc1: Linear;
  readonly act: GELU;
  readonly fc2: Linear;

  constructor(dim: number, hidden: number, config: LgiMlpConfig = {}) {
    super();
    const rng = config.rng ?? createRng(0);
    this.fc1 = this.registerModule('fc1', new Linear(dim, hidden, { rng }));
    this.act = this.registerModule('act', new GELU('none'));
    this.fc2 = this.registerModule('fc2', new Linear(hidden, dim, { rng }));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.fc2.forward(this.act.forward(this.fc1.forward(x))));
  }

  /** ONNX lowering: the layers' own lowerings in order. */
  override toOnnx(graph: OnnxGraph, input: string): string {
    return this.fc2.toOnnx(graph, this.act.toOnnx(graph, this.fc1.toOnnx(graph, input)));
  }
}

/** Build-time options of {@link LgiBlock}. */
export interface LgiBlockConfig {
  /** Number of attention heads (default 8). */
  heads?: number;
  /** MLP hidden width = round(dim · mlpRatio) (default 4). */
  mlpRatio?: number;
  /** LayerNorm ε (default 1e-6, as MAE-DFER). */
  eps?: number;
  /** Stochastic-depth probability of this block's residual branches (default 0). */
  dropPath?: number;
  /** Generator for the initial weights and the drop-path masks (default `createRng(0)`). */
  rng?: Rng;
}

/**
 * One LGI-Former block (MAE-DFER `LGBlock`, pre-norm, no layer scale) over x `[(B·n), 1 + s, dim]`: n regions
 * per clip, each holding its region token at position 0 followed by s local tokens
 * (reference/mae-dfer.md §4):
 *
 * 1. S1, intra-region self-attention: x ← x + DropPath(first_attn(first_attn_norm0(x))).
 * 2. S2, inter-region attention: m = x[:, 0] as `[B, n, dim]`; m ← m + DropPath(second_attn(second_attn_norm0(m))).
 * 3. S3, local-to-region cross-attention: L = x[:, 1:] as `[B, n·s, dim]`;
 *    L ← L + DropPath(third_attn(third_attn_norm0(L), context = third_attn_norm1(m))).
 * 4. x = [m ‖ L] back as `[(B·n), 1 + s, dim]`; FFN: x ← x + DropPath(mlp(norm2(x))).
 *
 * DropPath draws its mask per region in steps 1 and 4, per clip in steps 2 and 3 (as the official code).
 */
export class LgiBlock extends Module {
  readonly firstAttnNorm0: LayerNorm;
  readonly firstAttn: GeneralAttention;
  readonly secondAttnNorm0: LayerNorm;
  readonly secondAttn: GeneralAttention;
  readonly thirdAttnNorm0: LayerNorm;
  readonly thirdAttnNorm1: LayerNorm;
  readonly thirdAttn: GeneralAttention;
  readonly norm2: LayerNorm;
  readonly mlp: LgiMlp;
  readonly dropPath: DropPath;

  /**
   * @param dim - token width
   * @param numRegions - regions per clip n (the input's first axis is B·n)
   */
  constructor(
    readonly dim: number,
    readonly numRegions: number,
    config: LgiBlockConfig = {},
  ) {
    super();
    if (!Number.isInteger(numRegions) || numRegions < 1) {
      throw new Error(`LgiBlock: numRegions must be a positive integer, got ${numRegions}`);
    }
    const mlpRatio = config.mlpRatio ?? 4;
    const hidden = Math.round(dim * mlpRatio);
    if (!(hidden >= 1)) throw new Error(`LgiBlock: mlpRatio must give a hidden width ≥ 1, got ${mlpRatio}`);
    const rng = config.rng ?? createRng(0);
    const heads = config.heads ?? 8;
    const norm = (): LayerNorm => new LayerNorm(dim, { eps: config.eps ?? 1e-6 });
    this.firstAttnNorm0 = this.registerModule('first_attn_norm0', norm());
    this.firstAttn = this.registerModule('first_attn', new GeneralAttention(dim, { heads, rng }));
    this.secondAttnNorm0 = this.registerModule('second_attn_norm0', norm());
    this.secondAttn = this.registerModule('second_attn', new GeneralAttention(dim, { heads, rng }));
    this.thirdAttnNorm0 = this.registerModule('third_attn_norm0', norm());
    this.thirdAttnNorm1 = this.registerModule('third_attn_norm1', norm());
    this.thirdAttn = this.registerModule('third_attn', new GeneralAttention(dim, { heads, rng }));
    this.norm2 = this.registerModule('norm2', norm());
    this.mlp = this.registerModule('mlp', new LgiMlp(dim, hidden, { rng }));
    this.dropPath = this.registerModule(
      'drop_path',
      new DropPath(config.dropPath ?? 0, { rng: createRng(rng.seed()) }),
    );
  }

  /** `[(B·n), 1 + s, dim]` → same shape. */
  forward(x: tf.Tensor): tf.Tensor {
    const n = this.numRegions;
    if (
      x.rank !== 3 ||
      x.shape[2] !== this.dim ||
      (x.shape[0] as number) % n !== 0 ||
      (x.shape[1] as number) < 2
    ) {
      throw new Error(
        `LgiBlock.forward: expected [(B·${n}), 1 + s, ${this.dim}] with s ≥ 1, got [${x.shape.join(', ')}]`,
      );
    }
    return tf.tidy(() => {
      const [bn, tokens] = x.shape as [number, number, number];
      const b = bn / n;
      const s = tokens - 1;
      const c = this.dim;
      const x1 = tf.add(x, this.dropPath.forward(this.firstAttn.forward(this.firstAttnNorm0.forward(x))));
      let m = tf.reshape(tf.slice(x1, [0, 0, 0], [bn, 1, c]), [b, n, c]);
      m = tf.add(m, this.dropPath.forward(this.secondAttn.forward(this.secondAttnNorm0.forward(m))));
      let local = tf.reshape(tf.slice(x1, [0, 1, 0], [bn, s, c]), [b, n * s, c]);
      const cross = this.thirdAttn.attend(this.thirdAttnNorm0.forward(local), this.thirdAttnNorm1.forward(m));
      local = tf.add(local, this.dropPath.forward(cross));
      const x2 = tf.concat([tf.reshape(m, [bn, 1, c]), tf.reshape(local, [bn, s, c])], 1);
      return tf.add(x2, this.dropPath.forward(this.mlp.forward(this.norm2.forward(x2))));
    });
  }

  /**
   * ONNX lowering (inference: DropPath is the identity). The number of local tokens s is read from the
   * input's shape at run time (Shape → Slice), so the lowering holds for any s; the batch stays dynamic.
   */
  override toOnnx(graph: OnnxGraph, input: string): string {
    const n = this.numRegions;
    const c = this.dim;
    const x1 = graph.addNode('Add', [
      input,
      this.firstAttn.toOnnx(graph, this.firstAttnNorm0.toOnnx(graph, input)),
    ]);
    const m0 = addReshape(graph, addSlice(graph, x1, 1, 0, 1), [-1, n, c]);
    const m = graph.addNode('Add', [
      m0,
      this.secondAttn.toOnnx(graph, this.secondAttnNorm0.toOnnx(graph, m0)),
    ]);
    const localRegions = addSlice(graph, x1, 1, 1, Number.MAX_SAFE_INTEGER);
    const s = addSlice(graph, graph.addNode('Shape', [localRegions]), 0, 1, 2);
    const clipShape = graph.addNode(
      'Concat',
      [
        graph.addInt64Constant('shape', [-1]),
        graph.addNode('Mul', [s, graph.addInt64Constant('regions', [n])]),
        graph.addInt64Constant('shape', [c]),
      ],
      { axis: onnxAttr.int(0) },
    );
    const local0 = graph.addNode('Reshape', [localRegions, clipShape]);
    const cross = this.thirdAttn.attendToOnnx(
      graph,
      this.thirdAttnNorm0.toOnnx(graph, local0),
      this.thirdAttnNorm1.toOnnx(graph, m),
    );
    const local = graph.addNode('Add', [local0, cross]);
    const regionShape = graph.addNode(
      'Concat',
      [graph.addInt64Constant('shape', [-1]), s, graph.addInt64Constant('shape', [c])],
      {
        axis: onnxAttr.int(0),
      },
    );
    const x2 = graph.addNode(
      'Concat',
      [addReshape(graph, m, [-1, 1, c]), graph.addNode('Reshape', [local, regionShape])],
      {
        axis: onnxAttr.int(1),
      },
    );
    return graph.addNode('Add', [x2, this.mlp.toOnnx(graph, this.norm2.toOnnx(graph, x2))]);
  }
}
