import * as tf from '@tensorflow/tfjs-core';
import { checkGradients } from '@dfer/runtime';
import { createSeededRng, expectNoTensorLeak } from '@dfer/test-utils';
import {
  auDferLoss,
  auDiceLoss,
  balancedSoftmaxLoss,
  classBalancedLoss,
  crossEntropyLoss,
  focalLoss,
  logitAdjustedLoss,
  softTargetCrossEntropyLoss,
  weightedAsymmetricLoss,
  weightedBceLoss,
  type Reduction,
} from '@dfer/losses';
import { useCpuBackend } from './reference';

beforeAll(useCpuBackend);

// Small O(1) inputs: central differences in float32 (eps 1e-3) are accurate to about 1e-4 here.
const B = 4;
const C = 5;
const A = 6;
const rng = createSeededRng(42);
const exprValues = rng.uniformArray(B * C, -2, 2);
const auValues = rng.uniformArray(B * A, -2, 2);
const labels = [0, 3, 3, 1]; // classes 2 and 4 absent
const auTargets = Uint8Array.from({ length: B * A }, (_, i) => (i % 3 === 0 ? 1 : 0));
auTargets.fill(0, A, 2 * A); // sample 1 has no AU present
const prior = rng.uniformArray(C * A, 0.11, 0.89);
const posPerExpression = rng.uniformArray(C * A, 0.5, 6);
const counts = [50, 400, 20, 1000, 5];
const mixedTargets = labels.flatMap((y, b) =>
  Array.from({ length: C }, (_, c) => (c === y ? 0.6 : 0) + (c === labels[(b + 1) % B] ? 0.4 : 0)),
);

const expressionLosses: [string, (z: tf.Tensor, reduction: Reduction) => tf.Tensor][] = [
  [
    'soft-target cross-entropy',
    (z, reduction) => softTargetCrossEntropyLoss({ logits: z, targets: mixedTargets, reduction }).loss,
  ],
  ['cross-entropy', (z, reduction) => crossEntropyLoss({ logits: z, labels, reduction }).loss],
  [
    'cross-entropy, ε 0.1 + class weights',
    (z, reduction) =>
      crossEntropyLoss({ logits: z, labels, labelSmoothing: 0.1, classWeights: [1, 2, 0.5, 3, 1], reduction })
        .loss,
  ],
  [
    'focal γ 2, α per class',
    (z, reduction) => focalLoss({ logits: z, labels, alpha: [0.2, 0.4, 0.6, 0.8, 1], reduction }).loss,
  ],
  ['focal γ 0.5', (z, reduction) => focalLoss({ logits: z, labels, gamma: 0.5, reduction }).loss],
  [
    'class-balanced softmax',
    (z, reduction) =>
      classBalancedLoss({ logits: z, labels, classCounts: counts, beta: 0.99, reduction }).loss,
  ],
  [
    'class-balanced focal',
    (z, reduction) =>
      classBalancedLoss({ logits: z, labels, classCounts: counts, baseLoss: 'focal', reduction }).loss,
  ],
  [
    'logit-adjusted τ 1.5',
    (z, reduction) => logitAdjustedLoss({ logits: z, labels, classCounts: counts, tau: 1.5, reduction }).loss,
  ],
  [
    'balanced softmax',
    (z, reduction) => balancedSoftmaxLoss({ logits: z, labels, classCounts: counts, reduction }).loss,
  ],
];

const auLosses: [string, (z: tf.Tensor, reduction: Reduction) => tf.Tensor][] = [
  [
    'weighted BCE + pos-weight',
    (z, reduction) =>
      weightedBceLoss({
        logits: z,
        targets: auTargets,
        classWeights: [1, 2, 1, 0.5, 3, 1],
        posWeight: [2, 2, 3, 1, 1, 4],
        reduction,
      }).loss,
  ],
  [
    'weighted BCE + Dice',
    (z, reduction) =>
      weightedBceLoss({
        logits: z,
        targets: auTargets,
        dice: { weight: 0.7 },
        reduction: reduction === 'none' ? 'sum' : reduction,
      }).loss,
  ],
  [
    'Dice alone',
    (z, reduction) => auDiceLoss({ logits: z, targets: auTargets, smooth: 0.5, reduction }).loss,
  ],
];

describe('gradients match central finite differences (checkGradients from @dfer/runtime)', () => {
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    it.each(expressionLosses)(`%s (${reduction})`, (_name, loss) => {
      const logits = tf.tensor2d(exprValues, [B, C]);
      const report = checkGradients((z) => loss(z, reduction), [logits]);
      expect(report.checked).toBe(B * C);
      expect(report.mismatches).toEqual([]);
      logits.dispose();
    });
    it.each(auLosses)(`%s (${reduction})`, (_name, loss) => {
      const logits = tf.tensor2d(auValues, [B, A]);
      const report = checkGradients((z) => loss(z, reduction), [logits]);
      expect(report.checked).toBe(B * A);
      logits.dispose();
    });
  }

  it.each(['mean', 'sum', 'none'] as const)(
    'AU-DFER, per-expression pos-weights, ε 0.1 (%s): both logit inputs',
    (reduction) => {
      const exprLogits = tf.tensor2d(exprValues, [B, C]);
      const auLogits = tf.tensor2d(auValues, [B, A]);
      const report = checkGradients(
        (ze, za) =>
          auDferLoss({
            exprLogits: ze as tf.Tensor,
            auLogits: za as tf.Tensor,
            labels,
            auTargets,
            prior,
            posWeight: posPerExpression,
            labelSmoothing: 0.1,
            reduction,
          }).loss,
        [exprLogits, auLogits],
      );
      expect(report.checked).toBe(B * C + B * A);
      tf.dispose([exprLogits, auLogits]);
    },
  );

  it('weighted asymmetric loss with only positive targets (no stop-gradient term)', () => {
    // With negatives present the analytic gradient deliberately differs from finite differences
    // (sg(p) is held constant); that part is checked against PyTorch's detach() in au-detection.test.ts.
    const logits = tf.tensor2d(auValues, [B, A]);
    const report = checkGradients(
      (z) =>
        weightedAsymmetricLoss({
          logits: z,
          targets: new Uint8Array(B * A).fill(1),
          classWeights: [1, 2, 1, 0.5, 3, 1],
        }).loss,
      [logits],
    );
    expect(report.checked).toBe(B * A);
    logits.dispose();
  });

  it('finite differences disagree with the asymmetric loss where sg(p) matters (the check can fail)', () => {
    const logits = tf.tensor2d(auValues, [B, A]);
    expect(() =>
      checkGradients((z) => weightedAsymmetricLoss({ logits: z, targets: auTargets }).loss, [logits]),
    ).toThrow(/differ from central finite differences/);
    logits.dispose();
  });

  it('the gradient checks leak no tensors', async () => {
    const logits = tf.tensor2d(exprValues, [B, C]);
    await expectNoTensorLeak(() => {
      checkGradients((z) => focalLoss({ logits: z, labels, gamma: 0.5 }).loss, [logits]);
    });
    logits.dispose();
  });
});
