import './micro-model';
import * as tf from '@tensorflow/tfjs-core';
import { availableParallelism } from 'node:os';
import { createModel, type VideoModel } from '@dfer/backbones';
import { createLoss } from '@dfer/losses';
import { initEngine } from '@dfer/runtime';
import {
  createDataParallelTrainer,
  createOptimizer,
  runExperiment,
  shardSizes,
  type DataParallelConfig,
  type NamedVariable,
  type StepBatch,
} from '../src';
import { applyStepUpdate, stepGradients } from '../src/experiment/step-gradients';

// The worker threads run the compiled worker script of this package (dist/parallel), which `npm test` builds
// before the tests; a missing build fails here with a message saying so.

const TWO_CORES = availableParallelism() >= 2;

describe('shardSizes', () => {
  it('splits a batch into contiguous shards, the first B mod N one larger', () => {
    expect(shardSizes(8, 2)).toEqual([4, 4]);
    expect(shardSizes(5, 2)).toEqual([3, 2]);
    expect(shardSizes(7, 3)).toEqual([3, 2, 2]);
    expect(shardSizes(1, 2)).toEqual([1, 0]);
    expect(() => shardSizes(0, 2)).toThrow(/batch must be ≥ 1/);
  });
});

/**
 * mae_dfer `tiny` (LayerNorm only: no batch-coupled layer, no dropout), SGD with momentum, cross-entropy: what
 * is compared is the averaged gradient and the one update, whatever the optimizer (its own tests check it).
 */
function setup(): {
  model: VideoModel;
  params: NamedVariable[];
  optimizer: ReturnType<typeof createOptimizer>;
} {
  const model = createModel('mae_dfer', { preset: 'tiny', numClasses: 7, seed: 5 });
  const params = model
    .namedParameters()
    .filter(([, v]) => v.trainable)
    .map(([name, variable]) => ({ name, variable }));
  return {
    model,
    params,
    optimizer: createOptimizer(params, { type: 'sgd', momentum: 0.9, weightDecay: 1e-4 }),
  };
}

function batchOf(step: number): StepBatch {
  const shape = [4, 16, 64, 64, 3] as const;
  const n = shape.reduce((a, b) => a * b, 1);
  return {
    frames: Float32Array.from({ length: n }, (_, i) => ((i * 7919 + step * 101) % 1009) / 1009),
    shape,
    layout: [1, 16],
    labels: Int32Array.from([0, 3, 5, (step + 1) % 7]),
    ids: ['a', 'b', 'c', 'd'],
  };
}

const lossConfig = { type: 'cross_entropy' };

function parallelConfig(workers: number): DataParallelConfig {
  return {
    workers,
    model: { type: 'mae_dfer', options: { preset: 'tiny', numClasses: 7, seed: 5 } },
    objective: { kind: 'expression', loss: { config: lossConfig, context: { labels: 'dfew' } } },
  };
}

