import { backend_util } from '@tensorflow/tfjs-core';
import type {
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropInputAttrs,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterInfo } from './conv2d-backprop-filter';
import { cropFilter, filterCrop } from './conv2d-filter-crop';
import { type KernelCalls, withKernelCalls } from './kernel-calls';

/**
 * The two gradients of a 2-D convolution (NHWC, float32, dilation 1 as for every conv2d gradient in tfjs) as
 * one forward `Conv2D` of the backend — on wasm XNNPACK's SIMD convolution — on operands rearranged by the
 * backend's own `PadV2`, `Slice`, `Transpose` and `Reverse` kernels (on wasm the data never leaves the wasm
 * heap):
 *
 * - input gradient (the transposed convolution): with `dy` [N, oH, oW, O] spread on a zero grid with the
 *   strides (row i at `fH − 1 − pT + i·sH`, column j at `fW − 1 − pL + j·sW`, grid [N, H + fH − 1, W + fW − 1, O])
 *   and the filter flipped in space with its channels swapped, `w'[u, v, o, c] = w[fH − 1 − u, fW − 1 − v, c, o]`,
 *   `dx = conv2d(grid, w')` ('valid', stride 1) is `dx[n, y, x, c] = Σ dy[n, i, j, o] · w[y − i·sH + pT, x − j·sW + pL, c, o]`;
 * - filter gradient: with `x` as [C, H', W', N] (padded by pT / pL, cut or zero-filled to
 *   H' = fH + (oH − 1)·sH) and `dy` as a filter [oH, oW, N, O], `conv2d` with dilation (sH, sW) and stride 1
 *   gives [C, fH, fW, O] = `Σ_{n, i, j} x[n, u + i·sH − pT, v + j·sW − pL, c] · dy[n, i, j, o]`, which is
 *   `dw[u, v, c, o]` after a transpose.
 *
 * `fallback` handles what these do not (NCHW, other dtypes).
 */

const WHO = 'conv2d gradient kernels';

function conv2d(
  calls: KernelCalls,
  x: TensorInfo,
  filter: TensorInfo,
  dilations: [number, number],
): TensorInfo {
  return calls.call(
    'Conv2D',
    { x, filter },
    { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations },
  );
}

/**
 * Axis `axis` (1 or 2) of `x` [N, H, W, C] shifted so that row r of the result is row r − `before` of `x`,
 * over `length` rows (zeros outside `x`): {@link KernelCalls.placeFrames} on `x` seen as 3-D.
 */
function shiftRows(
  calls: KernelCalls,
  x: TensorInfo,
  axis: 1 | 2,
  before: number,
  length: number,
): TensorInfo {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const rows = axis === 1 ? calls.view(x, [n, h, w * c]) : calls.view(x, [n * h, w, c]);
  const placed = calls.placeFrames(rows, before, 1, length);
  return calls.view(placed, axis === 1 ? [n, length, w, c] : [n, h, length, c]);
}

/** `dy` [N, oH, oW, O] with (sH − 1) zero rows after each row and (sW − 1) zero columns after each column. */
function spreadByStrides(calls: KernelCalls, dy: TensorInfo, sh: number, sw: number): TensorInfo {
  const [n, oh, ow, o] = dy.shape as [number, number, number, number];
  const columns = calls.view(
    calls.pad(calls.view(dy, [n * oh, ow, 1, o]), [
      [0, 0],
      [0, 0],
      [0, sw - 1],
      [0, 0],
    ]),
    [n, oh, 1, ow * sw * o],
  );
  return calls.view(
    calls.pad(columns, [
      [0, 0],
      [0, 0],
      [0, sh - 1],
      [0, 0],
    ]),
    [n, oh * sh, ow * sw, o],
  );
}

