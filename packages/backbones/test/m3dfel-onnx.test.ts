/** ONNX lowering of the M3DFEL layers and model: onnxruntime-node output equals the tfjs forward. */
import * as tf from '@tensorflow/tfjs-core';
import { assertParity, createSession, initEngine, OnnxGraph, runSession } from '@dfer/runtime';
import { expectNoTensorLeak } from '@dfer/test-utils';

import { createM3dfel } from '../src/models/m3dfel';
import { DMIN } from '../src/models/m3dfel/dmin';
import { instanceSelfAttention, instanceSelfAttentionToOnnx } from '../src/models/m3dfel/instance-attention';
import { Conv1d } from '../src/nn/conv1d';
import { Conv3d } from '../src/nn/conv3d';
import { createRng } from '../src/nn/rng';
import { LSTM } from '../src/nn/lstm';

beforeAll(async () => {
  await initEngine({ backend: 'cpu', log: false });
});

const input = (shape: number[], seed: number): tf.Tensor => tf.randomUniform(shape, -1, 1, 'float32', seed);

describe('ONNX lowering matches tfjs in onnxruntime-node (1e-4)', () => {
  it('Conv3d with stride and asymmetric-per-axis padding', async () => {
    const conv = new Conv3d(3, 4, [3, 7, 7], { stride: [1, 2, 2], padding: [1, 3, 3] });
    const x = input([2, 4, 9, 8, 3], 1);
    const report = await assertParity(conv, x);
    expect(report.outputs[0]?.shape).toEqual([2, 4, 5, 4, 4]);
    x.dispose();
    conv.dispose();
  });

  it('Conv3d 1×1×1, stride 2, no bias', async () => {
    const conv = new Conv3d(2, 3, 1, { stride: 2, bias: false });
    const x = input([1, 3, 5, 5, 2], 2);
    await assertParity(conv, x);
    x.dispose();
    conv.dispose();
  });

  // One 2-D Conv per temporal tap: frames the taps read only partly (D = 1, 2) or not at all, temporal
  // strides with padding, kernels without padding and with more padding than the kernel needs.
  it.each([
    ['k3 p1 s1, D = 1 (the outer taps read only padding)', [3, 3, 3], [1, 1, 1], [1, 1, 1], [2, 1, 4, 4, 3]],
    ['k3 p1 s1, D = 2', [3, 3, 3], [1, 1, 1], [1, 1, 1], [1, 2, 5, 4, 2]],
    ['k3 p1 s2, D = 5', [3, 3, 3], [2, 2, 2], [1, 1, 1], [2, 5, 6, 6, 2]],
    ['k3 p1 s2, D = 4', [3, 1, 1], [2, 1, 1], [1, 0, 0], [1, 4, 3, 3, 2]],
    ['k3 p0 s1, D = 4', [3, 3, 3], [1, 1, 1], [0, 0, 0], [1, 4, 5, 5, 2]],
    ['k2 p1 s1, D = 3', [2, 3, 3], [1, 1, 1], [1, 1, 1], [1, 3, 4, 4, 2]],
    ['k3 p2 s1, D = 2 (padding beyond the kernel)', [3, 1, 1], [1, 1, 1], [2, 0, 0], [2, 2, 3, 3, 2]],
  ] as const)('Conv3d %s', async (_name, kernel, stride, padding, shape) => {
    const conv = new Conv3d(shape[4], 3, kernel, { stride, padding, rng: createRng(7) });
    const x = input([...shape], 11);
    await assertParity(conv, x);
    x.dispose();
    conv.dispose();
  });

  it.each([
    ['k3 p1 s1, D = 1', [3, 3, 3], [1, 1, 1], [1, 1, 1], [2, 1, 4, 4, 3]],
    ['k3 p1 s2, D = 5', [3, 3, 3], [2, 2, 2], [1, 1, 1], [2, 5, 6, 6, 2]],
    ['k2 p1 s1, D = 3', [2, 3, 3], [1, 1, 1], [1, 1, 1], [1, 3, 4, 4, 2]],
  ] as const)(
    'Conv3d %s in a graph built without exportOnnx (bounds and shapes read at run time)',
    async (_name, kernel, stride, padding, shape) => {
      const conv = new Conv3d(shape[4], 3, kernel, { stride, padding, rng: createRng(9) });
      const x = input([...shape], 12);
      const graph = new OnnxGraph('conv3d');
      const name = graph.addInput('x', ['batch', ...shape.slice(1)]);
      graph.addOutput(conv.toOnnx(graph, name), 'y');
      expect(graph.shapeQuestions).toEqual([name]);
      const session = await createSession(graph.toBytes(), { threads: 1 });
      const out = await runSession(session, { x: { data: x.dataSync() as Float32Array, dims: [...shape] } });
      await session.release();
      const expected = conv.forward(x);
      expect(out.y!.dims).toEqual(expected.shape);
      const want = expected.dataSync();
      out.y!.data.forEach((v, i) => expect(Math.abs(v - (want[i] as number))).toBeLessThan(1e-4));
      tf.dispose([x, expected]);
      conv.dispose();
    },
  );

  it('Conv1d (instances as channels, as M3DFEL pwconv)', async () => {
    const conv = new Conv1d(4, 1, 3, { padding: 1 });
    const x = input([2, 16, 4], 3);
    await assertParity(conv, x);
    x.dispose();
    conv.dispose();
  });

  it.each([
    [1, false],
    [2, true],
  ] as const)('LSTM with %i layer(s), bidirectional %s', async (numLayers, bidirectional) => {
    const lstm = new LSTM(3, 5, { numLayers, bidirectional });
    const x = input([2, 4, 3], 4);
    const report = await assertParity(lstm, x);
    expect(report.outputs[0]?.shape).toEqual([2, 4, bidirectional ? 10 : 5]);
    x.dispose();
    lstm.dispose();
  });

  it('DMIN with non-trivial mixing weights', async () => {
    const dmin = new DMIN(6);
    dmin.meanWeight.assign(tf.tensor1d([0.3, -0.8]));
    dmin.varWeight.assign(tf.tensor1d([-0.5, 0.7]));
    dmin.weight.assign(tf.randomUniform([1, 6, 1], 0.5, 1.5, 'float32', 5));
    dmin.bias.assign(tf.randomUniform([1, 6, 1], -0.5, 0.5, 'float32', 6));
    const x = input([2, 4, 6], 7);
    await assertParity(dmin, x);
    x.dispose();
    dmin.dispose();
  });

  it('instance self-attention', async () => {
    const w = input([8, 24], 8);
    const model = {
      forward: (x: tf.Tensor): tf.Tensor => instanceSelfAttention(x, w, 2),
      toOnnx: (graph: OnnxGraph, x: string): string => instanceSelfAttentionToOnnx(graph, x, w, 2),
    };
    const x = input([2, 4, 8], 9);
    await assertParity(model, x);
    tf.dispose([x, w]);
  });

  it('the tiny m3dfel with AU head (logits, auLogits, features), without leaks', async () => {
    const model = createM3dfel({
      preset: 'tiny',
      numClasses: 7,
      numAus: 5,
      seed: 1,
      initialization: 'random',
    }).eval();
    // Non-trivial BatchNorm statistics and DMIN mixing, so their lowering is exercised.
    for (const [name, v] of model.namedBuffers()) {
      if (name.endsWith('running_mean')) v.assign(tf.randomUniform(v.shape, -0.2, 0.2, 'float32', 10));
      if (name.endsWith('running_var')) v.assign(tf.randomUniform(v.shape, 0.5, 1.5, 'float32', 11));
    }
    model.norm.meanWeight.assign(tf.tensor1d([0.4, -0.2]));
    const x = tf.randomUniform([2, 16, 8, 8, 3], 0, 1, 'float32', 12);
    const report = await expectNoTensorLeak(() => assertParity(model, x));
    expect(report.outputs.map((o) => [o.name, o.shape]).sort()).toEqual([
      ['auLogits', [2, 5]],
      ['features', [2, 64]],
      ['logits', [2, 7]],
    ]);
    x.dispose();
    model.dispose();
  });
});
