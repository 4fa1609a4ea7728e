import * as tf from '@tensorflow/tfjs-core';
import { expectNoTensorLeak } from '@dfer/test-utils';
import { auDiceLoss, weightedAsymmetricLoss, weightedBceLoss } from '@dfer/losses';
import { expectClose, flat, named, reference, tensorOf, useCpuBackend } from './reference';

beforeAll(useCpuBackend);

const section = reference.auDetection;
const targets = flat(section.targets);

function checkCase(
  refCase: { loss: number | number[]; gradLogits: number[][] },
  run: (z: tf.Tensor) => { loss: tf.Tensor; terms: Record<string, tf.Tensor> },
): void {
  const logits = tensorOf(section.logits);
  const result = run(logits);
  expectClose(result.loss, refCase.loss);
  const grad = tf.grad((z: tf.Tensor) => tf.sum(run(z).loss))(logits);
  expectClose(grad, refCase.gradLogits);
  tf.dispose([logits, result, grad]);
}

describe('weightedBceLoss against PyTorch BCEWithLogitsLoss(weight, pos_weight)', () => {
  it.each(
    named(
      section.weightedBce,
      (c) =>
        `weights=${c.classWeights ? 'yes' : 'no'} posWeight=${c.posWeight ? 'yes' : 'no'} ${c.reduction}`,
    ),
  )('%s (logits ±100, an all-negative sample)', (_name, c) => {
    checkCase(c, (z) =>
      weightedBceLoss({
        logits: z,
        targets,
        classWeights: c.classWeights ?? undefined,
        posWeight: c.posWeight ?? undefined,
        reduction: c.reduction,
      }),
    );
  });
});

describe('weightedAsymmetricLoss against PyTorch (p.detach() on negatives)', () => {
  it.each(
    named(section.weightedAsymmetric, (c) => `weights=${c.classWeights ? 'yes' : 'no'} ${c.reduction}`),
  )('%s', (_name, c) => {
    checkCase(c, (z) =>
      weightedAsymmetricLoss({
        logits: z,
        targets,
        classWeights: c.classWeights ?? undefined,
        reduction: c.reduction,
      }),
    );
  });

  it('the negative term carries no gradient through its p factor (closed form)', () => {
    // One negative element: L = −p·log(1 − p) with p = σ(z) held constant, so dL/dz = p·σ(z) = p².
    const z = tf.tensor2d([[0.3]]);
    const grad = tf.grad((x: tf.Tensor) => weightedAsymmetricLoss({ logits: x, targets: [0] }).loss)(z);
    const p = 1 / (1 + Math.exp(-0.3));
    expect(grad.dataSync()[0]).toBeCloseTo(p * p, 6);
    tf.dispose([z, grad]);
  });
});

describe('Dice term against PyTorch', () => {
  it.each(
    named(
      section.dice,
      (c) =>
        `${c.baseLoss} weights=${c.classWeights ? 'yes' : 'no'} dice ${c.diceWeight}×(s=${c.smooth}) ${c.reduction}`,
    ),
  )('%s', (_name, c) => {
    const options = {
      targets,
      classWeights: c.classWeights ?? undefined,
      reduction: c.reduction,
      dice: { weight: c.diceWeight, smooth: c.smooth },
    };
    const run = (z: tf.Tensor) =>
      c.baseLoss === 'weightedBce'
        ? weightedBceLoss({ logits: z, ...options })
        : weightedAsymmetricLoss({ logits: z, ...options });
    checkCase(c, run);
    const logits = tensorOf(section.logits);
    const dice = auDiceLoss({ logits, targets, classWeights: c.classWeights ?? undefined, smooth: c.smooth });
    expectClose(dice.loss, c.dice);
    const combined = run(logits);
    expectClose(combined.terms.dice as tf.Tensor, c.dice);
    tf.dispose([logits, dice, combined]);
  });

  it('is 0 for perfect confident predictions and reduces per AU with none / sum', () => {
    const logits = tf.tensor2d([
      [100, -100],
      [-100, 100],
    ]);
    const perfect = auDiceLoss({ logits, targets: [1, 0, 0, 1], smooth: 1e-6 });
    expect(perfect.loss.dataSync()[0]).toBeCloseTo(0, 5);
    const none = auDiceLoss({ logits, targets: [1, 0, 0, 0], reduction: 'none' });
    expect(none.loss.shape).toEqual([2]);
    // AU 2 has no positive and p = (0, 1): d = 1 − (0 + 1) / (1 + 0 + 1) = 0.5.
    expect(none.loss.dataSync()[1]).toBeCloseTo(0.5, 5);
    tf.dispose([logits, perfect, none]);
  });
});

describe('AU-detection losses: leaks and errors', () => {
  it('leak no tensors, forward and backward', async () => {
    const logits = tensorOf(section.logits);
    await expectNoTensorLeak(() => {
      for (const run of [
        (z: tf.Tensor) =>
          weightedBceLoss({ logits: z, targets, posWeight: new Array(18).fill(2), dice: { weight: 1 } }),
        (z: tf.Tensor) => weightedAsymmetricLoss({ logits: z, targets, dice: { weight: 0.5 } }),
        (z: tf.Tensor) => auDiceLoss({ logits: z, targets }),
      ]) {
        const result = run(logits);
        tf.dispose([
          result.loss,
          ...Object.values(result.terms),
          tf.grad((z: tf.Tensor) => run(z).loss)(logits),
        ]);
      }
    });
    logits.dispose();
  });

  it('reject bad shapes, targets and option combinations', () => {
    const logits = tf.zeros([2, 3]);
    expect(() => weightedBceLoss({ logits, targets: [0, 1, 0, 1, 0] })).toThrow(
      /targets has 5 values but \[2, 3\] needs 6/,
    );
    expect(() => weightedBceLoss({ logits, targets: [0, 1, 0, 1, 0, -1] })).toThrow(/targets\[1\]\[2\] = -1/);
    expect(() => weightedBceLoss({ logits, targets: tf.zeros([3, 2]) })).toThrow(
      /targets must have shape \[2, 3\]/,
    );
    expect(() => weightedBceLoss({ logits, targets: new Uint8Array(6), classWeights: [1, 1] })).toThrow(
      /classWeights has 2 entries, expected 3/,
    );
    expect(() =>
      weightedBceLoss({ logits, targets: new Uint8Array(6), posWeight: [1, Number.NaN, 1] }),
    ).toThrow(/posWeight\[1\] = NaN/);
    expect(() =>
      weightedAsymmetricLoss({ logits, targets: new Uint8Array(6), reduction: 'none', dice: { weight: 1 } }),
    ).toThrow(/Dice term is a batch statistic/);
    expect(() => auDiceLoss({ logits, targets: new Uint8Array(6), smooth: 0 })).toThrow(
      /smooth must be a number/,
    );
    logits.dispose();
  });
});
