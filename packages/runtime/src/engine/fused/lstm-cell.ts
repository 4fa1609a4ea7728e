import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';

import type { AnyBackend } from '../backend-io';
import { runTypedKernel, typedKernel } from './typed-kernel';

/** Kernel names of the fused LSTM cell update. */
export const LSTM_CELL_KERNEL = 'DferLstmCell';
const LSTM_CELL_GRAD_KERNEL = 'DferLstmCellGrad';

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

function forward(backend: AnyBackend, [gates, c]: TensorInfo[]): TensorInfo[] {
  const [b, h] = c!.shape as [number, number];
  return runTypedKernel(
    backend,
    [gates!, c!],
    [
      [b, h],
      [b, h],
    ],
    ([a, cv], [hOut, cOut]) => {
      for (let r = 0; r < b; r++) {
        const ga = r * 4 * h;
        const o = r * h;
        for (let j = 0; j < h; j++) {
          const i = sigmoid(a![ga + j] as number);
          const f = sigmoid(a![ga + h + j] as number);
          const g = Math.tanh(a![ga + 2 * h + j] as number);
          const og = sigmoid(a![ga + 3 * h + j] as number);
          const cNew = f * (cv![o + j] as number) + i * g;
          cOut![o + j] = cNew;
          hOut![o + j] = og * Math.tanh(cNew);
        }
      }
    },
  );
}

/**
 * Backward of c′ = σ(a_f)·c + σ(a_i)·tanh(a_g), h = σ(a_o)·tanh(c′) (gates a = [a_i, a_f, a_g, a_o] along the
 * last axis, PyTorch's order): with δc = dc′ + dh·o·(1 − tanh²c′),
 * da_i = δc·g·i(1 − i), da_f = δc·c·f(1 − f), da_g = δc·i·(1 − g²), da_o = dh·tanh(c′)·o(1 − o), dc = δc·f.
 */
function backward(backend: AnyBackend, [dh, dcNew, gates, c]: TensorInfo[]): TensorInfo[] {
  const [b, h] = c!.shape as [number, number];
  return runTypedKernel(
    backend,
    [dh!, dcNew!, gates!, c!],
    [gates!.shape, [b, h]],
    ([dhv, dcv, a, cv], [da, dc]) => {
      for (let r = 0; r < b; r++) {
        const ga = r * 4 * h;
        const o = r * h;
        for (let j = 0; j < h; j++) {
          const i = sigmoid(a![ga + j] as number);
          const f = sigmoid(a![ga + h + j] as number);
          const g = Math.tanh(a![ga + 2 * h + j] as number);
          const og = sigmoid(a![ga + 3 * h + j] as number);
          const cPrev = cv![o + j] as number;
          const tc = Math.tanh(f * cPrev + i * g);
          const dhj = dhv![o + j] as number;
          const delta = (dcv![o + j] as number) + dhj * og * (1 - tc * tc);
          da![ga + j] = delta * g * i * (1 - i);
          da![ga + h + j] = delta * cPrev * f * (1 - f);
          da![ga + 2 * h + j] = delta * i * (1 - g * g);
          da![ga + 3 * h + j] = dhj * tc * og * (1 - og);
          dc![o + j] = delta * f;
        }
      }
    },
  );
}

/** The fused LSTM-cell kernels for `backendName` (cpu or wasm). */
export function lstmCellKernels(backendName: string): KernelConfig[] {
  return [
    { kernelName: LSTM_CELL_KERNEL, backendName, kernelFunc: typedKernel(['gates', 'c'], forward) },
    {
      kernelName: LSTM_CELL_GRAD_KERNEL,
      backendName,
      kernelFunc: typedKernel(['dh', 'dc', 'gates', 'c'], backward),
    },
  ];
}

/** Gradient of the fused LSTM cell: one backward kernel for the gates and the previous cell state. */
export const lstmCellGradConfig: GradConfig = {
  kernelName: LSTM_CELL_KERNEL,
  inputsToSave: ['gates', 'c'],
  gradFunc: (dys, saved) => {
    const [dh, dc] = dys as tf.Tensor[];
    const [gates, c] = saved as [tf.Tensor, tf.Tensor];
    const [dGates, dC] = tf
      .engine()
      .runKernel(LSTM_CELL_GRAD_KERNEL, { dh: dh!, dc: dc!, gates, c }, {}) as tf.Tensor[];
    return { gates: () => dGates!, c: () => dC! };
  },
};

/**
 * One LSTM step's cell update in one kernel (and one backward kernel), PyTorch's gate order i, f, g, o:
 * from the gate pre-activations `gates` `[B, 4H]` (x·W_ih + h·W_hh + biases) and the previous cell state
 * `c` `[B, H]`: c′ = σ(f)·c + σ(i)·tanh(g), h = σ(o)·tanh(c′). Returns `[h, c′]`.
 */
export function fusedLstmCell(gates: tf.Tensor2D, c: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
  if (
    gates.rank !== 2 ||
    c.rank !== 2 ||
    gates.shape[0] !== c.shape[0] ||
    gates.shape[1] !== 4 * c.shape[1]
  ) {
    throw new Error(
      `fusedLstmCell: expected gates [B, 4H] and c [B, H], got [${gates.shape.join(', ')}] and [${c.shape.join(', ')}]`,
    );
  }
  return tf.engine().runKernel(LSTM_CELL_KERNEL, { gates, c }, {}) as unknown as [tf.Tensor2D, tf.Tensor2D];
}
