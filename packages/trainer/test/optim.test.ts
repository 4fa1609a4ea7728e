import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { expectNoTensorLeak } from '@dfer/test-utils';
import { createModel } from '@dfer/backbones';
import { initEngine, setFusedKernels } from '@dfer/runtime';
import {
  clipGradientsByGlobalNorm,
  createOptimizer,
  learningRateAt,
  trainableParameters,
  type OptimizerConfig,
} from '../src';
import fixtures from './fixtures/optimizer-fixtures.json';

// Reference values: PyTorch 1.13 (test/fixtures/make-optimizer-fixtures.py, same initial values, gradients
// and per-step learning rates).
beforeAll(async () => {
  await tf.setBackend('cpu');
});

function variableOf(values: number[], shape: number[]): tf.Variable {
  const init = tf.tensor(values, shape);
  const v = tf.variable(init, true);
  init.dispose();
  return v;
}

function runSteps(config: OptimizerConfig, lr0: number): { p: number[]; q: number[] } {
  const p = variableOf(
    Array.from({ length: 6 }, (_, i) => Math.sin(i)),
    [2, 3],
  );
  const q = variableOf(
    Array.from({ length: 3 }, (_, i) => Math.cos(i)),
    [3],
  );
  const opt = createOptimizer(
    [
      { name: 'p', variable: p },
      { name: 'q', variable: q },
    ],
    config,
  );
  for (let t = 1; t <= 5; t++) {
    const lr = lr0 * (1 - 0.1 * (t - 1));
    const gp = tf.tensor(
      Array.from({ length: 6 }, (_, i) => Math.sin(0.5 * i + t) + 0.1 * t),
      [2, 3],
    );
    const gq = tf.tensor(
      Array.from({ length: 3 }, (_, i) => Math.cos(0.3 * i - t)),
      [3],
    );
    opt.step({ p: gp, q: gq }, lr);
    tf.dispose([gp, gq]);
  }
  const out = { p: Array.from(p.dataSync()), q: Array.from(q.dataSync()) };
  opt.dispose();
  tf.dispose([p, q]);
  return out;
}

function expectClose(actual: number[], expected: number[], tol = 2e-6): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]!)).toBeLessThan(tol));
}

describe('optimizers match PyTorch', () => {
  it('AdamW (decoupled decay, noDecay for q)', async () => {
    const out = await expectNoTensorLeak(() =>
      runSteps({ type: 'adamw', weightDecay: 0.05, noDecay: /^q$/ }, 0.01),
    );
    expectClose(out.p, fixtures.adamw.p);
    expectClose(out.q, fixtures.adamw.q);
  });

  it('SGD momentum with coupled L2 decay (PyTorch weight_decay)', async () => {
    const out = await expectNoTensorLeak(() =>
      runSteps({ type: 'sgd', momentum: 0.9, weightDecay: 1e-2, weightDecayMode: 'l2', noDecay: /^q$/ }, 0.1),
    );
    expectClose(out.p, fixtures.sgd_l2.p);
    expectClose(out.q, fixtures.sgd_l2.q);
  });

  it('SGD momentum with decoupled decay', async () => {
    const out = await expectNoTensorLeak(() =>
      runSteps({ type: 'sgd', momentum: 0.9, weightDecay: 1e-2, noDecay: /^q$/ }, 0.1),
    );
    expectClose(out.p, fixtures.sgd_decoupled.p);
    expectClose(out.q, fixtures.sgd_decoupled.q);
  });

  it('state round-trips: restored optimizer continues identically', () => {
    const make = () => variableOf([1, -2, 3], [3]);
    const g = tf.tensor([0.5, -0.25, 1]);
    const a = make();
    const optA = createOptimizer([{ name: 'w', variable: a }], { type: 'adamw', weightDecay: 0.1 });
    optA.step({ w: g }, 0.1);
    const state = optA.getState();
    const b = variableOf(Array.from(a.dataSync()), [3]);
    const optB = createOptimizer([{ name: 'w', variable: b }], { type: 'adamw', weightDecay: 0.1 });
    optB.setState(state);
    optA.step({ w: g }, 0.1);
    optB.step({ w: g }, 0.1);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(() => optB.setState({ ...state, type: 'sgd' })).toThrow(
      /state is for "sgd" but this optimizer is "adamw"/,
    );
    expect(() => optB.step({ nope: g }, 0.1)).toThrow(/unknown parameter "nope"/);
    tf.dispose([g, a, b]);
    optA.dispose();
    optB.dispose();
  });
});

describe.each(['cpu', 'wasm'] as const)('AdamW on %s: fused in-place update', (backend) => {
  beforeAll(async () => {
    await initEngine({ backend, log: false });
  });
  afterAll(async () => {
    setFusedKernels({ adamw: true });
    await tf.setBackend('cpu');
  });

  it('equals the op-by-op path within float32 rounding over 5 steps, and leaks nothing', async () => {
    const config: OptimizerConfig = { type: 'adamw', weightDecay: 0.05, noDecay: /^q$/ };
    setFusedKernels({ adamw: false });
    const unfused = runSteps(config, 0.01);
    setFusedKernels({ adamw: true });
    const fused = await expectNoTensorLeak(() => runSteps(config, 0.01));
    fused.p.forEach((x, i) => expect(Math.abs(x - unfused.p[i]!)).toBeLessThan(1e-6));
    fused.q.forEach((x, i) => expect(Math.abs(x - unfused.q[i]!)).toBeLessThan(1e-6));
  });
});

