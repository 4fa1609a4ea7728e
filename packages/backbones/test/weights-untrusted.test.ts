/**
 * Garbage weights are refused: NaN / ±Inf in float tensors unless `allowNonFinite`, and
 * integer-typed tensors (e.g. an F32 tensor whose header dtype was edited to I32) for float variables.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { writeSafetensors, type SafetensorsTensor } from '@dfer/runtime';
import { loadWeights } from '@dfer/backbones';
import { BatchNorm, Linear } from '@dfer/backbones/nn';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const f32 = (values: number[], shape: number[]): SafetensorsTensor => ({
  dtype: 'F32',
  shape,
  data: new Float32Array(values),
});

describe('non-finite weights', () => {
  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
  ])('%s in a float tensor is an error naming the tensor; the model is unchanged', async (label, bad) => {
    const m = new Linear(2, 1);
    const before = Array.from(m.weight.dataSync());
    const bytes = writeSafetensors({ weight: f32([0.5, bad], [1, 2]), bias: f32([0], [1]) });
    await expect(loadWeights(m, bytes)).rejects.toThrow(
      `safetensors bytes: tensor 'weight' holds 1 non-finite value (first: ${label} at index 1); pass allowNonFinite: true to load it anyway`,
    );
    expect(Array.from(m.weight.dataSync())).toEqual(before);
    m.dispose();
  });

  it('F16 infinity is caught too; allowNonFinite: true loads the values', async () => {
    const m = new Linear(2, 1, { bias: false });
    // 0x7c00 = +Inf, 0x7e00 = NaN in half precision
    const bytes = writeSafetensors({
      weight: { dtype: 'F16', shape: [1, 2], data: new Uint16Array([0x7c00, 0x7e00]) },
    });
    await expect(loadWeights(m, bytes)).rejects.toThrow(/tensor 'weight' holds 2 non-finite values/);
    await loadWeights(m, bytes, { allowNonFinite: true });
    expect(Array.from(m.weight.dataSync())).toEqual([Infinity, NaN]);
    m.dispose();
  });
});

describe('integer tensors for float variables', () => {
  it('an F32 tensor whose header dtype was edited to I32 is refused, naming it', async () => {
    const m = new Linear(1, 1, { bias: false });
    const good = writeSafetensors({ weight: f32([0.25], [1, 1]) });
    // edit the header in place: "F32" → "I32" (same length, so offsets stay valid)
    const text = Buffer.from(good).toString('latin1').replace('"dtype":"F32"', '"dtype":"I32"');
    const edited = new Uint8Array(Buffer.from(text, 'latin1'));
    await expect(loadWeights(m, edited)).rejects.toThrow(
      "safetensors bytes: tensor 'weight' has the integer dtype I32 but the model's 'weight' is float32",
    );
    m.dispose();
  });

  it('integer buffers (num_batches_tracked) still load from I64 and I32', async () => {
    const bn = new BatchNorm(1);
    const tensors = (counter: SafetensorsTensor) =>
      writeSafetensors({
        weight: f32([1], [1]),
        bias: f32([0], [1]),
        running_mean: f32([0], [1]),
        running_var: f32([1], [1]),
        num_batches_tracked: counter,
      });
    await loadWeights(bn, tensors({ dtype: 'I64', shape: [], data: new BigInt64Array([7n]) }));
    await loadWeights(bn, tensors({ dtype: 'I32', shape: [], data: new Int32Array([8]) }));
    const counter = bn.stateEntries().find((e) => e.name === 'num_batches_tracked');
    expect(Array.from(counter?.variable.dataSync() ?? [])).toEqual([8]);
    bn.dispose();
  });
});
