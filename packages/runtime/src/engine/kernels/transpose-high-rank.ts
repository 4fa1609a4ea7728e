import { util } from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo, TransposeAttrs } from '@tensorflow/tfjs-core';
import { makeOutput, readValues, wasmHeapViews, type NumericArray } from '../backend-io';

/** The smallest rank (after {@link collapseTranspose}) that the stock wasm kernel handles slowly. */
const SLOW_STOCK_RANK = 6;

/**
 * The same transposition on fewer axes: size-1 axes dropped, and input axes that stay neighbours in the
 * output order merged into one. `x` of `shape` transposed by `perm` and `x` reshaped to the returned
 * `shape` transposed by the returned `perm` hold the same values in the same order.
 */
export function collapseTranspose(
  shape: readonly number[],
  perm: readonly number[],
): { shape: number[]; perm: number[] } {
  const kept = perm.filter((axis) => (shape[axis] as number) !== 1);
  // Groups of consecutive input axes, in output order.
  const groups: number[][] = [];
  for (const axis of kept) {
    const last = groups[groups.length - 1];
    if (last !== undefined && (last[last.length - 1] as number) + 1 === axis) last.push(axis);
    else groups.push([axis]);
  }
  const inputOrder = groups
    .map((g, outputIndex) => ({
      first: g[0] as number,
      outputIndex,
      size: g.reduce((p, a) => p * (shape[a] as number), 1),
    }))
    .sort((a, b) => a.first - b.first);
  const inputIndexOfGroup = new Array<number>(groups.length);
  inputOrder.forEach((g, inputIndex) => (inputIndexOfGroup[g.outputIndex] = inputIndex));
  return { shape: inputOrder.map((g) => g.size), perm: inputIndexOfGroup };
}

/**
 * Writes `x` (of `shape`, row-major) transposed by `perm` into `out`. Copies whole innermost runs when the
 * last axis stays last, else walks the output in order with the input stride of its last axis.
 */
export function transposeValues(
  x: NumericArray,
  shape: readonly number[],
  perm: readonly number[],
  out: NumericArray,
): void {
  const rank = shape.length;
  if (rank === 0) {
    out.set(x);
    return;
  }
  const strides = [...util.computeStrides([...shape]), 1];
  const outShape = perm.map((axis) => shape[axis] as number);
  const inStride = perm.map((axis) => strides[axis] as number);
  const innerSize = outShape[rank - 1] as number;
  const innerStride = inStride[rank - 1] as number;
  const outer = util.sizeFromShape(outShape.slice(0, rank - 1));
  const index = new Array<number>(rank - 1).fill(0);
  let offset = 0;
  let o = 0;
  for (let r = 0; r < outer; r++) {
    if (innerStride === 1) {
      for (let i = 0; i < innerSize; i++) out[o + i] = x[offset + i] as number;
    } else {
      for (let i = 0, j = offset; i < innerSize; i++, j += innerStride) out[o + i] = x[j] as number;
    }
    o += innerSize;
    for (let axis = rank - 2; axis >= 0; axis--) {
      index[axis] = (index[axis] as number) + 1;
      offset += inStride[axis] as number;
      if ((index[axis] as number) < (outShape[axis] as number)) break;
      offset -= (index[axis] as number) * (inStride[axis] as number);
      index[axis] = 0;
    }
  }
}

/**
 * `Transpose` on the wasm backend for permutations that still have 6 or more axes after size-1 axes are
 * dropped and neighbouring axes merged: the stock kernel has fast paths up to rank 5 and an index-by-index
 * loop above (MAE-DFER's tubelet patch layout, e.g. `[64, 2, 4, 16, 4, 48]`, takes that loop). Everything else, and strings, goes to the stock kernel (`fallback`).
 */
export function createHighRankTransposeKernel(fallback: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const { perm } = args.attrs as unknown as TransposeAttrs;
    // Collapsing only lowers the rank, so most calls (rank ≤ 5) go to the stock kernel without it.
    const collapsed =
      x.shape.length < SLOW_STOCK_RANK || x.dtype === 'string' ? undefined : collapseTranspose(x.shape, perm);
    if (collapsed === undefined || collapsed.shape.length < SLOW_STOCK_RANK) {
      if (fallback === undefined) throw new Error('Transpose: no stock kernel for ranks below 6');
      return fallback(args);
    }
    const outShape = perm.map((axis) => x.shape[axis] as number);
    const heap = wasmHeapViews(args.backend, x, outShape, x.dtype);
    if (heap !== undefined) {
      transposeValues(heap.input, collapsed.shape, collapsed.perm, heap.output);
      return heap.info;
    }
    const xv = readValues(args.backend, x);
    const out = new (xv.constructor as new (n: number) => NumericArray)(xv.length);
    transposeValues(xv, collapsed.shape, collapsed.perm, out);
    return makeOutput(args.backend, outShape, x.dtype, out);
  };
}
