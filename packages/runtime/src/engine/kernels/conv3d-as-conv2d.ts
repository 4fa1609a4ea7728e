import { backend_util, getKernel } from '@tensorflow/tfjs-core';
import type {
  Conv3DAttrs,
  Conv3DBackpropFilterV2Attrs,
  Conv3DBackpropInputV2Attrs,
  KernelBackend,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { makeOutput, readValues, type AnyBackend } from '../backend-io';

/**
 * 3-D convolution kernels (NDHWC, float32) as one 2-D convolution kernel of the backend — on wasm XNNPACK's
 * SIMD `Conv2D` and the `Conv2DBackpropInput` / `Conv2DBackpropFilter` of `./conv2d-gradients-as-conv` —
 * instead of a direct loop or a gathered patch matrix. With filter `w` [fD, fH, fW, C, O], strides
 * (sD, sH, sW), dilations (dD, dH, dW) and front padding pF, tap a reads, for output frame t, the input frame
 * `z_a(t) = t·sD − pF + a·dD` (zeros outside the clip). The frames of all taps are stacked along channels,
 * `xs[n·oD + t, h, w, a·C + c] = x[n, z_a(t), h, w, c]`, and the filter as `ws[u, v, a·C + c, o] = w[a, u, v, c, o]`:
 *
 * - `y = conv2d(xs, ws)` ([N·oD, oH, oW, O] is y);
 * - `dx[n, z_a(t), ·, c] += conv2dBackpropInput(dy, ws)[n·oD + t, ·, a·C + c]`;
 * - `dw[a, u, v, c, o] = conv2dBackpropFilter(xs, dy)[u, v, a·C + c, o]`.
 *
 * The spatial padding, strides and dilations are the 2-D convolution's own (explicit pads from the 3-D
 * geometry), so one kernel call serves all fD taps; JS copies fD runs of C values per pixel.
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

/** The frames of every tap stacked along channels: [N·oD, H, W, fD·C] (zeros for frames in the padding). */
function stackedFrames(info: Conv3DInfo, xv: Float32Array): Float32Array {
  const { inHeight: h, inWidth: w, inChannels: c, filterDepth: fd } = info;
  const pixels = h * w;
  const k = fd * c;
  const out = new Float32Array(info.batchSize * info.outDepth * pixels * k);
  for (let n = 0; n < info.batchSize; n++) {
    for (let t = 0; t < info.outDepth; t++) {
      const base = (n * info.outDepth + t) * pixels * k;
      for (let a = 0; a < fd; a++) {
        const z = sourceFrame(info, t, a);
        if (z < 0) continue;
        const from = (n * info.inDepth + z) * pixels * c;
        for (let p = 0; p < pixels; p++) {
          const src = from + p * c;
          const dst = base + p * k + a * c;
          for (let e = 0; e < c; e++) out[dst + e] = xv[src + e]!;
        }
      }
    }
  }
  return out;
}

/** `w` [fD, fH, fW, C, O] as the stacked 2-D filter [fH, fW, fD·C, O], or back (`toStacked` false). */
function restackFilter(info: Conv3DInfo, values: Float32Array, toStacked: boolean): Float32Array {
  const { filterDepth: fd, filterHeight: fh, filterWidth: fw, inChannels: c, outChannels: o } = info;
  const block = c * o;
  const out = new Float32Array(fd * fh * fw * block);
  for (let a = 0; a < fd; a++) {
    for (let uv = 0; uv < fh * fw; uv++) {
      const threeD = (a * fh * fw + uv) * block;
      const stacked = (uv * fd + a) * block;
      const [from, to] = toStacked ? [threeD, stacked] : [stacked, threeD];
      out.set(values.subarray(from, from + block), to);
    }
  }
  return out;
}

function kernelOn(name: string, backendName: string): KernelFunc {
  const kernel = getKernel(name, backendName);
  if (kernel === undefined) throw new Error(`Conv3D kernels: no ${name} kernel on '${backendName}'`);
  return kernel.kernelFunc;
}

function dispose(backend: AnyBackend, infos: readonly TensorInfo[]): void {
  for (const info of infos) (backend as KernelBackend).disposeData(info.dataId);
}

function asFloat32(values: ArrayLike<number>): Float32Array {
  return values instanceof Float32Array ? values : Float32Array.from(values);
}

/** `dy` [N, oD, oH, oW, O] seen as [N·oD, oH, oW, O] (the same data). */
function framesView(info: Conv3DInfo, dy: TensorInfo): TensorInfo {
  return {
    dataId: dy.dataId,
    dtype: dy.dtype,
    shape: [info.batchSize * info.outDepth, info.outHeight, info.outWidth, info.outChannels],
  };
}

/** `Conv3D` (NDHWC float32; any padding, strides and dilations tfjs accepts) as one `Conv2D` of the stacked taps. */
export function createConv3dAsConv2dKernel(backendName: string): KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as Conv3DAttrs;
    const x = args.inputs.x as TensorInfo;
    const filter = args.inputs.filter as TensorInfo;
    if (attrs.dataFormat === 'NCDHW' || x.dtype !== 'float32')
      throw new Error('Conv3D: only NDHWC float32 is supported by the kernel fix');
    const info = conv3dInfo(x.shape, filter.shape, attrs.strides, attrs.dilations, attrs.pad);
    const { filterHeight: fh, filterWidth: fw, filterDepth: fd, inChannels: c, outChannels: o } = info;
    const frames = info.batchSize * info.outDepth;
    const xs = makeOutput(
      args.backend,
      [frames, info.inHeight, info.inWidth, fd * c],
      'float32',
      stackedFrames(info, asFloat32(readValues(args.backend, x))),
    );
    const ws = makeOutput(
      args.backend,
      [fh, fw, fd * c, o],
      'float32',
      restackFilter(info, asFloat32(readValues(args.backend, filter)), true),
    );
    const temps = [xs, ws];
    try {
      const y = kernelOn(
        'Conv2D',
        backendName,
      )({
        inputs: { x: xs, filter: ws },
        backend: args.backend,
        attrs: { ...spatialAttrs(info), dilations: [info.dilationHeight, info.dilationWidth] },
      }) as TensorInfo;
      temps.push(y);
      return makeOutput(
        args.backend,
        [info.batchSize, info.outDepth, info.outHeight, info.outWidth, o],
        'float32',
        readValues(args.backend, y) as Float32Array,
      );
    } finally {
      dispose(args.backend, temps);
    }
  };
}

