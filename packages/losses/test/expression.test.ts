import * as tf from '@tensorflow/tfjs-core';
import { expectNoTensorLeak } from '@dfer/test-utils';
import {
  balancedSoftmaxLoss,
  classBalancedLoss,
  classBalancedWeights,
  crossEntropyLoss,
  focalLoss,
  logitAdjustedLoss,
  softTargetCrossEntropyLoss,
  type LossResult,
  type Reduction,
} from '@dfer/losses';
import { expectClose, flat, gradOfSum, named, reference, tensorOf, useCpuBackend } from './reference';

beforeAll(useCpuBackend);

/** Runs a loss on the reference logits, checks value and gradient, and disposes everything. */
function checkAgainstReference(
  section: { logits: number[][]; labels: number[] },
  refCase: { loss: number | number[]; gradLogits: number[][] },
  run: (logits: tf.Tensor, labels: number[]) => LossResult,
): void {
  const logits = tensorOf(section.logits);
  const result = run(logits, section.labels);
  expectClose(result.loss, refCase.loss);
  const grad = gradOfSum((z) => run(z, section.labels).loss, logits);
  expectClose(grad, refCase.gradLogits);
  tf.dispose([logits, result, grad]);
}

describe('crossEntropyLoss against PyTorch F.cross_entropy', () => {
  const section = reference.crossEntropy;
  it.each(
    named(
      section.cases,
      (c) => `ε=${c.labelSmoothing} weights=${c.classWeights ? 'yes' : 'no'} ${c.reduction}`,
    ),
  )('%s (logits ±100, classes 5 and 6 absent)', (_name, c) => {
    checkAgainstReference(section, c, (logits, labels) =>
      crossEntropyLoss({
        logits,
        labels,
        labelSmoothing: c.labelSmoothing,
        classWeights: c.classWeights ?? undefined,
        reduction: c.reduction,
      }),
    );
  });

  it('returns the term ce equal to the total, and stays finite at logits ±100', () => {
    const logits = tensorOf(section.logits);
    const { loss, terms } = crossEntropyLoss({ logits, labels: section.labels });
    expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
    expect(terms.ce.dataSync()[0]).toBe(loss.dataSync()[0]);
    tf.dispose([logits, loss, terms.ce]);
  });

  it('accepts labels as an int32 tensor and as a typed array with the same result', () => {
    const logits = tensorOf(section.logits);
    const labelTensor = tf.tensor1d(section.labels, 'int32');
    const a = crossEntropyLoss({ logits, labels: labelTensor });
    const b = crossEntropyLoss({ logits, labels: Int32Array.from(section.labels) });
    expect(a.loss.dataSync()[0]).toBe(b.loss.dataSync()[0]);
    tf.dispose([logits, labelTensor, a, b]);
  });

  it('leaks no tensors and is deterministic', async () => {
    const logits = tensorOf(section.logits);
    const values = await expectNoTensorLeak(() => {
      const out: number[] = [];
      for (let i = 0; i < 2; i++) {
        const r = crossEntropyLoss({
          logits,
          labels: section.labels,
          labelSmoothing: 0.1,
          classWeights: [1, 2, 3, 4, 5, 6, 7],
        });
        out.push(r.loss.dataSync()[0] as number);
        tf.dispose(r);
      }
      const g = gradOfSum(
        (z) => crossEntropyLoss({ logits: z, labels: section.labels, labelSmoothing: 0.1 }).loss,
        logits,
      );
      g.dispose();
      return out;
    });
    expect(values[0]).toBe(values[1]);
    logits.dispose();
  });

  it('rejects bad inputs with messages naming the argument', () => {
    const logits = tf.zeros([2, 3]);
    expect(() => crossEntropyLoss({ logits, labels: [0, 3] })).toThrow(
      /labels\[1\] = 3 is not an integer class index in \[0, 3\)/,
    );
    expect(() => crossEntropyLoss({ logits, labels: [0, 1.5] })).toThrow(/labels\[1\] = 1.5/);
    expect(() => crossEntropyLoss({ logits, labels: [0] })).toThrow(
      /labels has 1 entries but the logits have batch size 2/,
    );
    expect(() => crossEntropyLoss({ logits: tf.zeros([6]), labels: [0] })).toThrow(/logits must have rank 2/);
    expect(() => crossEntropyLoss({ logits, labels: [0, 1], labelSmoothing: 1.5 })).toThrow(
      /labelSmoothing must be a number in \[0, 1\]/,
    );
    expect(() => crossEntropyLoss({ logits, labels: [0, 1], classWeights: [1, 2] })).toThrow(
      /classWeights has 2 entries, expected 3/,
    );
    expect(() => crossEntropyLoss({ logits, labels: [0, 1], classWeights: [1, -1, 1] })).toThrow(
      /classWeights\[1\] = -1/,
    );
    expect(() => crossEntropyLoss({ logits, labels: [0, 0], classWeights: [0, 1, 1] })).toThrow(
      /divides by 0/,
    );
    expect(() => crossEntropyLoss({ logits, labels: [0, 1], reduction: 'avg' as Reduction })).toThrow(
      /reduction must be one of 'mean', 'sum', 'none'/,
    );
    tf.dispose(logits);
  });
});

