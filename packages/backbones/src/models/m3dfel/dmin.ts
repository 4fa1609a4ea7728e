/** DMIN, the dynamic multi-instance normalisation of M3DFEL (Wang et al., CVPR 2023; reference/m3dfel.md §5). */
import * as tf from '@tensorflow/tfjs-core';
import { onnxAttr, type OnnxGraph } from '@dfer/runtime';

import { Module } from '../../nn/module';
import { addScalar, addTensorInitializer } from '../../nn/onnx';

/**
 * Dynamic multi-instance normalisation over `[B, N, C]` (N instances, C features), per sample:
 *
 *   μ_in[c] = (1/N) Σ_n y[n, c],   σ²_in[c] = 1/(N − 1) Σ_n (y[n, c] − μ_in[c])²   (unbiased)
 *   μ_ln = (1/C) Σ_c μ_in[c],      σ²_ln = (1/C) Σ_c (σ²_in[c] + μ_in[c]²) − μ_ln²
 *   w_m = softmax(mean_weight),    w_v = softmax(var_weight)
 *   μ = w_m[0]·μ_in + w_m[1]·μ_ln,  σ² = w_v[0]·σ²_in + w_v[1]·σ²_ln
 *   out[n, c] = (y[n, c] − μ[c]) / √(σ²[c] + ε) · weight[c] + bias[c]
 *
 * There are no running statistics (the official `momentum` is unused), so train and eval agree.
 * State (PyTorch names and shapes): `weight` [1, C, 1] (init 1), `bias` [1, C, 1] (init 0),
 * `mean_weight` [2] (init 1), `var_weight` [2] (init 1). Needs N ≥ 2 (the unbiased variance).
 */
export class DMIN extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly meanWeight: tf.Variable;
  readonly varWeight: tf.Variable;

  constructor(
    readonly numFeatures: number,
    readonly eps = 1e-5,
  ) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 1) {
      throw new Error(`DMIN: numFeatures must be a positive integer, got ${numFeatures}`);
    }
    this.weight = this.registerParameter('weight', tf.ones([1, numFeatures, 1]));
    this.bias = this.registerParameter('bias', tf.zeros([1, numFeatures, 1]));
    this.meanWeight = this.registerParameter('mean_weight', tf.ones([2]));
    this.varWeight = this.registerParameter('var_weight', tf.ones([2]));
  }

  /** Output `[B, N, C]` for input `[B, N, C]`. */
  forward(y: tf.Tensor): tf.Tensor {
    const n = y.shape[1] as number;
    if (y.rank !== 3 || y.shape[2] !== this.numFeatures || n < 2) {
      throw new Error(
        `DMIN.forward: expected input [B, N ≥ 2 instances, ${this.numFeatures}], got [${y.shape.join(', ')}]`,
      );
    }
    return tf.tidy(() => {
      const meanIn = tf.mean(y, 1, true); // [B, 1, C]
      const varIn = tf.div(tf.sum(tf.square(tf.sub(y, meanIn)), 1, true), n - 1);
      const meanLn = tf.mean(meanIn, 2, true); // [B, 1, 1]
      const varLn = tf.sub(tf.mean(tf.add(varIn, tf.square(meanIn)), 2, true), tf.square(meanLn));
      const wm = tf.softmax(this.meanWeight);
      const wv = tf.softmax(this.varWeight);
      const [wm0, wm1] = tf.unstack(wm);
      const [wv0, wv1] = tf.unstack(wv);
      const mean = tf.add(tf.mul(wm0 as tf.Tensor, meanIn), tf.mul(wm1 as tf.Tensor, meanLn));
      const variance = tf.add(tf.mul(wv0 as tf.Tensor, varIn), tf.mul(wv1 as tf.Tensor, varLn));
      const normalised = tf.div(tf.sub(y, mean), tf.sqrt(tf.add(variance, this.eps)));
      const scale = tf.reshape(this.weight, [1, 1, this.numFeatures]);
      const shift = tf.reshape(this.bias, [1, 1, this.numFeatures]);
      return tf.add(tf.mul(normalised, scale), shift);
    });
  }

  /**
   * The same equations with ONNX ops (ReduceMean/Sub/Mul/Div/Sqrt); the softmax mixing weights are
   * constants of the exported graph, computed from `mean_weight` and `var_weight` at export time.
   */
  override toOnnx(graph: OnnxGraph, input: string): string {
    const mean = (x: string, axis: number): string =>
      graph.addNode('ReduceMean', [x], { axes: onnxAttr.ints([axis]), keepdims: onnxAttr.int(1) });
    const [wm, wv] = tf.tidy(() => [
      tf.softmax(this.meanWeight).dataSync(),
      tf.softmax(this.varWeight).dataSync(),
    ]);
    const scalar = (v: number): string => addScalar(graph, 'dmin_const', v);
    // N − 1 (the unbiased denominator) read from the input's shape, so any instance count exports.
    const instances = graph.addNode(
      'Cast',
      [graph.addNode('Shape', [input], { start: onnxAttr.int(1), end: onnxAttr.int(2) })],
      {
        to: onnxAttr.int(1),
      },
    );
    const denominator = graph.addNode('Sub', [instances, scalar(1)]);
    const meanIn = mean(input, 1);
    const centred = graph.addNode('Sub', [input, meanIn]);
    const squares = graph.addNode('Mul', [centred, centred]);
    const varIn = graph.addNode('Div', [
      graph.addNode('ReduceSum', [squares, graph.addInt64Constant('axes', [1])], {
        keepdims: onnxAttr.int(1),
      }),
      denominator,
    ]);
    const meanLn = mean(meanIn, 2);
    const varLn = graph.addNode('Sub', [
      mean(graph.addNode('Add', [varIn, graph.addNode('Mul', [meanIn, meanIn])]), 2),
      graph.addNode('Mul', [meanLn, meanLn]),
    ]);
    const mix = (a: string, b: string, w: ArrayLike<number>): string =>
      graph.addNode('Add', [
        graph.addNode('Mul', [a, scalar(w[0] as number)]),
        graph.addNode('Mul', [b, scalar(w[1] as number)]),
      ]);
    const mu = mix(meanIn, meanLn, wm);
    const variance = mix(varIn, varLn, wv);
    const normalised = graph.addNode('Div', [
      graph.addNode('Sub', [input, mu]),
      graph.addNode('Sqrt', [graph.addNode('Add', [variance, scalar(this.eps)])]),
    ]);
    const scale = tf.tidy(() => tf.reshape(this.weight, [this.numFeatures]));
    const shift = tf.tidy(() => tf.reshape(this.bias, [this.numFeatures]));
    const out = graph.addNode('Add', [
      graph.addNode('Mul', [normalised, addTensorInitializer(graph, 'dmin_weight', scale)]),
      addTensorInitializer(graph, 'dmin_bias', shift),
    ]);
    tf.dispose([scale, shift]);
    return out;
  }
}
