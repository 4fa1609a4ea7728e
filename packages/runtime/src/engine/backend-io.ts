import { getKernel } from '@tensorflow/tfjs-core';
import type { DataType, KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/** A kernel's `backend` argument (typed `{}` by tfjs-core's `KernelFunc`). */
export type AnyBackend = object;

/** A float32 or int32 typed array as tfjs backends store them. */
export type NumericArray = Float32Array | Int32Array | Uint8Array;

/** The members of the wasm backend that the kernel fixes use (not part of tfjs-core's public types). */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number, values?: NumericArray): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): NumericArray;
}

/**
 * On the wasm backend: a new output tensor of `shape` and `dtype`, and views of `input`'s and the output's
 * memory in the wasm heap (no copies; valid until the next allocation, so fill `output` right away).
 * `undefined` on other backends.
 */
export function wasmHeapViews(
  backend: AnyBackend,
  input: TensorInfo,
  shape: number[],
  dtype: DataType,
): { info: TensorInfo; input: NumericArray; output: NumericArray } | undefined {
  if (!isWasmBackend(backend)) return undefined;
  const wasm = backend as unknown as WasmBackendLike;
  const info = wasm.makeOutput(shape, dtype);
  return { info, input: wasm.typedArrayFromHeap(input), output: wasm.typedArrayFromHeap(info) };
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

/**
 * The kernel `name` registered on `backendName`, for a kernel fix that calls another kernel.
 *
 * @throws Error `<who>: no <name> kernel on '<backendName>'` when there is none.
 */
export function requireKernel(name: string, backendName: string, who: string): KernelFunc {
  const kernel = getKernel(name, backendName);
  if (kernel === undefined) throw new Error(`${who}: no ${name} kernel on '${backendName}'`);
  return kernel.kernelFunc;
}

/** Frees the backend data of the temporary tensors a kernel fix created (not tracked by the engine). */
export function disposeInfos(backend: AnyBackend, infos: readonly TensorInfo[]): void {
  for (const info of infos) (backend as KernelBackend).disposeData(info.dataId);
}
