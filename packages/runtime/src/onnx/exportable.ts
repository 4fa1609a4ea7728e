import type { OnnxGraph } from './onnx-graph';

/**
 * A layer or module that can lower its forward pass to ONNX. `toOnnx` appends nodes to `graph` that
 * read the value named `input` and returns the name of the value it produces.
 *
 * Layout convention: values between modules keep the tfjs layout (channels-last: NHWC, NDHWC, or
 * [batch, tokens, features]). A module that needs a channels-first ONNX op (Conv, MaxPool,
 * BatchNormalization, GlobalAveragePool) transposes in and out itself (see
 * {@link transposeToChannelsFirst}); onnxruntime removes the adjacent transpose pairs when optimising.
 */
export interface Exportable {
  toOnnx(graph: OnnxGraph, input: string): string;
}

/** A whole model for {@link exportOnnx}: a single output name, or named outputs such as `{ logits, auLogits }`. */
export interface ExportableModel {
  toOnnx(graph: OnnxGraph, input: string): string | Readonly<Record<string, string>>;
  /**
   * The clip size the model was built for (the backbones' `VideoModel.inputSpec`); when present,
   * `exportOnnx` checks `inputShape` against it.
   */
  readonly inputSpec?: ExportableInputSpec;
}

/** The input sizes {@link ExportableModel.inputSpec} states: clips `[batch, frames, height, width, channels]`. */
export interface ExportableInputSpec {
  readonly frames: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

function permutation(rank: number, toFirst: boolean): number[] {
  if (!Number.isSafeInteger(rank) || rank < 3)
    throw new Error(`layout transpose: rank must be an integer >= 3, got ${rank}`);
  const middle = Array.from({ length: rank - 2 }, (_, i) => i + 1);
  return toFirst ? [0, rank - 1, ...middle] : [0, ...middle.map((i) => i + 1), 1];
}

/** Appends `Transpose` from channels-last ([N, …spatial, C]) to channels-first ([N, C, …spatial]); returns the new value. */
export function transposeToChannelsFirst(graph: OnnxGraph, input: string, rank: number): string {
  return graph.addNode('Transpose', [input], { perm: { type: 'ints', value: permutation(rank, true) } });
}

/** Appends `Transpose` from channels-first ([N, C, …spatial]) back to channels-last ([N, …spatial, C]); returns the new value. */
export function transposeToChannelsLast(graph: OnnxGraph, input: string, rank: number): string {
  return graph.addNode('Transpose', [input], { perm: { type: 'ints', value: permutation(rank, false) } });
}