describe('focalLoss against a PyTorch implementation', () => {
  const section = reference.focal;
  it.each(named(section.cases, (c) => `γ=${c.gamma} α=${c.alpha ? 'per class' : '1'} ${c.reduction}`))(
    '%s',
    (_name, c) => {
      checkAgainstReference(section, c, (logits, labels) =>
        focalLoss({ logits, labels, gamma: c.gamma, alpha: c.alpha ?? undefined, reduction: c.reduction }),
      );
    },
  );

  it('equals cross-entropy at γ = 0 (closed form)', () => {
    const logits = tensorOf(section.logits);
    const f = focalLoss({ logits, labels: section.labels, gamma: 0 });
    const ce = crossEntropyLoss({ logits, labels: section.labels });
    expectClose(f.loss, ce.loss.dataSync()[0] as number, 1e-6, 1e-6);
    tf.dispose([logits, f, ce]);
  });

  it('leaks no tensors', async () => {
    const logits = tensorOf(section.logits);
    await expectNoTensorLeak(() => {
      tf.dispose(focalLoss({ logits, labels: section.labels, gamma: 0.5, alpha: 0.25 }));
      tf.dispose(gradOfSum((z) => focalLoss({ logits: z, labels: section.labels }).loss, logits));
    });
    logits.dispose();
  });

  it('rejects a negative γ and a short α', () => {
    const logits = tf.zeros([1, 3]);
    expect(() => focalLoss({ logits, labels: [0], gamma: -1 })).toThrow(
      /gamma must be a number in \[0, 100\]/,
    );
    expect(() => focalLoss({ logits, labels: [0], alpha: [1, 1] })).toThrow(
      /alpha has 2 entries, expected 3/,
    );
    logits.dispose();
  });
});

