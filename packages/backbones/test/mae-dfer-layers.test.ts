/**
 * MAE-DFER's own layers (sinusoid table, tubelet embedding, GeneralAttention, LgiBlock, DropPath): forward
 * against the PyTorch reference (test/mae-dfer-fixtures/layers.json, made by make_layer_fixture.py) and
 * closed forms, gradients against finite differences, no tensor leaks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { checkGradients, initEngine } from '@dfer/runtime';
import { expectNoTensorLeak } from '@dfer/test-utils';

import { DropPath } from '../src/nn/drop-path';
import { GeneralAttention, LgiBlock } from '../src/nn/lgi-attention';
import type { Module } from '../src/nn/module';
import { sinusoidPositionTable } from '../src/nn/sinusoidal-position';
import { TubeletEmbedding } from '../src/nn/tubelet-embedding';
import { expectAllClose, loadDeterministicWeights, sineTensor } from './mae-dfer-helpers';

interface LayerFixture {
  attention: {
    dim: number;
    heads: number;
    xShape: number[];
    contextShape: number[];
    self: number[];
    cross: number[];
  };
  block: {
    dim: number;
    heads: number;
    mlpRatio: number;
    numRegions: number;
    xShape: number[];
    output: number[];
  };
  tubelet: { dim: number; tubeletSize: number; patchSize: number; xShape: number[]; output: number[] };
  sinusoid: { numPositions: number; dim: number; table: number[] };
}

/** The fixture with every nested output array flattened (row-major, as the tensors' data). */
const fixture = JSON.parse(
  readFileSync(join(__dirname, 'mae-dfer-fixtures', 'layers.json'), 'utf8'),
  (key, value) =>
    ['self', 'cross', 'output', 'table'].includes(key) ? (value as unknown[]).flat(Infinity) : value,
) as LayerFixture;

beforeAll(async () => {
  await initEngine({ backend: 'cpu' });
});

/**
 * Finite-difference check of parameter gradients: for a few elements of every parameter, compares
 * ∂L/∂θ from `tf.variableGrads` with (L(θ + ε) − L(θ − ε)) / 2ε, L = Σ_i cos(0.7·i + 0.3)·f()_i.
 */
function checkParameterGradients(
  module: Pick<Module, 'parameters' | 'namedParameters'>,
  f: () => tf.Tensor,
  elementsPerTensor = 2,
): number {
  const loss = (): tf.Scalar =>
    tf.tidy(() => {
      const y = f();
      const w = tf.cos(tf.add(tf.mul(tf.range(0, y.size, 1, 'float32'), 0.7), 0.3));
      return tf.sum(tf.mul(tf.reshape(y, [-1]), w)) as tf.Scalar;
    });
  const { value, grads } = tf.variableGrads(loss, module.parameters());
  value.dispose();
  let checked = 0;
  const eps = 1e-2;
  try {
    for (const [name, v] of module.namedParameters()) {
      const g = grads[v.name];
      if (g === undefined) throw new Error(`no gradient for ${name}`);
      const analytic = g.dataSync();
      const original = v.dataSync().slice();
      for (let e = 0; e < elementsPerTensor; e++) {
        const idx =
          Math.floor((e * original.length) / elementsPerTensor + 0.37 * original.length) % original.length;
        const at = (delta: number): number => {
          const copy = original.slice();
          copy[idx] = (copy[idx] as number) + delta;
          tf.tidy(() => v.assign(tf.tensor(copy, v.shape)));
          const l = loss();
          const out = l.dataSync()[0] as number;
          l.dispose();
          return out;
        };
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        tf.tidy(() => v.assign(tf.tensor(original, v.shape)));
        const a = analytic[idx] as number;
        if (!(Math.abs(a - numeric) <= 2e-3 + 2e-2 * Math.max(Math.abs(a), Math.abs(numeric)))) {
          throw new Error(`${name}[${idx}]: analytic ${a}, numeric ${numeric}`);
        }
        checked++;
      }
    }
  } finally {
    tf.dispose(Object.values(grads));
  }
  return checked;
}

describe('sinusoidPositionTable', () => {
  it('equals the reference table and the closed form', () => {
    const { numPositions, dim, table } = fixture.sinusoid;
    const ours = sinusoidPositionTable(numPositions, dim);
    expectAllClose(ours, table, 0, 1e-7);
    // Hand-computed: angle(pos, j) = pos / 10000^(2⌊j/2⌋/6); even j → sin, odd j → cos.
    expect(ours[0]).toBe(0); // sin(0)
    expect(ours[1]).toBe(1); // cos(0)
    expect(ours[1 * dim + 0]).toBeCloseTo(Math.sin(1), 7);
    expect(ours[1 * dim + 1]).toBeCloseTo(Math.cos(1), 7);
    expect(ours[3 * dim + 2]).toBeCloseTo(Math.sin(3 / Math.pow(10000, 1 / 3)), 7);
    expect(ours[5 * dim + 5]).toBeCloseTo(Math.cos(5 / Math.pow(10000, 2 / 3)), 7);
  });

  it('rejects bad sizes with the argument name', () => {
    expect(() => sinusoidPositionTable(0, 4)).toThrow(/numPositions must be a positive integer, got 0/);
    expect(() => sinusoidPositionTable(4, 2.5)).toThrow(/dim must be a positive integer, got 2.5/);
  });
});

