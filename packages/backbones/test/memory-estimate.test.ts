/** estimateTrainStepBytes: a batch-1 forward probe under a tape; no side effects, no leaks. */
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '@dfer/runtime';

import { createModel, estimateTrainStepBytes } from '../src/index';

beforeAll(async () => {
  await initEngine({ backend: 'wasm', log: false });
});

describe('estimateTrainStepBytes', () => {
  it('measures kept activations, scales with the batch, changes no state and leaks nothing', () => {
    const model = createModel('former_dfer', { preset: 'tiny', seed: 1 });
    const snapshot = Object.fromEntries(
      [...model.namedParameters(), ...model.namedBuffers()].map(([n, v]) => [n, Array.from(v.dataSync())]),
    );
    const before = tf.memory().numTensors;
    const one = estimateTrainStepBytes(model, 1);
    const four = estimateTrainStepBytes(model, 4);
    expect(tf.memory().numTensors).toBe(before);
    expect(one.parameterBytes).toBe(4 * model.numParameters());
    // The tape keeps at least the input clip's activations: more than the clip itself (16×32×32×3 floats).
    expect(one.activationBytesPerClip).toBeGreaterThan(4 * 16 * 32 * 32 * 3);
    expect(four.activationBytesPerClip).toBe(one.activationBytesPerClip);
    expect(four.neededBytes).toBe(4 * one.parameterBytes + 4 * one.activationBytesPerClip);
    for (const [n, v] of [...model.namedParameters(), ...model.namedBuffers()]) {
      expect(Array.from(v.dataSync())).toEqual(snapshot[n]);
    }
    // Checkpointing keeps only the blocks' inputs: the probe sees fewer bytes.
    model.setGradientCheckpointing(true);
    const ckpt = estimateTrainStepBytes(model, 1);
    expect(ckpt.activationBytesPerClip).toBeLessThan(one.activationBytesPerClip);
    expect(() => estimateTrainStepBytes(model, 0)).toThrow(/batch must be a positive integer/);
    model.dispose();
  });
});
