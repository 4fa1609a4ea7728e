import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  BatchNorm,
  Conv2d,
  GELU,
  LayerNorm,
  Linear,
  MaxPool2d,
  MeanPool,
  MultiHeadAttention,
  TransformerEncoder,
} from '@dfer/backbones/nn';
import type { AnyModule, Module } from '@dfer/backbones';
import { expectNoTensorLeak } from '@dfer/test-utils';

import { fillDeterministic, inputValues, maxRelativeError } from './helpers/deterministic';

interface Case {
  input_shape: number[];
  output_shape: number[];
  output: number[];
  running_mean?: number[];
  running_var?: number[];
  state_dict?: Array<[string, number[]]>;
}
const cases = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'nn-layers.json'), 'utf8')) as Record<
  string,
  Case
>;

function getCase(name: string): Case {
  const c = cases[name];
  if (c === undefined) throw new Error(`fixture case ${name} missing`);
  return c;
}

/** Runs `module` on the fixture input; `nchw` converts image tensors between PyTorch NCHW and NHWC. */
async function expectMatchesFixture(
  name: string,
  module: Module | null,
  nchw = false,
  fn?: (x: tf.Tensor) => tf.Tensor,
) {
  const c = getCase(name);
  await expectNoTensorLeak(() => {
    const y = tf.tidy(() => {
      let x: tf.Tensor = tf.tensor(inputValues(c.input_shape.reduce((a, b) => a * b, 1)), c.input_shape);
      if (nchw) x = tf.transpose(x, [0, 2, 3, 1]);
      let out = fn !== undefined ? fn(x) : (module as Module).forward(x);
      if (nchw) out = tf.transpose(out, [0, 3, 1, 2]);
      return out;
    });
    expect(y.shape).toEqual(c.output_shape);
    expect(maxRelativeError(y.dataSync(), c.output)).toBeLessThan(1e-5);
    y.dispose();
  });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('layers against PyTorch (fixtures/make-nn-layers.py)', () => {
  const disposeAfter: AnyModule[] = [];
  afterAll(() => disposeAfter.forEach((m) => m.dispose()));
  const build = <M extends AnyModule>(m: M, scale = 0.3): M => {
    fillDeterministic(m, scale);
    disposeAfter.push(m);
    return m;
  };

  it('Linear (with and without bias, rank-3 input)', async () => {
    await expectMatchesFixture('linear', build(new Linear(5, 3)));
    await expectMatchesFixture('linear_no_bias', build(new Linear(5, 3, { bias: false })));
  });

  it('Conv2d with PyTorch padding (3×3/2 p1, 7×7/2 p3, 1×1/2)', async () => {
    await expectMatchesFixture(
      'conv2d_3x3_s2_p1',
      build(new Conv2d(3, 4, 3, { stride: 2, padding: 1 })),
      true,
    );
    await expectMatchesFixture(
      'conv2d_7x7_s2_p3',
      build(new Conv2d(3, 2, 7, { stride: 2, padding: 3, bias: false }), 0.1),
      true,
    );
    await expectMatchesFixture('conv2d_1x1_s2', build(new Conv2d(2, 3, 1, { stride: 2, bias: false })), true);
  });

  it('BatchNorm eval uses running statistics', async () => {
    await expectMatchesFixture('batchnorm2d_eval', build(new BatchNorm(4)).eval(), true);
  });

  it('BatchNorm train uses batch statistics and updates running stats as PyTorch', async () => {
    const bn = build(new BatchNorm(4)).train();
    await expectMatchesFixture('batchnorm2d_train', bn, true);
    const c = getCase('batchnorm2d_train');
    expect(maxRelativeError(bn.runningMean.dataSync(), c.running_mean ?? [])).toBeLessThan(1e-5);
    expect(maxRelativeError(bn.runningVar.dataSync(), c.running_var ?? [])).toBeLessThan(1e-5);
    expect(bn.numBatchesTracked.dataSync()[0]).toBe(1);
  });

  it('LayerNorm (eps 1e-5 and 1e-6)', async () => {
    await expectMatchesFixture('layernorm', build(new LayerNorm(6)));
    await expectMatchesFixture('layernorm_eps1e-6', build(new LayerNorm(6, { eps: 1e-6 })));
  });

  it('GELU tanh and erf', async () => {
    const scaled = (g: GELU) => (x: tf.Tensor) => g.forward(tf.mul(x, 3));
    await expectMatchesFixture('gelu_tanh', null, false, scaled(new GELU('tanh')));
    await expectMatchesFixture('gelu_erf', null, false, scaled(new GELU('none')));
  });

  it('MultiHeadAttention (with and without output projection)', async () => {
    await expectMatchesFixture('attention_h2_d3', build(new MultiHeadAttention(8, { heads: 2, dimHead: 3 })));
    await expectMatchesFixture(
      'attention_no_projection',
      build(new MultiHeadAttention(8, { heads: 2, dimHead: 4, projectOut: false })),
    );
  });

  it('pre-norm TransformerEncoder: forward and vit-pytorch state-dict names', async () => {
    const enc = build(new TransformerEncoder(8, 2, { heads: 2, dimHead: 4, mlpDim: 16 }));
    const c = getCase('transformer_depth2');
    expect(enc.stateDictSpec('pytorch').map((e) => [e.name, e.shape])).toEqual(c.state_dict);
    await expectMatchesFixture('transformer_depth2', enc);
  });

  it('MaxPool2d with −∞ padding', async () => {
    await expectMatchesFixture('maxpool_3x3_s2_p1', new MaxPool2d(3, { stride: 2, padding: 1 }), true);
  });
});

describe('hand-computed values', () => {
  it('MeanPool averages the chosen axes', async () => {
    await expectNoTensorLeak(() => {
      const y = tf.tidy(() =>
        new MeanPool([1, 2]).forward(tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2])),
      );
      expect(Array.from(y.dataSync())).toEqual([4, 5]);
      y.dispose();
    });
  });

  it('GELU at known points: GELU(0) = 0, GELU(1) = Φ(1) = 0.841345 (erf), 0.841192 (tanh)', () => {
    const x = tf.tensor1d([0, 1]);
    const erf = new GELU('none').forward(x);
    const tanh = new GELU('tanh').forward(x);
    expect(erf.dataSync()[0]).toBe(0);
    expect(erf.dataSync()[1]).toBeCloseTo(0.8413447, 5);
    expect(tanh.dataSync()[1]).toBeCloseTo(0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * 1.044715)), 6);
    tf.dispose([x, erf, tanh]);
  });

  it('Linear: y = x·W + b', () => {
    const lin = new Linear(2, 1);
    const dict = { weight: tf.tensor2d([[2], [3]]), bias: tf.tensor1d([1]) };
    lin.loadStateDict(dict);
    const x = tf.tensor2d([
      [1, 1],
      [2, -1],
    ]);
    const y = lin.forward(x);
    expect(Array.from(y.dataSync())).toEqual([6, 2]);
    tf.dispose([dict.weight, dict.bias, x, y]);
    lin.dispose();
  });
});