describe('TubeletEmbedding', () => {
  const { dim, tubeletSize, patchSize, xShape, output } = fixture.tubelet;

  it('equals PyTorch Conv3d(kernel = stride) + flatten, and tfjs conv3d', async () => {
    await expectNoTensorLeak(() => {
      const embed = new TubeletEmbedding(dim, { tubeletSize, patchSize });
      loadDeterministicWeights(embed);
      const x = sineTensor(xShape, 0.3, 0.1);
      const y = embed.forward(x);
      expect(y.shape).toEqual([1, 2 * 2 * 3, dim]);
      expectAllClose(y.dataSync(), output, 1e-5, 1e-5);
      // Independent path: tfjs's own conv3d with stride = kernel, flattened in (t, h, w) order.
      const viaConv = tf.tidy(() => tf.reshape(embed.proj.forward(x), [1, -1, dim]));
      expectAllClose(y.dataSync(), viaConv.dataSync(), 1e-5, 1e-5);
      tf.dispose([x, y, viaConv]);
      embed.dispose();
    });
  });

  it('has input and parameter gradients matching finite differences', async () => {
    await expectNoTensorLeak(() => {
      const embed = new TubeletEmbedding(3, { tubeletSize: 2, patchSize: 2 });
      const x = sineTensor([1, 2, 2, 4, 3], 0.3, 0.1);
      const report = checkGradients((xi) => embed.forward(xi), [x]);
      expect(report.checked).toBe(48);
      expect(checkParameterGradients(embed, () => embed.forward(x))).toBe(4);
      x.dispose();
      embed.dispose();
    });
  });

  it('rejects clips whose size is not a multiple of the tubelet', () => {
    const embed = new TubeletEmbedding(4, { tubeletSize: 2, patchSize: 4 });
    const x = tf.zeros([1, 3, 8, 8, 3]);
    expect(() => embed.forward(x)).toThrow(/frames \(T\) = 3 must be a positive multiple of 2/);
    const y = tf.zeros([1, 2, 8, 8, 1]);
    expect(() => embed.forward(y)).toThrow(/expected a clip \[B, T, H, W, 3\], got \[1, 2, 8, 8, 1\]/);
    tf.dispose([x, y]);
    embed.dispose();
  });
});

describe('GeneralAttention', () => {
  const { dim, heads, xShape, contextShape } = fixture.attention;

  it('self- and cross-attention equal the PyTorch reference', async () => {
    await expectNoTensorLeak(() => {
      const attn = new GeneralAttention(dim, { heads });
      loadDeterministicWeights(attn);
      const x = sineTensor(xShape, 0.3, 0.1);
      const ctx = sineTensor(contextShape, 0.3, 1.1);
      const self = attn.forward(x);
      const cross = attn.attend(x, ctx);
      expect(cross.shape).toEqual(xShape);
      expectAllClose(self.dataSync(), fixture.attention.self, 1e-5, 1e-5);
      expectAllClose(cross.dataSync(), fixture.attention.cross, 1e-5, 1e-5);
      tf.dispose([x, ctx, self, cross]);
      attn.dispose();
    });
  });

  it('with one context token returns proj(v) for every query (closed form: softmax over one key is 1)', async () => {
    await expectNoTensorLeak(() => {
      const attn = new GeneralAttention(4, { heads: 2 });
      loadDeterministicWeights(attn);
      const x = sineTensor([1, 3, 4], 0.9, 0.2);
      const ctx = sineTensor([1, 1, 4], 0.5, 0.4);
      const result = attn.attend(x, ctx);
      const out = result.dataSync();
      // By hand: v = ctx·W_kv[4:8]ᵀ + v_bias, y = v·W_projᵀ + b_proj, independent of the query.
      const kvW = attn.kv.weight.arraySync() as number[][]; // tfjs [in, out]
      const vBias = attn.vBias.arraySync() as number[];
      const projW = attn.proj.weight.arraySync() as number[][];
      const projB = (attn.proj.bias as tf.Variable).arraySync() as number[];
      const c = ctx.dataSync();
      const v = [0, 1, 2, 3].map(
        (o) => vBias[o]! + [0, 1, 2, 3].reduce((s, i) => s + c[i]! * kvW[i]![4 + o]!, 0),
      );
      const y = [0, 1, 2, 3].map(
        (o) => projB[o]! + [0, 1, 2, 3].reduce((s, i) => s + v[i]! * projW[i]![o]!, 0),
      );
      expectAllClose(out, [...y, ...y, ...y], 1e-5, 1e-6);
      tf.dispose([x, ctx, result]);
      attn.dispose();
    });
  });

  it('has input and parameter gradients matching finite differences', async () => {
    await expectNoTensorLeak(() => {
      const attn = new GeneralAttention(4, { heads: 2 });
      loadDeterministicWeights(attn);
      const x = sineTensor([2, 3, 4], 0.3, 0.1);
      const ctx = sineTensor([2, 2, 4], 0.3, 1.1);
      expect(checkGradients((a, b) => attn.attend(a, b), [x, ctx]).checked).toBe(24 + 16);
      expect(checkParameterGradients(attn, () => attn.attend(x, ctx))).toBe(12);
      tf.dispose([x, ctx]);
      attn.dispose();
    });
  });

  it('rejects mismatched shapes', () => {
    const attn = new GeneralAttention(4, { heads: 2 });
    const x = tf.zeros([2, 3, 4]);
    const ctx = tf.zeros([1, 3, 4]);
    expect(() => attn.attend(x, ctx)).toThrow(/same batch/);
    expect(() => new GeneralAttention(6, { heads: 4 })).toThrow(
      /heads must be a positive integer dividing dim \(6\), got 4/,
    );
    tf.dispose([x, ctx]);
    attn.dispose();
  });
});

