import * as tf from '@tensorflow/tfjs-core';
import { float32TensorFrom, initEngine, withFloat32Views } from '@dfer/runtime';

describe.each(['cpu', 'wasm'] as const)('typed views of tensors on %s', (backend) => {
  beforeAll(async () => {
    await initEngine({ backend, log: false });
  });

  it('withFloat32Views shows the values in place; float32TensorFrom writes a new tensor from views', () => {
    const a = tf.tensor([1, 2, 3, 4], [2, 2]);
    const b = tf.tensor([0.5, -1, 2, 8], [2, 2]);
    const before = tf.memory().numTensors;
    const seen = withFloat32Views([a, b], (views) => views.map((v) => Array.from(v)));
    expect(seen).toEqual([
      [1, 2, 3, 4],
      [0.5, -1, 2, 8],
    ]);
    const sum = float32TensorFrom([2, 2], [a, b], (out, [x, y]) => {
      for (let i = 0; i < out.length; i++) out[i] = 2 * x![i]! + y![i]!;
    });
    expect(sum.shape).toEqual([2, 2]);
    expect(sum.dtype).toBe('float32');
    expect(Array.from(sum.dataSync())).toEqual([2.5, 3, 8, 16]);
    // The new tensor is a tensor like any other: ops read it, dispose frees it.
    const doubled = tf.mul(sum, 2);
    expect(Array.from(doubled.dataSync())).toEqual([5, 6, 16, 32]);
    tf.dispose([sum, doubled]);
    expect(tf.memory().numTensors).toBe(before);
    const empty = float32TensorFrom([3], [], (out) => out.set([7, 8, 9]));
    expect(Array.from(empty.dataSync())).toEqual([7, 8, 9]);
    tf.dispose([a, b, empty]);
  });

  it('refuses tensors that are not float32, naming the dtype', () => {
    const n = tf.tensor([1, 2], [2], 'int32');
    expect(() => withFloat32Views([n], () => 0)).toThrow(/expected float32 tensors, got int32/);
    expect(() => float32TensorFrom([2], [n], () => undefined)).toThrow(/expected float32 inputs, got int32/);
    n.dispose();
  });
});
