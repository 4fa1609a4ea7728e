import './micro-model';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, saveWeights } from '@dfer/backbones';
import { defineConfig, runExperiment } from '../src';
import { loadWeights } from '../src/checkpoint/checkpoint';

/**
 * `model.pretrained`: a checkpoint of the micro model with 4 classes starts a 2-class experiment; everything
 * but the head (`exclude: ['head.']`) must arrive unchanged. lr is 1e-12 for the one training step, so the
 * saved weights equal the loaded ones to float32 precision, and the head keeps the fresh initialisation.
 */
describe('model.pretrained', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dfer-pretrained-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const configWith = (pretrained: unknown) =>
    defineConfig({
      name: 'micro_pretrained',
      seed: 1,
      engine: { backend: 'cpu' },
      data: {
        type: 'synthetic_dfer',
        numClips: 24,
        numIdentities: 6,
        size: [16, 16],
        numFrames: [16, 16],
        labels: ['happy', 'sad'],
      },
      model: { type: 'test_micro', preset: 'tiny', pretrained } as never,
      loss: { type: 'cross_entropy' },
      optim: { type: 'adamw', lr: 1e-12, weightDecay: 0 },
      evaluation: { selection: 'last' },
      train: { epochs: 1, batchSize: 4, maxSteps: 1 },
    });

  it("loads every tensor outside 'exclude', keeps the head's initialisation, and logs what it did", async () => {
    const source = createModel('test_micro', { preset: 'tiny', numClasses: 4, seed: 9 });
    const file = join(dir, 'micro-4.safetensors');
    await saveWeights(source, file);
    const lines: string[] = [];
    const out = join(dir, 'run');
    await runExperiment(configWith({ path: file, exclude: ['head.'] }), {
      outputDir: out,
      report: (l) => lines.push(l),
    });
    expect(lines).toContainEqual(
      `fold 1: model.pretrained: 2 tensors from ${file}; initialisation kept for 2 (head.weight, head.bias); 2 of the file's tensors not used (head.bias, head.weight)`,
    );
    const fresh = createModel('test_micro', { preset: 'tiny', numClasses: 2, seed: 1 });
    const saved = loadWeights(join(out, 'fold-1', 'checkpoints', 'epoch-0000', 'model.safetensors')).weights;
    const values = (name: string): number[] => Array.from(saved[name]!.data as Float32Array);
    const of = (m: typeof source, name: string): number[] =>
      Array.from(
        m
          .namedParameters()
          .find(([n]) => n === name)![1]
          .dataSync(),
      );
    for (const name of ['proj.weight', 'proj.bias']) {
      values(name).forEach((v, i) => expect(v).toBeCloseTo(of(source, name)[i]!, 6));
    }
    values('head.weight').forEach((v, i) => expect(v).toBeCloseTo(of(fresh, 'head.weight')[i]!, 6));
    const log = readFileSync(join(out, 'fold-1', 'log.jsonl'), 'utf8').split('\n')[0]!;
    expect(JSON.parse(log).pretrained).toMatchObject({ loaded: 2, kept: ['head.weight', 'head.bias'] });
    source.dispose();
    fresh.dispose();
  });

  it('a resumed fold takes its weights from the checkpoint and does not read the pre-trained file again', async () => {
    const source = createModel('test_micro', { preset: 'tiny', numClasses: 4, seed: 9 });
    const file = join(dir, 'micro-4-resume.safetensors');
    await saveWeights(source, file);
    source.dispose();
    const base = configWith({ path: file, exclude: ['head.'] });
    const config = { ...base, optim: { ...base.optim, lr: 1e-2 }, train: { epochs: 2, batchSize: 4 } };
    const uninterrupted = await runExperiment(config, { report: () => undefined });
    const out = join(dir, 'resume');
    await expect(
      runExperiment(config, {
        outputDir: out,
        report: () => undefined,
        onEpochEnd: ({ epoch }) => {
          if (epoch === 0) throw new Error('simulated kill after epoch 1');
        },
      }),
    ).rejects.toThrow(/simulated kill/);
    rmSync(file); // reading it again would now fail with "no file at"
    const lines: string[] = [];
    const resumed = await runExperiment(config, {
      outputDir: out,
      resume: true,
      report: (l) => lines.push(l),
    });
    expect(lines.join('\n')).toMatch(
      /fold 1: resumed after epoch 1 \(\d+ steps done\); model\.pretrained not read again \(the checkpoint holds the weights\)/,
    );
    expect(resumed.folds[0]!.history).toHaveLength(2);
    expect(lines.some((l) => l.includes('model.pretrained: '))).toBe(false);
    expect(resumed.folds[0]!.history.map((h) => h.trainLoss)).toEqual(
      uninterrupted.folds[0]!.history.map((h) => h.trainLoss),
    );
    expect(resumed.summary).toEqual(uninterrupted.summary);
  });

  it('a wrong head shape without exclude, and a missing file, are errors naming the cause', async () => {
    const source = createModel('test_micro', { preset: 'tiny', numClasses: 4, seed: 9 });
    const file = join(dir, 'micro-4b.safetensors');
    await saveWeights(source, file);
    source.dispose();
    await expect(runExperiment(configWith({ path: file }), { report: () => undefined })).rejects.toThrow(
      /mis-shaped keys \(2\): head\.weight/,
    );
    await expect(
      runExperiment(configWith({ path: join(dir, 'nope.safetensors') }), { report: () => undefined }),
    ).rejects.toThrow(`model.pretrained.path: no file at ${join(dir, 'nope.safetensors')}`);
  });
});
