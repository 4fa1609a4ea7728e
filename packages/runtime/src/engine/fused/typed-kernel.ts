import type { DataType, KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import { isWasmBackend, type AnyBackend } from '../backend-io';

/** The wasm backend members a typed-array kernel uses (not in tfjs-core's public types). */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

/** The cpu backend member that creates a tensor from values. */
interface CpuBackendLike {
  makeTensorInfo(shape: number[], dtype: DataType, values: Float32Array): TensorInfo;
}

/** Shape of one output of a typed-array kernel (always float32). */
export type OutputShape = readonly number[];

/**
 * Runs `compute` on float32 views of `inputs` and of freshly allocated `outputs`, on the cpu or wasm
 * backend, and returns the outputs' tensor infos. On wasm every output is allocated first and the views
 * point into the wasm heap (no copies; no allocation happens while they are used); on cpu the inputs are
 * the stored arrays and the outputs new arrays. Inputs must be float32.
 */
export function runTypedKernel(
  backend: AnyBackend,
  inputs: readonly TensorInfo[],
  outputShapes: readonly OutputShape[],
  compute: (inputs: Float32Array[], outputs: Float32Array[]) => void,
): TensorInfo[] {
  for (const info of inputs) {
    if (info.dtype !== 'float32') throw new Error(`fused kernel: expected float32 inputs, got ${info.dtype}`);
  }
  if (isWasmBackend(backend)) {
    const wasm = backend as unknown as WasmBackendLike;
    const outs = outputShapes.map((shape) => wasm.makeOutput([...shape], 'float32'));
    compute(
      inputs.map((info) => wasm.typedArrayFromHeap(info)),
      outs.map((info) => wasm.typedArrayFromHeap(info)),
    );
    return outs;
  }
  const cpu = backend as unknown as Partial<CpuBackendLike>;
  if (typeof cpu.makeTensorInfo !== 'function') {
    throw new Error('fused kernel: the backend is neither wasm nor cpu');
  }
  const values = outputShapes.map((shape) => new Float32Array(shape.reduce((a, b) => a * b, 1)));
  compute(
    inputs.map((info) => (backend as KernelBackend).readSync(info.dataId) as Float32Array),
    values,
  );
  return outputShapes.map((shape, i) => cpu.makeTensorInfo!([...shape], 'float32', values[i]!));
}

/** A kernel function from a typed-array body: `(backend, inputs by name, attrs) → outputs`. */
export function typedKernel<A>(
  inputNames: readonly string[],
  body: (backend: AnyBackend, inputs: TensorInfo[], attrs: A) => TensorInfo | TensorInfo[],
): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const infos = inputNames.map((name) => {
      const info = inputs[name];
      if (info === undefined) throw new Error(`fused kernel: missing input '${name}'`);
      return info;
    });
    return body(backend, infos, attrs as unknown as A);
  };
}
