import { backend_util } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropFilterAttrs, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { makeOutput, readValues } from '../backend-io';

/**
 * The NHWC convolution geometry of a `Conv2DBackpropFilter` call (dilation 1, as for every conv2d gradient in
 * tfjs), shared by this kernel and the one built on the wasm Conv2D.
 */
export function conv2dBackpropFilterInfo(
  x: TensorInfo,
  attrs: Conv2DBackpropFilterAttrs,
): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/**
 * Typed-array `Conv2DBackpropFilter` (NHWC), for the cpu backend (whose stock kernel reads element by
 * element, ~80× slower) and the wasm backend (which has none; see `reference/engine-notes.md`).
 *
 * Formula: with `x` of shape [N, H, W, Cin], `dy` of shape [N, Ho, Wo, Cout], strides (sH, sW),
 * dilations (dH, dW) and top/left padding (pT, pL),
 * `dW[i, j, c, k] = Σ_{n, r, s} x[n, r·sH − pT + i·dH, s·sW − pL + j·dW, c] · dy[n, r, s, k]`,
 * terms whose input row/column falls in the padding being zero. Accumulated in float64.
 *
 * `fallback` is the stock kernel, used for the NCHW layout.
 */
export function createConv2DBackpropFilterKernel(fallback: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const { inputs, backend } = args;
    const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
    const x = inputs.x as TensorInfo;
    const dy = inputs.dy as TensorInfo;
    if (attrs.dataFormat === 'NCHW') {
      if (fallback === undefined)
        throw new Error('Conv2DBackpropFilter: NCHW is not supported by the kernel fix');
      return fallback(args);
    }
    const info = conv2dBackpropFilterInfo(x, attrs);
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
    const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
    const padTop = info.padInfo.top;
    const padLeft = info.padInfo.left;
    const xv = readValues(backend, x);
    const dyv = readValues(backend, dy);
    const acc = new Float64Array(filterHeight * filterWidth * inChannels * outChannels);
    for (let n = 0; n < batchSize; n++) {
      for (let r = 0; r < outHeight; r++) {
        for (let s = 0; s < outWidth; s++) {
          const dyBase = ((n * outHeight + r) * outWidth + s) * outChannels;
          for (let i = 0; i < filterHeight; i++) {
            const xr = r * strideHeight - padTop + i * dilationHeight;
            if (xr < 0 || xr >= inHeight) continue;
            for (let j = 0; j < filterWidth; j++) {
              const xc = s * strideWidth - padLeft + j * dilationWidth;
              if (xc < 0 || xc >= inWidth) continue;
              const xBase = ((n * inHeight + xr) * inWidth + xc) * inChannels;
              const wBase = (i * filterWidth + j) * inChannels * outChannels;
              for (let c = 0; c < inChannels; c++) {
                const xval = xv[xBase + c] as number;
                if (xval === 0) continue;
                const wOff = wBase + c * outChannels;
                for (let k = 0; k < outChannels; k++)
                  acc[wOff + k] = (acc[wOff + k] as number) + xval * (dyv[dyBase + k] as number);
              }
            }
          }
        }
      }
    }
    return makeOutput(backend, [...attrs.filterShape], 'float32', Float32Array.from(acc));
  };
}
