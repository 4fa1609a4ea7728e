// The README's code blocks, run as written (output printing removed), so the documentation stays true.
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '@dfer/runtime';
import { posWeights, priorMatrix } from '@dfer/au-knowledge';
import { auDferLoss, createLoss, listLosses } from '@dfer/losses';
import { expectNoTensorLeak } from '@dfer/test-utils';

describe('README examples', () => {
  it('the AU-DFER loss in your own training step', async () => {
    await initEngine({ backend: 'cpu', log: false });
    await expectNoTensorLeak(() => {
      const prior = priorMatrix({ source: 'dfew', labels: 'dfew', aus: 'openface18' });
      const trainLabels = [0, 1, 2, 3, 4, 5, 6, 0];
      const trainAus = trainLabels.map((_, i) =>
        Uint8Array.from({ length: 18 }, (_, j) => ((i + j) % 3 === 0 ? 1 : 0)),
      );
      const posWeight = posWeights(trainAus, trainLabels, { mode: 'global', labels: 'dfew' });
      const exprLogits = tf.tidy(() => tf.variable(tf.randomNormal([2, 7], 0, 1, 'float32', 1)));
      const auLogits = tf.tidy(() => tf.variable(tf.randomNormal([2, 18], 0, 1, 'float32', 2)));
      const { value, grads } = tf.variableGrads(
        () =>
          auDferLoss({
            exprLogits,
            auLogits,
            labels: [0, 5],
            auTargets: new Uint8Array(2 * 18),
            prior,
            posWeight,
            lambda: 0.25,
            labelSmoothing: 0.1,
          }).loss as tf.Scalar,
      );
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      expect(Object.keys(grads)).toHaveLength(2);
      tf.dispose([value, grads, exprLogits, auLogits]);
    });
  });

  it('losses from config nodes', async () => {
    await expectNoTensorLeak(() => {
      expect(listLosses()).toEqual([
        'au_dfer',
        'au_dice',
        'au_weighted_asymmetric',
        'au_weighted_bce',
        'balanced_softmax',
        'class_balanced',
        'cross_entropy',
        'focal',
        'logit_adjusted',
        'soft_target_cross_entropy',
      ]);
      const exprLabels = [0, 1, 2, 3, 4, 5, 6, 0];
      const auTargets = exprLabels.map((_, i) =>
        Uint8Array.from({ length: 18 }, (_, j) => ((i + j) % 3 === 0 ? 1 : 0)),
      );
      const loss = createLoss(
        { type: 'au_dfer', lambda: 0.25, posWeight: 'global' },
        { labels: 'dfew', aus: 'openface18', training: { exprLabels, auTargets } },
      );
      expect(loss.config).toMatchObject({ lambda: 0.25, scale: 5, posWeight: 'global', prior: 'dfew' });
      const inputs = {
        logits: tf.zeros([2, 7]),
        labels: [0, 5],
        auLogits: tf.zeros([2, 18]),
        auTargets: new Uint8Array(2 * 18),
      };
      const result = loss.compute(inputs);
      expect(Object.keys(result.terms)).toEqual(['ce', 'au']);
      expect(Number.isFinite(result.loss.dataSync()[0])).toBe(true);
      tf.dispose([result, inputs.logits, inputs.auLogits]);
    });
  });
});
