import { backend_util } from '@tensorflow/tfjs-core';
import type {
  Conv3DAttrs,
  Conv3DBackpropFilterV2Attrs,
  Conv3DBackpropInputV2Attrs,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { disposeInfos, makeOutput, readValues, requireKernel } from '../backend-io';

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
 * The spatial padding, strides and dilations are the 2-D convolution's own (explicit pads from the 3-D
 * geometry), so only whole frames are copied in JS: fD copies of the input (or of the input gradient) per call.
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

/** The input frames tap `a` reads, as [N·oD, H, W, C] values (zeros for frames in the padding). */
function tapFrames(info: Conv3DInfo, xv: Float32Array, a: number): Float32Array {
  const frame = info.inHeight * info.inWidth * info.inChannels;
  const out = new Float32Array(info.batchSize * info.outDepth * frame);
  for (let n = 0; n < info.batchSize; n++) {
    for (let t = 0; t < info.outDepth; t++) {
      const z = sourceFrame(info, t, a);
      if (z < 0) continue;
      const from = (n * info.inDepth + z) * frame;
      out.set(xv.subarray(from, from + frame), (n * info.outDepth + t) * frame);
    }
  }
  return out;
}

/** Whether tap `a` reads at least one frame inside the clip. */
function tapUsed(info: Conv3DInfo, a: number): boolean {
  for (let t = 0; t < info.outDepth; t++) if (sourceFrame(info, t, a) >= 0) return true;
  return false;
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

/** `Conv3D` (NDHWC float32; any padding, strides and dilations tfjs accepts) as one `Conv2D` per temporal tap. */
export function createConv3dAsConv2dKernel(backendName: string): KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as Conv3DAttrs;
    const x = args.inputs.x as TensorInfo;
    const filter = args.inputs.filter as TensorInfo;
    if (attrs.dataFormat === 'NCDHW' || x.dtype !== 'float32')
      throw new Error('Conv3D: only NDHWC float32 is supported by the kernel fix');
    const info = conv3dInfo(x.shape, filter.shape, attrs.strides, attrs.dilations, attrs.pad);
    const { filterHeight: fh, filterWidth: fw, inChannels: c, outChannels: o } = info;
    const xv = asFloat32(readValues(args.backend, x));
    const wv = asFloat32(readValues(args.backend, filter));
    const conv2d = requireKernel('Conv2D', backendName, 'Conv3D kernels');
    const frames = info.batchSize * info.outDepth;
    const y = new Float32Array(frames * info.outHeight * info.outWidth * o);
    const tapSize = fh * fw * c * o;
    for (let a = 0; a < info.filterDepth; a++) {
      if (!tapUsed(info, a)) continue;
      const xa = makeOutput(
        args.backend,
        [frames, info.inHeight, info.inWidth, c],
        'float32',
        tapFrames(info, xv, a),
      );
      const wa = makeOutput(
        args.backend,
        [fh, fw, c, o],
        'float32',
        wv.subarray(a * tapSize, (a + 1) * tapSize),
      );
      const temps = [xa, wa];
      try {
        const ya = conv2d({
          inputs: { x: xa, filter: wa },
          backend: args.backend,
          attrs: { ...spatialAttrs(info), dilations: [info.dilationHeight, info.dilationWidth] },
        }) as TensorInfo;
        temps.push(ya);
        const part = readValues(args.backend, ya) as Float32Array;
        for (let i = 0; i < y.length; i++) y[i] = (y[i] as number) + (part[i] as number);
      } finally {
        disposeInfos(args.backend, temps);
      }
    }
    return makeOutput(
      args.backend,
      [info.batchSize, info.outDepth, info.outHeight, info.outWidth, o],
      'float32',
      y,
    );
  };
}

/** `Conv3DBackpropInputV2` as one `Conv2DBackpropInput` per temporal tap, added back to the frames it read. */
export function createConv3dBackpropInputAsConv2dKernel(backendName: string): KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as Conv3DBackpropInputV2Attrs;
    const dy = args.inputs.dy as TensorInfo;
    const filter = args.inputs.filter as TensorInfo;
    const info = conv3dInfo(attrs.inputShape, filter.shape, attrs.strides, 1, attrs.pad);
    const { filterHeight: fh, filterWidth: fw, inChannels: c, outChannels: o } = info;
    const wv = asFloat32(readValues(args.backend, filter));
    const backpropInput = requireKernel('Conv2DBackpropInput', backendName, 'Conv3D kernels');
    const frame = info.inHeight * info.inWidth * c;
    const dx = new Float32Array(info.batchSize * info.inDepth * frame);
    const dyFrames = framesView(info, dy);
    const tapSize = fh * fw * c * o;
    for (let a = 0; a < info.filterDepth; a++) {
      if (!tapUsed(info, a)) continue;
      const wa = makeOutput(
        args.backend,
        [fh, fw, c, o],
        'float32',
        wv.subarray(a * tapSize, (a + 1) * tapSize),
      );
      const temps = [wa];
      try {
        const ga = backpropInput({
          inputs: { dy: dyFrames, filter: wa },
          backend: args.backend,
          attrs: {
            ...spatialAttrs(info),
            inputShape: [info.batchSize * info.outDepth, info.inHeight, info.inWidth, c],
          },
        }) as TensorInfo;
        temps.push(ga);
        const part = readValues(args.backend, ga) as Float32Array;
        for (let n = 0; n < info.batchSize; n++) {
          for (let t = 0; t < info.outDepth; t++) {
            const z = sourceFrame(info, t, a);
            if (z < 0) continue;
            const to = (n * info.inDepth + z) * frame;
            const from = (n * info.outDepth + t) * frame;
            for (let e = 0; e < frame; e++) dx[to + e] = (dx[to + e] as number) + (part[from + e] as number);
          }
        }
      } finally {
        disposeInfos(args.backend, temps);
      }
    }
    return makeOutput(args.backend, [...attrs.inputShape], 'float32', dx);
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
    const xv = asFloat32(readValues(args.backend, x));
    const backpropFilter = requireKernel('Conv2DBackpropFilter', backendName, 'Conv3D kernels');
    const frames = info.batchSize * info.outDepth;
    const dyFrames = framesView(info, dy);
    const tapSize = fh * fw * c * o;
    const dw = new Float32Array(info.filterDepth * tapSize);
    for (let a = 0; a < info.filterDepth; a++) {
      if (!tapUsed(info, a)) continue;
      const xa = makeOutput(
        args.backend,
        [frames, info.inHeight, info.inWidth, c],
        'float32',
        tapFrames(info, xv, a),
      );
      const temps = [xa];
      try {
        const dwa = backpropFilter({
          inputs: { x: xa, dy: dyFrames },
          backend: args.backend,
          attrs: { ...spatialAttrs(info), filterShape: [fh, fw, c, o] },
        }) as TensorInfo;
        temps.push(dwa);
        dw.set(readValues(args.backend, dwa) as Float32Array, a * tapSize);
      } finally {
        disposeInfos(args.backend, temps);
      }
    }
    return makeOutput(args.backend, [...attrs.filterShape], 'float32', dw);
  };
}
