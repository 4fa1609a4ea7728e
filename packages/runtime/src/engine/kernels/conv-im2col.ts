import { backend_util, getKernel } from '@tensorflow/tfjs-core';
import type {
  Conv2DBackpropFilterAttrs,
  Conv3DAttrs,
  Conv3DBackpropFilterV2Attrs,
  Conv3DBackpropInputV2Attrs,
  KernelBackend,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { makeOutput, readValues, type AnyBackend } from '../backend-io';
import { conv2dBackpropFilterInfo } from './conv2d-backprop-filter';

/**
 * 3-D convolution kernels (NDHWC, float32) — and the 2-D filter gradient as a depth-1 case — as im2col + the
 * backend's own `BatchMatMul`, for the wasm backend, whose `Conv3D` is a direct loop (~0.2 GMAC/s measured
 * here) and whose two gradient kernels are wrong (see `kernel-fixes.ts`). The matrix products run in XNNPACK
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

/** Sizes and offsets of one convolution; {@link withSizes} derives `m` and `k`. */
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
  return withSizes(g);
}

/** `g` with its output-position count `m` and patch length `k`. */
function withSizes(g: Omit<Geometry, 'm' | 'k'>): Geometry {
  return { ...g, m: g.n * g.od * g.oh * g.ow, k: g.fd * g.fh * g.fw * g.c };
}

/**
 * The patch of every output position of one sample, as runs of values that are contiguous in both `x` and
 * the patch: position p = (t, i, j) (flat over oD, oH, oW) owns runs `start[p]` … `start[p + 1] − 1`; run r
 * copies `length[r]` values from `x[sample base + xOffset[r] …]` to patch column `kOffset[r] …`. Taps whose
 * voxel lies in the padding are absent (their patch entries stay 0); neighbouring taps along W with
 * dilation 1 merge into one run of up to fW·C values. Built once per kernel call (oD·oH·oW·fD·fH·fW entries at
 * most), so the per-row work is plain copying.
 */
interface PatchRuns {
  readonly start: Int32Array;
  readonly xOffset: Int32Array;
  readonly kOffset: Int32Array;
  readonly length: Int32Array;
  /** Values of one sample of `x`: D·H·W·C. */
  readonly sampleSize: number;
  /** Output positions per sample: oD·oH·oW. */
  readonly positions: number;
}

function patchRuns(g: Geometry): PatchRuns {
  const positions = g.od * g.oh * g.ow;
  const maxRuns = positions * g.fd * g.fh * g.fw;
  const start = new Int32Array(positions + 1);
  const xOffset = new Int32Array(maxRuns);
  const kOffset = new Int32Array(maxRuns);
  const length = new Int32Array(maxRuns);
  let runs = 0;
  let p = 0;
  for (let t = 0; t < g.od; t++) {
    for (let i = 0; i < g.oh; i++) {
      for (let j = 0; j < g.ow; j++, p++) {
        start[p] = runs;
        for (let a = 0; a < g.fd; a++) {
          const z = t * g.sd - g.pf + a * g.dd;
          if (z < 0 || z >= g.d) continue;
          for (let u = 0; u < g.fh; u++) {
            const y = i * g.sh - g.pt + u * g.dh;
            if (y < 0 || y >= g.h) continue;
            for (let v = 0; v < g.fw; v++) {
              const x = j * g.sw - g.pl + v * g.dw;
              if (x < 0 || x >= g.w) continue;
              const xo = ((z * g.h + y) * g.w + x) * g.c;
              const ko = ((a * g.fh + u) * g.fw + v) * g.c;
              const last = runs - 1;
              if (
                runs > (start[p] as number) &&
                (xOffset[last] as number) + (length[last] as number) === xo &&
                (kOffset[last] as number) + (length[last] as number) === ko
              ) {
                length[last] = (length[last] as number) + g.c;
              } else {
                xOffset[runs] = xo;
                kOffset[runs] = ko;
                length[runs] = g.c;
                runs++;
              }
            }
          }
        }
      }
    }
  }
  start[positions] = runs;
  return { start, xOffset, kOffset, length, sampleSize: g.d * g.h * g.w * g.c, positions };
}

