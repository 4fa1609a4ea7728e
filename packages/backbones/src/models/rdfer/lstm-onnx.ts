/** ONNX lowering of the (Bi)LSTM of `nn/lstm.ts` with the ONNX `LSTM` operator, one node per layer. */
import { onnxAttr, type OnnxGraph } from '@dfer/runtime';

import type { LSTM } from '../../nn/lstm';
import { addReshape, addTranspose } from '../../nn/onnx';

/** tfjs gate blocks (PyTorch order i, f, g, o) in ONNX order i, o, f, c. */
const ONNX_GATE_ORDER = [0, 3, 1, 2] as const;

/** `[rows, 4H]` tfjs weight → ONNX `[4H, rows]` with the gate blocks reordered i, o, f, c. */
function onnxGateMatrix(weight: Float32Array, rows: number, h: number): Float32Array {
  const out = new Float32Array(4 * h * rows);
  ONNX_GATE_ORDER.forEach((gate, slot) => {
    for (let j = 0; j < h; j++) {
      for (let r = 0; r < rows; r++)
        out[(slot * h + j) * rows + r] = weight[r * 4 * h + gate * h + j] as number;
    }
  });
  return out;
}

function onnxGateBias(bias: Float32Array | undefined, h: number): Float32Array {
  const out = new Float32Array(4 * h);
  if (bias === undefined) return out;
  ONNX_GATE_ORDER.forEach((gate, slot) => out.set(bias.subarray(gate * h, gate * h + h), slot * h));
  return out;
}

/**
 * Lowers `lstm` (batch-first `[B, T, in]` → `[B, T, D·H]`) to ONNX `LSTM` nodes (opset 17): per layer,
 * `X = Transpose(x) [T, B, in]`, `W [D, 4H, in]`, `R [D, 4H, H]`, `B [D, 8H] = [b_ih ‖ b_hh]` with the
 * gates reordered from PyTorch's i, f, g, o to ONNX's i, o, f, c; the output `Y [T, D, B, H]` becomes
 * `[B, T, D·H]` (`[h_fwd ‖ h_bwd]`, as the tfjs forward). Zero initial state, no peepholes.
 */
export function lstmToOnnx(graph: OnnxGraph, lstm: LSTM, input: string): string {
  const params = new Map(lstm.namedParameters());
  const h = lstm.hiddenSize;
  const directions = lstm.bidirectional ? 2 : 1;
  let seq = input;
  for (let layer = 0; layer < lstm.numLayers; layer++) {
    const rows = layer === 0 ? lstm.inputSize : directions * h;
    const w = new Float32Array(directions * 4 * h * rows);
    const r = new Float32Array(directions * 4 * h * h);
    const b = new Float32Array(directions * 8 * h);
    for (let d = 0; d < directions; d++) {
      const suffix = `_l${layer}${d === 1 ? '_reverse' : ''}`;
      const read = (name: string): Float32Array | undefined => {
        const v = params.get(`${name}${suffix}`);
        return v === undefined ? undefined : Float32Array.from(v.dataSync());
      };
      const wih = read('weight_ih');
      const whh = read('weight_hh');
      if (wih === undefined || whh === undefined) {
        throw new Error(`lstmToOnnx: LSTM lacks weight_ih${suffix} / weight_hh${suffix}`);
      }
      w.set(onnxGateMatrix(wih, rows, h), d * 4 * h * rows);
      r.set(onnxGateMatrix(whh, h, h), d * 4 * h * h);
      b.set(onnxGateBias(read('bias_ih'), h), d * 8 * h);
      b.set(onnxGateBias(read('bias_hh'), h), d * 8 * h + 4 * h);
    }
    const [y] = graph.addNodeWithOutputs(
      'LSTM',
      [
        addTranspose(graph, seq, [1, 0, 2]),
        graph.addInitializer(graph.uniqueName('lstm_W'), w, [directions, 4 * h, rows], 'float32'),
        graph.addInitializer(graph.uniqueName('lstm_R'), r, [directions, 4 * h, h], 'float32'),
        graph.addInitializer(graph.uniqueName('lstm_B'), b, [directions, 8 * h], 'float32'),
      ],
      {
        hidden_size: onnxAttr.int(h),
        direction: onnxAttr.string(directions === 2 ? 'bidirectional' : 'forward'),
      },
      { outputs: 1 },
    ) as [string];
    // Y [T, D, B, H] → [B, T, D, H] → [B, T, D·H].
    seq = addReshape(graph, addTranspose(graph, y, [2, 0, 1, 3]), [0, 0, directions * h]);
  }
  return seq;
}
