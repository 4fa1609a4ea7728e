import { backend_util } from '@tensorflow/tfjs-core';
import type { AvgPool3DGradAttrs, KernelFunc, MaxPool3DGradAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { makeOutput, readValues } from '../backend-io';

type Pool3DInfo = ReturnType<typeof backend_util.computePool3DInfo>;

/** Visits every output position of a 3-D pooling window with its clipped input ranges [d0, d1) × [r0, r1) × [c0, c1). */
function forEachWindow3d(
  info: Pool3DInfo,
  visit: (
    outIndex: number,
    n: number,
    d0: number,
    d1: number,
    r0: number,
    r1: number,
    c0: number,
    c1: number,
  ) => void,
): void {
  const { batchSize, inDepth, inHeight, inWidth, outDepth, outHeight, outWidth } = info;
  const {
    strideDepth,
    strideHeight,
    strideWidth,
    effectiveFilterDepth,
    effectiveFilterHeight,
    effectiveFilterWidth,
  } = info;
  const { front, top, left } = info.padInfo;
  let outIndex = 0;
  for (let n = 0; n < batchSize; n++) {
    for (let d = 0; d < outDepth; d++) {
      const ds = d * strideDepth - front;
      const d0 = Math.max(0, ds);
      const d1 = Math.min(inDepth, ds + effectiveFilterDepth);
      for (let r = 0; r < outHeight; r++) {
        const rs = r * strideHeight - top;
        const r0 = Math.max(0, rs);
        const r1 = Math.min(inHeight, rs + effectiveFilterHeight);
        for (let s = 0; s < outWidth; s++) {
          const cs = s * strideWidth - left;
          visit(outIndex++, n, d0, d1, r0, r1, Math.max(0, cs), Math.min(inWidth, cs + effectiveFilterWidth));
        }
      }
    }
  }
}

function pool3dInfo(x: TensorInfo, attrs: AvgPool3DGradAttrs | MaxPool3DGradAttrs): Pool3DInfo {
  return backend_util.computePool3DInfo(
    x.shape as [number, number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}

/**
 * Typed-array `MaxPool3DGrad` (NDHWC) for cpu and wasm (the stock wasm kernel misroutes some gradients
 * with `'same'` padding; found here with finite differences).
 *
 * Formula: `dx[n, a, b, e, c] = Σ_{windows w whose argmax in channel c is (a, b, e)} dy[w, c]`, the argmax
 * over the window's real pixels, first maximum in row-major order on ties.
 */
export const maxPool3dGradKernel: KernelFunc = (args) => {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as MaxPool3DGradAttrs;
  const x = inputs.input as TensorInfo;
  const info = pool3dInfo(x, attrs);
  const { inDepth, inHeight, inWidth, inChannels: channels } = info;
  const xv = readValues(backend, x);
  const dyv = readValues(backend, inputs.dy as TensorInfo);
  const dx = new Float32Array(xv.length);
  forEachWindow3d(info, (outIndex, n, d0, d1, r0, r1, c0, c1) => {
    for (let ch = 0; ch < channels; ch++) {
      let best = -Infinity;
      let bestIndex = -1;
      for (let a = d0; a < d1; a++) {
        for (let b = r0; b < r1; b++) {
          for (let e = c0; e < c1; e++) {
            const index = (((n * inDepth + a) * inHeight + b) * inWidth + e) * channels + ch;
            const v = xv[index] as number;
            if (v > best || bestIndex < 0) {
              best = v;
              bestIndex = index;
            }
          }
        }
      }
      if (bestIndex >= 0)
        dx[bestIndex] = (dx[bestIndex] as number) + (dyv[outIndex * channels + ch] as number);
    }
  });
  return makeOutput(backend, [...x.shape], 'float32', dx);
};

/**
 * `AvgPool3DGrad` (NDHWC) consistent with the forward pass of both backends, which divides each window by
 * its count of real voxels; the stock backward divides by the full window (wrong with `'same'` padding,
 * found here with finite differences on cpu and wasm).
 *
 * Formula: `dx[n, a, b, e, c] = Σ_{windows w ∋ (a, b, e)} dy[w, c] / count(w)`.
 */
export const avgPool3dGradKernel: KernelFunc = (args) => {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as AvgPool3DGradAttrs;
  const x = inputs.input as TensorInfo;
  const info = pool3dInfo(x, attrs);
  const { inDepth, inHeight, inWidth, inChannels: channels } = info;
  const dyv = readValues(backend, inputs.dy as TensorInfo);
  const dx = new Float64Array(x.shape.reduce((p, d) => p * d, 1));
  forEachWindow3d(info, (outIndex, n, d0, d1, r0, r1, c0, c1) => {
    const count = (d1 - d0) * (r1 - r0) * (c1 - c0);
    if (count <= 0) return;
    for (let a = d0; a < d1; a++) {
      for (let b = r0; b < r1; b++) {
        for (let e = c0; e < c1; e++) {
          const base = (((n * inDepth + a) * inHeight + b) * inWidth + e) * channels;
          for (let ch = 0; ch < channels; ch++) {
            dx[base + ch] = (dx[base + ch] as number) + (dyv[outIndex * channels + ch] as number) / count;
          }
        }
      }
    }
  });
  return makeOutput(backend, [...x.shape], 'float32', Float32Array.from(dx));
};
