import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { assertParity, checkGradients, initEngine } from '@dfer/runtime';

import { Sequential, createRng } from '@dfer/backbones';
import {
  BatchNorm,
  Conv2d,
  GELU,
  LayerNorm,
  Linear,
  MaxPool2d,
  MeanPool,
  MultiHeadAttention,
  ReLU,
  TransformerEncoder,
} from '@dfer/backbones/nn';
import type { TensorModule } from '@dfer/backbones';
import { expectNoTensorLeak } from '@dfer/test-utils';

import { fillDeterministic } from './helpers/deterministic';

beforeAll(async () => {
  await initEngine({ backend: 'cpu' });
});

interface LayerCase {
  name: string;
  build: () => TensorModule;
  shape: number[];
}

const rng = () => createRng(11);
const cases: LayerCase[] = [
  { name: 'Linear', build: () => new Linear(5, 3, { rng: rng() }), shape: [2, 4, 5] },
  { name: 'Linear without bias', build: () => new Linear(4, 2, { bias: false, rng: rng() }), shape: [3, 4] },
  {
    name: 'Conv2d 3×3 stride 2 pad 1',
    build: () => new Conv2d(3, 4, 3, { stride: 2, padding: 1, rng: rng() }),
    shape: [2, 7, 7, 3],
  },
  {
    name: 'Conv2d 7×7 stride 2 pad 3 no bias',
    build: () => new Conv2d(2, 3, 7, { stride: 2, padding: 3, bias: false, rng: rng() }),
    shape: [1, 9, 8, 2],
  },
  {
    name: 'BatchNorm on NHWC (ONNX: eval statistics; gradients: batch statistics)',
    build: () => new BatchNorm(4),
    shape: [2, 3, 3, 4],
  },
  { name: 'BatchNorm on [N, C]', build: () => new BatchNorm(3), shape: [4, 3] },
  { name: 'LayerNorm', build: () => new LayerNorm(6, { eps: 1e-6 }), shape: [2, 3, 6] },
  { name: 'GELU tanh', build: () => new GELU('tanh'), shape: [3, 5] },
  { name: 'GELU erf', build: () => new GELU('none'), shape: [3, 5] },
  { name: 'ReLU', build: () => new ReLU(), shape: [3, 5] },
  {
    name: 'MaxPool2d 3×3/2 p1',
    build: () => new MaxPool2d(3, { stride: 2, padding: 1 }),
    shape: [2, 7, 6, 3],
  },
  { name: 'MeanPool spatial', build: () => new MeanPool([1, 2]), shape: [2, 3, 4, 5] },
  { name: 'MeanPool temporal', build: () => new MeanPool([1]), shape: [2, 4, 6] },
  {
    name: 'MultiHeadAttention',
    build: () => new MultiHeadAttention(8, { heads: 2, dimHead: 3, rng: rng() }),
    shape: [2, 5, 8],
  },
  {
    name: 'MultiHeadAttention without projection',
    build: () => new MultiHeadAttention(8, { heads: 2, dimHead: 4, projectOut: false, rng: rng() }),
    shape: [2, 5, 8],
  },
  {
    name: 'TransformerEncoder (pre-norm, 2 layers)',
    build: () => new TransformerEncoder(8, 2, { heads: 2, dimHead: 4, mlpDim: 16, rng: rng() }),
    shape: [2, 5, 8],
  },
  {
    name: 'Sequential conv → BN → ReLU',
    build: () =>
      new Sequential([new Conv2d(2, 3, 3, { padding: 1, rng: rng() }), new BatchNorm(3), new ReLU()]),
    shape: [1, 4, 4, 2],
  },
];

/** Inputs away from ReLU / max kinks: distinct values in [−1, 1]. */
function input(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const r = createRng(seed);
  const values = Float32Array.from(
    { length: n },
    (_, i) => ((i * 7919) % 1009) / 504.5 - 1 + 0.0003 * r.next(),
  );
  return tf.tensor(values, shape);
}

describe.each(cases)('$name', ({ build, shape }) => {
  it('ONNX lowering matches the tfjs forward in onnxruntime-node (1e-4)', async () => {
    const layer = build();
    fillDeterministic(layer, 0.3);
    layer.eval();
    const x = input(shape, 1);
    await expectNoTensorLeak(async () => {
      const report = await assertParity(layer, x, { rtol: 1e-4, atol: 1e-4 });
      expect(report.outputs.length).toBe(1);
    });
    x.dispose();
    layer.dispose();
  });

  it('input gradients match finite differences (checkGradients)', async () => {
    const layer = build();
    fillDeterministic(layer, 0.3);
    // BatchNorm in training mode so its batch-statistics gradient is what is checked
    const x = input(shape, 2);
    await expectNoTensorLeak(() => {
      const report = checkGradients((t) => layer.forward(t), [x], { eps: 1e-3, rtol: 2e-2, atol: 2e-3 });
      expect(report.mismatches).toEqual([]);
      expect(report.checked).toBe(x.size);
    });
    x.dispose();
    layer.dispose();
  });
});

it('every parameter of a layer stack gets a gradient equal to finite differences on sampled elements', () => {
  const net = new Sequential([
    new Conv2d(2, 3, 3, { padding: 1, rng: rng() }),
    new BatchNorm(3),
    new ReLU(),
    new MeanPool([1, 2]),
    new Linear(3, 2, { rng: rng() }),
  ]);
  const x = input([2, 4, 4, 2], 3);
  const w = tf.tensor1d([0.7, -1.3, 0.4, 0.9]);
  const loss = (): tf.Scalar => tf.sum(tf.mul(tf.reshape(net.forward(x), [-1]), w));
  const { grads } = tf.variableGrads(loss, net.parameters());
  const eps = 1e-2;
  for (const [name, v] of net.namedParameters()) {
    const g = grads[v.name];
    if (g === undefined) throw new Error(`no gradient for ${name}`);
    const analytic = g.dataSync();
    const values = v.dataSync().slice();
    for (const i of [0, Math.floor(v.size / 2), v.size - 1]) {
      const perturbed = (delta: number): number => {
        const copy = values.slice();
        copy[i] = (copy[i] as number) + delta;
        tf.tidy(() => v.assign(tf.tensor(copy, v.shape)));
        const l = tf.tidy(() => loss().dataSync()[0] as number);
        return l;
      };
      const numeric = (perturbed(eps) - perturbed(-eps)) / (2 * eps);
      tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
      expect(Math.abs((analytic[i] as number) - numeric)).toBeLessThan(2e-2 * Math.max(1, Math.abs(numeric)));
    }
  }
  tf.dispose([x, w, ...Object.values(grads)]);
  net.dispose();
});
