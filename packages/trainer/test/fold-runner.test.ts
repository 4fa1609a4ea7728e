/**
 * The shared training loop on its own: a quadratic objective (loss = Σ w², gradient 2w, so every SGD step
 * scales each weight by 1 − 2·lr, a closed form) with a stub loader, checked for the update, selection of
 * the best epoch, kill-and-resume, the method state in checkpoints, the log and divergence errors.
 */
import './micro-model';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type VideoModel } from '@dfer/backbones';
import type { ClipBatch } from '@dfer/datasets';
import { initEngine } from '@dfer/runtime';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FoldRunner, type TrainingLoopSpec } from '../src/loop/fold-runner';
import { createOptimizer, trainableParameters, type NamedVariable } from '../src/optim/optimizers';
import type { StepGradients } from '../src/experiment/step-gradients';

const dir = mkdtempSync(join(tmpdir(), 'dfer-fold-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  await initEngine({ backend: 'cpu', log: false });
});

const BATCHES = 3;
const LR = 0.05;

/** Three batches of two clips per epoch; only the fields the loop reads. */
const loader = {
  numBatches: BATCHES,
  async *epoch(): AsyncIterable<ClipBatch> {
    for (let b = 0; b < BATCHES; b++) {
      yield {
        labels: Int32Array.from([0, 1]),
        ids: [`c${2 * b}`, `c${2 * b + 1}`],
        indices: [2 * b, 2 * b + 1],
      } as unknown as ClipBatch;
    }
  },
  lastReport: () => undefined,
};

/** loss = Σ over parameters of Σ w², its gradient 2w. */
function quadratic(params: readonly NamedVariable[]): StepGradients {
  const { value, grads } = tf.variableGrads(
    () => tf.addN(params.map((p) => tf.sum(tf.square(p.variable)))) as tf.Scalar,
    params.map((p) => p.variable),
  );
  const loss = value.dataSync()[0]!;
  value.dispose();
  const named: Record<string, tf.Tensor> = {};
  for (const p of params) named[p.name] = grads[p.variable.name]!;
  return { loss, terms: { quadratic: loss }, grads: named };
}

function weightsOf(model: VideoModel): number[] {
  return model.namedParameters().flatMap(([, v]) => Array.from(v.dataSync()));
}

interface Run {
  model: VideoModel;
  spec: TrainingLoopSpec<{ epoch: number }>;
  dispose(): void;
}

/** A fresh model and optimizer, and the loop spec; `scores[e]` is the selection score of epoch e. */
function setup(overrides: Partial<TrainingLoopSpec<{ epoch: number }>> = {}, scores = [0.2, 0.9, 0.5]): Run {
  const model = createModel('test_micro', { preset: 'tiny', numClasses: 2, seed: 3 });
  const params = trainableParameters(model);
  const optimizer = createOptimizer(params, { type: 'sgd' });
  return {
    model,
    spec: {
      model,
      optimizer,
      params,
      loader,
      epochs: 3,
      schedule: { type: 'constant' },
      baseLr: LR,
      seed: 3,
      config: { name: 'quadratic' },
      fold: 1,
      gradients: () => quadratic(params),
      start: { record: { split: 'stub' }, lines: ['stub split'] },
      selection: {
        every: 1,
        evaluate: async (epoch) => ({
          score: scores[epoch]!,
          metrics: { score: scores[epoch]! },
          report: { epoch },
          summary: `score ${scores[epoch]}`,
        }),
      },
      ...overrides,
    },
    dispose: () => {
      optimizer.dispose();
      model.dispose();
    },
  };
}

