import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig } from '@tensorflow/tfjs-core';

import { fusedAdamWSupported } from './adamw';
import { BATCH_NORM_KERNEL, batchNormGradConfig, batchNormKernels } from './batch-norm';
import { GELU_KERNEL, geluGradConfig, geluKernels } from './gelu';
import { LAYER_NORM_KERNEL, layerNormGradConfig, layerNormKernels } from './layer-norm';
import { LSTM_CELL_KERNEL, lstmCellGradConfig, lstmCellKernels } from './lstm-cell';
import { SCALED_SOFTMAX_KERNEL, scaledSoftmaxGradConfig, scaledSoftmaxKernels } from './softmax';

/**
 * The fused kernels: each replaces a chain of small tfjs ops (and the chain of their gradients) by one
 * typed-array kernel with a backward kernel of its own, on the cpu and wasm backends. They are checked
 * with `checkGradients` and against the unfused ops (runtime tests).
 */
export type FusedKernelName = 'layerNorm' | 'gelu' | 'softmax' | 'batchNorm' | 'lstmCell' | 'adamw';

interface FusedKernelDefinition {
  /** The forward kernel whose presence on the active backend makes the fused op usable. */
  readonly forwardKernel?: string;
  /** Availability on the active backend when there is no kernel to look up (the in-place AdamW update). */
  readonly supported?: () => boolean;
  readonly kernels: (backendName: string) => KernelConfig[];
  readonly gradient?: GradConfig;
  /** On by default: verified equal to the unfused path within float tolerance, and not slower on wasm. */
  readonly defaultOn: boolean;
}

const DEFINITIONS: Readonly<Record<FusedKernelName, FusedKernelDefinition>> = {
  layerNorm: {
    forwardKernel: LAYER_NORM_KERNEL,
    kernels: layerNormKernels,
    gradient: layerNormGradConfig,
    defaultOn: true,
  },
  // Off by default: equal to the unfused ops, but slower on wasm, whose stock Softmax and element-wise
  // kernels are SIMD (measured forward + backward on MAE-DFER-tiny shapes, same run: GELU 80 vs 36 ms,
  // softmax 10.7 vs 1.8 ms; runtime README).
  gelu: {
    forwardKernel: GELU_KERNEL,
    kernels: geluKernels,
    gradient: geluGradConfig,
    defaultOn: false,
  },
  softmax: {
    forwardKernel: SCALED_SOFTMAX_KERNEL,
    kernels: scaledSoftmaxKernels,
    gradient: scaledSoftmaxGradConfig,
    defaultOn: false,
  },
  batchNorm: {
    forwardKernel: BATCH_NORM_KERNEL,
    kernels: batchNormKernels,
    gradient: batchNormGradConfig,
    defaultOn: true,
  },
  lstmCell: {
    forwardKernel: LSTM_CELL_KERNEL,
    kernels: lstmCellKernels,
    gradient: lstmCellGradConfig,
    defaultOn: true,
  },
  adamw: {
    supported: fusedAdamWSupported,
    kernels: () => [],
    defaultOn: true,
  },
};

const enabled = new Map<FusedKernelName, boolean>(
  (Object.keys(DEFINITIONS) as FusedKernelName[]).map((name) => [name, DEFINITIONS[name].defaultOn]),
);

/** Whether each fused kernel is on by default (what `setFusedKernels('defaults')` restores). */
export function defaultFusedKernels(): Record<FusedKernelName, boolean> {
  return Object.fromEntries(listFusedKernels().map((n) => [n, DEFINITIONS[n].defaultOn])) as Record<
    FusedKernelName,
    boolean
  >;
}

/** Names of the fused kernels. */
export function listFusedKernels(): FusedKernelName[] {
  return Object.keys(DEFINITIONS) as FusedKernelName[];
}

/**
 * Turns fused kernels on or off: `true` / `false` for all, `'defaults'`, or by name (`{ gelu: true }`). Layers and the
 * optimizer read the switch at every call, so it applies from the next op on. The unfused path (plain tfjs
 * ops) is what runs when a kernel is off or the backend has none (e.g. `tensorflow`).
 */
export function setFusedKernels(
  settings: boolean | 'defaults' | Partial<Record<FusedKernelName, boolean>>,
): void {
  if (settings === 'defaults') {
    setFusedKernels(defaultFusedKernels());
    return;
  }
  for (const name of listFusedKernels()) {
    const value = typeof settings === 'boolean' ? settings : settings[name];
    if (value !== undefined) enabled.set(name, value);
  }
  for (const name of typeof settings === 'boolean' ? [] : Object.keys(settings)) {
    if (!(name in DEFINITIONS)) {
      throw new Error(
        `setFusedKernels: unknown fused kernel '${name}'; fused kernels: ${listFusedKernels().join(', ')}`,
      );
    }
  }
}

/** The current switch of every fused kernel. */
export function getFusedKernels(): Record<FusedKernelName, boolean> {
  return Object.fromEntries(listFusedKernels().map((n) => [n, enabled.get(n) === true])) as Record<
    FusedKernelName,
    boolean
  >;
}

/** Whether the fused `name` runs now: switched on and registered on the active backend. */
export function fusedKernelAvailable(name: FusedKernelName): boolean {
  if (enabled.get(name) !== true) return false;
  const { forwardKernel, supported } = DEFINITIONS[name];
  if (supported !== undefined) return supported();
  return forwardKernel !== undefined && tf.getKernel(forwardKernel, tf.getBackend()) !== undefined;
}

/** Registers the fused kernels (and their gradients) on `backendName` (`'cpu'` or `'wasm'`). Idempotent. */
export function registerFusedKernels(backendName: 'cpu' | 'wasm'): void {
  for (const definition of Object.values(DEFINITIONS)) {
    for (const kernel of definition.kernels(backendName)) {
      if (tf.getKernel(kernel.kernelName, backendName) === undefined) tf.registerKernel(kernel);
    }
    const gradient = definition.gradient;
    if (gradient !== undefined && tf.getGradient(gradient.kernelName) === undefined) {
      tf.registerGradient(gradient);
    }
  }
}
