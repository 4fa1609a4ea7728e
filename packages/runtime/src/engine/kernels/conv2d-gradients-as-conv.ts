import { backend_util } from '@tensorflow/tfjs-core';
import type {
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropInputAttrs,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { disposeInfos, makeOutput, readValues, requireKernel, type AnyBackend } from '../backend-io';
import { conv2dBackpropFilterInfo } from './conv2d-backprop-filter';

/**
 * The two gradients of a 2-D convolution (NHWC, float32, dilation 1 as for every conv2d gradient in tfjs) as
 * one forward `Conv2D` of the backend — on wasm XNNPACK's SIMD convolution — on operands rearranged by
 * typed-array loops whose cost is the size of the tensors, not of the convolution:
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

function conv2dOn(
  backend: AnyBackend,
  backendName: string,
  x: TensorInfo,
  filter: TensorInfo,
  dilations: [number, number],
): TensorInfo {
  return requireKernel(
    'Conv2D',
    backendName,
    'conv2d gradient kernels',
  )({
    inputs: { x, filter },
    backend,
    attrs: { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations },
  }) as TensorInfo;
}

/** `Conv2DBackpropInput` (NHWC float32) as one `Conv2D` of the strided `dy` grid with the flipped filter. */
export function createConv2dBackpropInputAsConvKernel(backendName: string, fallback: KernelFunc): KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
    const dy = args.inputs.dy as TensorInfo;
    const filter = args.inputs.filter as TensorInfo;
    if (attrs.dataFormat === 'NCHW' || dy.dtype !== 'float32' || filter.dtype !== 'float32')
      return fallback(args);
    const [fh, fw, c, o] = filter.shape as [number, number, number, number];
    const info = backend_util.computeConv2DInfo(
      [...attrs.inputShape] as [number, number, number, number],
      [fh, fw, c, o],
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    const { batchSize: n, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow } = info;
    const { strideHeight: sh, strideWidth: sw } = info;
    const gh = h + fh - 1;
    const gw = w + fw - 1;
    const top = fh - 1 - info.padInfo.top;
    const left = fw - 1 - info.padInfo.left;
    const dyv = readValues(args.backend, dy) as Float32Array;
    const grid = new Float32Array(n * gh * gw * o);
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < oh; i++) {
        const r = top + i * sh;
        if (r < 0 || r >= gh) continue;
        for (let j = 0; j < ow; j++) {
          const q = left + j * sw;
          if (q < 0 || q >= gw) continue;
          const from = ((b * oh + i) * ow + j) * o;
          grid.set(dyv.subarray(from, from + o), ((b * gh + r) * gw + q) * o);
        }
      }
    }
    const wv = readValues(args.backend, filter) as Float32Array;
    const flipped = new Float32Array(fh * fw * o * c);
    for (let u = 0; u < fh; u++) {
      for (let v = 0; v < fw; v++) {
        const src = ((fh - 1 - u) * fw + (fw - 1 - v)) * c * o;
        const dst = (u * fw + v) * o * c;
        for (let ci = 0; ci < c; ci++) {
          for (let oi = 0; oi < o; oi++) flipped[dst + oi * c + ci] = wv[src + ci * o + oi]!;
        }
      }
    }
    const gridInfo = makeOutput(args.backend, [n, gh, gw, o], 'float32', grid);
    const filterInfo = makeOutput(args.backend, [fh, fw, o, c], 'float32', flipped);
    try {
      return conv2dOn(args.backend, backendName, gridInfo, filterInfo, [1, 1]);
    } finally {
      disposeInfos(args.backend, [gridInfo, filterInfo]);
    }
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
    const info = conv2dBackpropFilterInfo(x, attrs);
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outChannels: o } = info;
    const { outHeight: oh, outWidth: ow, filterHeight: fh, filterWidth: fw } = info;
    const { strideHeight: sh, strideWidth: sw } = info;
    const pt = info.padInfo.top;
    const pl = info.padInfo.left;
    const hp = fh + (oh - 1) * sh;
    const wp = fw + (ow - 1) * sw;
    const xv = readValues(args.backend, x) as Float32Array;
    // x as [C, H', W', N]: row r of the padded input is x row r − pT
    const xt = new Float32Array(c * hp * wp * n);
    for (let r = 0; r < hp; r++) {
      const y = r - pt;
      if (y < 0 || y >= h) continue;
      for (let q = 0; q < wp; q++) {
        const xc = q - pl;
        if (xc < 0 || xc >= w) continue;
        for (let b = 0; b < n; b++) {
          const from = ((b * h + y) * w + xc) * c;
          for (let ci = 0; ci < c; ci++) xt[((ci * hp + r) * wp + q) * n + b] = xv[from + ci]!;
        }
      }
    }
    const dyv = readValues(args.backend, dy) as Float32Array;
    // dy as the filter [oH, oW, N, O]
    const kernel = new Float32Array(oh * ow * n * o);
    for (let b = 0; b < n; b++) {
      for (let p = 0; p < oh * ow; p++) {
        kernel.set(dyv.subarray((b * oh * ow + p) * o, (b * oh * ow + p + 1) * o), (p * n + b) * o);
      }
    }
    const xInfo = makeOutput(args.backend, [c, hp, wp, n], 'float32', xt);
    const kInfo = makeOutput(args.backend, [oh, ow, n, o], 'float32', kernel);
    let out: TensorInfo | undefined;
    try {
      out = conv2dOn(args.backend, backendName, xInfo, kInfo, [sh, sw]);
      const cf = readValues(args.backend, out) as Float32Array; // [C, fH, fW, O]
      const dw = new Float32Array(fh * fw * c * o);
      for (let ci = 0; ci < c; ci++) {
        for (let uv = 0; uv < fh * fw; uv++) {
          dw.set(cf.subarray((ci * fh * fw + uv) * o, (ci * fh * fw + uv + 1) * o), (uv * c + ci) * o);
        }
      }
      return makeOutput(args.backend, [fh, fw, c, o], 'float32', dw);
    } finally {
      disposeInfos(args.backend, [xInfo, kInfo, ...(out ? [out] : [])]);
    }
  };
}
