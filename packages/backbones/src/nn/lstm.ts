/** Multi-layer, optionally bidirectional LSTM over batch-first sequences (PyTorch `nn.LSTM(batch_first=True)`). */
import * as tf from '@tensorflow/tfjs-core';
import { fusedKernelAvailable, fusedLstmCell, onnxAttr, type OnnxGraph } from '@dfer/runtime';

import { Module } from './module';
import { addReshape, addTensorInitializer, addTranspose } from './onnx';
import { createRng, type Rng, uniformValues } from './rng';

/** Build-time options of {@link LSTM}. */
export interface LSTMConfig {
  /** Number of stacked layers (default 1). Layer l > 0 reads layer l − 1's output. */
  numLayers?: number;
  /** Run a second, time-reversed direction per layer and concatenate `[forward ‖ backward]` (default `false`). */
  bidirectional?: boolean;
  /** Add the biases `b_ih` and `b_hh` (default `true`). */
  bias?: boolean;
  /** Generator for the initial weights (default `createRng(0)`). */
  rng?: Rng;
}

/** The four tensors of one layer and direction. */
interface LSTMCellWeights {
  /** `[in, 4H]` (PyTorch `weight_ih_l{k}` `[4H, in]`). */
  weightIh: tf.Variable;
  /** `[H, 4H]` (PyTorch `weight_hh_l{k}` `[4H, H]`). */
  weightHh: tf.Variable;
  biasIh: tf.Variable | undefined;
  biasHh: tf.Variable | undefined;
}

/**
 * Long short-term memory (Hochreiter & Schmidhuber 1997) with PyTorch's equations and gate order i, f, g, o
 * (reference/m3dfel.md §4.1). For each layer and direction, with zero initial state h₀ = c₀ = 0:
 *
 *   [i f g o] = x_t·W_ih + b_ih + h_{t−1}·W_hh + b_hh   (each `[B, H]`)
 *   c_t = σ(f) ⊙ c_{t−1} + σ(i) ⊙ tanh(g),   h_t = σ(o) ⊙ tanh(c_t).
 *
 * The backward direction runs t = T−1 … 0; the layer output at step t is `[h_t^fwd ‖ h_t^bwd]`. Input
 * `[B, T, inputSize]`, output `[B, T, D·hiddenSize]` (D = 2 when bidirectional). No dropout between layers.
 *
 * State (PyTorch names, registered in PyTorch's order): `weight_ih_l{k}[_reverse]`,
 * `weight_hh_l{k}[_reverse]`, `bias_ih_l{k}[_reverse]`, `bias_hh_l{k}[_reverse]`. Weights are stored
 * transposed (`[in, 4H]`) in tfjs; the PyTorch layout converts on load/save. Initialised as PyTorch:
 * every tensor U(−1/√H, 1/√H).
 */