describe('LgiBlock', () => {
  const { dim, heads, mlpRatio, numRegions, xShape, output } = fixture.block;

  it('equals the PyTorch LGBlock (S1 intra-region, S2 inter-region, S3 local-to-region, FFN)', async () => {
    await expectNoTensorLeak(() => {
      const block = new LgiBlock(dim, numRegions, { heads, mlpRatio });
      loadDeterministicWeights(block);
      block.eval();
      const x = sineTensor(xShape, 0.3, 0.1);
      const y = block.forward(x);
      expect(y.shape).toEqual(xShape);
      expectAllClose(y.dataSync(), output, 1e-5, 1e-5);
      tf.dispose([x, y]);
      block.dispose();
    });
  });

  it('has input and parameter gradients matching finite differences', async () => {
    await expectNoTensorLeak(() => {
      const block = new LgiBlock(4, 2, { heads: 2, mlpRatio: 2 });
      loadDeterministicWeights(block);
      const x = sineTensor([4, 2, 4], 0.3, 0.1);
      expect(checkGradients((xi) => block.forward(xi), [x]).checked).toBe(32);
      // 5 LayerNorms × 2 + 3 attentions × 6 + MLP 4 = 32 tensors, one element each.
      expect(checkParameterGradients(block, () => block.forward(x), 1)).toBe(32);
      x.dispose();
      block.dispose();
    });
  });

  it('rejects a batch that is not a multiple of the region count', () => {
    const block = new LgiBlock(4, 2, { heads: 2 });
    const x = tf.zeros([3, 3, 4]);
    expect(() => block.forward(x)).toThrow(/expected \[\(B·2\), 1 \+ s, 4\] with s ≥ 1, got \[3, 3, 4\]/);
    x.dispose();
    block.dispose();
  });
});

describe('DropPath', () => {
  it('is the identity in eval mode and at p = 0', () => {
    const x = sineTensor([4, 3], 0.3, 0.1);
    const dp = new DropPath(0.5);
    dp.eval();
    expect(dp.forward(x)).toBe(x);
    expect(new DropPath(0).forward(x)).toBe(x);
    x.dispose();
  });

  it('keeps or drops whole samples, scales kept ones by 1/keep, and is reproducible from its seed', async () => {
    await expectNoTensorLeak(() => {
      const x = sineTensor([64, 5], 0.3, 0.1);
      const run = (): Float32Array => {
        const dp = new DropPath(0.25);
        const y = dp.forward(x);
        const v = y.dataSync().slice() as Float32Array;
        y.dispose();
        return v;
      };
      const a = run();
      expect(run()).toEqual(a);
      const xv = x.dataSync();
      let kept = 0;
      for (let n = 0; n < 64; n++) {
        const row = Array.from(a.slice(n * 5, n * 5 + 5));
        const dropped = row.every((v) => v === 0);
        if (!dropped) {
          kept++;
          row.forEach((v, j) => expect(v).toBeCloseTo((xv[n * 5 + j] as number) / 0.75, 6));
        }
      }
      // 64 samples at keep 0.75: both outcomes occur (P(all kept) = 0.75^64 ≈ 1e-8).
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(64);
      x.dispose();
    });
  });

  it('rejects p outside [0, 1)', () => {
    expect(() => new DropPath(1)).toThrow(/p must be in \[0, 1\), got 1/);
  });
});