/** Rows [m0, m0 + rows) of the patch matrix, row-major [rows, K] (`transposed`: column-major, i.e. [K, rows]). */
function gatherPatches(
  g: Geometry,
  runs: PatchRuns,
  xv: Float32Array,
  m0: number,
  rows: number,
  transposed: boolean,
): Float32Array {
  const cols = new Float32Array(rows * g.k);
  const { start, xOffset, kOffset, length, sampleSize, positions } = runs;
  for (let row = 0; row < rows; row++) {
    const m = m0 + row;
    const p = m % positions;
    const sampleBase = ((m - p) / positions) * sampleSize;
    const end = start[p + 1] as number;
    const base = row * g.k;
    for (let r = start[p] as number; r < end; r++) {
      const xo = sampleBase + (xOffset[r] as number);
      const ko = kOffset[r] as number;
      const len = length[r] as number;
      if (transposed) {
        for (let e = 0; e < len; e++) cols[(ko + e) * rows + row] = xv[xo + e] as number;
      } else {
        for (let e = 0; e < len; e++) cols[base + ko + e] = xv[xo + e] as number;
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
    const runs = patchRuns(g);
    const chunk = rowsPerChunk(g, options);
    for (let m0 = 0; m0 < g.m; m0 += chunk) {
      const rows = Math.min(chunk, g.m - m0);
      y.set(
        matMul(args.backend, backendName, gatherPatches(g, runs, xv, m0, rows, false), wv, rows, g.k, g.o),
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
    const dw = filterGradient(g, args.backend, backendName, x, dy, options);
    return makeOutput(args.backend, [...attrs.filterShape], 'float32', dw);
  };
}

/** dw [K, O] = colsᵀ · dy, accumulated over row chunks (shared by the 3-D and 2-D filter-gradient kernels). */
function filterGradient(
  g: Geometry,
  backend: AnyBackend,
  backendName: string,
  x: TensorInfo,
  dy: TensorInfo,
  options: Im2colOptions,
): Float32Array {
  const xv = asFloat32(readValues(backend, x));
  const dyv = asFloat32(readValues(backend, dy));
  const runs = patchRuns(g);
  const chunk = rowsPerChunk(g, options);
  let dw: Float32Array | undefined;
  for (let m0 = 0; m0 < g.m; m0 += chunk) {
    const rows = Math.min(chunk, g.m - m0);
    const part = matMul(
      backend,
      backendName,
      gatherPatches(g, runs, xv, m0, rows, true),
      dyv.subarray(m0 * g.o, (m0 + rows) * g.o),
      g.k,
      rows,
      g.o,
    );
    if (dw === undefined) dw = part;
    else for (let i = 0; i < part.length; i++) dw[i] = (dw[i] as number) + (part[i] as number);
  }
  return dw ?? new Float32Array(g.k * g.o);
}

/**
 * `Conv2DBackpropFilter` (NHWC) by the same im2col + `BatchMatMul`, as a 3-D convolution of depth 1 (any
 * padding tfjs accepts, including explicit pads; dilation 1 as for every conv2d gradient in tfjs). NCHW goes to
 * `fallback`. Replaces the typed-array loop on wasm, which was the largest kernel of a Former-DFER step.
 */
export function createConv2dBackpropFilterIm2colKernel(
  backendName: string,
  fallback: KernelFunc,
  options: Im2colOptions = {},
): KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
    const x = args.inputs.x as TensorInfo;
    const dy = args.inputs.dy as TensorInfo;
    if (attrs.dataFormat === 'NCHW' || x.dtype !== 'float32') return fallback(args);
    const info = conv2dBackpropFilterInfo(x, attrs);
    const g = withSizes({
      n: info.batchSize,
      d: 1,
      h: info.inHeight,
      w: info.inWidth,
      c: info.inChannels,
      fd: 1,
      fh: info.filterHeight,
      fw: info.filterWidth,
      o: info.outChannels,
      od: 1,
      oh: info.outHeight,
      ow: info.outWidth,
      sd: 1,
      sh: info.strideHeight,
      sw: info.strideWidth,
      dd: 1,
      dh: info.dilationHeight,
      dw: info.dilationWidth,
      pf: 0,
      pt: info.padInfo.top,
      pl: info.padInfo.left,
    });
    const dw = filterGradient(g, args.backend, backendName, x, dy, options);
    return makeOutput(args.backend, [...attrs.filterShape], 'float32', dw);
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
    const { start, xOffset, kOffset, length, sampleSize, positions } = patchRuns(g);
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
        const m = m0 + row;
        const p = m % positions;
        const sampleBase = ((m - p) / positions) * sampleSize;
        const end = start[p + 1] as number;
        const base = row * g.k;
        for (let r = start[p] as number; r < end; r++) {
          const xo = sampleBase + (xOffset[r] as number);
          const ko = base + (kOffset[r] as number);
          const len = length[r] as number;
          for (let e = 0; e < len; e++) dx[xo + e] = (dx[xo + e] as number) + (dcols[ko + e] as number);
        }
      }
    }
    return makeOutput(args.backend, [...attrs.inputShape], 'float32', dx);
  };
}
