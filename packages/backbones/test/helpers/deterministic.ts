/**
 * Deterministic tensors both the TS tests and the Python fixture scripts compute (see
 * fixtures/make-nn-layers.py): det(n, k)[i] = sin(0.7·i + k), input(n)[i] = sin(0.37·i + 0.5).
 */
import * as tf from '@tensorflow/tfjs-core';

import type { Module, StateDict, StateDictSpecEntry } from '@dfer/backbones';

/** scale·sin(0.7·i + k) for i < n. */
export function detValues(n: number, k: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sin(0.7 * i + k);
  return out;
}

/** sin(0.37·i + 0.5) for i < n. */
export function inputValues(n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(0.37 * i + 0.5);
  return out;
}

/** A PyTorch-layout state dict for `spec`: tensor k gets scale·det(n, k); running_var 1 + 0.5·det; counters 0. */
export function deterministicStateDict(spec: readonly StateDictSpecEntry[], scale: number): StateDict {
  const dict: StateDict = {};
  spec.forEach((e, k) => {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (e.name.endsWith('num_batches_tracked')) dict[e.name] = tf.zeros(e.shape, 'int32');
    else if (e.name.endsWith('running_var')) {
      dict[e.name] = tf.tensor(
        detValues(n, k).map((v) => 1 + 0.5 * v),
        e.shape,
      );
    } else dict[e.name] = tf.tensor(detValues(n, k, scale), e.shape);
  });
  return dict;
}

/** Loads {@link deterministicStateDict} into `module` (PyTorch layout) and disposes the dict. */
export function fillDeterministic(module: Module<never, unknown>, scale: number): void {
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