/** `Conv3DBackpropInputV2` as one `Conv2DBackpropInput` of the stacked taps, added back to the frames each read. */
export function createConv3dBackpropInputAsConv2dKernel(backendName: string): KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as Conv3DBackpropInputV2Attrs;
    const dy = args.inputs.dy as TensorInfo;
    const filter = args.inputs.filter as TensorInfo;
    const info = conv3dInfo(attrs.inputShape, filter.shape, attrs.strides, 1, attrs.pad);
    const { filterHeight: fh, filterWidth: fw, filterDepth: fd, inChannels: c, outChannels: o } = info;
    const pixels = info.inHeight * info.inWidth;
    const k = fd * c;
    const ws = makeOutput(
      args.backend,
      [fh, fw, k, o],
      'float32',
      restackFilter(info, asFloat32(readValues(args.backend, filter)), true),
    );
    const temps = [ws];
    try {
      const g = kernelOn(
        'Conv2DBackpropInput',
        backendName,
      )({
        inputs: { dy: framesView(info, dy), filter: ws },
        backend: args.backend,
        attrs: {
          ...spatialAttrs(info),
          inputShape: [info.batchSize * info.outDepth, info.inHeight, info.inWidth, k],
        },
      }) as TensorInfo;
      temps.push(g);
      const gv = readValues(args.backend, g) as Float32Array;
      const dx = new Float32Array(info.batchSize * info.inDepth * pixels * c);
      for (let n = 0; n < info.batchSize; n++) {
        for (let t = 0; t < info.outDepth; t++) {
          const base = (n * info.outDepth + t) * pixels * k;
          for (let a = 0; a < fd; a++) {
            const z = sourceFrame(info, t, a);
            if (z < 0) continue;
            const to = (n * info.inDepth + z) * pixels * c;
            for (let p = 0; p < pixels; p++) {
              const src = base + p * k + a * c;
              const dst = to + p * c;
              for (let e = 0; e < c; e++) dx[dst + e] = dx[dst + e]! + gv[src + e]!;
            }
          }
        }
      }
      return makeOutput(args.backend, [...attrs.inputShape], 'float32', dx);
    } finally {
      dispose(args.backend, temps);
    }
  };
}

/** `Conv3DBackpropFilterV2` as one `Conv2DBackpropFilter` of the stacked taps, unstacked into [fD, fH, fW, C, O]. */
export function createConv3dBackpropFilterAsConv2dKernel(backendName: string): KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as Conv3DBackpropFilterV2Attrs;
    const x = args.inputs.x as TensorInfo;
    const dy = args.inputs.dy as TensorInfo;
    const info = conv3dInfo(x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad);
    const { filterHeight: fh, filterWidth: fw, filterDepth: fd, inChannels: c, outChannels: o } = info;
    const xs = makeOutput(
      args.backend,
      [info.batchSize * info.outDepth, info.inHeight, info.inWidth, fd * c],
      'float32',
      stackedFrames(info, asFloat32(readValues(args.backend, x))),
    );
    const temps = [xs];
    try {
      const dws = kernelOn(
        'Conv2DBackpropFilter',
        backendName,
      )({
        inputs: { x: xs, dy: framesView(info, dy) },
        backend: args.backend,
        attrs: { ...spatialAttrs(info), filterShape: [fh, fw, fd * c, o] },
      }) as TensorInfo;
      temps.push(dws);
      const dw = restackFilter(info, readValues(args.backend, dws) as Float32Array, false);
      return makeOutput(args.backend, [...attrs.filterShape], 'float32', dw);
    } finally {
      dispose(args.backend, temps);
    }
  };
}
