/**
 * Readers for the PyTorch reference values in `test/fixtures/m3dfel/` (made by `make_m3dfel_fixtures.py`
 * beside them) and the deterministic weight rule both sides share.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';

export const M3DFEL_FIXTURE_DIR = join(__dirname, 'fixtures', 'm3dfel');

/** Parses one fixture file of `test/fixtures/m3dfel/`. */
export function readM3dfelFixture<T>(file: string): T {
  return JSON.parse(readFileSync(join(M3DFEL_FIXTURE_DIR, file), 'utf8')) as T;
}

export interface Conv3dCase {
  inChannels: number;
  outChannels: number;
  kernel: [number, number, number];
  stride: [number, number, number];
  padding: [number, number, number];
  bias: boolean;
  inputShape: number[];
  input: number[];
  weightShape: number[];
  weight: number[];
  biasValues: number[] | null;
  outputShape: number[];
  output: number[];
}

export interface Conv1dCase {
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  padding: number;
  inputShape: number[];
  input: number[];
  weightShape: number[];
  weight: number[];
  biasValues: number[];
  outputShape: number[];
  output: number[];
}

export interface LstmCase {
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  inputShape: number[];
  input: number[];
  weights: Record<string, { shape: number[]; values: number[] }>;
  outputShape: number[];
  output: number[];
}

export interface DminCase {
  inputShape: number[];
  input: number[];
  weight: number[];
  bias: number[];
  meanWeight: number[];
  varWeight: number[];
  output: number[];
}

export interface AttentionCase {
  inputShape: number[];
  input: number[];
  heads: number;
  weightShape: number[];
  weight: number[];
  output: number[];
}

export interface LayerFixtures {
  conv3d: Conv3dCase[];
  conv1d: Conv1dCase[];
  lstm: LstmCase[];
  dmin: DminCase[];
  attention: AttentionCase[];
}

export interface ParityFixture {
  inputShape: number[];
  logitsShape: number[];
  logits: number[];
  features: number[];
}

/**
 * `n` values in [−1, 1): murmur3's fmix32 of (i·0x9E3779B1 + (k + 1)·0x85EBCA77) mod 2³², mapped to
 * 2h/2³² − 1 (the `hash_uniform` of make_m3dfel_fixtures.py, bit for bit).
 */
export function hashUniform(n: number, k: number): Float64Array {
  const out = new Float64Array(n);
  const offset = Math.imul(k + 1, 0x85ebca77) >>> 0;
  for (let i = 0; i < n; i++) {
    let h = (Math.imul(i, 0x9e3779b1) + offset) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    h = Math.imul(h, 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    out[i] = (h / 4294967296) * 2 - 1;
  }
  return out;
}

/** Value of state-dict tensor number `k` named `name` (`deterministic_fill` of make_m3dfel_fixtures.py), PyTorch layout. */
export function deterministicFill(name: string, shape: readonly number[], k: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (name.endsWith('num_batches_tracked')) return tf.zeros([...shape], 'int32');
  const s = hashUniform(n, k);
  const last = name.split('.').pop() ?? name;
  let map: (v: number) => number;
  if (name.endsWith('running_var')) map = (v) => 1 + 0.5 * v;
  else if (name.endsWith('running_mean')) map = (v) => 0.1 * v;
  else if (name.endsWith('mean_weight') || name.endsWith('var_weight')) map = (v) => v;
  else if (last.includes('bias')) map = (v) => 0.1 * v;
  else if (shape.length === 1 || name === 'norm.weight') map = (v) => 1 + 0.2 * v;
  else {
    const scale = Math.sqrt(6 / shape.slice(1).reduce((a, b) => a * b, 1));
    map = (v) => v * scale;
  }
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = map(s[i] as number);
  return tf.tensor(values, [...shape], 'float32');
}

/** Largest |a − b| / max(|b|, floor) over two arrays of equal length. */
export function maxRelativeError(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  floor = 1e-3,
): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i] as number;
    worst = Math.max(worst, Math.abs((actual[i] as number) - e) / Math.max(Math.abs(e), floor));
  }
  return worst;
}
