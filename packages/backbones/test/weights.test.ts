import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSafetensors, writeSafetensors } from '@dfer/runtime';

import { Sequential, createRng, loadWeights, saveWeights, stateDictToSafetensors } from '@dfer/backbones';
import { BatchNorm, Conv2d, Linear, permuteValues } from '@dfer/backbones/nn';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const build = (seed: number) =>
  new Sequential([
    new Conv2d(2, 3, 3, { rng: createRng(seed) }),
    new BatchNorm(3),
    new Linear(3, 2, { rng: createRng(seed) }),
  ]);

it('permuteValues equals a tfjs transpose for every permutation of a rank-4 array', () => {
  const shape = [2, 3, 4, 5];
  const values = Float32Array.from({ length: 120 }, (_, i) => i);
  for (const perm of [
    [2, 3, 1, 0],
    [3, 2, 0, 1],
    [0, 1, 2, 3],
    [1, 0, 3, 2],
  ]) {
    const expected = tf.tidy(() => tf.transpose(tf.tensor(values, shape), perm).dataSync());
    expect(Array.from(permuteValues(values, shape, perm))).toEqual(Array.from(expected));
  }
});

it('saveWeights → loadWeights round-trips in PyTorch layout (I64 counters, transposed weights)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'backbones-weights-'));
  try {
    const a = build(1);
    const b = build(2);
    a.train();
    tf.tidy(() => {
      a.forward(tf.randomUniform([2, 4, 4, 2], 0, 1, 'float32', 3));
    });
    const path = join(dir, 'w.safetensors');
    await saveWeights(a, path);
    const content = await loadSafetensors(path);
    expect(content.tensors['0.weight']?.shape).toEqual([3, 2, 3, 3]);
    expect(content.tensors['1.num_batches_tracked']).toEqual({
      dtype: 'I64',
      shape: [],
      data: new BigInt64Array([1n]),
    });
    expect(content.metadata.layout).toBe('pytorch');
    const result = await loadWeights(b, path);
    expect(result.loaded).toBe(9);
    for (const [[na, va], [nb, vb]] of a.stateEntries().map((e, i) => [
      [e.name, e.variable],
      [b.stateEntries()[i]?.name, b.stateEntries()[i]?.variable],
    ]) as Array<[[string, tf.Variable], [string, tf.Variable]]>) {
      expect(nb).toBe(na);
      expect(Array.from(vb.dataSync())).toEqual(Array.from(va.dataSync()));
    }
    a.dispose();
    b.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('rejects unsupported dtypes and int64 values outside int32, naming the tensor and the source', async () => {
  const m = new Linear(1, 1, { bias: false });
  const bytes = writeSafetensors({ weight: { dtype: 'U32', shape: [1, 1], data: new Uint32Array([1]) } });
  await expect(loadWeights(m, bytes)).rejects.toThrow(
    "safetensors bytes: tensor 'weight' has dtype U32; supported: F32, F64, F16, BF16, I64, I32, I16, I8, U8",
  );
  const bn = new BatchNorm(1);
  const big = writeSafetensors({
    weight: { dtype: 'F32', shape: [1], data: new Float32Array([1]) },
    bias: { dtype: 'F32', shape: [1], data: new Float32Array([0]) },
    running_mean: { dtype: 'F32', shape: [1], data: new Float32Array([0]) },
    running_var: { dtype: 'F32', shape: [1], data: new Float32Array([1]) },
    num_batches_tracked: { dtype: 'I64', shape: [], data: new BigInt64Array([2n ** 40n]) },
  });
  await expect(loadWeights(bn, big)).rejects.toThrow(
    /tensor 'num_batches_tracked' \(I64\) holds 1099511627776, outside the int32 range/,
  );
  m.dispose();
  bn.dispose();
});

it('decodes F16 and BF16 tensors to float32', async () => {
  const m = new Linear(2, 1, { bias: false });
  // 1.5 in half = 0x3e00, −2 in half = 0xc000; 1.5 in bfloat16 = 0x3fc0, −2 = 0xc000
  await loadWeights(
    m,
    writeSafetensors({ weight: { dtype: 'F16', shape: [1, 2], data: new Uint16Array([0x3e00, 0xc000]) } }),
  );
  expect(Array.from(m.weight.dataSync())).toEqual([1.5, -2]);
  await loadWeights(
    m,
    writeSafetensors({ weight: { dtype: 'BF16', shape: [1, 2], data: new Uint16Array([0x3fc0, 0xc000]) } }),
  );
  expect(Array.from(m.weight.dataSync())).toEqual([1.5, -2]);
  m.dispose();
});

it('exclude: a checkpoint for another class count loads all but the head, which keeps its values', async () => {
  const build = (out: number) => new Sequential([new Linear(2, 3), new Linear(3, out)]);
  const source = build(4);
  const target = build(2);
  const bytes = writeSafetensors(stateDictToSafetensors(source));
  const headBefore = Array.from(
    target
      .namedParameters()
      .find(([n]) => n === '1.weight')![1]
      .dataSync(),
  );
  // Without exclude the differently shaped head is rejected.
  await expect(loadWeights(target, bytes)).rejects.toThrow(/mis-shaped keys \(2\): 1\.weight/);
  const result = await loadWeights(target, bytes, { exclude: ['1.'] });
  expect(result.loaded).toBe(2);
  expect(result.missingKeys).toEqual(['1.weight', '1.bias']);
  expect(result.unexpectedKeys).toEqual(['1.bias', '1.weight']); // the file's order (safetensors sorts names)
  const param = (m: typeof target, name: string): number[] =>
    Array.from(
      m
        .namedParameters()
        .find(([n]) => n === name)![1]
        .dataSync(),
    );
  expect(param(target, '0.weight')).toEqual(param(source, '0.weight'));
  expect(param(target, '0.bias')).toEqual(param(source, '0.bias'));
  expect(param(target, '1.weight')).toEqual(headBefore);
  // Excluding does not relax the rest: a tensor missing outside the excluded prefixes is still an error.
  const partial = writeSafetensors({ '0.weight': stateDictToSafetensors(source)['0.weight']! });
  await expect(loadWeights(target, partial, { exclude: ['1.'] })).rejects.toThrow(
    "Sequential.loadStateDict from safetensors bytes (excluding '1.'): missing keys (1): 0.bias",
  );
  [source, target].forEach((m) => m.dispose());
});

it("stripPrefix loads a DataParallel checkpoint ('module.' names); without it the names are rejected", async () => {
  const m = new Linear(2, 1);
  const bytes = writeSafetensors({
    'module.weight': { dtype: 'F32', shape: [1, 2], data: new Float32Array([3, -4]) },
    'module.bias': { dtype: 'F32', shape: [1], data: new Float32Array([0.5]) },
  });
  await expect(loadWeights(m, bytes)).rejects.toThrow(/module\.weight/);
  const result = await loadWeights(m, bytes, { stripPrefix: 'module.' });
  expect(result.loaded).toBe(2);
  expect(Array.from(m.weight.dataSync())).toEqual([3, -4]);
  expect(Array.from(m.bias!.dataSync())).toEqual([0.5]);
  const clash = writeSafetensors({
    'module.bias': { dtype: 'F32', shape: [1], data: new Float32Array([1]) },
    bias: { dtype: 'F32', shape: [1], data: new Float32Array([2]) },
  });
  await expect(loadWeights(m, clash, { stripPrefix: 'module.' })).rejects.toThrow(
    "safetensors bytes: after removing the prefix 'module.', two tensors are named 'bias'",
  );
  m.dispose();
});
