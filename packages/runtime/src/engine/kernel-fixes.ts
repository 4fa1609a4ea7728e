import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { createConv2DBackpropFilterKernel } from './kernels/conv2d-backprop-filter';
import { createTransposingBatchMatMulKernel } from './kernels/batch-matmul-transposed';
import {
  createConv2dBackpropFilterAsConvKernel,
  createConv2dBackpropInputAsConvKernel,
} from './kernels/conv2d-gradients-as-conv';
import {
  createConv3dAsConv2dKernel,
  createConv3dBackpropFilterAsConv2dKernel,
  createConv3dBackpropInputAsConv2dKernel,
} from './kernels/conv3d-as-conv2d';
import { createConcatInHeapKernel } from './kernels/concat-in-heap';
import { createCpuDelegateKernel } from './kernels/cpu-delegate';
import { createFilterCroppingConv2dKernel } from './kernels/conv2d-filter-crop';
import { avgPoolGradKernel, maxPoolGradKernel } from './kernels/pool-grads';
import { avgPool3dGradKernel, maxPool3dGradKernel } from './kernels/pool3d-grads';
import { resizeBilinearGradKernel } from './kernels/resize-bilinear-grad';
import { createSliceFromHeapKernel } from './kernels/slice-from-heap';
import { createHighRankTransposeKernel } from './kernels/transpose-high-rank';
import { createSharingIdentityKernel } from './kernels/identity-shared';
import { createRankLimitedKernel, XNNPACK_RANK_LIMITED_KERNELS } from './kernels/xnnpack-rank-limit';

/** A backend the kernel fixes apply to. */
export type FixedBackendName = 'cpu' | 'wasm';

/** One replacement or added kernel, and why it exists. */
export interface KernelFix {
  /** tfjs kernel name, e.g. `'Conv2DBackpropFilter'`. */
  readonly kernelName: string;
  /** The backend it is registered on. */
  readonly backendName: FixedBackendName;
  /** What the stock kernel does wrong (or that it is missing). */
  readonly reason: string;
}

interface KernelFixDefinition extends KernelFix {
  create(stock: KernelFunc | undefined): KernelFunc;
}

const CPU_DELEGATED: ReadonlyArray<readonly [string, string]> = [
  [
    'MaxPool3D',
    'wrong forward on wasm: windows whose values are all negative return 1.18e-38 (FLT_MIN used as the initial max; measured here); runs the cpu kernel',
  ],
  ['DepthwiseConv2dNativeBackpropFilter', 'missing on wasm; runs the cpu kernel'],
  ['DepthwiseConv2dNativeBackpropInput', 'missing on wasm; runs the cpu kernel'],
  ['UnsortedSegmentSum', 'missing on wasm (gather gradients); runs the cpu kernel'],
];

