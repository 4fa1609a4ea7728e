import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { createCpuDelegateKernel } from './cpu-delegate';

/** The most dimensions XNNPACK's operators accept. */
const XNNPACK_MAX_RANK = 6;

/**
 * The stock wasm kernels that run through XNNPACK and return garbage, without an error, for tensors of more
 * than {@link XNNPACK_MAX_RANK} dimensions (XNNPACK only prints `XNN status … Got status 4`; measured here
 * against the cpu kernels, rank 7).
 */
export const XNNPACK_RANK_LIMITED_KERNELS: readonly string[] = [
  'Add',
  'Sub',
  'Multiply',
  'RealDiv',
  'SquaredDifference',
  'PadV2',
];

/**
 * The stock wasm kernel for inputs of rank ≤ 6, and the cpu kernel above (correct, slower; no model of this
 * toolkit uses rank 7).
 */
export function createRankLimitedKernel(kernelName: string, stock: KernelFunc | undefined): KernelFunc {
  if (stock === undefined) throw new Error(`${kernelName} kernel fix: no stock kernel on wasm`);
  const delegate = createCpuDelegateKernel(kernelName);
  return (args) => {
    const { a, b, x } = args.inputs as { a?: TensorInfo; b?: TensorInfo; x?: TensorInfo };
    const rank = Math.max(a?.shape.length ?? 0, b?.shape.length ?? 0, x?.shape.length ?? 0);
    return rank > XNNPACK_MAX_RANK ? delegate(args) : stock(args);
  };
}