describe('createDataParallelTrainer (wasm)', () => {
  beforeAll(async () => {
    await initEngine({ backend: 'wasm', log: false });
  });

  it('refuses fewer than 2 or more threads than cores, naming train.workers', async () => {
    const { model, params, optimizer } = setup();
    const loss = createLoss(lossConfig, { labels: 'dfew' });
    const local = (shard: StepBatch) => stepGradients(model, loss, params, shard);
    await expect(
      createDataParallelTrainer(model, optimizer, params, parallelConfig(1), local),
    ).rejects.toThrow(/train\.workers: expected an integer from 2 to/);
    await expect(
      createDataParallelTrainer(model, optimizer, params, parallelConfig(availableParallelism() + 1), local),
    ).rejects.toThrow(/cores of this machine/);
    optimizer.dispose();
    model.dispose();
  });

  (TWO_CORES ? it : it.skip)(
    'two threads give the one-thread step up to float summation order, and the same result every run',
    async () => {
      const before = tf.memory().numTensors;
      const loss = createLoss(lossConfig, { labels: 'dfew' });
      // One thread on the whole batch.
      const single = setup();
      const singleLosses: number[] = [];
      for (let s = 0; s < 2; s++) {
        const g = stepGradients(single.model, loss, single.params, batchOf(s));
        applyStepUpdate(single.optimizer, g.grads, 0.05, 1.0);
        tf.dispose(Object.values(g.grads));
        singleLosses.push(g.loss);
      }
      // Two threads, twice.
      const runParallel = async (): Promise<{ losses: number[]; weights: Float32Array[] }> => {
        const { model, params, optimizer } = setup();
        const trainer = await createDataParallelTrainer(
          model,
          optimizer,
          params,
          parallelConfig(2),
          (shard) => stepGradients(model, loss, params, shard),
        );
        const losses: number[] = [];
        try {
          for (let s = 0; s < 2; s++)
            losses.push((await trainer.step(batchOf(s), { lr: 0.05, clipGradNorm: 1.0 })).loss);
        } finally {
          await trainer.dispose();
        }
        const weights = model.namedParameters().map(([, v]) => v.dataSync() as Float32Array);
        optimizer.dispose();
        model.dispose();
        return { losses, weights };
      };
      const a = await runParallel();
      const b = await runParallel();
      // Same for a fixed number of threads, bit for bit.
      expect(b.losses).toEqual(a.losses);
      b.weights.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(a.weights[i]!)));
      // Equal to one thread within float32 summation tolerance: the loss of each step (the second step
      // already depends on the first update) and every weight after two steps.
      a.losses.forEach((l, s) => expect(Math.abs(l - singleLosses[s]!)).toBeLessThan(1e-5));
      const singleWeights = single.model.namedParameters().map(([, v]) => v.dataSync() as Float32Array);
      let maxDiff = 0;
      let changed = 0;
      singleWeights.forEach((w, i) => {
        const p = a.weights[i]!;
        for (let j = 0; j < w.length; j++) maxDiff = Math.max(maxDiff, Math.abs(w[j]! - p[j]!));
      });
      expect(maxDiff).toBeLessThan(1e-7);
      // …and the steps did move the weights, by 100× that tolerance and more (not two untouched models).
      const initial = setup();
      initial.model.namedParameters().forEach(([, v], i) => {
        const w0 = v.dataSync();
        const w = singleWeights[i]!;
        for (let j = 0; j < w.length; j++) if (Math.abs(w[j]! - w0[j]!) > 1e-5) changed += 1;
      });
      expect(changed).toBeGreaterThan(1000);
      initial.optimizer.dispose();
      initial.model.dispose();
      single.optimizer.dispose();
      single.model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    },
  );
});

describe('runExperiment with train.workers', () => {
  (TWO_CORES ? it : it.skip)(
    'a replica that cannot be built (a model registered only in this thread) fails the run with the reason',
    async () => {
      await expect(
        runExperiment(
          {
            name: 'data_parallel_unknown',
            engine: { backend: 'wasm' },
            data: {
              type: 'synthetic_dfer',
              numClips: 24,
              numIdentities: 6,
              size: [16, 16],
              numFrames: [16, 16],
            },
            model: { type: 'test_micro', preset: 'tiny' },
            loss: { type: 'cross_entropy' },
            optim: { type: 'sgd', lr: 0.05 },
            train: { epochs: 1, batchSize: 4, maxSteps: 1, workers: 2 },
          },
          { report: () => undefined },
        ),
      ).rejects.toThrow(/data-parallel worker 1: .*test_micro/s);
    },
  );

  (TWO_CORES ? it : it.skip)(
    'logs the same losses with 2 threads as with 1 (mae_dfer tiny, 2 steps)',
    async () => {
      const losses = async (workers: number): Promise<number[]> => {
        const out: number[] = [];
        await runExperiment(
          {
            name: 'data_parallel',
            seed: 3,
            engine: { backend: 'wasm' },
            data: {
              type: 'synthetic_dfer',
              numClips: 24,
              numIdentities: 6,
              size: [64, 64],
              numFrames: [16, 16],
            },
            model: { type: 'mae_dfer', preset: 'tiny' },
            loss: { type: 'cross_entropy' },
            optim: { type: 'sgd', lr: 0.05 },
            train: {
              epochs: 1,
              batchSize: 4,
              maxSteps: 2,
              workers,
              augment: { flip: 0, scale: [1, 1], ratio: [1, 1] },
            },
            evaluation: { selection: 'last' },
          },
          { report: () => undefined, onStep: (s) => out.push(s.loss) },
        );
        return out;
      };
      const one = await losses(1);
      const two = await losses(2);
      expect(two).toHaveLength(2);
      two.forEach((l, i) => expect(Math.abs(l - one[i]!)).toBeLessThan(1e-5));
    },
  );
});
