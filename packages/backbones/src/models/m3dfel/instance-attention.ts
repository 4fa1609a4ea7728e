/** The multi-head self-attention of M3DFEL's aggregation head (reference/m3dfel.md §4.2). */
import * as tf from '@tensorflow/tfjs-core';
import { onnxAttr, type OnnxGraph } from '@dfer/runtime';

import { scaledSoftmax } from '../../nn/activations';
import { addReshape, addScalar, addTensorInitializer, addTranspose } from '../../nn/onnx';

/**
 * Multi-head self-attention over instances without output projection, residual or dropout:
 *
 *   [q ‖ k ‖ v] = x·W_qkv (no bias; q = columns 0…D−1, k = D…2D−1, v = 2D…3D−1)
 *   per head h (feature index h·d + j, d = D/heads): A_h = softmax(q_h k_hᵀ / √d), y_h = A_h v_h
 *   y = [y_0 ‖ … ‖ y_{heads−1}]
 *
 * @param x - `[B, N, D]`
 * @param qkvWeight - `[D, 3D]` (tfjs layout of M3DFEL's `to_qkv.weight`, PyTorch `[3D, D]`)
 * @param heads - number of heads (M3DFEL: 8)
 * @returns `[B, N, D]`
 */
export function instanceSelfAttention(x: tf.Tensor, qkvWeight: tf.Tensor, heads: number): tf.Tensor {
  const [b, n, dim] = x.shape as [number, number, number];
  if (x.rank !== 3 || !Number.isInteger(heads) || heads < 1 || dim % heads !== 0) {
    throw new Error(
      `instanceSelfAttention: expected x [B, N, D] with D divisible by heads=${heads}, got [${x.shape.join(', ')}]`,
    );
  }
  if (qkvWeight.rank !== 2 || qkvWeight.shape[0] !== dim || qkvWeight.shape[1] !== 3 * dim) {
    throw new Error(
      `instanceSelfAttention: expected qkvWeight [${dim}, ${3 * dim}], got [${qkvWeight.shape.join(', ')}]`,
    );
  }
  const d = dim / heads;
  return tf.tidy(() => {
    const qkv = tf.matMul(tf.reshape(x, [b * n, dim]), qkvWeight);
    const [q, k, v] = tf
      .split(qkv, 3, 1)
      .map((t) => tf.transpose(tf.reshape(t, [b, n, heads, d]), [0, 2, 1, 3])) as [
      tf.Tensor4D,
      tf.Tensor4D,
      tf.Tensor4D,
    ];
    const attn = scaledSoftmax(tf.matMul(q, k, false, true), 1 / Math.sqrt(d));
    const y = tf.matMul(attn, v); // [B, heads, N, d]
    return tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [b, n, dim]);
  });
}

/**
 * ONNX lowering of {@link instanceSelfAttention} (MatMul, Split, Reshape, Transpose, Softmax); `x` is
 * `[B, N, D]`, the weight `[D, 3D]` becomes an initializer.
 */
export function instanceSelfAttentionToOnnx(
  graph: OnnxGraph,
  x: string,
  qkvWeight: tf.Tensor,
  heads: number,
): string {
  const dim = qkvWeight.shape[0] as number;
  const d = dim / heads;
  const qkv = graph.addNode('MatMul', [x, addTensorInitializer(graph, 'to_qkv_weight', qkvWeight)]);
  const parts = graph.addNodeWithOutputs(
    'Split',
    [qkv, graph.addInt64Constant('split', [dim, dim, dim])],
    { axis: onnxAttr.int(2) },
    { outputs: 3 },
  );
  const [q, k, v] = parts.map((t) =>
    addTranspose(graph, addReshape(graph, t, [0, 0, heads, d]), [0, 2, 1, 3]),
  ) as [string, string, string];
  const scores = graph.addNode('Mul', [
    graph.addNode('MatMul', [q, addTranspose(graph, k, [0, 1, 3, 2])]),
    addScalar(graph, 'attn_scale', 1 / Math.sqrt(d)),
  ]);
  const attn = graph.addNode('Softmax', [scores], { axis: onnxAttr.int(-1) });
  const y = graph.addNode('MatMul', [attn, v]);
  return addReshape(graph, addTranspose(graph, y, [0, 2, 1, 3]), [0, 0, dim]);
}