const FIXES: readonly KernelFixDefinition[] = [
  {
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'cpu',
    reason: 'stock kernel reads element by element (~80x slower); typed-array loop',
    create: (stock) => createConv2DBackpropFilterKernel(stock),
  },
  {
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    reason:
      'missing on wasm; one dilated XNNPACK Conv2D of the transposed input with the output gradient as its filter (NHWC), the typed-array loop for NCHW',
    create: () =>
      createConv2dBackpropFilterAsConvKernel(
        'wasm',
        createConv2DBackpropFilterKernel(createCpuDelegateKernel('Conv2DBackpropFilter')),
      ),
  },
  {
    kernelName: 'Conv2D',
    backendName: 'wasm',
    reason:
      'stock kernel (XNNPACK) multiplies filter taps that only ever read the padding (a 3×3 filter over a 1×1 map: 9× the work); cuts the filter to the taps that read the input',
    create: (stock) => {
      if (stock === undefined) throw new Error('Conv2D: no stock wasm kernel to wrap');
      return createFilterCroppingConv2dKernel('wasm', stock);
    },
  },
  {
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    reason:
      'stock kernel is a direct loop; one XNNPACK Conv2D of the strided gradient grid with the flipped filter (NHWC)',
    create: (stock) => {
      if (stock === undefined) throw new Error('Conv2DBackpropInput: no stock wasm kernel to fall back to');
      return createConv2dBackpropInputAsConvKernel('wasm', stock);
    },
  },
  ...(['cpu', 'wasm'] as const).map((backendName): KernelFixDefinition => ({
    kernelName: 'MaxPoolGrad',
    backendName,
    reason: 'stock wasm kernel sends the gradient to a non-argmax pixel in some windows; typed-array argmax',
    create: () => maxPoolGradKernel,
  })),
  ...(['cpu', 'wasm'] as const).map((backendName): KernelFixDefinition => ({
    kernelName: 'AvgPoolGrad',
    backendName,
    reason:
      "stock backward divides by the full window while the forward divides by the real pixels ('same' padding)",
    create: () => avgPoolGradKernel,
  })),
  {
    kernelName: 'MaxPool3DGrad',
    backendName: 'wasm',
    reason:
      "stock wasm kernel misroutes some gradients with 'same' padding (measured here); typed-array argmax",
    create: () => maxPool3dGradKernel,
  },
  ...(['cpu', 'wasm'] as const).map((backendName): KernelFixDefinition => ({
    kernelName: 'AvgPool3DGrad',
    backendName,
    reason:
      "stock backward divides by the full window while the forward divides by the real voxels ('same' padding; measured here)",
    create: () => avgPool3dGradKernel,
  })),
  ...(['cpu', 'wasm'] as const).map((backendName): KernelFixDefinition => ({
    kernelName: 'ResizeBilinearGrad',
    backendName,
    reason:
      'stock cpu kernel swaps height and width of the gradient and ignores halfPixelCenters (measured here); typed-array loop',
    create: () => resizeBilinearGradKernel,
  })),
  {
    kernelName: 'Conv3D',
    backendName: 'wasm',
    reason:
      'stock kernel is a direct loop (~0.2 GMAC/s measured here); one XNNPACK Conv2D per temporal tap of the filter (one for all taps when the input has a few channels)',
    create: () => createConv3dAsConv2dKernel('wasm'),
  },
  {
    kernelName: 'Conv3DBackpropInputV2',
    backendName: 'wasm',
    reason:
      'stock kernel wrong on wasm (off by about the gradient size vs finite differences); one Conv2DBackpropInput per temporal tap (one for all taps when the input has a few channels)',
    create: () => createConv3dBackpropInputAsConv2dKernel('wasm'),
  },
  {
    kernelName: 'Conv3DBackpropFilterV2',
    backendName: 'wasm',
    reason:
      'stock kernel wrong on wasm with unequal strides (filter gradient off vs finite differences at strides [1, 2, 2]); one Conv2DBackpropFilter per temporal tap (one for all taps when the input has a few channels)',
    create: () => createConv3dBackpropFilterAsConv2dKernel('wasm'),
  },
  {
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    reason:
      'stock transposeA / transposeB paths are 10–30× slower than the plain one (measured here; every matmul gradient uses them); transposes explicitly',
    create: (stock) => createTransposingBatchMatMulKernel('wasm', stock),
  },
  {
    kernelName: 'Slice',
    backendName: 'wasm',
    reason:
      'stock kernel copies the whole input out of the wasm heap for every slice, and element by element above rank 4; copies runs from the heap',
    create: (stock) => createSliceFromHeapKernel(stock),
  },
  {
    kernelName: 'Concat',
    backendName: 'wasm',
    reason:
      'stock kernel makes a typed-array object per input and outer index (slow along inner axes); copies inside the heap',
    create: (stock) => {
      if (stock === undefined) throw new Error('Concat: no stock wasm kernel to fall back to');
      return createConcatInHeapKernel(stock);
    },
  },
  {
    kernelName: 'Transpose',
    backendName: 'wasm',
    reason:
      "stock kernel walks index by index at rank 6 and more (MAE-DFER's tubelet layout); typed-array runs",
    create: (stock) => createHighRankTransposeKernel(stock),
  },
  {
    kernelName: 'Identity',
    backendName: 'wasm',
    reason: 'stock kernel allocates and copies on every call; shares the buffer, as on cpu',
    create: (stock) => createSharingIdentityKernel(stock),
  },
  ...XNNPACK_RANK_LIMITED_KERNELS.map((kernelName): KernelFixDefinition => ({
    kernelName,
    backendName: 'wasm',
    reason:
      'stock kernel (XNNPACK) returns garbage without an error above rank 6 (measured here at rank 7); runs the cpu kernel there',
    create: (stock) => createRankLimitedKernel(kernelName, stock),
  })),
  ...CPU_DELEGATED.map(([kernelName, reason]): KernelFixDefinition => ({
    kernelName,
    backendName: 'wasm',
    reason,
    create: () => createCpuDelegateKernel(kernelName),
  })),
];

/** Stock kernels replaced by a fix, keyed `backend/kernel` (`null` when the backend had none). */
const replaced = new Map<string, KernelConfig | null>();

/** Lists every kernel fix this package can register, with the reason for each. */
export function listKernelFixes(): KernelFix[] {
  return FIXES.map(({ kernelName, backendName, reason }) => ({ kernelName, backendName, reason }));
}

/**
 * Registers the kernel fixes for `backendName` (replacing the stock kernels, which are kept so that
 * {@link unregisterKernelFixes} can restore them). Idempotent. Returns the fixes now active.
 */
export function registerKernelFixes(backendName: FixedBackendName): KernelFix[] {
  const active: KernelFix[] = [];
  for (const fix of FIXES) {
    if (fix.backendName !== backendName) continue;
    const key = `${backendName}/${fix.kernelName}`;
    if (!replaced.has(key)) {
      const stock = getKernel(fix.kernelName, backendName) ?? null;
      if (stock !== null) unregisterKernel(fix.kernelName, backendName);
      // The stock kernel's setupFunc stays with the fix: wasm kernels bind their C function there when the
      // backend initialises, and a fix that calls the stock kernel (fallbacks, BatchMatMul) needs that.
      registerKernel({
        kernelName: fix.kernelName,
        backendName,
        kernelFunc: fix.create(stock?.kernelFunc),
        ...(stock?.setupFunc !== undefined ? { setupFunc: stock.setupFunc } : {}),
      });
      replaced.set(key, stock);
    }
    active.push({ kernelName: fix.kernelName, backendName, reason: fix.reason });
  }
  return active;
}

/** Removes the kernel fixes of `backendName` and restores the stock kernels (used to benchmark stock tfjs). */
export function unregisterKernelFixes(backendName: FixedBackendName): void {
  for (const fix of FIXES) {
    if (fix.backendName !== backendName) continue;
    const key = `${backendName}/${fix.kernelName}`;
    if (!replaced.has(key)) continue;
    const stock = replaced.get(key) ?? null;
    unregisterKernel(fix.kernelName, backendName);
    if (stock !== null) registerKernel(stock);
    replaced.delete(key);
  }
}
