import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';

import type { AnyBackend } from '../backend-io';
import { runTypedKernel, typedKernel } from './typed-kernel';

/** Kernel names of the fused scaled softmax. */
export const SCALED_SOFTMAX_KERNEL = 'DferScaledSoftmax';
const SCALED_SOFTMAX_GRAD_KERNEL = 'DferScaledSoftmaxGrad';

interface ScaledSoftmaxAttrs {
  scale: number;
}

function forward(backend: AnyBackend, [x]: TensorInfo[], { scale }: ScaledSoftmaxAttrs): TensorInfo {
  const d = x!.shape[x!.shape.length - 1] as number;
  const [y] = runTypedKernel(backend, [x!], [x!.shape], ([xv], [out]) => {
    const rows = xv!.length / d;
    for (let r = 0; r < rows; r++) {
      const o = r * d;
      let max = -Infinity;
      for (let j = 0; j < d; j++) max = Math.max(max, scale * (xv![o + j] as number));
      let sum = 0;
      for (let j = 0; j < d; j++) {
        const e = Math.exp(scale * (xv![o + j] as number) - max);
        out![o + j] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let j = 0; j < d; j++) out![o + j] = (out![o + j] as number) * inv;
    }
  });
  return y!;
}

/** dx = s·y ⊙ (dy − Σ_j dy_j·y_j) per row (the softmax Jacobian, times the scale s). */
function backward(backend: AnyBackend, [dy, y]: TensorInfo[], { scale }: ScaledSoftmaxAttrs): TensorInfo {
  const d = y!.shape[y!.shape.length - 1] as number;
  const [dx] = runTypedKernel(backend, [dy!, y!], [y!.shape], ([dyv, yv], [out]) => {
    const rows = yv!.length / d;
    for (let r = 0; r < rows; r++) {
      const o = r * d;
      let dot = 0;
      for (let j = 0; j < d; j++) dot += (dyv![o + j] as number) * (yv![o + j] as number);
      for (let j = 0; j < d; j++) {
        out![o + j] = scale * (yv![o + j] as number) * ((dyv![o + j] as number) - dot);
      }
    }
  });
  return dx!;
}

/** The fused scaled-softmax kernels for `backendName` (cpu or wasm). */
export function scaledSoftmaxKernels(backendName: string): KernelConfig[] {
  return [
    {
      kernelName: SCALED_SOFTMAX_KERNEL,
      backendName,
      kernelFunc: typedKernel<ScaledSoftmaxAttrs>(['x'], forward),
    },
    {
      kernelName: SCALED_SOFTMAX_GRAD_KERNEL,
      backendName,
      kernelFunc: typedKernel<ScaledSoftmaxAttrs>(['dy', 'y'], backward),
    },
  ];
}

/** Gradient of the fused scaled softmax: one backward kernel from the saved output. */
export const scaledSoftmaxGradConfig: GradConfig = {
  kernelName: SCALED_SOFTMAX_KERNEL,
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [y] = saved as [tf.Tensor];
    return {
      x: () =>
        tf
          .engine()
          .runKernel(SCALED_SOFTMAX_GRAD_KERNEL, { dy: dy as tf.Tensor, y }, attrs as never) as tf.Tensor,
    };
  },
};

/**
 * softmax(s·x) over the last axis in one kernel and one backward kernel — the attention weights
 * A = softmax(q·kᵀ·s) once the scores q·kᵀ are computed (max-subtracted, float64 sums).
 */
export function fusedScaledSoftmax(x: tf.Tensor, scale = 1): tf.Tensor {
  if (!Number.isFinite(scale)) throw new Error(`fusedScaledSoftmax: scale must be finite, got ${scale}`);
  return tf.engine().runKernel(SCALED_SOFTMAX_KERNEL, { x }, { scale } as never) as tf.Tensor;
}