/** `Conv2DBackpropInput` (NHWC float32) as one `Conv2D` of the strided `dy` grid with the flipped filter. */
export function createConv2dBackpropInputAsConvKernel(backendName: string, fallback: KernelFunc): KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
    const dy = args.inputs.dy as TensorInfo;
    const filter = args.inputs.filter as TensorInfo;
    if (attrs.dataFormat === 'NCHW' || dy.dtype !== 'float32' || filter.dtype !== 'float32')
      return fallback(args);
    const geometry = (pad: Conv2DBackpropInputAttrs['pad'], filterShape: readonly number[]) =>
      backend_util.computeConv2DInfo(
        [...attrs.inputShape],
        filterShape as [number, number, number, number],
        attrs.strides,
        1,
        pad,
        attrs.dimRoundingMode,
        false,
        'channelsLast',
      );
    const full = geometry(attrs.pad, filter.shape);
    const crop = filterCrop(full);
    return withKernelCalls(args.backend, backendName, WHO, (calls) => {
      // Taps that read no input position are cut off the filter (their gradient terms are all zero).
      const kept = crop ? cropFilter(calls, filter, crop) : filter;
      const info = crop ? geometry(crop.pad, kept.shape) : full;
      const [fh, fw] = kept.shape as [number, number, number, number];
      const { inHeight: h, inWidth: w, strideHeight: sh, strideWidth: sw } = info;
      const spread = sh === 1 && sw === 1 ? dy : spreadByStrides(calls, dy, sh, sw);
      const rows = shiftRows(calls, spread, 1, fh - 1 - info.padInfo.top, h + fh - 1);
      const grid = shiftRows(calls, rows, 2, fw - 1 - info.padInfo.left, w + fw - 1);
      const flipped = calls.transpose(calls.reverse(kept, [0, 1]), [0, 1, 3, 2]);
      return calls.release(conv2d(calls, grid, flipped, [1, 1]));
    });
  };
}

/** `Conv2DBackpropFilter` (NHWC float32) as one dilated `Conv2D` of the transposed `x` with `dy` as the filter. */
export function createConv2dBackpropFilterAsConvKernel(
  backendName: string,
  fallback: KernelFunc,
): KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
    const x = args.inputs.x as TensorInfo;
    const dy = args.inputs.dy as TensorInfo;
    if (attrs.dataFormat === 'NCHW' || x.dtype !== 'float32' || dy.dtype !== 'float32') return fallback(args);
    const full = conv2dBackpropFilterInfo(x, attrs);
    const crop = filterCrop(full);
    return withKernelCalls(args.backend, backendName, WHO, (calls) => {
      // The gradient of taps that read no input position is zero: computed for the kept taps, padded back.
      const info = crop
        ? conv2dBackpropFilterInfo(x, {
            ...attrs,
            pad: crop.pad,
            filterShape: [crop.size[0], crop.size[1], full.inChannels, full.outChannels],
          })
        : full;
      const { outHeight: oh, outWidth: ow, filterHeight: fh, filterWidth: fw } = info;
      const { strideHeight: sh, strideWidth: sw } = info;
      // x padded by pT / pL and cut or zero-filled to H' × W', as [C, H', W', N]
      const rows = shiftRows(calls, x, 1, info.padInfo.top, fh + (oh - 1) * sh);
      const padded = shiftRows(calls, rows, 2, info.padInfo.left, fw + (ow - 1) * sw);
      const xt = calls.transpose(padded, [3, 1, 2, 0]);
      // dy as the filter [oH, oW, N, O]
      const kernel = calls.transpose(dy, [1, 2, 0, 3]);
      const cf = conv2d(calls, xt, kernel, [sh, sw]); // [C, fH, fW, O]
      const dw = calls.transpose(cf, [1, 2, 0, 3]);
      if (!crop) return calls.release(dw);
      return calls.release(
        calls.pad(dw, [
          [crop.begin[0], full.filterHeight - crop.begin[0] - fh],
          [crop.begin[1], full.filterWidth - crop.begin[1] - fw],
          [0, 0],
          [0, 0],
        ]),
      );
    });
  };
}