describe('AdamW on wasm with a real model: fused and op-by-op updates train alike', () => {
  beforeAll(async () => {
    await initEngine({ backend: 'wasm', log: false });
  });
  afterAll(async () => {
    setFusedKernels('defaults');
    await tf.setBackend('cpu');
  });

  it('former_dfer tiny: the same losses over 4 steps (its convolutions read the updated weights)', () => {
    const losses = (fused: boolean): number[] => {
      setFusedKernels({ adamw: fused });
      const model = createModel('former_dfer', { preset: 'tiny', seed: 0 });
      const params = model.namedParameters().map(([name, variable]) => ({ name, variable }));
      const opt = createOptimizer(params, { type: 'adamw', weightDecay: 0.05 });
      const s = model.inputSpec;
      const x = tf.randomUniform([2, s.frames, s.height, s.width, s.channels], 0, 1, 'float32', 3);
      const y = tf.oneHot(tf.tensor1d([0, 1], 'int32'), model.numClasses);
      const out: number[] = [];
      for (let t = 0; t < 4; t++) {
        const { value, grads } = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(y, model.forward(x).logits) as tf.Scalar,
          params.map((p) => p.variable),
        );
        out.push(value.dataSync()[0]!);
        const named: Record<string, tf.Tensor> = {};
        for (const p of params) named[p.name] = grads[p.variable.name]!;
        opt.step(named, 1e-2);
        tf.dispose([value, Object.values(grads)]);
      }
      tf.dispose([x, y]);
      opt.dispose();
      model.dispose();
      return out;
    };
    const plain = losses(false);
    const fused = losses(true);
    // The loss moves (so a lost update would show) and both paths agree.
    expect(Math.abs(plain[3]! - plain[0]!)).toBeGreaterThan(0.05);
    fused.forEach((l, i) => expect(Math.abs(l - plain[i]!)).toBeLessThan(1e-4));
  });
});

describe('clipGradientsByGlobalNorm matches torch.nn.utils.clip_grad_norm_', () => {
  it('scales by maxNorm / (norm + 1e-6)', async () => {
    const t = 3;
    const gp = tf.tensor(
      Array.from({ length: 6 }, (_, i) => Math.sin(0.5 * i + t) + 0.1 * t),
      [2, 3],
    );
    const gq = tf.tensor(
      Array.from({ length: 3 }, (_, i) => Math.cos(0.3 * i - t)),
      [3],
    );
    const { grads, norm } = await expectNoTensorLeak(() => clipGradientsByGlobalNorm({ p: gp, q: gq }, 1));
    expect(norm).toBeCloseTo(fixtures.clip.norm, 5);
    expectClose(Array.from(grads.p!.dataSync()), fixtures.clip.p);
    expectClose(Array.from(grads.q!.dataSync()), fixtures.clip.q);
    tf.dispose([gp, gq, ...Object.values(grads)]);
  });
});

describe('learningRateAt (closed forms)', () => {
  it('step: base · γ^⌊e/step⌋', () => {
    expect(learningRateAt({ type: 'step', stepSize: 40, gamma: 0.1 }, 0.01, 39, 100)).toBeCloseTo(0.01, 15);
    expect(learningRateAt({ type: 'step', stepSize: 40, gamma: 0.1 }, 0.01, 40, 100)).toBeCloseTo(0.001, 15);
    expect(learningRateAt({ type: 'step', stepSize: 40, gamma: 0.1 }, 0.01, 85, 100)).toBeCloseTo(0.0001, 15);
  });
  it('cosine with warm-up', () => {
    const s = { type: 'cosine', warmupEpochs: 20, minLr: 5e-6, warmupLr: 0 } as const;
    expect(learningRateAt(s, 5e-4, 0, 100)).toBe(0);
    expect(learningRateAt(s, 5e-4, 10, 100)).toBeCloseTo(2.5e-4, 15);
    expect(learningRateAt(s, 5e-4, 20, 100)).toBeCloseTo(5e-4, 15);
    // halfway through the cosine part: minLr + (base − minLr)/2
    expect(learningRateAt(s, 5e-4, 60, 100)).toBeCloseTo(5e-6 + (5e-4 - 5e-6) / 2, 15);
    expect(learningRateAt(s, 5e-4, 100, 100)).toBeCloseTo(5e-6, 15);
  });
  it('rejects a negative epoch', () => {
    expect(() => learningRateAt({ type: 'constant' }, 1, -1, 10)).toThrow(/epoch = -1/);
  });
});

describe('trainableParameters', () => {
  it('lists the trainable variables by name, in order, and leaves the others out', () => {
    const a = tf.variable(tf.zeros([2]), true, 'tp_a');
    const frozen = tf.variable(tf.zeros([2]), false, 'tp_frozen');
    const b = tf.variable(tf.zeros([1]), true, 'tp_b');
    const params = trainableParameters({
      namedParameters: () => [
        ['a', a],
        ['running_mean', frozen],
        ['b', b],
      ],
    });
    expect(params.map((p) => p.name)).toEqual(['a', 'b']);
    expect(params.map((p) => p.variable)).toEqual([a, b]);
    tf.dispose([a, frozen, b]);
  });
});
