import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';

import type { AnyBackend } from '../backend-io';
import { runTypedKernel, typedKernel } from './typed-kernel';

/** Kernel names of the fused LayerNorm (forward, and backward with three outputs). */
export const LAYER_NORM_KERNEL = 'DferLayerNorm';
const LAYER_NORM_GRAD_KERNEL = 'DferLayerNormGrad';

interface LayerNormAttrs {
  eps: number;
}

/** Per-row mean μ and 1/√(σ² + ε) of the rows of length `d` (two passes, float64 accumulators). */
function rowStatistics(x: Float32Array, row: number, d: number, eps: number): [number, number] {
  const o = row * d;
  let sum = 0;
  for (let j = 0; j < d; j++) sum += x[o + j] as number;
  const mean = sum / d;
  let sq = 0;
  for (let j = 0; j < d; j++) {
    const c = (x[o + j] as number) - mean;
    sq += c * c;
  }
  return [mean, 1 / Math.sqrt(sq / d + eps)];
}

function forward(backend: AnyBackend, [x, gamma, beta]: TensorInfo[], { eps }: LayerNormAttrs): TensorInfo {
  const d = x!.shape[x!.shape.length - 1] as number;
  const [y] = runTypedKernel(backend, [x!, gamma!, beta!], [x!.shape], ([xv, g, b], [out]) => {
    const rows = xv!.length / d;
    for (let r = 0; r < rows; r++) {
      const [mean, rstd] = rowStatistics(xv!, r, d, eps);
      const o = r * d;
      for (let j = 0; j < d; j++) {
        out![o + j] = ((xv![o + j] as number) - mean) * rstd * (g![j] as number) + (b![j] as number);
      }
    }
  });
  return y!;
}

/**
 * Backward of y = x̂·γ + β, x̂ = (x − μ)·r, r = 1/√(σ² + ε), per row of length d:
 * dβ = Σ_rows dy; dγ = Σ_rows dy·x̂; dx = r·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·γ.
 */
function backward(backend: AnyBackend, [dy, x, gamma]: TensorInfo[], { eps }: LayerNormAttrs): TensorInfo[] {
  const d = x!.shape[x!.shape.length - 1] as number;
  return runTypedKernel(backend, [dy!, x!, gamma!], [x!.shape, [d], [d]], ([dyv, xv, g], [dx, dg, db]) => {
    const rows = xv!.length / d;
    const dgAcc = new Float64Array(d);
    const dbAcc = new Float64Array(d);
    for (let r = 0; r < rows; r++) {
      const [mean, rstd] = rowStatistics(xv!, r, d, eps);
      const o = r * d;
      let sumG = 0;
      let sumGX = 0;
      for (let j = 0; j < d; j++) {
        const dyj = dyv![o + j] as number;
        const xhat = ((xv![o + j] as number) - mean) * rstd;
        const gj = dyj * (g![j] as number);
        sumG += gj;
        sumGX += gj * xhat;
        dgAcc[j] = (dgAcc[j] as number) + dyj * xhat;
        dbAcc[j] = (dbAcc[j] as number) + dyj;
      }
      const meanG = sumG / d;
      const meanGX = sumGX / d;
      for (let j = 0; j < d; j++) {
        const xhat = ((xv![o + j] as number) - mean) * rstd;
        dx![o + j] = rstd * ((dyv![o + j] as number) * (g![j] as number) - meanG - xhat * meanGX);
      }
    }
    dg!.set(dgAcc);
    db!.set(dbAcc);
  });
}

/** The fused LayerNorm kernels for `backendName` (cpu or wasm). */
export function layerNormKernels(backendName: string): KernelConfig[] {
  return [
    {
      kernelName: LAYER_NORM_KERNEL,
      backendName,
      kernelFunc: typedKernel<LayerNormAttrs>(['x', 'gamma', 'beta'], forward),
    },
    {
      kernelName: LAYER_NORM_GRAD_KERNEL,
      backendName,
      kernelFunc: typedKernel<LayerNormAttrs>(['dy', 'x', 'gamma'], backward),
    },
  ];
}

/** Gradient of the fused LayerNorm: one backward kernel for dx, dγ and dβ. */
export const layerNormGradConfig: GradConfig = {
  kernelName: LAYER_NORM_KERNEL,
  inputsToSave: ['x', 'gamma'],
  gradFunc: (dy, saved, attrs) => {
    const [x, gamma] = saved as [tf.Tensor, tf.Tensor];
    const [dx, dg, db] = tf
      .engine()
      .runKernel(LAYER_NORM_GRAD_KERNEL, { dy: dy as tf.Tensor, x, gamma }, attrs as never) as tf.Tensor[];
    return { x: () => dx!, gamma: () => dg!, beta: () => db! };
  },
};

/**
 * LayerNorm over the last axis in one kernel (and one backward kernel):
 * y = (x − μ)/√(σ² + ε)·γ + β with μ, σ² the mean and biased variance of each row of `x` `[..., d]`,
 * γ and β of shape `[d]`. Statistics accumulate in float64. Runs on the backends that have the fused kernels
 * (cpu, wasm; see `fusedKernelAvailable`).
 */
export function fusedLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const d = x.shape[x.rank - 1];
  if (gamma.rank !== 1 || beta.rank !== 1 || gamma.shape[0] !== d || beta.shape[0] !== d) {
    throw new Error(
      `fusedLayerNorm: γ and β must be [${String(d)}] for input [${x.shape.join(', ')}], got [${gamma.shape.join(', ')}] and [${beta.shape.join(', ')}]`,
    );
  }
  return tf.engine().runKernel(LAYER_NORM_KERNEL, { x, gamma, beta }, { eps } as never) as tf.Tensor;
}
