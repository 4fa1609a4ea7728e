/**
 * Deterministic tensors both the TS tests and the Python fixture scripts compute (see
 * fixtures/make_nn_layers_common.py): det(n, k)[i] = ((i·7919 + k·7907) mod 1009)/504.5 − 1,
 * input(n)[i] = ((i·7919) mod 1009)/504.5 − 1 + sin(i/7000).
 */
import * as tf from '@tensorflow/tfjs-core';

import type { AnyModule, StateDict } from '@dfer/backbones';
import type { StateDictSpecEntry } from '@dfer/backbones/nn';

/** scale·(((i·7919 + k·7907) mod 1009)/504.5 − 1) for i < n: pseudo-random in [−scale, scale), exact in Python too. */
export function detValues(n: number, k: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  const offset = (k * 7907) % 1009;
  for (let i = 0; i < n; i++) out[i] = scale * ((((i % 1009) * 7919 + offset) % 1009) / 504.5 - 1);
  return out;
}

/** ((i·7919) mod 1009)/504.5 − 1 + sin(i/7000) for i < n: noise plus a slow wave, reproducible in Python. */
export function inputValues(n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = ((i * 7919) % 1009) / 504.5 - 1 + Math.sin(i / 7000);
  return out;
}

/**
 * A PyTorch-layout state dict for `spec`: tensor k gets scale·det(n, k); running_var and rank-1 norm
 * weights 1 + 0.5·det(n, k); counters 0.
 */
export function deterministicStateDict(spec: readonly StateDictSpecEntry[], scale: number): StateDict {
  const dict: StateDict = {};
  spec.forEach((e, k) => {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (e.name.endsWith('num_batches_tracked')) dict[e.name] = tf.zeros(e.shape, 'int32');
    else if (e.name.endsWith('running_var') || (e.name.endsWith('weight') && e.shape.length === 1)) {
      const v = detValues(n, k, 0.5);
      for (let i = 0; i < n; i++) v[i] = 1 + (v[i] as number);
      dict[e.name] = tf.tensor(v, e.shape);
    } else dict[e.name] = tf.tensor(detValues(n, k, scale), e.shape);
  });
  return dict;
}

/** Loads {@link deterministicStateDict} into `module` (PyTorch layout) and disposes the dict. */
export function fillDeterministic(module: AnyModule, scale: number): void {
  const dict = deterministicStateDict(module.stateDictSpec('pytorch'), scale);
  module.loadStateDict(dict, { layout: 'pytorch' });
  tf.dispose(Object.values(dict));
}

/** Max |a − b| / max(1, |b|) over two equally long arrays. */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs((a[i] as number) - (b[i] as number)) / Math.max(1, Math.abs(b[i] as number));
    if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
  }
  return worst;
}
