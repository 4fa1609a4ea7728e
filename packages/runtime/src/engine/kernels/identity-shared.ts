import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/** The member of the wasm backend that counts references to a buffer (as its `Reshape` uses it). */
interface RefCountingBackend {
  incRef(dataId: object): void;
}

/**
 * `Identity` on the wasm backend that shares the input's buffer (one more reference) instead of copying it,
 * as the cpu backend's does. Tensors are immutable, so a copy is never needed; the stock kernel allocates
 * and copies each time (hundreds of calls per training step: most gradients pass `dy` through it). Strings go to the stock kernel (`fallback`).
 */
export function createSharingIdentityKernel(fallback: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const backend = args.backend as Partial<RefCountingBackend>;
    if (x.dtype === 'string' || typeof backend.incRef !== 'function') {
      if (fallback === undefined) throw new Error('Identity: no stock kernel for strings');
      return fallback(args);
    }
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}
