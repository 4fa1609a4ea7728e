import { backend_util } from '@tensorflow/tfjs-core';
import type {
  Conv3DAttrs,
  Conv3DBackpropFilterV2Attrs,
  Conv3DBackpropInputV2Attrs,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { type KernelCalls, withKernelCalls } from './kernel-calls';

/**
 * 3-D convolution kernels (NDHWC, float32) as one 2-D convolution kernel of the backend per temporal tap of
 * the filter — on wasm XNNPACK's SIMD `Conv2D` and the `Conv2DBackpropInput` / `Conv2DBackpropFilter` of
 * `./conv2d-gradients-as-conv` — instead of a direct loop or a gathered patch matrix. With filter `w`
 * [fD, fH, fW, C, O], strides (sD, sH, sW), dilations (dD, dH, dW) and front padding pF, tap a reads, for
 * output frame t, the input frame `z = t·sD − pF + a·dD` (zeros outside the clip):
 *
 * - `y[n, t] = Σ_a conv2d(x[n, z_a(t)], w[a])`, the frames of all (n, t) batched as [N·oD, H, W, C];
 * - `dx[n, z_a(t)] += conv2dBackpropInput(dy[n, t], w[a])`;
 * - `dw[a] = conv2dBackpropFilter(x[n, z_a(t)], dy[n, t])` over the batched frames.
 *
 * With very few input channels (an RGB stem) the taps are instead stacked: the frames of all taps side by
 * side as fD·C channels of one 2-D convolution with the filter [fH, fW, fD·C, O] ({@link chooseTapStrategy}).
 *
 * The spatial padding, strides and dilations are the 2-D convolution's own (explicit pads from the 3-D
 * geometry); the frames of a tap are gathered (and the input-gradient frames put back) with the backend's
 * `PadV2`, `Slice` / `StridedSlice` and `Add` kernels, so on wasm the data never leaves the wasm heap.
 */

type Conv3DInfo = backend_util.Conv3DInfo;

function conv3dInfo(
  xShape: readonly number[],
  filterShape: readonly number[],
  strides: Conv3DAttrs['strides'],
  dilations: Conv3DAttrs['dilations'],
  pad: Conv3DAttrs['pad'],
): Conv3DInfo {
  return backend_util.computeConv3DInfo(
    xShape as [number, number, number, number, number],
    filterShape as [number, number, number, number, number],
    strides,
    dilations,
    pad,
  );
}

/** The 2-D convolution attributes of one temporal tap (explicit spatial pads of the 3-D geometry). */
function spatialAttrs(info: Conv3DInfo): {
  strides: [number, number];
  pad: [[number, number], [number, number], [number, number], [number, number]];
  dataFormat: 'NHWC';
} {
  const p = info.padInfo;
  return {
    strides: [info.strideHeight, info.strideWidth],
    pad: [
      [0, 0],
      [p.top, p.bottom],
      [p.left, p.right],
      [0, 0],
    ],
    dataFormat: 'NHWC',
  };
}

/** Input frame of output frame `t` at tap `a`, or −1 in the padding. */
function sourceFrame(info: Conv3DInfo, t: number, a: number): number {
  const z = t * info.strideDepth - info.padInfo.front + a * info.dilationDepth;
  return z >= 0 && z < info.inDepth ? z : -1;
}

/** Whether tap `a` reads at least one frame inside the clip. */
function tapUsed(info: Conv3DInfo, a: number): boolean {
  for (let t = 0; t < info.outDepth; t++) if (sourceFrame(info, t, a) >= 0) return true;
  return false;
}

/** The input frame output frame 0 reads at tap `a` (negative in the front padding). */
function tapStart(info: Conv3DInfo, a: number): number {
  return a * info.dilationDepth - info.padInfo.front;
}

/**
 * `x` [N, D, H, W, C] as [N, D', H·W·C] with the zero frames every tap needs added once (front and back), and
 * the index in it of input frame 0.
 */
function paddedClip(
  calls: KernelCalls,
  info: Conv3DInfo,
  x: TensorInfo,
): { clip: TensorInfo; origin: number } {
  const [n, d, h, w, c] = x.shape as [number, number, number, number, number];
  const front = Math.max(0, -tapStart(info, 0));
  const lastRead = tapStart(info, info.filterDepth - 1) + (info.outDepth - 1) * info.strideDepth;
  const back = Math.max(0, lastRead + 1 - d);
  const clip = calls.pad(calls.view(x, [n, d, h * w * c]), [
    [0, 0],
    [front, back],
    [0, 0],
  ]);
  return { clip, origin: front };
}

/** The input frames tap `a` reads from a {@link paddedClip}, as [N·oD, H, W, C]. */
function tapFrames(
  calls: KernelCalls,
  info: Conv3DInfo,
  { clip, origin }: { clip: TensorInfo; origin: number },
  a: number,
): TensorInfo {
  const frames = calls.frames(clip, origin + tapStart(info, a), info.outDepth, info.strideDepth);
  return calls.view(frames, [info.batchSize * info.outDepth, info.inHeight, info.inWidth, info.inChannels]);
}

/** Tap `a` of `filter` [fD, fH, fW, C, O] as [fH, fW, C, O]. */
function tapFilter(calls: KernelCalls, info: Conv3DInfo, filter: TensorInfo, a: number): TensorInfo {
  const { filterDepth: fd, filterHeight: fh, filterWidth: fw, inChannels: c, outChannels: o } = info;
  const rows = calls.view(filter, [fd, fh * fw * c * o]);
  const tap = calls.call('Slice', { x: rows }, { begin: [a, 0], size: [1, fh * fw * c * o] });
  return calls.view(tap, [fh, fw, c, o]);
}

/** `dy` [N, oD, oH, oW, O] seen as [N·oD, oH, oW, O] (the same data). */
function framesView(info: Conv3DInfo, dy: TensorInfo): TensorInfo {
  return {
    dataId: dy.dataId,
    dtype: dy.dtype,
    shape: [info.batchSize * info.outDepth, info.outHeight, info.outWidth, info.outChannels],
  };
}

/** `acc + part`, or `part` when there is no sum yet. */
function accumulate(calls: KernelCalls, acc: TensorInfo | undefined, part: TensorInfo): TensorInfo {
  return acc === undefined ? part : calls.add(acc, part);
}

/** The kernel's result: the sum of the taps seen as `shape`, or zeros of `shape` when no tap read a frame. */
function releaseSum(calls: KernelCalls, sum: TensorInfo | undefined, shape: readonly number[]): TensorInfo {
  if (sum === undefined) {
    return calls.release(calls.call('Fill', {}, { shape: [...shape], value: 0, dtype: 'float32' }));
  }
  return calls.view(calls.release(sum), shape);
}

/** How the temporal taps of a 3-D convolution are computed: one 2-D kernel per tap, or all taps at once. */
export type TapStrategy = 'per_tap' | 'stacked';

let strategyOverride: TapStrategy | undefined;

/**
 * Forces one {@link TapStrategy} for every call (`undefined`: choose per call, {@link chooseTapStrategy}).
 * For benchmarks and tests that compare the two.
 */
export function setTapStrategy(strategy: TapStrategy | undefined): void {
  strategyOverride = strategy;
}

/**
 * Stacked (the frames of all taps side by side as fD·C channels of one 2-D convolution) when the input has
 * very few channels, as an RGB stem: its per-tap convolutions have C = 3, far from XNNPACK's peak, and one
 * call with fD·C channels is faster (M3DFEL's 3×7×7 stem, forward and both gradients: 0.71× the per-tap
 * time at `tiny` batch 8, 0.69× at `paper` batch 2). From C = 8 on, stacking was as fast or slower (up to 3×
 * slower for the small frames of `tiny`; measured here), so every other convolution runs per tap.
 */
function chooseTapStrategy(info: Conv3DInfo): TapStrategy {
  if (strategyOverride !== undefined) return strategyOverride;
  return info.inChannels * info.filterDepth <= STACKED_MAX_CHANNELS ? 'stacked' : 'per_tap';
}

/** Largest fD·C for which the taps are stacked. */
const STACKED_MAX_CHANNELS = 12;

/** The frames of every tap side by side, [N·oD, H, W, fD·C] (tap-major channels). */
function stackedFrames(calls: KernelCalls, info: Conv3DInfo, x: TensorInfo): TensorInfo {
  const clip = paddedClip(calls, info, x);
  const { batchSize: n, outDepth: od, inHeight: h, inWidth: w, inChannels: c, filterDepth: fd } = info;
  const taps = Array.from({ length: fd }, (_, a) =>
    calls.view(calls.frames(clip.clip, clip.origin + tapStart(info, a), od, info.strideDepth), [
      1,
      n * od * h * w * c,
    ]),
  );
  const byTap = fd === 1 ? (taps[0] as TensorInfo) : calls.call('Concat', taps as never, { axis: 0 });
  const stacked = calls.transpose(calls.view(byTap, [fd, n * od * h * w, c]), [1, 0, 2]);
  return calls.view(stacked, [n * od, h, w, fd * c]);
}

/** `filter` [fD, fH, fW, C, O] as the 2-D filter of {@link stackedFrames}, [fH, fW, fD·C, O]. */
function stackedFilter(calls: KernelCalls, info: Conv3DInfo, filter: TensorInfo): TensorInfo {
  const { filterDepth: fd, filterHeight: fh, filterWidth: fw, inChannels: c, outChannels: o } = info;
  return calls.view(calls.transpose(filter, [1, 2, 0, 3, 4]), [fh, fw, fd * c, o]);
}

const WHO = 'Conv3D kernels';

/** `Conv3D` (NDHWC float32; any padding, strides and dilations tfjs accepts) as one `Conv2D` per temporal tap. */
export function createConv3dAsConv2dKernel(backendName: string): KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as Conv3DAttrs;
    const x = args.inputs.x as TensorInfo;
    const filter = args.inputs.filter as TensorInfo;
    if (attrs.dataFormat === 'NCDHW' || x.dtype !== 'float32')
      throw new Error('Conv3D: only NDHWC float32 is supported by the kernel fix');
    const info = conv3dInfo(x.shape, filter.shape, attrs.strides, attrs.dilations, attrs.pad);
    const shape = [info.batchSize, info.outDepth, info.outHeight, info.outWidth, info.outChannels];
    return withKernelCalls(args.backend, backendName, WHO, (calls) => {
      if (chooseTapStrategy(info) === 'stacked') {
        const y = calls.call(
          'Conv2D',
          { x: stackedFrames(calls, info, x), filter: stackedFilter(calls, info, filter) },
          { ...spatialAttrs(info), dilations: [info.dilationHeight, info.dilationWidth] },
        );
        return calls.view(calls.release(y), shape);
      }
      const clip = paddedClip(calls, info, x);
      let y: TensorInfo | undefined;
      for (let a = 0; a < info.filterDepth; a++) {
        if (!tapUsed(info, a)) continue;
        const ya = calls.call(
          'Conv2D',
          { x: tapFrames(calls, info, clip, a), filter: tapFilter(calls, info, filter, a) },
          { ...spatialAttrs(info), dilations: [info.dilationHeight, info.dilationWidth] },
        );
        y = accumulate(calls, y, ya);
      }
      return releaseSum(calls, y, shape);
    });
  };
}

