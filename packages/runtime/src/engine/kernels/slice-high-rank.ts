import { slice_util, util } from '@tensorflow/tfjs-core';
import type { KernelFunc, SliceAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { makeOutput, readValues, type NumericArray } from '../backend-io';

/**
 * `Slice` for tensors of rank 5 and more on the wasm backend, whose stock kernel copies only ranks 2–4 with
 * typed arrays and falls back to an element-by-element loop above (M3DFEL's training step slices 5-D tensors
 * in the gradients of its explicit paddings). Copies whole innermost runs.
 * Ranks below 5, strings and contiguous slices go to the stock kernel (`fallback`).
 */
export function createHighRankSliceKernel(fallback: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const attrs = args.attrs as unknown as SliceAttrs;
    const [begin, size] = slice_util.parseSliceParams(x, attrs.begin, attrs.size) as [number[], number[]];
    const useStock =
      x.shape.length < 5 || x.dtype === 'string' || slice_util.isSliceContinous(x.shape, begin, size);
    if (useStock) {
      if (fallback === undefined) throw new Error('Slice: no stock kernel for ranks below 5');
      return fallback(args);
    }
    const rank = x.shape.length;
    const strides = util.computeStrides(x.shape);
    const xv = readValues(args.backend, x);
    const out = new (xv.constructor as new (n: number) => NumericArray)(util.sizeFromShape(size));
    const run = size[rank - 1] as number;
    const outerShape = size.slice(0, rank - 1);
    const outer = util.sizeFromShape(outerShape);
    const index = new Array<number>(rank - 1).fill(0);
    for (let r = 0; r < outer; r++) {
      let offset = begin[rank - 1] as number;
      for (let axis = 0; axis < rank - 1; axis++) {
        offset += ((begin[axis] as number) + (index[axis] as number)) * (strides[axis] as number);
      }
      out.set(xv.subarray(offset, offset + run), r * run);
      for (let axis = rank - 2; axis >= 0; axis--) {
        index[axis] = (index[axis] as number) + 1;
        if ((index[axis] as number) < (outerShape[axis] as number)) break;
        index[axis] = 0;
      }
    }
    return makeOutput(args.backend, size, x.dtype, out);
  };
}
