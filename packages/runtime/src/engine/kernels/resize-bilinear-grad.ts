import type { KernelFunc, ResizeBilinearGradAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { makeOutput, readValues } from '../backend-io';

/** Source coordinate and its two neighbours along one axis, exactly as tfjs's cpu `ResizeBilinear` forward computes them. */
function sourceTaps(
  index: number,
  ratio: number,
  halfPixelCenters: boolean,
  inSize: number,
): [number, number, number] {
  const frac = halfPixelCenters ? ratio * (index + 0.5) - 0.5 : ratio * index;
  const floor = Math.max(0, Math.floor(frac));
  const ceil = Math.min(inSize - 1, Math.ceil(frac));
  return [floor, ceil, frac - floor];
}

/**
 * `ResizeBilinearGrad` (NHWC) for cpu and wasm: the stock cpu kernel returns the gradient with height and
 * width swapped (wrong shape for non-square images) and ignores `halfPixelCenters`.
 *
 * Formula: the forward is `y = (1−f_r)·[(1−f_c)·x_TL + f_c·x_TR] + f_r·[(1−f_c)·x_BL + f_c·x_BR]` with the
 * taps and fractions of tfjs's cpu forward (ratio `(in−1)/(out−1)` with `alignCorners`, else `in/out`;
 * source `ratio·(i + 0.5) − 0.5` with `halfPixelCenters`, else `ratio·i`), so `dx` accumulates `dy` times
 * each of those four weights at the four taps.
 */
export const resizeBilinearGradKernel: KernelFunc = (args) => {
  const { inputs, backend } = args;
  const { alignCorners, halfPixelCenters } = args.attrs as unknown as ResizeBilinearGradAttrs;
  const images = inputs.images as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const [batch, inH, inW, channels] = images.shape as [number, number, number, number];
  const [, outH, outW] = dy.shape as [number, number, number, number];
  const rowRatio = alignCorners && outH > 1 ? (inH - 1) / (outH - 1) : inH / outH;
  const colRatio = alignCorners && outW > 1 ? (inW - 1) / (outW - 1) : inW / outW;
  const dyv = readValues(backend, dy);
  const dx = new Float64Array(batch * inH * inW * channels);
  let offset = 0;
  for (let n = 0; n < batch; n++) {
    for (let r = 0; r < outH; r++) {
      const [top, bottom, fr] = sourceTaps(r, rowRatio, halfPixelCenters, inH);
      for (let c = 0; c < outW; c++) {
        const [left, right, fc] = sourceTaps(c, colRatio, halfPixelCenters, inW);
        const taps: [number, number][] = [
          [((n * inH + top) * inW + left) * channels, (1 - fr) * (1 - fc)],
          [((n * inH + top) * inW + right) * channels, (1 - fr) * fc],
          [((n * inH + bottom) * inW + left) * channels, fr * (1 - fc)],
          [((n * inH + bottom) * inW + right) * channels, fr * fc],
        ];
        for (let ch = 0; ch < channels; ch++) {
          const g = dyv[offset++] as number;
          for (const [base, weight] of taps) dx[base + ch] = (dx[base + ch] as number) + g * weight;
        }
      }
    }
  }
  return makeOutput(backend, [...images.shape], 'float32', Float32Array.from(dx));
};
