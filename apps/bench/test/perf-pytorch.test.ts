import { spawnSync } from 'node:child_process';
import { createModel } from '@dfer/backbones';
import { initEngine } from '@dfer/runtime';
import { BASE_MODELS, DEFAULT_PYTHON, pytorchMeasurements, runPytorchReference } from '../src';

/** Debian's python3-torch (the reference needs it); the suite is skipped, saying so, where it is absent. */
const hasTorch = spawnSync(DEFAULT_PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const describeWithTorch = hasTorch ? describe : describe.skip;
if (!hasTorch) console.warn(`perf-pytorch.test.ts skipped: ${DEFAULT_PYTHON} cannot import torch`);

describeWithTorch('PyTorch reference (apps/bench/python/perf_reference.py)', () => {
  beforeAll(async () => {
    await initEngine({ backend: 'wasm', log: false });
  });

  it.each([...BASE_MODELS])(
    '%s tiny: same parameter count as the tfjs model; valid timings',
    async (name) => {
      const ref = await runPytorchReference({
        python: DEFAULT_PYTHON,
        model: name,
        batches: [1, 2],
        repeats: 1,
        threads: 1,
      });
      const model = createModel(name, { preset: 'tiny', seed: 0 });
      const expected = model.numParameters();
      model.dispose();
      expect(ref.numParameters).toBe(expected);
      expect(ref.threads).toBe(1);
      expect(ref.train.map((t) => t.batch)).toEqual([1, 2]);
      const shape1 = [1, 16, 4, 4, 3];
      const records = pytorchMeasurements(ref, shape1);
      expect(records.map((r) => [r.task, r.shape])).toEqual([
        ['train_step', [1, 16, 4, 4, 3]],
        ['train_step', [2, 16, 4, 4, 3]],
        ['inference', [1, 16, 4, 4, 3]],
      ]);
      // value of a training record = batch × 1000 ÷ the (single) step time
      expect(records[1]!.value).toBeCloseTo(2000 / ref.train[1]!.msPerStep[0]!, 9);
    },
    60_000,
  );

  it('rejects an unknown model with the script’s own error', async () => {
    await expect(
      runPytorchReference({ python: DEFAULT_PYTHON, model: 'resnet', batches: [1], repeats: 1, threads: 1 }),
    ).rejects.toThrow(/invalid choice: 'resnet'/);
  }, 60_000);
});
