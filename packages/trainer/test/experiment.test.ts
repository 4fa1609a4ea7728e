import './micro-model';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { defineConfig, runExperiment, type ExperimentResult } from '../src';

const quiet = (): void => undefined;

const config = defineConfig({
  name: 'micro_au_dfer',
  seed: 3,
  engine: { backend: 'cpu' },
  data: { type: 'synthetic_dfer', numClips: 48, numIdentities: 12, size: [16, 16], numFrames: [16, 20] },
  model: { type: 'test_micro', preset: 'tiny', auHead: true },
  loss: { type: 'au_dfer', lambda: 0.25, posWeight: 'global' },
  optim: { type: 'adamw', lr: 3e-3 },
  schedule: { type: 'cosine', warmupEpochs: 1 },
  train: { epochs: 3, batchSize: 8, evalBatchSize: 16 },
});

describe('runExperiment (micro model, synthetic data)', () => {
  let dir: string;
  let uninterrupted: ExperimentResult;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dfer-exp-'));
    uninterrupted = await runExperiment(config, { outputDir: join(dir, 'a'), report: quiet });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('scores every test clip and carves validation from the training data', () => {
    const fold = uninterrupted.folds[0]!;
    expect(fold.counts.testScored).toBe(fold.counts.test);
    expect(fold.counts.train + fold.counts.validation + fold.counts.test).toBe(48);
    expect(fold.counts.validation).toBeGreaterThan(0);
    expect(fold.selection).toBe('validation');
    expect(fold.validation).toBeDefined();
    expect(fold.test.au?.auNames).toHaveLength(18);
    expect(fold.history).toHaveLength(3);
    expect(fold.history.every((h) => Number.isFinite(h.trainLoss) && h.trainTerms.au !== undefined)).toBe(
      true,
    );
  });

  it('writes results, logs and checkpoints', () => {
    const results = JSON.parse(readFileSync(join(dir, 'a', 'results.json'), 'utf8'));
    expect(results.schemaVersion).toBe(1);
    expect(results.summary.uar.mean).toBeCloseTo(uninterrupted.summary.uar.mean, 12);
    const log = readFileSync(join(dir, 'a', 'fold-1', 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(log.filter((l) => l.event === 'epoch')).toHaveLength(3);
    expect(existsSync(join(dir, 'a', 'fold-1', 'latest.json'))).toBe(true);
    expect(existsSync(join(dir, 'a', 'fold-1', 'best.safetensors'))).toBe(true);
  });

  it('is deterministic: the same seed gives the same metrics', async () => {
    const again = await runExperiment(config, { report: quiet });
    expect(again.folds[0]!.history.map((h) => h.trainLoss)).toEqual(
      uninterrupted.folds[0]!.history.map((h) => h.trainLoss),
    );
    expect(again.summary).toEqual(uninterrupted.summary);
  });

  it('a killed run resumed with resume: true reaches the same final metrics', async () => {
    const out = join(dir, 'b');
    await expect(
      runExperiment(config, {
        outputDir: out,
        report: quiet,
        onEpochEnd: ({ epoch }) => {
          if (epoch === 1) throw new Error('simulated kill after epoch 2');
        },
      }),
    ).rejects.toThrow(/simulated kill/);
    const lines: string[] = [];
    const resumed = await runExperiment(config, {
      outputDir: out,
      resume: true,
      report: (l) => lines.push(l),
    });
    expect(lines.join('\n')).toMatch(/resumed after epoch 2/);
    expect(resumed.folds[0]!.history.map((h) => h.trainLoss)).toEqual(
      uninterrupted.folds[0]!.history.map((h) => h.trainLoss),
    );
    expect(resumed.folds[0]!.test.predictions).toEqual(uninterrupted.folds[0]!.test.predictions);
    expect(resumed.summary).toEqual(uninterrupted.summary);
    // A finished fold is not repeated.
    const again: string[] = [];
    await runExperiment(config, { outputDir: out, resume: true, report: (l) => again.push(l) });
    expect(again.join('\n')).toMatch(/already finished/);
  });

  it('keeps the tensor count flat', async () => {
    const before = tf.memory().numTensors;
    await runExperiment({ ...config, train: { epochs: 1, batchSize: 8 } }, { report: quiet });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('labels test-split selection in the result and warns', async () => {
    const lines: string[] = [];
    const r = await runExperiment(
      { ...config, train: { epochs: 1, batchSize: 8 }, evaluation: { selection: 'test' } },
      { report: (l) => lines.push(l) },
    );
    expect(r.selection).toBe('test');
    expect(r.folds[0]!.counts.validation).toBe(0);
    expect(lines[0]).toMatch(/chosen on the test split/);
  });
});
