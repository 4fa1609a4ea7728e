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
 * 3-D convolution kernels (NDHWC, float32) as im2col + the backend's own `BatchMatMul`, for the wasm
 * backend, whose `Conv3D` is a direct loop (~0.2 GMAC/s measured here) and whose two gradient kernels are
 * wrong and run on the cpu backend (see `kernel-fixes.ts`). The matrix products run in XNNPACK
 * (7–13 GMAC/s measured here on M3DFEL's shapes); only the patch gathering and scattering are JS loops.
 *
 * With `x` [N, D, H, W, C], filter `w` [fD, fH, fW, C, O] seen as a matrix [K = fD·fH·fW·C, O], and the
 * output positions m = (n, t, i, j) of `y` [N, oD, oH, oW, O] (M of them), the patch matrix is
 * `cols[m, (a, u, v, c)] = x[n, t·sD − pF + a·dD, i·sH − pT + u·dH, j·sW − pL + v·dW, c]` (0 in the padding).
 * Then `y = cols · w`, `dw = colsᵀ · dy` and `dx = col2im(dy · wᵀ)` (col2im adds every patch entry back to
 * the input element it was read from). Rows are processed in chunks of at most {@link CHUNK_ELEMENTS}
 * patch values, so a large clip never needs the whole patch matrix at once.
 */

/** Most patch-matrix values gathered at once by default (16 MiB of float32). */
const CHUNK_ELEMENTS = 1 << 22;

/** Options of the im2col kernels. */
export interface Im2colOptions {
  /** Most patch-matrix values gathered at once (default 2²², 16 MiB); smaller values only add matmul calls. */
  readonly chunkElements?: number;
}

interface Geometry {
  readonly n: number;
  readonly d: number;
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly fd: number;
  readonly fh: number;
  readonly fw: number;
  readonly o: number;
  readonly od: number;
  readonly oh: number;
  readonly ow: number;
  readonly sd: number;
  readonly sh: number;
  readonly sw: number;
  readonly dd: number;
  readonly dh: number;
  readonly dw: number;
  readonly pf: number;
  readonly pt: number;
  readonly pl: number;
  /** Output positions N·oD·oH·oW. */
  readonly m: number;
  /** Patch length fD·fH·fW·C. */
  readonly k: number;
}

function geometry(
  xShape: readonly number[],
  filterShape: readonly number[],
  strides: [number, number, number] | number,
  dilations: [number, number, number] | number,
  pad: 'valid' | 'same' | number,
): Geometry {
  const info = backend_util.computeConv3DInfo(
    xShape as [number, number, number, number, number],
    filterShape as [number, number, number, number, number],
    strides,
    dilations,
    pad,
  );
  const g = {
    n: info.batchSize,
    d: info.inDepth,
    h: info.inHeight,
    w: info.inWidth,
    c: info.inChannels,
    fd: info.filterDepth,
    fh: info.filterHeight,
    fw: info.filterWidth,
    o: info.outChannels,
    od: info.outDepth,
    oh: info.outHeight,
    ow: info.outWidth,
    sd: info.strideDepth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    dd: info.dilationDepth,
    dh: info.dilationHeight,
    dw: info.dilationWidth,
    pf: info.padInfo.front,
    pt: info.padInfo.top,
    pl: info.padInfo.left,
  };
  return {
    ...g,
    m: g.n * g.od * g.oh * g.ow,
    k: g.fd * g.fh * g.fw * g.c,
  };
}

/** Scratch lists of the taps of one output position (see {@link tapsOfRow}). */
interface Taps {
  readonly xOffsets: Int32Array;
  readonly kOffsets: Int32Array;
}

function newTaps(g: Geometry): Taps {
  const n = g.fd * g.fh * g.fw;
  return { xOffsets: new Int32Array(n), kOffsets: new Int32Array(n) };
}

/**
 * The filter taps (a, u, v) of output position `m` (flat over N, oD, oH, oW) whose input voxel lies inside
 * `x`: writes the flat offset of that voxel's channel 0 in `x` and of the tap's channel 0 in the patch (the C
 * channels are contiguous in both) to `taps`, and returns how many there are.
 */
function tapsOfRow(g: Geometry, m: number, taps: Taps): number {
  let r = m;
  const j = r % g.ow;
  r = (r - j) / g.ow;
  const i = r % g.oh;
  r = (r - i) / g.oh;
  const t = r % g.od;
  const n = (r - t) / g.od;
  let count = 0;
  for (let a = 0; a < g.fd; a++) {
    const z = t * g.sd - g.pf + a * g.dd;
    if (z < 0 || z >= g.d) continue;
    for (let u = 0; u < g.fh; u++) {
      const y = i * g.sh - g.pt + u * g.dh;
      if (y < 0 || y >= g.h) continue;
      for (let v = 0; v < g.fw; v++) {
        const x = j * g.sw - g.pl + v * g.dw;
        if (x < 0 || x >= g.w) continue;
        taps.xOffsets[count] = (((n * g.d + z) * g.h + y) * g.w + x) * g.c;
        taps.kOffsets[count] = ((a * g.fh + u) * g.fw + v) * g.c;
        count++;
      }
    }
  }
  return count;
}

/** Rows [m0, m0 + rows) of the patch matrix, row-major [rows, K] (`transposed`: column-major, i.e. [K, rows]). */
function gatherPatches(
  g: Geometry,
  xv: Float32Array,
  m0: number,
  rows: number,
  transposed: boolean,
): Float32Array {
  const cols = new Float32Array(rows * g.k);
  const taps = newTaps(g);
  const c = g.c;
  for (let row = 0; row < rows; row++) {
    const count = tapsOfRow(g, m0 + row, taps);
    const base = row * g.k;
    for (let tap = 0; tap < count; tap++) {
      const xo = taps.xOffsets[tap] as number;
      const ko = taps.kOffsets[tap] as number;
      if (transposed) {
        for (let ch = 0; ch < c; ch++) cols[(ko + ch) * rows + row] = xv[xo + ch] as number;
      } else {
        for (let ch = 0; ch < c; ch++) cols[base + ko + ch] = xv[xo + ch] as number;
      }
    }
  }
  return cols;
}

/** `a` [m, k] · `b` [k, n] with the backend's `BatchMatMul` kernel; returns the [m, n] values. */
function matMul(
  backend: AnyBackend,
  backendName: string,
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
): Float32Array {
  const kernel = getKernel('BatchMatMul', backendName);
  if (kernel === undefined)
    throw new Error(`Conv3D im2col kernels: no BatchMatMul kernel on '${backendName}'`);
  const ta = makeOutput(backend, [1, m, k], 'float32', a);
  const tb = makeOutput(backend, [1, k, n], 'float32', b);
  const out = kernel.kernelFunc({
    inputs: { a: ta, b: tb },
    backend,
    attrs: { transposeA: false, transposeB: false },
  }) as TensorInfo;
  const values = readValues(backend, out).slice() as Float32Array;
  for (const info of [ta, tb, out]) (backend as KernelBackend).disposeData(info.dataId);
  return values;
}

function rowsPerChunk(g: Geometry, options: Im2colOptions): number {
  return Math.max(1, Math.floor((options.chunkElements ?? CHUNK_ELEMENTS) / Math.max(1, g.k)));
}

function asFloat32(values: ArrayLike<number>): Float32Array {
  return values instanceof Float32Array ? values : Float32Array.from(values);
}

/** `Conv3D` (NDHWC; 'valid', 'same' or a number of voxels of padding; any strides and dilations). */
export function createConv3dIm2colKernel(
  backendName: string,
  fallback: KernelFunc | undefined,
  options: Im2colOptions = {},
): KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as Conv3DAttrs;
    const x = args.inputs.x as TensorInfo;
    const filter = args.inputs.filter as TensorInfo;
    if (attrs.dataFormat === 'NCDHW' || x.dtype !== 'float32') {
      if (fallback === undefined)
        throw new Error('Conv3D: only NDHWC float32 is supported by the kernel fix');
      return fallback(args);
    }
    const g = geometry(x.shape, filter.shape, attrs.strides, attrs.dilations, attrs.pad);
    const xv = asFloat32(readValues(args.backend, x));
    const wv = asFloat32(readValues(args.backend, filter));
    const y = new Float32Array(g.m * g.o);
    const chunk = rowsPerChunk(g, options);
    for (let m0 = 0; m0 < g.m; m0 += chunk) {
      const rows = Math.min(chunk, g.m - m0);
      y.set(
        matMul(args.backend, backendName, gatherPatches(g, xv, m0, rows, false), wv, rows, g.k, g.o),
        m0 * g.o,
      );
    }
    return makeOutput(args.backend, [g.n, g.od, g.oh, g.ow, g.o], 'float32', y);
  };
}

