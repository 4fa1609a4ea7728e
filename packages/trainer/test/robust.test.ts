import './micro-model';
import * as tf from '@tensorflow/tfjs-core';
import { runExperiment } from '../src';

describe('robust: clip_agreement (RDFER) in an experiment', () => {
  it('trains on K clips per video and reports the partition and noisy-sample detection', async () => {
    const before = tf.memory().numTensors;
    const result = await runExperiment(
      {
        name: 'micro_clip_agreement',
        seed: 4,
        engine: { backend: 'cpu' },
        data: {
          type: 'synthetic_dfer',
          numClips: 40,
          numIdentities: 10,
          size: [16, 16],
          numFrames: [16, 20],
          labelNoise: { rate: 0.3 },
        },
        model: { type: 'test_micro', preset: 'tiny' },
        loss: { type: 'cross_entropy' },
        robust: { type: 'clip_agreement', clips: 3, warmupEpochs: 1, noisyTreatment: 'downweight' },
        optim: { type: 'adamw', lr: 3e-3 },
        train: { epochs: 2, batchSize: 8 },
        evaluation: { selection: 'last' },
      },
      { report: () => undefined },
    );
    expect(tf.memory().numTensors).toBe(before);
    const fold = result.folds[0]!;
    const robust = fold.robust!;
    expect(robust.clips).toBe(3);
    expect(robust.perSample).toHaveLength(fold.counts.train);
    expect(robust.counts.easy + robust.counts.hard + robust.counts.noisy).toBe(fold.counts.train);
    // After the warm-up epoch the weights follow the partition: likely-noisy samples get 0.1, the others ≥ 1.
    for (const s of robust.perSample) {
      expect(s.agreement).toBeGreaterThanOrEqual(0);
      expect(s.agreement).toBeLessThanOrEqual(1);
      if (s.partition === 'noisy') expect(s.weight).toBeCloseTo(0.1, 6);
      else expect(s.weight).toBeGreaterThanOrEqual(1);
    }
    // Synthetic data knows the true labels: detection is scored against the injected noise.
    const injected = robust.perSample.filter((s) => s.trueLabel !== s.label).length;
    expect(injected).toBeGreaterThan(0);
    expect(robust.noisyDetection!.noisy).toBe(injected);
    expect(robust.noisyDetection!.samples).toBe(fold.counts.train);
    expect(fold.history.every((h) => Number.isFinite(h.trainLoss))).toBe(true);
    expect(fold.counts.testScored).toBe(fold.counts.test);
  });

  it('rejects an unknown robust type with the valid names', async () => {
    await expect(
      runExperiment(
        {
          name: 'bad',
          data: { type: 'synthetic_dfer' },
          model: { type: 'test_micro' },
          loss: { type: 'cross_entropy' },
          robust: { type: 'co_teaching' },
          optim: { type: 'adamw', lr: 1e-3 },
          train: { epochs: 1, batchSize: 8 },
        },
        { report: () => undefined },
      ),
    ).rejects.toThrow(/robust\.type: unknown robust type "co_teaching"; registered: clip_agreement/);
  });
});
