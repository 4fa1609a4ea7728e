/** Helpers shared by the layers' ONNX lowerings (graph building goes through `OnnxGraph` of @dfer/runtime). */
import * as tf from '@tensorflow/tfjs-core';
import { onnxAttr, type OnnxGraph } from '@dfer/runtime';

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
  const source = perm === undefined ? tensor : tf.transpose(tensor, [...perm]);
  const data = Float32Array.from(source.dataSync());
  const shape = [...source.shape];
  if (source !== tensor) source.dispose();
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
