// The README's clip-agreement example, run as written, so the documentation stays true.
import * as tf from '@tensorflow/tfjs-core';
import {
  createClipAgreement,
  SAMPLE_PARTITION,
  sampleWeightedCrossEntropyLoss,
  scoreNoisyDetection,
  softmaxClipLogits,
} from '@dfer/losses';
import { expectNoTensorLeak } from '@dfer/test-utils';
import { useCpuBackend } from './reference';

beforeAll(useCpuBackend);

it('README: robust training with clip agreement', async () => {
  await expectNoTensorLeak(() => {
    const weighting = createClipAgreement({ type: 'clip_agreement', clips: 2, noisyTreatment: 'relabel' });
    const numClasses = 3;
    const clipLogits = [4, 0, 0, 4, 0, 0, /* video 1 */ 0, 0, 5, 0, 0, 5];
    const labels = [0, 1];
    const probs = softmaxClipLogits(clipLogits, { samples: 2, clips: 2, classes: numClasses });
    const analysis = weighting.analyse(probs, labels, numClasses, { epoch: 10 });
    expect(Array.from(analysis.partition)).toEqual([SAMPLE_PARTITION.easy, SAMPLE_PARTITION.noisy]);
    expect(Array.from(analysis.relabel)).toEqual([0, 2]);
    expect(Array.from(analysis.weights)).toEqual([1, 1]);

    const logits = tf.tensor2d([4, 0, 0, 0, 0, 5], [2, numClasses]);
    const result = sampleWeightedCrossEntropyLoss({
      logits,
      labels: analysis.relabel,
      sampleWeights: analysis.weights,
    });
    // CE of [4, 0, 0] at 0 and [0, 0, 5] at 2, averaged: both −log softmax, computed by hand.
    const ce = (z: number[], y: number): number =>
      -(z[y] as number) + Math.log(z.reduce((s, v) => s + Math.exp(v), 0));
    expect(result.loss.dataSync()[0]).toBeCloseTo((ce([4, 0, 0], 0) + ce([0, 0, 5], 2)) / 2, 5);

    const score = scoreNoisyDetection({
      flagged: analysis.partition,
      observedLabels: labels,
      trueLabels: [0, 2],
    });
    expect(score.precision).toBe(1);
    expect(score.recall).toBe(1);
    tf.dispose([logits, result]);
  });
});
