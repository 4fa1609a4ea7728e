import type { DataType, KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';

/** A kernel's `backend` argument (typed `{}` by tfjs-core's `KernelFunc`). */
export type AnyBackend = object;

/** A float32 or int32 typed array as tfjs backends store them. */
export type NumericArray = Float32Array | Int32Array | Uint8Array;

/** The members of the wasm backend that the kernel fixes use (not part of tfjs-core's public types). */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number, values?: NumericArray): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): NumericArray;
}

/** The member of the cpu backend that creates a tensor from values. */
interface CpuBackendLike {
  makeTensorInfo(shape: number[], dtype: DataType, values: NumericArray): TensorInfo;
}

/**
 * Whether `backend` is tfjs's wasm backend. Told apart by `typeof backend.typedArrayFromHeap === 'function'`
 * (see `reference/engine-notes.md`).
 */
export function isWasmBackend(backend: AnyBackend): boolean {
  return typeof (backend as unknown as Partial<WasmBackendLike>).typedArrayFromHeap === 'function';
}

/** Reads the values of a tensor held by `backend` as a typed array (a copy on wasm, the stored array on cpu). */
export function readValues(backend: AnyBackend, info: TensorInfo): NumericArray {
  return (backend as KernelBackend).readSync(info.dataId) as NumericArray;
}

/** Creates a tensor on `backend` (cpu or wasm) holding `values`. */
export function makeOutput(
  backend: AnyBackend,
  shape: number[],
  dtype: DataType,
  values: NumericArray,
): TensorInfo {
  if (isWasmBackend(backend)) {
    return (backend as unknown as WasmBackendLike).makeOutput(shape, dtype, undefined, values);
  }
  const cpu = backend as unknown as Partial<CpuBackendLike>;
  if (typeof cpu.makeTensorInfo !== 'function') {
    throw new Error('kernel fix: the backend can neither makeOutput (wasm) nor makeTensorInfo (cpu)');
  }
  return cpu.makeTensorInfo(shape, dtype, values);
}
