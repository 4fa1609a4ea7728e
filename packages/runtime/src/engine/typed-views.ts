import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';

import { runTypedKernel } from './fused/typed-kernel';

/**
 * Typed-array access to tensors of the cpu and wasm backends without copies: the wasm heap or the cpu
 * backend's stored arrays, seen as `Float32Array`s. For code outside kernels that moves many values at once
 * (the data-parallel trainer's gradient sum and weight copy) — `dataSync()` copies out of the wasm heap and
 * `tf.tensor(values)` copies back in.
 */

interface EngineWithTensorInfo {
  makeTensorFromTensorInfo(info: TensorInfo): tf.Tensor;
}

function requireTypedBackend(who: string): KernelBackend {
  const name = tf.getBackend();
  if (name !== 'cpu' && name !== 'wasm') {
    throw new Error(`${who}: runs on the cpu and wasm backends, not '${name}'`);
  }
  return tf.backend() as KernelBackend;
}

/**
 * Calls `body` with float32 views of the values of `tensors` (no copies). The views are valid only while
 * `body` runs and must not be written; `body` must not run tfjs ops (an allocation can move the wasm heap).
 * Throws on a backend other than cpu or wasm, or on a tensor that is not float32.
 */
export function withFloat32Views<T>(tensors: readonly tf.Tensor[], body: (views: Float32Array[]) => T): T {
  const backend = requireTypedBackend('withFloat32Views');
  for (const t of tensors) {
    if (t.dtype !== 'float32') throw new Error(`typed views: expected float32 tensors, got ${t.dtype}`);
  }
  let result: T | undefined;
  runTypedKernel(backend, tensors, [], (views) => {
    result = body(views);
  });
  return result as T;
}

/**
 * A new float32 tensor of `shape` whose values `fill` writes into its memory, given float32 views of
 * `inputs` (no copies on either side: writing an input's view changes that tensor, which only its sole owner
 * may do — the fused AdamW update writes its moments so). `fill` must not run tfjs ops. Throws on a backend other than cpu or
 * wasm, or on an input that is not float32.
 */
export function float32TensorFrom(
  shape: readonly number[],
  inputs: readonly tf.Tensor[],
  fill: (output: Float32Array, inputs: Float32Array[]) => void,
): tf.Tensor {
  const backend = requireTypedBackend('float32TensorFrom');
  const [info] = runTypedKernel(backend, inputs, [shape], (views, [output]) => fill(output!, views));
  return (tf.engine() as unknown as EngineWithTensorInfo).makeTensorFromTensorInfo(info!);
}
