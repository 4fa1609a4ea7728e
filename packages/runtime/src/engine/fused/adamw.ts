import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend } from '@tensorflow/tfjs-core';

import { float32TensorFrom } from '../typed-views';

/** One parameter of a {@link fusedAdamWUpdate}: the variable, its gradient and its two moment slots. */
export interface AdamWEntry {
  readonly param: tf.Variable;
  readonly grad: tf.Tensor;
  /** First moment m (`exp_avg`), same shape as `param`. */
  readonly m: tf.Variable;
  /** Second moment v (`exp_avg_sq`), same shape as `param`. */
  readonly v: tf.Variable;
  /** Decoupled weight decay of this parameter (0 for none). */
  readonly weightDecay: number;
}

/** The step's hyper-parameters. */
export interface AdamWHyper {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Step number t ≥ 1 (after incrementing), for the bias corrections 1 − βᵗ. */
  readonly step: number;
}

/** Whether the in-place AdamW update can run on the active backend (cpu or wasm). */
export function fusedAdamWSupported(): boolean {
  const name = tf.getBackend();
  return name === 'cpu' || name === 'wasm';
}

/**
 * One parameter's AdamW values: m and v in place, the new parameter into `out` (one function for every
 * parameter, so V8 optimises the loop once; written inline in the per-call closure it ran 2.5× slower).
 */
function adamWValues(
  out: Float32Array,
  p: Float32Array,
  g: Float32Array,
  mv: Float32Array,
  vv: Float32Array,
  k: {
    readonly beta1: number;
    readonly beta2: number;
    readonly eps: number;
    readonly stepSize: number;
    readonly inverseSqrtC2: number;
    readonly decay: number;
  },
): void {
  const { beta1, beta2, eps, stepSize, inverseSqrtC2, decay } = k;
  for (let i = 0; i < out.length; i++) {
    const gi = g[i]!;
    const mi = beta1 * mv[i]! + (1 - beta1) * gi;
    const vi = beta2 * vv[i]! + (1 - beta2) * gi * gi;
    mv[i] = mi;
    vv[i] = vi;
    out[i] = p[i]! * decay - (stepSize * mi) / (Math.sqrt(vi) * inverseSqrtC2 + eps);
  }
}

/**
 * AdamW (Loshchilov & Hutter 2019; `torch.optim.AdamW`) over many parameters in one pass, without any tfjs
 * op: the moments m and v are updated **in place** in the backend's memory (cpu arrays or the wasm heap),
 * each parameter gets a new buffer written in the same loop and is `assign`ed to it. Per element, with bias
 * corrections c₁ = 1 − β₁ᵗ, c₂ = 1 − β₂ᵗ:
 *   p ← p·(1 − lr·wd);  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  p ← p − (lr/c₁)·m/(√v/√c₂ + ε)
 * (grouped as `torch.optim.AdamW` does, with lr/c₁ and 1/√c₂ computed once per call; computed in float64,
 * rounded to float32 once per value).
 *
 * Parameters are never written in place: the wasm backend's convolution and matmul kernels cache their
 * weights (packed for XNNPACK) by buffer, so a weight changed in place would keep being used with its old
 * values (found here: training stalled). A slot whose buffer is shared with another tensor (reference
 * count > 1) cannot be written in place; such entries are left untouched and returned, for the caller's
 * op-by-op path. Throws on a backend other than cpu or wasm, or on a shape mismatch.
 */
export function fusedAdamWUpdate(entries: readonly AdamWEntry[], hyper: AdamWHyper): AdamWEntry[] {
  if (!fusedAdamWSupported()) {
    throw new Error(`fusedAdamWUpdate: runs on the cpu and wasm backends, not '${tf.getBackend()}'`);
  }
  const backend = tf.backend() as KernelBackend;
  const { lr, beta1, beta2, eps, step } = hyper;
  const c1 = 1 - Math.pow(beta1, step);
  const c2 = 1 - Math.pow(beta2, step);
  // torch.optim.AdamW's grouping: step size lr / c₁ and √c₂ once per call, so one division per value.
  const stepSize = lr / c1;
  const inverseSqrtC2 = 1 / Math.sqrt(c2);
  const skipped: AdamWEntry[] = [];
  for (const entry of entries) {
    const { param, grad, m, v } = entry;
    const n = param.size;
    if (grad.size !== n || m.size !== n || v.size !== n) {
      throw new Error(
        `fusedAdamWUpdate: '${param.name}' has ${n} values, its gradient ${grad.size}, m ${m.size}, v ${v.size}`,
      );
    }
    for (const t of [param, grad, m, v]) {
      if (t.dtype !== 'float32') throw new Error(`fusedAdamWUpdate: '${param.name}' is not float32`);
    }
    if ([m, v].some((t) => backend.refCount(t.dataId) !== 1)) {
      skipped.push(entry);
      continue;
    }
    const decay = 1 - lr * entry.weightDecay;
    // The new parameter is written from views of the four buffers; m and v (owned here, reference count 1)
    // are updated through their views, in place.
    const updated = float32TensorFrom(param.shape, [param, grad, m, v], (out, [p, g, mv, vv]) =>
      adamWValues(out, p!, g!, mv!, vv!, { beta1, beta2, eps, stepSize, inverseSqrtC2, decay }),
    );
    param.assign(updated);
    updated.dispose();
  }
  return skipped;
}
