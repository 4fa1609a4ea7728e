import { slice_util, util } from '@tensorflow/tfjs-core';
import type { KernelFunc, SliceAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { wasmHeapViews, type NumericArray } from '../backend-io';

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
    // Copies inside the heap with copyWithin on one view of the whole heap (no typed-array object per run).
    const heap = new (input.constructor as new (buffer: ArrayBufferLike) => NumericArray)(input.buffer);
    const from = input.byteOffset / input.BYTES_PER_ELEMENT;
    const to = output.byteOffset / output.BYTES_PER_ELEMENT;
    const rank = x.shape.length;
    const strides = util.computeStrides(x.shape);
    // One run per position of the outer axes: the last partly taken axis and every (fully taken) axis after
    // it (a contiguous slice is one run).
    let runAxis = Math.max(0, rank - 1);
    while (runAxis > 0 && size[runAxis] === x.shape[runAxis]) runAxis--;
    const run = util.sizeFromShape(size.slice(runAxis));
    const outerShape = size.slice(0, runAxis);
    const outer = util.sizeFromShape(outerShape);
    const index = new Array<number>(runAxis).fill(0);
    let start = from;
    for (let axis = 0; axis < rank; axis++) start += (begin[axis] as number) * (strides[axis] ?? 1);
    for (let r = 0; r < outer; r++) {
      let offset = start;
      for (let axis = 0; axis < runAxis; axis++)
        offset += (index[axis] as number) * (strides[axis] as number);
      heap.copyWithin(to + r * run, offset, offset + run);
      for (let axis = runAxis - 1; axis >= 0; axis--) {
        index[axis] = (index[axis] as number) + 1;
        if ((index[axis] as number) < (outerShape[axis] as number)) break;
        index[axis] = 0;
      }
    }
    return views.info;
  };
}