describe('classBalancedLoss against PyTorch (Cui et al. 2019)', () => {
  const section = reference.classBalanced;
  it.each(named(section.cases, (c) => `β=${c.beta} ${c.baseLoss} ${c.reduction}`))('%s', (_name, c) => {
    const weights = tf.tensor1d(classBalancedWeights(section.classCounts, c.beta));
    expectClose(weights, c.weights, 1e-6, 1e-5);
    weights.dispose();
    checkAgainstReference(section, c, (logits, labels) =>
      classBalancedLoss({
        logits,
        labels,
        classCounts: section.classCounts,
        beta: c.beta,
        baseLoss: c.baseLoss,
        gamma: c.gamma,
        reduction: c.reduction,
      }),
    );
  });

  it('weights are equal at β = 0 and sum to C', () => {
    expect(Array.from(classBalancedWeights([10, 100, 1000], 0))).toEqual([1, 1, 1]);
    const w = classBalancedWeights([10, 100, 1000], 0.99);
    expect(w.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(3, 5);
    expect(w[0]).toBeGreaterThan(w[1] as number);
  });

  it('rejects a class with zero samples and β = 1', () => {
    expect(() => classBalancedWeights([5, 0, 3], 0.9)).toThrow(
      /classCounts\[1\] = 0 must be a finite number ≥ 1/,
    );
    expect(() => classBalancedWeights([5, 1, 3], 1)).toThrow(/beta must be < 1/);
  });
});

describe('logitAdjustedLoss and balancedSoftmaxLoss against PyTorch', () => {
  const la = reference.logitAdjusted;
  it.each(named(la.cases, (c) => `τ=${c.tau} ${c.reduction}`))('logit-adjusted %s', (_name, c) => {
    checkAgainstReference(la, c, (logits, labels) =>
      logitAdjustedLoss({ logits, labels, classPriors: la.classPriors, tau: c.tau, reduction: c.reduction }),
    );
    checkAgainstReference(la, c, (logits, labels) =>
      logitAdjustedLoss({ logits, labels, classCounts: la.classCounts, tau: c.tau, reduction: c.reduction }),
    );
  });

  const bs = reference.balancedSoftmax;
  it.each(named(bs.cases, (c) => c.reduction))('balanced softmax %s', (_name, c) => {
    checkAgainstReference(bs, c, (logits, labels) =>
      balancedSoftmaxLoss({ logits, labels, classCounts: bs.classCounts, reduction: c.reduction }),
    );
  });

  it('leaks no tensors; needs exactly one of priors and counts', async () => {
    const logits = tensorOf(la.logits);
    await expectNoTensorLeak(() => {
      tf.dispose(logitAdjustedLoss({ logits, labels: la.labels, classCounts: la.classCounts }));
      tf.dispose(balancedSoftmaxLoss({ logits, labels: la.labels, classCounts: la.classCounts }));
    });
    expect(() => logitAdjustedLoss({ logits, labels: la.labels })).toThrow(
      /exactly one of classPriors or classCounts/,
    );
    expect(() =>
      balancedSoftmaxLoss({ logits, labels: la.labels, classCounts: [1, 2, 3, 4, 5, 6, 0] }),
    ).toThrow(/classCounts\[6\] = 0 must be a finite number > 0/);
    logits.dispose();
  });
});

describe('softTargetCrossEntropyLoss against PyTorch F.cross_entropy with probability targets', () => {
  const section = reference.softTargetCrossEntropy;
  it.each(named(section.cases, (c) => c.reduction))('mixup-style targets, %s', (_name, c) => {
    const logits = tensorOf(section.logits);
    const run = (z: tf.Tensor) =>
      softTargetCrossEntropyLoss({ logits: z, targets: flat(section.targets), reduction: c.reduction });
    const result = run(logits);
    expectClose(result.loss, c.loss);
    const grad = gradOfSum((z) => run(z).loss, logits);
    expectClose(grad, c.gradLogits);
    tf.dispose([logits, result, grad]);
  });

  it('equals crossEntropyLoss for one-hot targets, leaks nothing, and rejects rows not summing to 1', async () => {
    const logits = tensorOf(reference.crossEntropy.logits);
    const oneHot = tf.oneHot(tf.tensor1d(reference.crossEntropy.labels, 'int32'), 7);
    await expectNoTensorLeak(() => {
      const soft = softTargetCrossEntropyLoss({ logits, targets: oneHot });
      const hard = crossEntropyLoss({ logits, labels: reference.crossEntropy.labels });
      expectClose(soft.loss, hard.loss.dataSync()[0] as number, 1e-6, 1e-6);
      tf.dispose([soft, hard]);
    });
    const bad = Array.from(oneHot.dataSync());
    bad[7 * 3 + 1] = 0.5;
    expect(() => softTargetCrossEntropyLoss({ logits, targets: bad })).toThrow(
      /targets row 3 sums to 0.5; class probabilities must sum to 1/,
    );
    tf.dispose([logits, oneHot]);
  });
});
