import { getKernel } from '@tensorflow/tfjs-core';
import type { BatchMatMulAttrs, KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * `BatchMatMul` on the wasm backend with `transposeA` / `transposeB`: the operand is transposed explicitly
 * (the backend's own `Transpose` kernel, last two axes) and the stock kernel runs untransposed. The stock
 * kernel's transposed paths are 10–30× slower than its plain one on the shapes of the models here
 * (measured: [1088, 64] · [64, 192] takes 1.3 ms plain, 13 ms with either flag), and every matmul gradient
 * uses them. Plain products go straight to the stock kernel.
 */
export function createTransposingBatchMatMulKernel(
  backendName: string,
  stock: KernelFunc | undefined,
): KernelFunc {
  if (stock === undefined) throw new Error(`BatchMatMul kernel fix: no stock kernel on '${backendName}'`);
  return (args) => {
    const attrs = args.attrs as unknown as BatchMatMulAttrs;
    if (!attrs.transposeA && !attrs.transposeB) return stock(args);
    const transpose = getKernel('Transpose', backendName);
    if (transpose === undefined)
      throw new Error(`BatchMatMul kernel fix: no Transpose kernel on '${backendName}'`);
    const swapLast = (info: TensorInfo): TensorInfo => {
      const rank = info.shape.length;
      const perm = Array.from({ length: rank }, (_, i) => i);
      perm[rank - 2] = rank - 1;
      perm[rank - 1] = rank - 2;
      return transpose.kernelFunc({
        inputs: { x: info },
        backend: args.backend,
        attrs: { perm },
      }) as TensorInfo;
    };
    const temporaries: TensorInfo[] = [];
    const operand = (name: 'a' | 'b', transposed: boolean): TensorInfo => {
      const info = args.inputs[name] as TensorInfo;
      if (!transposed) return info;
      const t = swapLast(info);
      temporaries.push(t);
      return t;
    };
    try {
      return stock({
        inputs: { a: operand('a', attrs.transposeA), b: operand('b', attrs.transposeB) },
        backend: args.backend,
        attrs: { ...attrs, transposeA: false, transposeB: false } as never,
      });
    } finally {
      for (const t of temporaries) (args.backend as KernelBackend).disposeData(t.dataId);
    }
  };
}
