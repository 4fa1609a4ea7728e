import * as tf from '@tensorflow/tfjs-core';
import { checkGradients, initEngine } from '@dfer/runtime';
import { expectNoTensorLeak } from '@dfer/test-utils';

import { LSTM } from '../src/nn/lstm';
import { createRng } from '../src/nn/rng';
import { type LayerFixtures, readM3dfelFixture } from './m3dfel-fixtures';

const fixtures = readM3dfelFixture<LayerFixtures>('layers.json');

beforeAll(async () => {
  await initEngine({ backend: 'cpu', log: false });
});

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

describe('LSTM', () => {
  it('follows the PyTorch gate equations for one unit (hand-computed)', () => {
    // H = 1, input size 1, W_ih = [wi, wf, wg, wo], W_hh = [ui, uf, ug, uo], biases zero.
    const w = [0.5, -0.3, 0.8, 0.2];
    const u = [0.1, 0.4, -0.6, 0.7];
    const xs = [1.0, -2.0, 0.5];
    let h = 0;
    let c = 0;
    const expected: number[] = [];
    for (const x of xs) {
      const pre = w.map((wk, k) => wk * x + (u[k] as number) * h);
      const [i, f, g, o] = pre as [number, number, number, number];
      c = sigmoid(f) * c + sigmoid(i) * Math.tanh(g);
      h = sigmoid(o) * Math.tanh(c);
      expected.push(h);
    }
    const lstm = new LSTM(1, 1, { bias: false });
    lstm.loadStateDict(
      { weight_ih_l0: tf.tensor2d(w, [4, 1]), weight_hh_l0: tf.tensor2d(u, [4, 1]) },
      { layout: 'pytorch' },
    );
    const y = lstm.forward(tf.tensor3d(xs, [1, 3, 1]));
    const got = y.dataSync();
    expected.forEach((e, t) => expect(got[t]).toBeCloseTo(e, 6));
    y.dispose();
    lstm.dispose();
  });

  it.each(fixtures.lstm.map((c, i) => [i, c] as const))(
    'matches torch.nn.LSTM (batch_first), case %i',
    async (_, c) => {
      const lstm = new LSTM(c.inputSize, c.hiddenSize, {
        numLayers: c.numLayers,
        bidirectional: c.bidirectional,
      });
      expect(lstm.stateDictSpec().map((e) => [e.name, e.shape])).toEqual(
        Object.entries(c.weights).map(([name, w]) => [name, w.shape]),
      );
      const dict = Object.fromEntries(
        Object.entries(c.weights).map(([name, w]) => [name, tf.tensor(w.values, w.shape)]),
      );
      lstm.loadStateDict(dict, { layout: 'pytorch' });
      tf.dispose(Object.values(dict));
      const x = tf.tensor(c.input, c.inputShape);
      await expectNoTensorLeak(() => {
        const y = lstm.forward(x);
        expect(y.shape).toEqual(c.outputShape);
        const got = y.dataSync();
        c.output.forEach((e, i) => expect(got[i]).toBeCloseTo(e, 5));
        return y;
      });
      x.dispose();
      lstm.dispose();
    },
  );

  it('has the parameter count and names of M3DFEL’s BiLSTM (reference/m3dfel.md §4)', () => {
    const lstm = new LSTM(512, 512, {
      numLayers: 2,
      bidirectional: true,
      rng: createRng(0, { zeros: true }),
    });
    expect(lstm.numParameters()).toBe(10_502_144);
    const spec = lstm.stateDictSpec();
    expect(spec).toHaveLength(16);
    expect(spec[0]).toEqual({ name: 'weight_ih_l0', shape: [2048, 512], dtype: 'float32' });
    expect(spec[4]).toEqual({ name: 'weight_ih_l0_reverse', shape: [2048, 512], dtype: 'float32' });
    expect(spec[8]).toEqual({ name: 'weight_ih_l1', shape: [2048, 1024], dtype: 'float32' });
    expect(spec[13]).toEqual({ name: 'weight_hh_l1_reverse', shape: [2048, 512], dtype: 'float32' });
    lstm.dispose();
  });

  it('has input gradients that match finite differences (2 layers, bidirectional)', () => {
    const lstm = new LSTM(3, 2, { numLayers: 2, bidirectional: true });
    const x = tf.randomUniform([2, 3, 3], -1, 1, 'float32', 11);
    const report = checkGradients((xi) => lstm.forward(xi), [x]);
    expect(report.checked).toBe(x.size);
    x.dispose();
    lstm.dispose();
  });

  it('has weight gradients that match finite differences', () => {
    // Every weight enters the forward as a variable; compare tf.variableGrads with central differences
    // of the same scalar L = Σ w_i y_i computed by re-assigning the variable.
    const lstm = new LSTM(2, 2, { numLayers: 2, bidirectional: true });
    const x = tf.randomUniform([1, 3, 2], -1, 1, 'float32', 12);
    const cot = tf.tidy(() => tf.reshape(tf.cos(tf.add(tf.mul(tf.range(0, 12), 0.7), 0.3)), [1, 3, 4]));
    const loss = (): tf.Scalar => tf.sum(tf.mul(lstm.forward(x), cot));
    const { value, grads } = tf.variableGrads(loss);
    value.dispose();
    const eps = 1e-2;
    let checked = 0;
    for (const [name, v] of lstm.namedParameters()) {
      const g = (grads[v.name] as tf.Tensor).dataSync();
      const base = v.dataSync().slice();
      for (let j = 0; j < base.length; j++) {
        const data = base.slice();
        data[j] = (base[j] as number) + eps;
        v.assign(tf.tensor(data, v.shape));
        const up = tf.tidy(() => loss().dataSync()[0] as number);
        data[j] = (base[j] as number) - eps;
        v.assign(tf.tensor(data, v.shape));
        const down = tf.tidy(() => loss().dataSync()[0] as number);
        const numeric = (up - down) / (2 * eps);
        expect({
          name,
          j,
          diff: Math.abs((g[j] as number) - numeric) < 1e-3 + 1e-2 * Math.abs(numeric),
        }).toEqual({
          name,
          j,
          diff: true,
        });
        checked++;
      }
      v.assign(tf.tensor(base, v.shape));
    }
    expect(checked).toBe(lstm.numParameters());
    tf.dispose([x, cot, ...Object.values(grads)]);
    lstm.dispose();
  });

  it('leaks no tensors in forward or backward', async () => {
    const lstm = new LSTM(3, 4, { numLayers: 2, bidirectional: true });
    const x = tf.randomUniform([2, 4, 3], -1, 1, 'float32', 13);
    await expectNoTensorLeak(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(lstm.forward(x)));
      tf.dispose([value, ...Object.values(grads)]);
    });
    x.dispose();
    lstm.dispose();
  });

  it('rejects bad input and configuration', () => {
    const lstm = new LSTM(3, 4);
    expect(() => lstm.forward(tf.zeros([2, 4, 5]))).toThrow(
      /expected batch-first input \[B, T ≥ 1, 3\], got \[2, 4, 5\]/,
    );
    expect(() => lstm.forward(tf.zeros([4, 3]))).toThrow(/batch-first/);
    expect(() => new LSTM(3, 0)).toThrow(/hiddenSize must be a positive integer/);
    expect(() => new LSTM(3, 4, { numLayers: 1.5 })).toThrow(/numLayers must be a positive integer/);
    lstm.dispose();
  });
});