/** `Conv3DBackpropInputV2` as one `Conv2DBackpropInput` per temporal tap, added back to the frames it read. */
export function createConv3dBackpropInputAsConv2dKernel(backendName: string): KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as Conv3DBackpropInputV2Attrs;
    const dy = args.inputs.dy as TensorInfo;
    const filter = args.inputs.filter as TensorInfo;
    const info = conv3dInfo(attrs.inputShape, filter.shape, attrs.strides, 1, attrs.pad);
    const { inDepth: d, inHeight: h, inWidth: w, inChannels: c } = info;
    return withKernelCalls(args.backend, backendName, WHO, (calls) => {
      let dx: TensorInfo | undefined;
      const stacked = chooseTapStrategy(info) === 'stacked';
      // stacked: the input gradient of every tap at once, [fD, N·oD·H·W, C]
      const byTap = stacked
        ? calls.transpose(
            calls.view(
              calls.call(
                'Conv2DBackpropInput',
                { dy: framesView(info, dy), filter: stackedFilter(calls, info, filter) },
                {
                  ...spatialAttrs(info),
                  inputShape: [info.batchSize * info.outDepth, h, w, info.filterDepth * c],
                },
              ),
              [info.batchSize * info.outDepth * h * w, info.filterDepth, c],
            ),
            [1, 0, 2],
          )
        : undefined;
      for (let a = 0; a < info.filterDepth; a++) {
        if (!tapUsed(info, a)) continue;
        const ga = byTap
          ? calls.call(
              'Slice',
              { x: byTap },
              { begin: [a, 0, 0], size: [1, info.batchSize * info.outDepth * h * w, c] },
            )
          : calls.call(
              'Conv2DBackpropInput',
              { dy: framesView(info, dy), filter: tapFilter(calls, info, filter, a) },
              { ...spatialAttrs(info), inputShape: [info.batchSize * info.outDepth, h, w, c] },
            );
        const placed = calls.placeFrames(
          calls.view(ga, [info.batchSize, info.outDepth, h * w * c]),
          tapStart(info, a),
          info.strideDepth,
          d,
        );
        dx = accumulate(calls, dx, placed);
      }
      return releaseSum(calls, dx, attrs.inputShape);
    });
  };
}

