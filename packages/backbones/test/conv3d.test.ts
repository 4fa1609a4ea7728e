import * as tf from '@tensorflow/tfjs-core';
import { checkGradients, initEngine } from '@dfer/runtime';
import { expectNoTensorLeak } from '@dfer/test-utils';

import { applyConv1d, Conv1d } from '../src/nn/conv1d';
import { applyConv3d, Conv3d } from '../src/nn/conv3d';
import { type LayerFixtures, readM3dfelFixture } from './m3dfel-fixtures';

const fixtures = readM3dfelFixture<LayerFixtures>('layers.json');

beforeAll(async () => {
  await initEngine({ backend: 'cpu', log: false });
});

describe('Conv3d', () => {
  it('sums a 3×3×3 neighbourhood with PyTorch zero padding (hand-computed)', () => {
    // All-ones 3×3×3 input and kernel, padding 1: each output counts the in-bounds neighbours:
    // corner 2·2·2 = 8, edge 2·2·3 = 12, face 2·3·3 = 18, centre 27.
    const conv = new Conv3d(1, 1, 3, { padding: 1, bias: false });
    conv.weight.assign(tf.ones([3, 3, 3, 1, 1]));
    const y = conv.forward(tf.ones([1, 3, 3, 3, 1]));
    const v = y.dataSync();
    expect(y.shape).toEqual([1, 3, 3, 3, 1]);
    expect(v[0]).toBe(8);
    expect(v[1]).toBe(12);
    expect(v[4]).toBe(18);
    expect(v[13]).toBe(27);
    tf.dispose(y);
    conv.dispose();
  });

  it.each(fixtures.conv3d.map((c, i) => [i, c] as const))(
    'matches torch.nn.Conv3d, case %i',
    async (_, c) => {
      const conv = new Conv3d(c.inChannels, c.outChannels, c.kernel, {
        stride: c.stride,
        padding: c.padding,
        bias: c.bias,
      });
      const dict: Record<string, tf.Tensor> = { weight: tf.tensor(c.weight, c.weightShape) };
      if (c.biasValues !== null) dict.bias = tf.tensor1d(c.biasValues);
      conv.loadStateDict(dict, { layout: 'pytorch' });
      tf.dispose(dict);
      const x = tf.tensor(c.input, c.inputShape);
      await expectNoTensorLeak(() => {
        const y = conv.forward(x);
        expect(y.shape).toEqual(c.outputShape);
        const got = y.dataSync();
        c.output.forEach((e, i) => expect(got[i]).toBeCloseTo(e, 4));
        return y;
      });
      x.dispose();
      conv.dispose();
    },
  );

  it('has gradients that match finite differences on cpu (input, weight, bias)', () => {
    const x = tf.randomUniform([1, 3, 4, 5, 2], -1, 1, 'float32', 3);
    const w = tf.randomUniform([3, 3, 3, 2, 3], -0.5, 0.5, 'float32', 4);
    const b = tf.randomUniform([3], -0.5, 0.5, 'float32', 5);
    const report = checkGradients((xi, wi, bi) => applyConv3d(xi, wi, bi, [2, 1, 2], [1, 1, 0]), [x, w, b], {
      eps: 1e-2,
    });
    expect(report.checked).toBe(x.size + w.size + b.size);
    tf.dispose([x, w, b]);
  });

  it('gives every parameter a gradient through tf.variableGrads', async () => {
    const conv = new Conv3d(2, 2, 3, { padding: 1 });
    const x = tf.randomUniform([1, 2, 3, 3, 2], -1, 1, 'float32', 5);
    await expectNoTensorLeak(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(conv.forward(x))) as tf.Scalar);
      for (const [name, v] of conv.namedParameters()) {
        const g = grads[v.name];
        expect(g).toBeDefined();
        expect(tf.tidy(() => tf.any(tf.notEqual(g as tf.Tensor, 0)).dataSync()[0])).toBe(1);
        expect(name).toMatch(/^(weight|bias)$/);
      }
      tf.dispose([value, ...Object.values(grads)]);
    });
    x.dispose();
    conv.dispose();
  });

  it('rejects bad input and bad configuration with a clear message', () => {
    const conv = new Conv3d(3, 4, [3, 7, 7], { padding: [1, 3, 3] });
    expect(() => conv.forward(tf.zeros([1, 4, 8, 8, 2]))).toThrow(
      /expected NDHWC input \[N, D, H, W, 3\], got \[1, 4, 8, 8, 2\]/,
    );
    expect(() => conv.forward(tf.zeros([1, 8, 8, 3]))).toThrow(/NDHWC/);
    expect(() => new Conv3d(3, 4, [3, 0, 3])).toThrow(/kernelSize and stride must be ≥ 1/);
    expect(() => new Conv3d(0, 4, 3)).toThrow(/inChannels must be a positive integer/);
    expect(() => new Conv3d(3, 4, 3, { padding: -1 })).toThrow(/padding must be non-negative integers/);
    expect(() => new Conv3d(1, 1, 5).forward(tf.zeros([1, 4, 8, 8, 1]))).toThrow(
      /axis D = 4 with padding 0 is smaller than the kernel 5/,
    );
    conv.dispose();
  });

  it('has the PyTorch state-dict layout [out, in, kd, kh, kw]', () => {
    const conv = new Conv3d(3, 64, [3, 7, 7], { stride: [1, 2, 2], padding: [1, 3, 3], bias: false });
    expect(conv.stateDictSpec()).toEqual([{ name: 'weight', shape: [64, 3, 3, 7, 7], dtype: 'float32' }]);
    expect(conv.numParameters()).toBe(64 * 3 * 3 * 7 * 7);
    conv.dispose();
  });
});

