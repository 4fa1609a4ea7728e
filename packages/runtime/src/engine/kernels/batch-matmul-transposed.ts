import { broadcast_util, util } from '@tensorflow/tfjs-core';
import { disposeInfos, requireKernel } from '../backend-io';
import type { BatchMatMulAttrs, KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * `BatchMatMul` on the wasm backend with `transposeA` / `transposeB`: operands are transposed explicitly
 * (the backend's own `Transpose` kernel, last two axes) and the stock kernel runs untransposed. The stock
 * kernel's transposed paths are an order of magnitude slower than its plain one on the shapes of the
 * models here, and every matmul gradient uses them. Plain products go straight to the stock kernel.
 *
 * Of the two ways to get `C = op(A) · op(B)` with plain products — transpose the flagged operands, or
 * compute `Cᵀ = op(B)ᵀ · op(A)ᵀ` (transposing the unflagged operands) and transpose `Cᵀ` — the one that
 * moves fewer values is taken: a weight gradient `Xᵀ · dY` with a large `X` (MAE-DFER-tiny's tubelet
 * embedding: [1024, 1536]ᵀ · [1024, 64]) then transposes `dY` and the small result instead of `X`.
 */
export function createTransposingBatchMatMulKernel(
  backendName: string,
  stock: KernelFunc | undefined,
): KernelFunc {
  if (stock === undefined) throw new Error(`BatchMatMul kernel fix: no stock kernel on '${backendName}'`);
  return (args) => {
    const attrs = args.attrs as unknown as BatchMatMulAttrs;
    if (!attrs.transposeA && !attrs.transposeB) return stock(args);
    const transpose = requireKernel('Transpose', backendName, 'BatchMatMul kernel fix');
    const backend = args.backend as KernelBackend;
    const swapLast = (info: TensorInfo): TensorInfo => {
      const rank = info.shape.length;
      const perm = Array.from({ length: rank }, (_, i) => i);
      perm[rank - 2] = rank - 1;
      perm[rank - 1] = rank - 2;
      return transpose({ inputs: { x: info }, backend, attrs: { perm } }) as TensorInfo;
    };
    const a = args.inputs.a as TensorInfo;
    const b = args.inputs.b as TensorInfo;
    const sizeA = util.sizeFromShape(a.shape);
    const sizeB = util.sizeFromShape(b.shape);
    const m = a.shape[a.shape.length - (attrs.transposeA ? 1 : 2)] as number;
    const n = b.shape[b.shape.length - (attrs.transposeB ? 2 : 1)] as number;
    const batch = util.sizeFromShape(
      broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)),
    );
    const movedDirect = (attrs.transposeA ? sizeA : 0) + (attrs.transposeB ? sizeB : 0);
    const movedSwapped = (attrs.transposeA ? 0 : sizeA) + (attrs.transposeB ? 0 : sizeB) + batch * m * n;
    const temporaries: TensorInfo[] = [];
    const operand = (info: TensorInfo, transposed: boolean): TensorInfo => {
      if (!transposed) return info;
      const t = swapLast(info);
      temporaries.push(t);
      return t;
    };
    const plain = { ...attrs, transposeA: false, transposeB: false } as never;
    try {
      if (movedDirect <= movedSwapped) {
        return stock({
          inputs: { a: operand(a, attrs.transposeA), b: operand(b, attrs.transposeB) },
          backend,
          attrs: plain,
        });
      }
      const productT = stock({
        inputs: { a: operand(b, !attrs.transposeB), b: operand(a, !attrs.transposeA) },
        backend,
        attrs: plain,
      }) as TensorInfo;
      temporaries.push(productT);
      return swapLast(productT);
    } finally {
      disposeInfos(backend, temporaries);
    }
  };
}
