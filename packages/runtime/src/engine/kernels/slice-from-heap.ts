import { slice_util, util } from '@tensorflow/tfjs-core';
import type { KernelFunc, SliceAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { wasmHeapViews } from '../backend-io';

/**
 * `Slice` on the wasm backend that copies from the input's memory in the wasm heap. The stock kernel first
 * copies the whole input out of the heap (`readSync`) for every slice, however small, and goes element by
 * element above rank 4 (M3DFEL's training step slices 5-D tensors in the gradients of its explicit paddings;
 * the convolution kernels slice the frames of each temporal tap). Copies whole innermost runs.
 * Strings go to the stock kernel (`fallback`).
 */
export function createSliceFromHeapKernel(fallback: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const attrs = args.attrs as unknown as SliceAttrs;
    const [begin, size] = slice_util.parseSliceParams(x, attrs.begin, attrs.size) as [number[], number[]];
    const views = x.dtype === 'string' ? undefined : wasmHeapViews(args.backend, x, size, x.dtype);
    if (views === undefined) {
      if (fallback === undefined) throw new Error('Slice: no stock kernel for strings');
      return fallback(args);
    }
    const { input, output } = views;
    const rank = x.shape.length;
    const strides = util.computeStrides(x.shape);
    if (rank === 0 || slice_util.isSliceContinous(x.shape, begin, size)) {
      const offset = rank === 0 ? 0 : slice_util.computeFlatOffset(begin, strides);
      output.set(input.subarray(offset, offset + output.length));
      return views.info;
    }
    const run = size[rank - 1] as number;
    const outerShape = size.slice(0, rank - 1);
    const outer = util.sizeFromShape(outerShape);
    const index = new Array<number>(rank - 1).fill(0);
    for (let r = 0; r < outer; r++) {
      let offset = begin[rank - 1] as number;
      for (let axis = 0; axis < rank - 1; axis++) {
        offset += ((begin[axis] as number) + (index[axis] as number)) * (strides[axis] as number);
      }
      output.set(input.subarray(offset, offset + run), r * run);
      for (let axis = rank - 2; axis >= 0; axis--) {
        index[axis] = (index[axis] as number) + 1;
        if ((index[axis] as number) < (outerShape[axis] as number)) break;
        index[axis] = 0;
      }
    }
    return views.info;
  };
}