export class LSTM extends Module {
  readonly numLayers: number;
  readonly bidirectional: boolean;
  /** `cells[layer][direction]` (direction 0 forward, 1 backward). */
  private readonly cells: LSTMCellWeights[][] = [];

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    config: LSTMConfig = {},
  ) {
    super();
    this.numLayers = config.numLayers ?? 1;
    this.bidirectional = config.bidirectional ?? false;
    for (const [name, v] of [
      ['inputSize', inputSize],
      ['hiddenSize', hiddenSize],
      ['numLayers', this.numLayers],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new Error(`LSTM: ${name} must be a positive integer, got ${v}`);
    }
    const rng = config.rng ?? createRng(0);
    const h = hiddenSize;
    const bound = 1 / Math.sqrt(h);
    const directions = this.bidirectional ? 2 : 1;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const layerIn = layer === 0 ? inputSize : directions * h;
      const row: LSTMCellWeights[] = [];
      for (let d = 0; d < directions; d++) {
        const suffix = `_l${layer}${d === 1 ? '_reverse' : ''}`;
        const weightIh = this.registerParameter(
          `weight_ih${suffix}`,
          tf.tensor2d(uniformValues(layerIn * 4 * h, bound, rng), [layerIn, 4 * h]),
          { torchToTfjs: [1, 0] },
        );
        const weightHh = this.registerParameter(
          `weight_hh${suffix}`,
          tf.tensor2d(uniformValues(h * 4 * h, bound, rng), [h, 4 * h]),
          { torchToTfjs: [1, 0] },
        );
        const withBias = config.bias ?? true;
        const biasIh = withBias
          ? this.registerParameter(`bias_ih${suffix}`, tf.tensor1d(uniformValues(4 * h, bound, rng)))
          : undefined;
        const biasHh = withBias
          ? this.registerParameter(`bias_hh${suffix}`, tf.tensor1d(uniformValues(4 * h, bound, rng)))
          : undefined;
        row.push({ weightIh, weightHh, biasIh, biasHh });
      }
      this.cells.push(row);
    }
  }

  /** Output `[B, T, D·hiddenSize]` for input `[B, T, inputSize]`. */
  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.inputSize || x.shape[1] === 0) {
      throw new Error(
        `LSTM.forward: expected batch-first input [B, T ≥ 1, ${this.inputSize}], got [${x.shape.join(', ')}]`,
      );
    }
    return tf.tidy(() => {
      let seq = x as tf.Tensor3D;
      for (const row of this.cells) {
        const outputs = row.map((cell, d) => this.runDirection(seq, cell, d === 1));
        seq = outputs.length === 1 ? (outputs[0] as tf.Tensor3D) : tf.concat(outputs, 2);
      }
      return seq;
    });
  }

  /**
   * Lowers to one ONNX `LSTM` node per layer (opset 17, `direction` forward or bidirectional, zero initial
   * state). ONNX orders the gates i, o, f, c where PyTorch has i, f, g, o, so the weight blocks are
   * reordered; `B` holds `[b_ih ‖ b_hh]` per direction. The batch-first input is transposed to
   * `[T, B, in]`, and each layer's `Y` `[T, D, B, H]` becomes `[T, B, D·H]` for the next layer and
   * `[B, T, D·H]` at the end.
   */
  override toOnnx(graph: OnnxGraph, input: string): string {
    const h = this.hiddenSize;
    let seq = addTranspose(graph, input, [1, 0, 2]); // [T, B, in]
    for (const row of this.cells) {
      const [w, r, b] = tf.tidy(() => {
        const reorder = (t: tf.Tensor): tf.Tensor => {
          const [i, f, g, o] = tf.split(t, 4, t.rank - 1);
          return tf.concat([i as tf.Tensor, o as tf.Tensor, f as tf.Tensor, g as tf.Tensor], t.rank - 1);
        };
        // tfjs stores [in, 4H]; ONNX wants [D, 4H, in].
        const ws = tf.stack(row.map((c) => tf.transpose(reorder(c.weightIh))));
        const rs = tf.stack(row.map((c) => tf.transpose(reorder(c.weightHh))));
        const bs = tf.stack(
          row.map((c) =>
            tf.concat([
              c.biasIh === undefined ? tf.zeros([4 * h]) : reorder(c.biasIh),
              c.biasHh === undefined ? tf.zeros([4 * h]) : reorder(c.biasHh),
            ]),
          ),
        );
        return [ws, rs, bs];
      });
      const y = graph.addNodeWithOutputs(
        'LSTM',
        [
          seq,
          addTensorInitializer(graph, 'lstm_w', w),
          addTensorInitializer(graph, 'lstm_r', r),
          addTensorInitializer(graph, 'lstm_b', b),
        ],
        {
          hidden_size: onnxAttr.int(h),
          direction: onnxAttr.string(this.bidirectional ? 'bidirectional' : 'forward'),
        },
        { outputs: 1 },
      )[0] as string;
      tf.dispose([w, r, b]);
      seq = addReshape(graph, addTranspose(graph, y, [0, 2, 1, 3]), [0, 0, -1]); // [T, B, D·H]
    }
    return addTranspose(graph, seq, [1, 0, 2]);
  }

  /** One layer, one direction: `[B, T, in]` → `[B, T, H]`. */
  private runDirection(seq: tf.Tensor3D, cell: LSTMCellWeights, reverse: boolean): tf.Tensor3D {
    const [b, t, inSize] = seq.shape;
    const h = this.hiddenSize;
    // Input projection for every step at once: [B·T, in]·[in, 4H] (+ both biases).
    let projected: tf.Tensor = tf.matMul(tf.reshape(seq, [b * t, inSize]), cell.weightIh);
    if (cell.biasIh !== undefined) projected = tf.add(projected, cell.biasIh);
    if (cell.biasHh !== undefined) projected = tf.add(projected, cell.biasHh);
    const steps = tf.unstack(tf.reshape(projected, [b, t, 4 * h]), 1);
    let hPrev: tf.Tensor2D = tf.zeros([b, h]);
    let cPrev: tf.Tensor2D = tf.zeros([b, h]);
    const outputs = new Array<tf.Tensor2D>(t);
    for (let s = 0; s < t; s++) {
      const step = reverse ? t - 1 - s : s;
      const gates = tf.add(steps[step] as tf.Tensor2D, tf.matMul(hPrev, cell.weightHh));
      if (fusedKernelAvailable('lstmCell')) {
        // One kernel forward and one backward (runtime's fused LSTM cell) instead of ten ops.
        [hPrev, cPrev] = fusedLstmCell(gates as tf.Tensor2D, cPrev);
        outputs[step] = hPrev;
        continue;
      }
      const [i, f, g, o] = tf.split(gates, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      cPrev = tf.add(tf.mul(tf.sigmoid(f), cPrev), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      hPrev = tf.mul(tf.sigmoid(o), tf.tanh(cPrev));
      outputs[step] = hPrev;
    }
    return tf.stack(outputs, 1) as tf.Tensor3D;
  }
}
