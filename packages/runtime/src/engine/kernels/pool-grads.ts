import { backend_util } from '@tensorflow/tfjs-core';
import type { AvgPoolGradAttrs, KernelFunc, MaxPoolGradAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { makeOutput, readValues } from '../backend-io';
import { runTypedKernel } from '../fused/typed-kernel';

type Pool2DInfo = ReturnType<typeof backend_util.computePool2DInfo>;

/** Visits every output position of a 2-D pooling window: `visit(n, r, s, rowStart, rowEnd, colStart, colEnd)`. */
function forEachWindow(
  info: Pool2DInfo,
  visit: (n: number, r: number, s: number, r0: number, r1: number, c0: number, c1: number) => void,
): void {
  const { batchSize, inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight, effectiveFilterWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  for (let n = 0; n < batchSize; n++) {
    for (let r = 0; r < outHeight; r++) {
      const rs = r * strideHeight - padTop;
      const r0 = Math.max(0, rs);
      const r1 = Math.min(inHeight, rs + effectiveFilterHeight);
      for (let s = 0; s < outWidth; s++) {
        const cs = s * strideWidth - padLeft;
        const c0 = Math.max(0, cs);
        const c1 = Math.min(inWidth, cs + effectiveFilterWidth);
        visit(n, r, s, r0, r1, c0, c1);
      }
    }
  }
}

/**
 * Typed-array `MaxPoolGrad` (NHWC) for cpu and wasm (the stock wasm kernel sends the gradient to a
 * non-argmax pixel in ~6% of windows, `reference/engine-notes.md`).
 *
 * Formula: `dx[n, a, b, c] = Σ_{(r, s): argmax of window (r, s) in channel c is (a, b)} dy[n, r, s, c]`,
 * the argmax taken over the window's real (non-padding) pixels, the first maximum in row-major order on
 * ties. The first pixel equal to the forward output `y` is that argmax, so with `y` (tfjs passes it) each
 * window's scan stops there (Former-DFER `tiny` batch 8: 3.9 → 2.0 ms).
 */
export const maxPoolGradKernel: KernelFunc = (args) => {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as MaxPoolGradAttrs;
  const dy = inputs.dy as TensorInfo;
  const x = inputs.input as TensorInfo;
  const y = inputs.output as TensorInfo | undefined;
  const info = backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, outHeight, outWidth, inChannels: channels } = info;
  const { strideHeight, strideWidth, effectiveFilterHeight, effectiveFilterWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  // With the forward output y, the argmax of a window is its first pixel equal to y (the scan stops there);
  // without it (or when no pixel equals y) the window is scanned for its first maximum. The window loops of
  // forEachWindow are written out here: a closure call per window made this kernel 1.5× slower (Former-DFER
  // `tiny` batch 8: 3.0 vs 2.0 ms).
  const inputsUsed = y !== undefined ? [x, dy, y] : [x, dy];
  const [dx] = runTypedKernel(backend, inputsUsed, [x.shape], ([xv, dyv, yv], [out]) => {
    const xs = xv!;
    const o = out!;
    o.fill(0);
    for (let n = 0; n < batchSize; n++) {
      for (let r = 0; r < outHeight; r++) {
        const rs = r * strideHeight - padTop;
        const r0 = Math.max(0, rs);
        const r1 = Math.min(inHeight, rs + effectiveFilterHeight);
        for (let s = 0; s < outWidth; s++) {
          const cs = s * strideWidth - padLeft;
          const c0 = Math.max(0, cs);
          const c1 = Math.min(inWidth, cs + effectiveFilterWidth);
          if (r0 >= r1 || c0 >= c1) continue;
          const outBase = ((n * outHeight + r) * outWidth + s) * channels;
          for (let c = 0; c < channels; c++) {
            let at = -1;
            if (yv !== undefined) {
              const target = yv[outBase + c] as number;
              search: for (let a = r0; a < r1; a++) {
                const end = ((n * inHeight + a) * inWidth + c1) * channels + c;
                for (let k = ((n * inHeight + a) * inWidth + c0) * channels + c; k < end; k += channels) {
                  if (xs[k] === target) {
                    at = k;
                    break search;
                  }
                }
              }
            }
            if (at < 0) {
              let best = -Infinity;
              for (let a = r0; a < r1; a++) {
                const end = ((n * inHeight + a) * inWidth + c1) * channels + c;
                for (let k = ((n * inHeight + a) * inWidth + c0) * channels + c; k < end; k += channels) {
                  const v = xs[k] as number;
                  if (at < 0 || v > best) {
                    best = v;
                    at = k;
                  }
                }
              }
            }
            o[at] = (o[at] as number) + (dyv![outBase + c] as number);
          }
        }
      }
    }
  });
  return dx!;
};

/**
 * `AvgPoolGrad` (NHWC) consistent with the forward pass of both backends, which divides each window by
 * the count of its real pixels; the stock backward divides by the full window size, wrong with `'same'`
 * padding (`reference/engine-notes.md`).
 *
 * Formula: `dx[n, a, b, c] = Σ_{(r, s): (a, b) ∈ window (r, s)} dy[n, r, s, c] / count(r, s)`, where
 * `count(r, s)` is the number of window pixels inside the input.
 */
export const avgPoolGradKernel: KernelFunc = (args) => {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as AvgPoolGradAttrs;
  const dy = inputs.dy as TensorInfo;
  const x = inputs.input as TensorInfo;
  const info = backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
  );
  const { inHeight, inWidth, outHeight, outWidth, inChannels: channels } = info;
  const dyv = readValues(backend, dy);
  const dx = new Float64Array(x.shape.reduce((p, d) => p * d, 1));
  forEachWindow(info, (n, r, s, r0, r1, c0, c1) => {
    const count = (r1 - r0) * (c1 - c0);
    if (count <= 0) return;
    const dyBase = ((n * outHeight + r) * outWidth + s) * channels;
    for (let a = r0; a < r1; a++) {
      for (let b = c0; b < c1; b++) {
        const xBase = ((n * inHeight + a) * inWidth + b) * channels;
        for (let c = 0; c < channels; c++)
          dx[xBase + c] = (dx[xBase + c] as number) + (dyv[dyBase + c] as number) / count;
      }
    }
  });
  return makeOutput(backend, [...x.shape], 'float32', Float32Array.from(dx));
};