/** `Conv3DBackpropFilterV2`: dw = colsᵀ · dy, accumulated over row chunks. */
export function createConv3dBackpropFilterIm2colKernel(
  backendName: string,
  options: Im2colOptions = {},
): KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as Conv3DBackpropFilterV2Attrs;
    const x = args.inputs.x as TensorInfo;
    const dy = args.inputs.dy as TensorInfo;
    const g = geometry(x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad);
    const xv = asFloat32(readValues(args.backend, x));
    const dyv = asFloat32(readValues(args.backend, dy));
    const chunk = rowsPerChunk(g, options);
    let dw: Float32Array | undefined;
    for (let m0 = 0; m0 < g.m; m0 += chunk) {
      const rows = Math.min(chunk, g.m - m0);
      const part = matMul(
        args.backend,
        backendName,
        gatherPatches(g, xv, m0, rows, true),
        dyv.subarray(m0 * g.o, (m0 + rows) * g.o),
        g.k,
        rows,
        g.o,
      );
      if (dw === undefined) dw = part;
      else for (let i = 0; i < part.length; i++) dw[i] = (dw[i] as number) + (part[i] as number);
    }
    return makeOutput(args.backend, [...attrs.filterShape], 'float32', dw ?? new Float32Array(g.k * g.o));
  };
}

