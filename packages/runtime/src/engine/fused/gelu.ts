import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';

import type { AnyBackend } from '../backend-io';
import { runTypedKernel, typedKernel } from './typed-kernel';

/** Kernel names of the fused GELU. */
export const GELU_KERNEL = 'DferGelu';
const GELU_GRAD_KERNEL = 'DferGeluGrad';

/** `'none'`: exact erf form; `'tanh'`: the tanh approximation. */
export type FusedGeluApproximation = 'none' | 'tanh';

interface GeluAttrs {
  approximate: FusedGeluApproximation;
}

const P = backend_util.ERF_P;
const A1 = backend_util.ERF_A1;
const A2 = backend_util.ERF_A2;
const A3 = backend_util.ERF_A3;
const A4 = backend_util.ERF_A4;
const A5 = backend_util.ERF_A5;

/** erf(x) by Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7), the formula and constants of tfjs's `Erf` kernels. */
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const v = Math.abs(x);
  const t = 1 / (1 + P * v);
  return sign * (1 - ((((A5 * t + A4) * t + A3) * t + A2) * t + A1) * t * Math.exp(-v * v));
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const TANH_C = 0.044715;

function forward(backend: AnyBackend, [x]: TensorInfo[], { approximate }: GeluAttrs): TensorInfo {
  const [y] = runTypedKernel(backend, [x!], [x!.shape], ([xv], [out]) => {
    const n = xv!.length;
    if (approximate === 'tanh') {
      for (let i = 0; i < n; i++) {
        const v = xv![i] as number;
        out![i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + TANH_C * v * v * v)));
      }
    } else {
      for (let i = 0; i < n; i++) {
        const v = xv![i] as number;
        out![i] = 0.5 * v * (1 + erf(v * Math.SQRT1_2));
      }
    }
  });
  return y!;
}

/**
 * dx = dy · GELU′(x):
 * exact: GELU′(x) = ½(1 + erf(x/√2)) + x·φ(x), φ(x) = e^(−x²/2)/√(2π);
 * tanh: with u = √(2/π)(x + 0.044715x³), GELU′(x) = ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²).
 */
function backward(backend: AnyBackend, [dy, x]: TensorInfo[], { approximate }: GeluAttrs): TensorInfo {
  const [dx] = runTypedKernel(backend, [dy!, x!], [x!.shape], ([dyv, xv], [out]) => {
    const n = xv!.length;
    if (approximate === 'tanh') {
      for (let i = 0; i < n; i++) {
        const v = xv![i] as number;
        const th = Math.tanh(SQRT_2_OVER_PI * (v + TANH_C * v * v * v));
        const d = 0.5 * (1 + th) + 0.5 * v * (1 - th * th) * SQRT_2_OVER_PI * (1 + 3 * TANH_C * v * v);
        out![i] = (dyv![i] as number) * d;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const v = xv![i] as number;
        const d = 0.5 * (1 + erf(v * Math.SQRT1_2)) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v);
        out![i] = (dyv![i] as number) * d;
      }
    }
  });
  return dx!;
}

/** The fused GELU kernels for `backendName` (cpu or wasm). */
export function geluKernels(backendName: string): KernelConfig[] {
  return [
    { kernelName: GELU_KERNEL, backendName, kernelFunc: typedKernel<GeluAttrs>(['x'], forward) },
    { kernelName: GELU_GRAD_KERNEL, backendName, kernelFunc: typedKernel<GeluAttrs>(['dy', 'x'], backward) },
  ];
}

/** Gradient of the fused GELU: one backward kernel. */
export const geluGradConfig: GradConfig = {
  kernelName: GELU_KERNEL,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    return {
      x: () =>
        tf.engine().runKernel(GELU_GRAD_KERNEL, { dy: dy as tf.Tensor, x }, attrs as never) as tf.Tensor,
    };
  },
};

/**
 * GELU (Hendrycks & Gimpel 2016) in one kernel and one backward kernel:
 * `'none'`: ½x(1 + erf(x/√2)) (erf as tfjs computes it); `'tanh'`: ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
 */
export function fusedGelu(x: tf.Tensor, approximate: FusedGeluApproximation = 'none'): tf.Tensor {
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new Error(`fusedGelu: approximate must be 'none' or 'tanh', got '${String(approximate)}'`);
  }
  return tf.engine().runKernel(GELU_KERNEL, { x }, { approximate } as never) as tf.Tensor;
}
