/** Helpers shared by the layers' ONNX lowerings (graph building goes through `OnnxGraph` of @dfer/runtime). */
import type * as tf from '@tensorflow/tfjs-core';
import { onnxAttr, type OnnxGraph } from '@dfer/runtime';

import { permuteValues } from './permute';

/**
 * Adds `tensor` (optionally transposed by `perm`) as a float32 initializer under a unique name built from
 * `prefix`; returns its name.
 */
export function addTensorInitializer(
  graph: OnnxGraph,
  prefix: string,
  tensor: tf.Tensor,
  perm?: readonly number[],
): string {
  if (tensor.dtype !== 'float32') {
    throw new Error(`addTensorInitializer(${prefix}): float32 tensor expected, got ${tensor.dtype}`);
  }
  // typed-array copy and permutation: tfjs transposes and iterator copies are slow for paper-size weights
  const values = new Float32Array(tensor.dataSync() as Float32Array);
  const data = perm === undefined ? values : permuteValues(values, tensor.shape, perm);
  const shape = perm === undefined ? [...tensor.shape] : perm.map((p) => tensor.shape[p] as number);
  return graph.addInitializer(graph.uniqueName(prefix), data, shape, 'float32');
}

/** Adds a float32 scalar initializer (for Mul/Add with a constant); returns its name. */
export function addScalar(graph: OnnxGraph, prefix: string, value: number): string {
  return graph.addInitializer(graph.uniqueName(prefix), new Float32Array([value]), [], 'float32');
}

/** `Reshape` of `input` to `shape` (0 copies the input's dimension, −1 is inferred), as ONNX defines it. */
export function addReshape(graph: OnnxGraph, input: string, shape: readonly number[]): string {
  return graph.addNode('Reshape', [input, graph.addInt64Constant('shape', shape)]);
}

/** `Transpose` of `input` by `perm`. */
export function addTranspose(graph: OnnxGraph, input: string, perm: readonly number[]): string {
  return graph.addNode('Transpose', [input], { perm: onnxAttr.ints(perm) });
}