/** `Conv3DBackpropFilterV2` as one `Conv2DBackpropFilter` per temporal tap over the frames it read. */
export function createConv3dBackpropFilterAsConv2dKernel(backendName: string): KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as Conv3DBackpropFilterV2Attrs;
    const x = args.inputs.x as TensorInfo;
    const dy = args.inputs.dy as TensorInfo;
    const info = conv3dInfo(x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad);
    const { filterHeight: fh, filterWidth: fw, inChannels: c, outChannels: o } = info;
    const tapSize = fh * fw * c * o;
    return withKernelCalls(args.backend, backendName, WHO, (calls) => {
      if (chooseTapStrategy(info) === 'stacked') {
        const dws = calls.call(
          'Conv2DBackpropFilter',
          { x: stackedFrames(calls, info, x), dy: framesView(info, dy) },
          { ...spatialAttrs(info), filterShape: [fh, fw, info.filterDepth * c, o] },
        ); // [fH, fW, fD·C, O]
        const dw = calls.transpose(calls.view(dws, [fh, fw, info.filterDepth, c, o]), [2, 0, 1, 3, 4]);
        return calls.release(dw);
      }
      const clip = paddedClip(calls, info, x);
      const taps: TensorInfo[] = [];
      for (let a = 0; a < info.filterDepth; a++) {
        if (!tapUsed(info, a)) {
          taps.push(calls.call('Fill', {}, { shape: [1, tapSize], value: 0, dtype: 'float32' }));
          continue;
        }
        const dwa = calls.call(
          'Conv2DBackpropFilter',
          { x: tapFrames(calls, info, clip, a), dy: framesView(info, dy) },
          { ...spatialAttrs(info), filterShape: [fh, fw, c, o] },
        );
        taps.push(calls.view(dwa, [1, tapSize]));
      }
      const dw =
        taps.length === 1 ? (taps[0] as TensorInfo) : calls.call('Concat', taps as never, { axis: 0 });
      return calls.view(calls.release(dw), [...attrs.filterShape]);
    });
  };
}
