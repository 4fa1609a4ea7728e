import { findBackend, getKernel } from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelFunc, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { makeOutput, readValues } from '../backend-io';

interface CpuBackendLike extends KernelBackend {
  makeTensorInfo(shape: number[], dtype: TensorInfo['dtype'], values: ArrayLike<number>): TensorInfo;
  disposeIntermediateTensorInfo(info: TensorInfo): void;
}

/**
 * A wasm kernel that runs the cpu backend's kernel `kernelName`: it copies the inputs from the wasm heap
 * into cpu tensors (`backend.readSync`), runs the cpu kernel, and writes the result back as a wasm tensor
 * (`backend.makeOutput`). Used for the kernels wasm lacks or gets wrong (`reference/engine-notes.md`).
 */
export function createCpuDelegateKernel(kernelName: string): KernelFunc {
  return (args) => {
    const cpuKernel = getKernel(kernelName, 'cpu');
    if (cpuKernel === undefined) {
      throw new Error(
        `kernel fix ${kernelName} on wasm: the cpu kernel is not registered (import @tensorflow/tfjs-backend-cpu)`,
      );
    }
    const cpu = findBackend('cpu') as CpuBackendLike | null;
    if (cpu === null) throw new Error(`kernel fix ${kernelName} on wasm: the cpu backend is not available`);
    const cpuInputs: NamedTensorInfoMap = {};
    const created: TensorInfo[] = [];
    for (const [name, info] of Object.entries(args.inputs)) {
      if (info === undefined) continue;
      const copy = cpu.makeTensorInfo([...info.shape], info.dtype, readValues(args.backend, info));
      cpuInputs[name] = copy;
      created.push(copy);
    }
    const result = cpuKernel.kernelFunc({ inputs: cpuInputs, attrs: args.attrs ?? {}, backend: cpu });
    const outputs = Array.isArray(result) ? result : [result];
    const wasmOutputs = outputs.map((out) => {
      const values = readValues(cpu, out);
      return makeOutput(args.backend, [...out.shape], out.dtype, values.slice());
    });
    for (const info of [...created, ...outputs]) cpu.disposeIntermediateTensorInfo(info);
    return Array.isArray(result) ? wasmOutputs : (wasmOutputs[0] as TensorInfo);
  };
}
