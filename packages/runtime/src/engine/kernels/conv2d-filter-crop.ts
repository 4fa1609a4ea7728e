import { backend_util } from '@tensorflow/tfjs-core';
import type { Conv2DAttrs, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { withKernelCalls } from './kernel-calls';

/**
 * Filter cropping for 2-D convolutions over inputs smaller than the filter's reach (the last stages of the
 * `tiny` presets: a 3×3 filter over a 1×1 or 2×2 map). A filter tap whose input position lies in the
 * padding for every output position only ever multiplies zeros; XNNPACK still multiplies them (a 3×3
 * 'same' convolution of a 1×1 map does 9× the useful work). The convolution equals the one with the filter
 * cut, per axis, to the block from the first to the last tap that reads the input, and the padding moved by
 * the cut: with taps [u₀, u₁] kept, `pad_before' = pad_before − u₀·d`, and `pad_after'` the smallest that keeps the
 * output size (a tap inside the block that reads nothing, possible with strides, stays and multiplies zeros as
 * before). Output values are the same sums without the zero terms.
 */

/** One spatial axis of a convolution: input and output sizes, stride, padding before, filter size, dilation. */
export interface ConvAxis {
  readonly inSize: number;
  readonly outSize: number;
  readonly stride: number;
  readonly padBefore: number;
  readonly filterSize: number;
  readonly dilation: number;
}

/** First and last filter tap along one axis that read an input position for some output position. */
export function readingTaps(axis: ConvAxis): [number, number] | undefined {
  const { inSize, outSize, stride, padBefore, filterSize, dilation } = axis;
  const reads = (u: number): boolean => {
    for (let i = 0; i < outSize; i++) {
      const at = i * stride - padBefore + u * dilation;
      if (at >= inSize) return false; // positions only grow with i
      if (at >= 0) return true;
    }
    return false;
  };
  let first = 0;
  while (first < filterSize && !reads(first)) first++;
  if (first === filterSize) return undefined;
  let last = filterSize - 1;
  while (!reads(last)) last--;
  return [first, last];
}

/** Where to cut a [fH, fW, C, O] filter, and the explicit NHWC padding of the cut convolution. */
export interface FilterCrop {
  readonly begin: readonly [number, number];
  readonly size: readonly [number, number];
  readonly pad: [[number, number], [number, number], [number, number], [number, number]];
}

function axisCrop(axis: ConvAxis): { first: number; size: number; pad: [number, number] } | undefined {
  const { inSize, outSize, stride, padBefore, dilation } = axis;
  const taps = readingTaps(axis);
  if (taps === undefined) return undefined;
  const [first, last] = taps;
  const size = last - first + 1;
  const before = padBefore - first * dilation;
  if (before < 0) return undefined;
  const reach = (size - 1) * dilation + 1;
  const after = Math.max(0, (outSize - 1) * stride + reach - inSize - before);
  if (Math.floor((inSize + before + after - reach) / stride) + 1 !== outSize) return undefined;
  return { first, size, pad: [before, after] };
}

/**
 * The crop of a convolution's filter to the taps that read the input ({@link readingTaps} per axis), or
 * `undefined` when every tap reads the input (or the geometry cannot be expressed with non-negative pads).
 */
export function filterCrop(info: backend_util.Conv2DInfo): FilterCrop | undefined {
  const rows = axisCrop({
    inSize: info.inHeight,
    outSize: info.outHeight,
    stride: info.strideHeight,
    padBefore: info.padInfo.top,
    filterSize: info.filterHeight,
    dilation: info.dilationHeight,
  });
  const cols = axisCrop({
    inSize: info.inWidth,
    outSize: info.outWidth,
    stride: info.strideWidth,
    padBefore: info.padInfo.left,
    filterSize: info.filterWidth,
    dilation: info.dilationWidth,
  });
  if (rows === undefined || cols === undefined) return undefined;
  if (rows.size === info.filterHeight && cols.size === info.filterWidth) return undefined;
  return {
    begin: [rows.first, cols.first],
    size: [rows.size, cols.size],
    pad: [[0, 0], rows.pad, cols.pad, [0, 0]],
  };
}

/** `filter` [fH, fW, C, O] cut to `crop` with the backend's `Slice` (a temporary of `calls`). */
export function cropFilter(
  calls: { call(name: string, inputs: Record<string, TensorInfo>, attrs?: object): TensorInfo },
  filter: TensorInfo,
  crop: FilterCrop,
): TensorInfo {
  const [, , c, o] = filter.shape as [number, number, number, number];
  return calls.call(
    'Slice',
    { x: filter },
    { begin: [crop.begin[0], crop.begin[1], 0, 0], size: [crop.size[0], crop.size[1], c, o] },
  );
}

/**
 * `Conv2D` (NHWC) that cuts the filter to the taps reading the input ({@link filterCrop}) before calling
 * `stock`; every other call goes to `stock` unchanged.
 */
export function createFilterCroppingConv2dKernel(backendName: string, stock: KernelFunc): KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as Conv2DAttrs;
    const x = args.inputs.x as TensorInfo;
    const filter = args.inputs.filter as TensorInfo;
    if (attrs.dataFormat === 'NCHW' || x.dtype !== 'float32' || filter.dtype !== 'float32')
      return stock(args);
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides,
      attrs.dilations,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    const crop = filterCrop(info);
    if (crop === undefined) return stock(args);
    return withKernelCalls(args.backend, backendName, 'Conv2D filter crop', (calls) =>
      stock({
        inputs: { x, filter: cropFilter(calls, filter, crop) },
        backend: args.backend,
        attrs: { ...args.attrs, pad: crop.pad },
      }),
    );
  };
}