it('each SGD step scales every weight by 1 − 2·lr; the log has one record per step and epoch', async () => {
  const run = setup({ selection: undefined });
  const w0 = weightsOf(run.model);
  const runDir = join(dir, 'plain');
  const lines: string[] = [];
  const runner = new FoldRunner<unknown>({
    label: 'run 1',
    logFields: { fold: 1 },
    dir: runDir,
    resume: false,
    report: (l) => lines.push(l),
  });
  const outcome = await runner.train(run.spec, true);
  const factor = (1 - 2 * LR) ** (3 * BATCHES);
  const w = weightsOf(run.model);
  w.forEach((v, i) => expect(v).toBeCloseTo(w0[i]! * factor, 5));
  expect(outcome.history.map((h) => h.steps)).toEqual([3, 3, 3]);
  expect(outcome.selectedEpoch).toBe(2);
  // epoch 0's mean loss: Σ w² before each of its three steps
  const s0 = w0.reduce((a, v) => a + v * v, 0);
  const expected = (s0 * (1 + (1 - 2 * LR) ** 2 + (1 - 2 * LR) ** 4)) / 3;
  expect(outcome.history[0]!.trainLoss).toBeCloseTo(expected, 3);
  const records = readFileSync(join(runDir, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; fold: number; step?: number });
  expect(records.map((r) => r.event)).toEqual([
    'fold_start',
    ...['step', 'step', 'step', 'epoch'],
    ...['step', 'step', 'step', 'epoch'],
    ...['step', 'step', 'step', 'epoch'],
  ]);
  expect(records.every((r) => r.fold === 1)).toBe(true);
  expect(records.filter((r) => r.event === 'step').map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(lines[0]).toBe('stub split');
  expect(lines[1]).toMatch(/^run 1 epoch 1\/3: loss \d/);
  run.dispose();
});

it('restoreBest puts the best-scoring epoch back; without it the last epoch stays', async () => {
  const snapshots: number[][] = [];
  const best = setup({ onEpochEnd: () => snapshots.push(weightsOf(best.model)) });
  const outcome = await new FoldRunner<unknown>({
    label: 'r',
    logFields: {},
    resume: false,
    report: () => undefined,
  }).train(best.spec, true);
  expect(outcome.selectedEpoch).toBe(1);
  expect(outcome.best).toEqual({ score: 0.9, epoch: 1, report: { epoch: 1 } });
  expect(outcome.history.map((h) => h.selection)).toEqual([{ score: 0.2 }, { score: 0.9 }, { score: 0.5 }]);
  expect(weightsOf(best.model)).toEqual(snapshots[1]);
  best.dispose();
  const last = setup();
  const kept = await new FoldRunner<unknown>({
    label: 'r',
    logFields: {},
    resume: false,
    report: () => undefined,
  }).train(last.spec, false);
  expect(kept.selectedEpoch).toBe(2);
  expect(weightsOf(last.model)).toEqual(snapshots[2]);
  last.dispose();
});

it('killed after an epoch and resumed: same weights and best epoch; method state restored; steps logged once', async () => {
  const reference = setup();
  await new FoldRunner<unknown>({ label: 'r', logFields: {}, resume: false, report: () => undefined }).train(
    reference.spec,
    true,
  );
  const want = weightsOf(reference.model);
  reference.dispose();

  const runDir = join(dir, 'resume');
  let methodCounter = 0;
  const methodState = {
    save: () => ({ counter: methodCounter }),
    restore: (s: unknown) => {
      methodCounter = (s as { counter: number }).counter;
    },
  };
  const killed = setup({
    methodState,
    onStepResult: () => {
      methodCounter += 1;
    },
    onEpochEnd: ({ epoch }) => {
      if (epoch === 1) throw new Error('simulated kill');
    },
  });
  const options = { label: 'fold 1', logFields: { fold: 1 }, dir: runDir, report: () => undefined };
  await expect(
    new FoldRunner<unknown>({ ...options, resume: false }).train(killed.spec, true),
  ).rejects.toThrow(/simulated kill/);
  killed.dispose();
  expect(methodCounter).toBe(6);
  methodCounter = -100; // a fresh process: the checkpoint must bring the state back
  const lines: string[] = [];
  const resumed = setup({ methodState, onStepResult: () => (methodCounter += 1) });
  const runner = new FoldRunner<{ done: boolean }>({
    ...options,
    resume: true,
    report: (l) => lines.push(l),
  });
  expect(runner.finishedResult()).toBeUndefined();
  const outcome = await runner.train(resumed.spec, true);
  expect(lines).toContain('fold 1: resumed after epoch 2 (6 steps done)');
  expect(methodCounter).toBe(9);
  expect(outcome.selectedEpoch).toBe(1);
  expect(weightsOf(resumed.model)).toEqual(want);
  expect(existsSync(join(runDir, 'best.safetensors'))).toBe(true);
  runner.finish({ done: true }, { note: 'end' });
  resumed.dispose();
  const steps = readFileSync(join(runDir, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; step?: number })
    .filter((r) => r.event === 'step')
    .map((r) => r.step);
  expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);

  const again: string[] = [];
  const finished = new FoldRunner<{ done: boolean }>({
    ...options,
    resume: true,
    report: (l) => again.push(l),
  });
  expect(finished.finishedResult()).toEqual({ done: true });
  expect(again[0]).toMatch(/^fold 1: already finished/);
  expect(new FoldRunner<{ done: boolean }>({ ...options, resume: false }).finishedResult()).toBeUndefined();
});

it('maxSteps stops mid-epoch; a diverged step names the run and the epoch; nothing leaks', async () => {
  const before = tf.memory().numTensors;
  const capped = setup({ maxSteps: 4, selection: undefined });
  const outcome = await new FoldRunner<unknown>({
    label: 'r',
    logFields: {},
    resume: false,
    report: () => undefined,
  }).train(capped.spec, true);
  expect(outcome.totalSteps).toBe(4);
  expect(outcome.history.map((h) => h.steps)).toEqual([3, 1]);
  capped.dispose();
  const diverging = setup({
    gradients: () => {
      throw new Error('training diverged: loss = NaN (batch c0, c1…)');
    },
  });
  await expect(
    new FoldRunner<unknown>({
      label: 'seed 2 fold 3',
      logFields: {},
      resume: false,
      report: () => undefined,
    }).train(diverging.spec, true),
  ).rejects.toThrow('training diverged: loss = NaN (batch c0, c1…) (seed 2 fold 3, epoch 1)');
  diverging.dispose();
  expect(tf.memory().numTensors).toBe(before);
});