/** `Conv3DBackpropInputV2`: dx = col2im(dy · wᵀ). */
export function createConv3dBackpropInputIm2colKernel(
  backendName: string,
  options: Im2colOptions = {},
): KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as Conv3DBackpropInputV2Attrs;
    const dy = args.inputs.dy as TensorInfo;
    const filter = args.inputs.filter as TensorInfo;
    const g = geometry(attrs.inputShape, filter.shape, attrs.strides, 1, attrs.pad);
    const dyv = asFloat32(readValues(args.backend, dy));
    const wv = asFloat32(readValues(args.backend, filter));
    const wt = new Float32Array(g.k * g.o);
    for (let k = 0; k < g.k; k++) for (let o = 0; o < g.o; o++) wt[o * g.k + k] = wv[k * g.o + o] as number;
    const dx = new Float32Array(g.n * g.d * g.h * g.w * g.c);
    const taps = newTaps(g);
    const chunk = rowsPerChunk(g, options);
    for (let m0 = 0; m0 < g.m; m0 += chunk) {
      const rows = Math.min(chunk, g.m - m0);
      const dcols = matMul(
        args.backend,
        backendName,
        dyv.subarray(m0 * g.o, (m0 + rows) * g.o),
        wt,
        rows,
        g.o,
        g.k,
      );
      for (let row = 0; row < rows; row++) {
        const count = tapsOfRow(g, m0 + row, taps);
        const base = row * g.k;
        for (let tap = 0; tap < count; tap++) {
          const xo = taps.xOffsets[tap] as number;
          const ko = base + (taps.kOffsets[tap] as number);
          for (let ch = 0; ch < g.c; ch++) dx[xo + ch] = (dx[xo + ch] as number) + (dcols[ko + ch] as number);
        }
      }
    }
    return makeOutput(args.backend, [...attrs.inputShape], 'float32', dx);
  };
}
