/**
 * RDFER's inference graph in ONNX: the BiLSTM lowering and the whole tiny model, run in onnxruntime-node,
 * match the tfjs forward (dynamic batch, tfjs layout in and out).
 */
import * as tf from '@tensorflow/tfjs-core';
import { createSession, exportOnnx, initEngine, OnnxGraph, runSession } from '@dfer/runtime';

import { LSTM } from '../src/nn/lstm';
import { createRng } from '../src/nn/rng';
import { createModel } from '../src/registry';
import { type Rdfer, RDFER_TINY } from '../src/models/rdfer';
import { lstmToOnnx } from '../src/models/rdfer/lstm-onnx';

beforeAll(async () => {
  await initEngine({ backend: 'cpu', log: false });
});

function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)));
  }
  expect(worst).toBeLessThan(atol);
}

it('lstmToOnnx: a 2-layer BiLSTM and a 1-layer forward LSTM equal the tfjs forward', async () => {
  for (const [layers, bidirectional] of [
    [2, true],
    [1, false],
  ] as const) {
    const lstm = new LSTM(5, 4, { numLayers: layers, bidirectional, rng: createRng(11) });
    const x = tf.randomNormal([3, 6, 5], 0, 1, 'float32', 2);
    const expected = lstm.forward(x);
    const graph = new OnnxGraph('lstm_test');
    const input = graph.addInput('x', ['batch', 6, 5]);
    graph.addOutput(lstmToOnnx(graph, lstm, input), 'y');
    const session = await createSession(graph.toBytes());
    const out = await runSession(session, { x: { data: x.dataSync() as Float32Array, dims: [3, 6, 5] } });
    await session.release();
    expect(out.y!.dims).toEqual(expected.shape);
    expectAllClose(out.y!.data as Float32Array, expected.dataSync(), 1e-5);
    tf.dispose([x, expected]);
    lstm.dispose();
  }
});

it('exportOnnx(rdfer tiny): logits, AU logits and features match tfjs within 1e-4, dynamic batch', async () => {
  const model = createModel('rdfer', { preset: 'tiny', auHead: 3, seed: 5 }) as Rdfer;
  model.eval(); // the graph is the inference form: the frame CNN's BatchNorms use their running statistics
  const { frames, height, width, channels } = RDFER_TINY.input;
  const exported = await exportOnnx(model, {
    inputShape: ['batch', frames, height, width, channels],
    modelName: 'rdfer',
    preset: 'tiny',
    inputLayout: 'NTHWC',
  });
  expect(exported.outputs).toEqual({
    logits: ['batch', 7],
    features: ['batch', 32],
    auLogits: ['batch', 3],
  });
  const x = tf.randomUniform([2, frames, height, width, channels], 0, 1, 'float32', 9);
  const expected = model.forwardWithAux(x);
  const session = await createSession(exported.bytes);
  const out = await runSession(session, {
    input: { data: x.dataSync() as Float32Array, dims: [2, frames, height, width, channels] },
  });
  await session.release();
  expectAllClose(out.logits!.data as Float32Array, expected.logits.dataSync(), 1e-4);
  expectAllClose(out.auLogits!.data as Float32Array, expected.auLogits!.dataSync(), 1e-4);
  expectAllClose(out.features!.data as Float32Array, expected.features.dataSync(), 1e-4);
  tf.dispose([x, expected as unknown as tf.TensorContainer]);
  model.dispose();
});
