/** The pre-training wasm heap check: a batch that cannot fit fails before any step, with what to change. */
import * as tf from '@tensorflow/tfjs-core';
import { createModel } from '@dfer/backbones';
import { initEngine, WasmHeapError } from '@dfer/runtime';

import { assertTrainStepFitsWasmHeap, runTrainStepWithHeapGuard } from '../src/experiment/memory-check';

beforeAll(async () => {
  await initEngine({ backend: 'wasm', log: false });
});

describe('assertTrainStepFitsWasmHeap', () => {
  it('passes a batch that fits and names the limit, the need and the changes for one that does not', () => {
    const model = createModel('former_dfer', { preset: 'tiny', seed: 0 });
    const before = tf.memory().numTensors;
    const config = (batchSize: number, workers = 1) => ({
      model: { type: 'former_dfer', preset: 'tiny', gradientCheckpointing: false },
      train: { batchSize, workers },
    });
    expect(() => assertTrainStepFitsWasmHeap(model, config(8))).not.toThrow();
    let error: unknown;
    try {
      assertTrainStepFitsWasmHeap(model, config(400_000, 2));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WasmHeapError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /former_dfer\/tiny training step at batch 200000 per worker needs at least \d+\.\d\d GiB/,
    );
    expect(message).toMatch(/4\.00 GiB/);
    expect(message).toMatch(/train\.batchSize ≤ \d+ \(\d+ per worker\)/);
    expect(message).toMatch(/model\.gradientCheckpointing: true/);
    expect(message).toMatch(/engine\.backend: 'tensorflow'/);
    // The batch it proposes passes the check, with room for the backward pass (3× the saved activations
    // without checkpointing): the bound itself refuses batches above 3× that.
    const perWorker = Number(/\((\d+) per worker\)/.exec(message)![1]);
    expect(perWorker).toBeGreaterThan(8);
    expect(() => assertTrainStepFitsWasmHeap(model, config(perWorker))).not.toThrow();
    expect(() => assertTrainStepFitsWasmHeap(model, config(3 * (perWorker + 1)))).toThrow(WasmHeapError);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('runTrainStepWithHeapGuard', () => {
  it('names the limit and the changes when the wasm module aborts inside the step', () => {
    const config = { model: { type: 'mae_dfer', preset: 'paper' }, train: { batchSize: 2 } };
    expect(runTrainStepWithHeapGuard(config, 2, () => 3)).toBe(3);
    expect(() =>
      runTrainStepWithHeapGuard(config, 2, () => {
        // What the wasm module throws when an allocation exceeds its heap (a WebAssembly.RuntimeError).
        throw Object.assign(new Error('Aborted(). Build with -sASSERTIONS for more info.'), {
          name: 'RuntimeError',
        });
      }),
    ).toThrow(
      /mae_dfer\/paper training step at batch 2 aborted the wasm backend .* 4\.00 GiB .*model\.gradientCheckpointing: true/,
    );
  });
});
