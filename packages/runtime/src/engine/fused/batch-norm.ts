import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';

import type { AnyBackend } from '../backend-io';
import { runTypedKernel, typedKernel } from './typed-kernel';

/** Kernel names of the fused training-mode BatchNorm. */
export const BATCH_NORM_KERNEL = 'DferBatchNormTrain';
const BATCH_NORM_GRAD_KERNEL = 'DferBatchNormTrainGrad';

interface BatchNormAttrs {
  eps: number;
}

/** Per-channel mean and biased variance of `x` `[n, c]` (float64 accumulators, two passes). */
function channelMoments(x: Float32Array, c: number, mean: Float64Array, variance: Float64Array): void {
  const n = x.length / c;
  mean.fill(0);
  variance.fill(0);
  for (let r = 0; r < n; r++) {
    const o = r * c;
    for (let j = 0; j < c; j++) mean[j] = (mean[j] as number) + (x[o + j] as number);
  }
  for (let j = 0; j < c; j++) mean[j] = (mean[j] as number) / n;
  for (let r = 0; r < n; r++) {
    const o = r * c;
    for (let j = 0; j < c; j++) {
      const d = (x[o + j] as number) - (mean[j] as number);
      variance[j] = (variance[j] as number) + d * d;
    }
  }
  for (let j = 0; j < c; j++) variance[j] = (variance[j] as number) / n;
}

function forward(backend: AnyBackend, [x, gamma, beta]: TensorInfo[], { eps }: BatchNormAttrs): TensorInfo[] {
  const c = x!.shape[1] as number;
  return runTypedKernel(backend, [x!, gamma!, beta!], [x!.shape, [c], [c]], ([xv, g, b], [y, mOut, vOut]) => {
    const mean = new Float64Array(c);
    const variance = new Float64Array(c);
    channelMoments(xv!, c, mean, variance);
    const scale = new Float64Array(c);
    const shift = new Float64Array(c);
    for (let j = 0; j < c; j++) {
      scale[j] = (g![j] as number) / Math.sqrt((variance[j] as number) + eps);
      shift[j] = (b![j] as number) - (mean[j] as number) * (scale[j] as number);
    }
    const n = xv!.length / c;
    for (let r = 0; r < n; r++) {
      const o = r * c;
      for (let j = 0; j < c; j++)
        y![o + j] = (xv![o + j] as number) * (scale[j] as number) + (shift[j] as number);
    }
    mOut!.set(mean);
    vOut!.set(variance);
  });
}

/**
 * Backward of y = x̂·γ + β, x̂ = (x − μ)·r, r = 1/√(σ² + ε), statistics over the n rows of each channel:
 * dβ = Σ dy, dγ = Σ dy·x̂, dx = γ·r/n·(n·dy − dβ − x̂·dγ) + dμ/n + dσ²·2(x − μ)/n
 * (the last two terms carry gradients that reach the returned μ and σ² directly; zero in a plain forward).
 */
function backward(
  backend: AnyBackend,
  [dy, dMean, dVar, x, gamma, mean, variance]: TensorInfo[],
  { eps }: BatchNormAttrs,
): TensorInfo[] {
  const c = x!.shape[1] as number;
  return runTypedKernel(
    backend,
    [dy!, dMean!, dVar!, x!, gamma!, mean!, variance!],
    [x!.shape, [c], [c]],
    ([dyv, dm, dv, xv, g, mu, va], [dx, dg, db]) => {
      const n = xv!.length / c;
      const rstd = new Float64Array(c);
      for (let j = 0; j < c; j++) rstd[j] = 1 / Math.sqrt((va![j] as number) + eps);
      const sumDy = new Float64Array(c);
      const sumDyXhat = new Float64Array(c);
      for (let r = 0; r < n; r++) {
        const o = r * c;
        for (let j = 0; j < c; j++) {
          const d = dyv![o + j] as number;
          sumDy[j] = (sumDy[j] as number) + d;
          sumDyXhat[j] =
            (sumDyXhat[j] as number) +
            d * ((xv![o + j] as number) - (mu![j] as number)) * (rstd[j] as number);
        }
      }
      const k = new Float64Array(c);
      for (let j = 0; j < c; j++) k[j] = ((g![j] as number) * (rstd[j] as number)) / n;
      for (let r = 0; r < n; r++) {
        const o = r * c;
        for (let j = 0; j < c; j++) {
          const centred = (xv![o + j] as number) - (mu![j] as number);
          const xhat = centred * (rstd[j] as number);
          dx![o + j] =
            (k[j] as number) *
              (n * (dyv![o + j] as number) - (sumDy[j] as number) - xhat * (sumDyXhat[j] as number)) +
            (dm![j] as number) / n +
            ((dv![j] as number) * 2 * centred) / n;
        }
      }
      dg!.set(sumDyXhat);
      db!.set(sumDy);
    },
  );
}

/** The fused BatchNorm kernels for `backendName` (cpu or wasm). */
export function batchNormKernels(backendName: string): KernelConfig[] {
  return [
    {
      kernelName: BATCH_NORM_KERNEL,
      backendName,
      kernelFunc: typedKernel<BatchNormAttrs>(['x', 'gamma', 'beta'], forward),
    },
    {
      kernelName: BATCH_NORM_GRAD_KERNEL,
      backendName,
      kernelFunc: typedKernel<BatchNormAttrs>(
        ['dy', 'dMean', 'dVariance', 'x', 'gamma', 'mean', 'variance'],
        backward,
      ),
    },
  ];
}

/** Gradient of the fused BatchNorm: one backward kernel for dx, dγ and dβ. */
export const batchNormGradConfig: GradConfig = {
  kernelName: BATCH_NORM_KERNEL,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [dy, dMean, dVariance] = dys as tf.Tensor[];
    const [x, gamma, mean, variance] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const [dx, dg, db] = tf
      .engine()
      .runKernel(
        BATCH_NORM_GRAD_KERNEL,
        { dy: dy!, dMean: dMean!, dVariance: dVariance!, x, gamma, mean, variance },
        attrs as never,
      ) as tf.Tensor[];
    return { x: () => dx!, gamma: () => dg!, beta: () => db! };
  },
};

/**
 * Training-mode batch normalisation of `x` `[n, c]` over its rows in one kernel (and one backward kernel):
 * y = (x − μ)/√(σ² + ε)·γ + β with μ, σ² the per-channel batch mean and biased variance. Returns
 * `[y, μ, σ²]` (the statistics for the running averages). Statistics accumulate in float64.
 */
export function fusedBatchNormTrain(
  x: tf.Tensor2D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps: number,
): [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D] {
  const c = x.shape[1];
  if (x.rank !== 2 || gamma.rank !== 1 || beta.rank !== 1 || gamma.shape[0] !== c || beta.shape[0] !== c) {
    throw new Error(
      `fusedBatchNormTrain: expected x [n, c] with γ, β [c], got [${x.shape.join(', ')}], [${gamma.shape.join(', ')}], [${beta.shape.join(', ')}]`,
    );
  }
  return tf.engine().runKernel(BATCH_NORM_KERNEL, { x, gamma, beta }, { eps } as never) as unknown as [
    tf.Tensor2D,
    tf.Tensor1D,
    tf.Tensor1D,
  ];
}
