/**
 * Conv3d and LSTM gradients on the wasm backend, with the kernel fixes `initEngine` registers (stock wasm
 * computes Conv3DBackpropInputV2 wrongly: reference/engine-notes.md).
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkGradients, initEngine } from '@dfer/runtime';

import { applyConv3d } from '../src/nn/conv3d';
import { LSTM } from '../src/nn/lstm';

beforeAll(async () => {
  const info = await initEngine({ backend: 'wasm', log: false });
  expect(info.backend).toBe('wasm');
});

describe('on wasm with the runtime kernel fixes', () => {
  it('Conv3d input, weight and bias gradients match finite differences', () => {
    const x = tf.randomUniform([1, 3, 4, 5, 2], -1, 1, 'float32', 31);
    const w = tf.randomUniform([3, 3, 3, 2, 3], -0.5, 0.5, 'float32', 32);
    const b = tf.randomUniform([3], -0.5, 0.5, 'float32', 33);
    const report = checkGradients((xi, wi, bi) => applyConv3d(xi, wi, bi, [2, 1, 2], [1, 1, 0]), [x, w, b], {
      eps: 1e-2,
    });
    expect(report.checked).toBe(x.size + w.size + b.size);
    tf.dispose([x, w, b]);
  });

  it('Conv3d forward equals the cpu backend', async () => {
    const x = tf.randomUniform([1, 4, 6, 6, 3], -1, 1, 'float32', 34);
    const w = tf.randomUniform([3, 7, 7, 3, 4], -0.5, 0.5, 'float32', 35);
    const onWasm = applyConv3d(x, w, undefined, [1, 2, 2], [1, 3, 3]).dataSync().slice();
    const xs = x.dataSync().slice();
    const ws = w.dataSync().slice();
    tf.dispose([x, w]);
    await tf.setBackend('cpu');
    const onCpu = tf.tidy(() =>
      applyConv3d(
        tf.tensor(xs, [1, 4, 6, 6, 3]),
        tf.tensor(ws, [3, 7, 7, 3, 4]),
        undefined,
        [1, 2, 2],
        [1, 3, 3],
      ).dataSync(),
    );
    await tf.setBackend('wasm');
    onCpu.forEach((v, i) => expect(Math.abs((onWasm[i] as number) - v)).toBeLessThan(1e-4));
  });

  it('LSTM input gradients match finite differences', () => {
    const lstm = new LSTM(3, 2, { numLayers: 2, bidirectional: true });
    const x = tf.randomUniform([2, 3, 3], -1, 1, 'float32', 36);
    expect(checkGradients((xi) => lstm.forward(xi), [x]).checked).toBe(x.size);
    x.dispose();
    lstm.dispose();
  });
});