describe('Conv1d', () => {
  it('computes a 3-tap moving sum with zero padding (hand-computed)', () => {
    const conv = new Conv1d(1, 1, 3, { padding: 1 });
    conv.weight.assign(tf.ones([3, 1, 1]));
    (conv.bias as tf.Variable).assign(tf.tensor1d([0.5]));
    const y = conv.forward(tf.tensor3d([1, 2, 3, 4], [1, 4, 1]));
    expect(Array.from(y.dataSync())).toEqual([3.5, 6.5, 9.5, 7.5]);
    y.dispose();
    conv.dispose();
  });

  it.each(fixtures.conv1d.map((c, i) => [i, c] as const))(
    'matches torch.nn.Conv1d, case %i',
    async (_, c) => {
      const conv = new Conv1d(c.inChannels, c.outChannels, c.kernel, {
        stride: c.stride,
        padding: c.padding,
      });
      const dict = { weight: tf.tensor(c.weight, c.weightShape), bias: tf.tensor1d(c.biasValues) };
      conv.loadStateDict(dict, { layout: 'pytorch' });
      tf.dispose(dict);
      const x = tf.tensor(c.input, c.inputShape);
      await expectNoTensorLeak(() => {
        const y = conv.forward(x);
        expect(y.shape).toEqual(c.outputShape);
        const got = y.dataSync();
        c.output.forEach((e, i) => expect(got[i]).toBeCloseTo(e, 4));
        return y;
      });
      x.dispose();
      conv.dispose();
    },
  );

  it('has gradients that match finite differences (input, weight, bias)', () => {
    const x = tf.randomUniform([2, 7, 3], -1, 1, 'float32', 8);
    const w = tf.randomUniform([3, 3, 2], -1, 1, 'float32', 9);
    const b = tf.randomUniform([2], -1, 1, 'float32', 10);
    const report = checkGradients((xi, wi, bi) => applyConv1d(xi, wi, bi, 2, 1), [x, w, b]);
    expect(report.checked).toBe(x.size + w.size + b.size);
    tf.dispose([x, w, b]);
  });

  it('rejects bad input', () => {
    const conv = new Conv1d(4, 1, 3, { padding: 1 });
    expect(() => conv.forward(tf.zeros([2, 1024, 3]))).toThrow(
      /expected NLC input \[N, L, 4\], got \[2, 1024, 3\]/,
    );
    expect(() => new Conv1d(4, 1, 3, { stride: 0 })).toThrow(/stride must be a positive integer/);
    conv.dispose();
  });
});
