import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { expectNoTensorLeak } from '@dfer/test-utils';
import {
  analyseClipAgreement,
  clipAgreementScores,
  createClipAgreement,
  createRobustWeighting,
  listRobustWeightings,
  SAMPLE_PARTITION,
  sampleWeightedCrossEntropyLoss,
  scoreNoisyDetection,
  softmaxClipLogits,
  type ClipAgreementConfig,
  type ClipPredictionShape,
} from '@dfer/losses';
import { useCpuBackend } from './reference';

beforeAll(useCpuBackend);

interface Fixture {
  shape: ClipPredictionShape;
  logits: number[];
  probs: number[];
  argmax: number[];
  entropy: number[];
  cosine: number[];
  meanProbs: number[];
  predicted: number[];
  labels: number[];
  sampleWeights: number[];
  weightedCeNone: number[];
  weightedCeMean: number;
}

/** numpy reference values, made by fixtures/robust/make_clip_agreement_fixture.py. */
const fixture = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'robust', 'clip-agreement.json'), 'utf8'),
) as Fixture;

function expectAllClose(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs((actual[i] as number) - (expected[i] as number))).toBeLessThan(tol);
  }
}

/** `[N, K, C]` probabilities from per-clip rows. */
function probsOf(rows: number[][][]): { probs: Float32Array; shape: ClipPredictionShape } {
  const shape = { samples: rows.length, clips: rows[0]!.length, classes: rows[0]![0]!.length };
  return { probs: Float32Array.from(rows.flat(2)), shape };
}

const E = 0.94; // a confident clip
const e = 0.02; // the remaining mass per class with C = 4

function confident(c: number): number[] {
  return [0, 1, 2, 3].map((j) => (j === c ? E : e));
}

describe('clip agreement scores (numpy reference)', () => {
  it('softmaxClipLogits equals the numpy softmax', () => {
    expectAllClose(softmaxClipLogits(fixture.logits, fixture.shape), fixture.probs, 1e-6);
  });

  it('argmax, entropy and cosine agreement, mean prediction and predicted class', () => {
    const s = clipAgreementScores(fixture.probs, fixture.shape);
    expectAllClose(s.argmax, fixture.argmax);
    expectAllClose(s.entropy, fixture.entropy);
    expectAllClose(s.cosine, fixture.cosine);
    expectAllClose(s.meanProbs, fixture.meanProbs);
    expect(Array.from(s.predicted)).toEqual(fixture.predicted);
  });

  it('hand-computed extremes: identical one-hot clips agree fully, opposite clips not at all', () => {
    const { probs, shape } = probsOf([
      [
        [1, 0],
        [1, 0],
      ],
      [
        [1, 0],
        [0, 1],
      ],
    ]);
    const s = clipAgreementScores(probs, shape);
    expect(Array.from(s.argmax)).toEqual([1, 0]);
    expect(Array.from(s.entropy)).toEqual([1, 0]); // H([1, 0]) = 0; H([.5, .5]) = ln 2
    expect(Array.from(s.cosine)).toEqual([1, 0]);
  });

  it('hand-computed K = 3: argmaxes (0, 0, 1) agree on 1 of 3 pairs', () => {
    const { probs, shape } = probsOf([
      [
        [0.7, 0.3],
        [0.6, 0.4],
        [0.2, 0.8],
      ],
    ]);
    const s = clipAgreementScores(probs, shape);
    expect(s.argmax[0]).toBeCloseTo(1 / 3, 6);
    // p̄ = [0.5, 0.5] → H = ln 2 → A_entropy = 0.
    expect(s.entropy[0]).toBeCloseTo(0, 6);
  });

  it('rejects a wrong length, non-probabilities and a bad shape, naming them', () => {
    expect(() => clipAgreementScores(new Float32Array(7), { samples: 1, clips: 2, classes: 4 })).toThrow(
      /probs has 7 values but \[N=1, K=2, C=4\] needs 8/,
    );
    expect(() => clipAgreementScores([0.5, 0.6, 0.5, 0.5], { samples: 1, clips: 2, classes: 2 })).toThrow(
      /sample 0, clip 0 sum to 1\.1/,
    );
    expect(() => clipAgreementScores([1, 0], { samples: 1, clips: 1, classes: 1 })).toThrow(
      /shape\.classes must be an integer ≥ 2/,
    );
    expect(() => softmaxClipLogits([0, NaN], { samples: 1, clips: 1, classes: 2 })).toThrow(
      /logits\[1\] = NaN is not finite/,
    );
  });
});

describe('analyseClipAgreement partition and weights (constructed predictions)', () => {
  // Sample 0: 4 clips confidently on the label 1 → easy.
  // Sample 1: clips spread over 4 classes → hard.
  // Sample 2: 4 clips confidently on class 3, label 0 → likely noisy.
  // Sample 3: clips agree on class 2 but only weakly over the label 1 (margin < 0.5) → hard.
  const rows = [
    [confident(1), confident(1), confident(1), confident(1)],
    [confident(0), confident(1), confident(2), confident(3)],
    [confident(3), confident(3), confident(3), confident(3)],
    Array.from({ length: 4 }, () => [0.05, 0.4, 0.5, 0.05]),
  ];
  const labels = [1, 2, 0, 1];
  const { probs, shape } = probsOf(rows);

  it('partitions easy / hard / noisy as documented', () => {
    const r = analyseClipAgreement(probs, labels, shape, { measure: 'argmax', epoch: 10 });
    expect(Array.from(r.partition)).toEqual([
      SAMPLE_PARTITION.easy,
      SAMPLE_PARTITION.hard,
      SAMPLE_PARTITION.noisy,
      SAMPLE_PARTITION.hard,
    ]);
    expect(r.counts).toEqual({ easy: 1, hard: 2, noisy: 1, relabelled: 0 });
    expect(r.active).toBe(true);
    // margin p̄_ŷ − p̄_y: sample 2 → 0.94 − 0.02; sample 3 → 0.5 − 0.4.
    expect(r.margin[2]).toBeCloseTo(0.92, 6);
    expect(r.margin[3]).toBeCloseTo(0.1, 6);
  });

  it('weights: easy 1, hard 1 + γ(1 − a), noisy = noisyWeight', () => {
    const r = analyseClipAgreement(probs, labels, shape, {
      measure: 'argmax',
      hardGamma: 2,
      noisyWeight: 0.25,
      epoch: 5,
      warmupEpochs: 5,
    });
    // Sample 1: argmax agreement 0 → w = 1 + 2·1 = 3. Sample 3: agreement 1 → w = 1.
    expect(Array.from(r.weights)).toEqual([1, 3, 0.25, 1]);
    expect(Array.from(r.relabel)).toEqual(labels);
  });

  it('entropy measure: weight 1 + γ(1 − A_entropy) for the hard sample', () => {
    const r = analyseClipAgreement(probs, labels, shape, { measure: 'entropy', epoch: 5 });
    const a = r.entropy[1] as number;
    // p̄ of sample 1 is uniform (each class once at 0.94, thrice at 0.02) → A_entropy = 0.
    expect(a).toBeCloseTo(0, 6);
    expect(r.weights[1]).toBeCloseTo(1 + (1 - a), 6);
    expect(r.agreement).toBe(r.entropy);
  });

  it('default measure (cosine): same partition; hard weight 1 + (1 − A_cos)', () => {
    const r = analyseClipAgreement(probs, labels, shape, { epoch: 5 });
    expect(r.agreement).toBe(r.cosine);
    expect(Array.from(r.partition)).toEqual([0, 1, 2, 1]);
    // Sample 1: each clip pair is confident on different classes: cos = (2·E·e + 2·e²)/(E² + 3·e²).
    const cos = (2 * E * e + 2 * e * e) / (E * E + 3 * e * e);
    expect(r.cosine[1]).toBeCloseTo(cos, 5);
    expect(r.weights[1]).toBeCloseTo(1 + (1 - cos), 5);
  });

  it('relabel: the likely-noisy sample is trained on ŷ with weight 1 after warm-up', () => {
    const r = analyseClipAgreement(probs, labels, shape, { noisyTreatment: 'relabel', epoch: 5 });
    expect(Array.from(r.relabel)).toEqual([1, 2, 3, 1]);
    expect(r.weights[2]).toBe(1);
    expect(r.counts.relabelled).toBe(1);
  });

  it('warm-up: partition reported, weights all 1, nothing relabelled', () => {
    const r = analyseClipAgreement(probs, labels, shape, { noisyTreatment: 'relabel', epoch: 4 });
    expect(r.active).toBe(false);
    expect(Array.from(r.weights)).toEqual([1, 1, 1, 1]);
    expect(Array.from(r.relabel)).toEqual(labels);
    expect(r.counts.noisy).toBe(1);
    expect(r.counts.relabelled).toBe(0);
  });

  it('a confident noisy-looking sample stays hard when its agreement is below noisyAbove', () => {
    const mixed = probsOf([[confident(3), confident(3), confident(3), confident(0)]]);
    const r = analyseClipAgreement(mixed.probs, [0], mixed.shape, { measure: 'argmax', epoch: 9 });
    // argmax agreement 3/6 = 0.5 < noisyAbove 0.7 → not noisy; ŷ ≠ y → hard.
    expect(r.agreement[0]).toBeCloseTo(0.5, 6);
    expect(r.partition[0]).toBe(SAMPLE_PARTITION.hard);
    expect(r.weights[0]).toBeCloseTo(1.5, 6);
  });

  it('rejects bad labels and options with the name and the valid values', () => {
    expect(() => analyseClipAgreement(probs, [1, 2, 4, 1], shape)).toThrow(
      /labels\[2\] = 4 is not an integer class index in \[0, 4\)/,
    );
    expect(() => analyseClipAgreement(probs, [1, 2], shape)).toThrow(/labels has 2 entries, expected N = 4/);
    expect(() => analyseClipAgreement(probs, labels, shape, { measure: 'votes' as 'argmax' })).toThrow(
      /measure must be one of 'argmax', 'entropy', 'cosine', got 'votes'/,
    );
    expect(() => analyseClipAgreement(probs, labels, shape, { hardBelow: 0.9, noisyAbove: 0.5 })).toThrow(
      /noisyAbove \(0\.5\) must be ≥ hardBelow \(0\.9\)/,
    );
    expect(() =>
      analyseClipAgreement(probs, labels, shape, { gamma: 2 } as unknown as { hardGamma: number }),
    ).toThrow(/unknown option 'gamma'; valid options: measure, hardBelow/);
  });
});

describe('createClipAgreement / createRobustWeighting', () => {
  it('fills defaults without changing the caller config, and analyses [N, K, C]', () => {
    const config: ClipAgreementConfig = { type: 'clip_agreement', noisyTreatment: 'relabel' };
    const weighting = createClipAgreement(config);
    expect(config).toEqual({ type: 'clip_agreement', noisyTreatment: 'relabel' });
    expect(weighting.clips).toBe(4);
    expect(weighting.config).toMatchObject({
      measure: 'cosine',
      warmupEpochs: 5,
      noisyTreatment: 'relabel',
    });
    const r = weighting.analyse(fixture.probs.slice(0, 2 * 4 * 5), [2, 0], 5, { epoch: 0 });
    expect(r.partition[0]).toBe(SAMPLE_PARTITION.easy);
    expect(r.agreement.length).toBe(2);
  });

  it('lists its types and rejects unknown types and options, listing the valid ones', () => {
    expect(listRobustWeightings()).toEqual(['clip_agreement']);
    expect(createRobustWeighting({ type: 'clip_agreement', clips: 2 }).clips).toBe(2);
    expect(() => createRobustWeighting({ type: 'coteaching' } as unknown as ClipAgreementConfig)).toThrow(
      /unknown robust weighting type 'coteaching'; valid: clip_agreement/,
    );
    expect(() =>
      createClipAgreement({ type: 'clip_agreement', clip: 4 } as unknown as ClipAgreementConfig),
    ).toThrow(/unknown option 'clip'; valid options: type, clips, measure/);
    expect(() => createClipAgreement({ type: 'clip_agreement', clips: 1 })).toThrow(
      /clips must be an integer ≥ 2/,
    );
    expect(() =>
      createClipAgreement({ type: 'clip_agreement', noisyTreatment: 'drop' as 'relabel' }),
    ).toThrow(/noisyTreatment must be one of 'downweight', 'relabel'/);
  });
});

describe('scoreNoisyDetection', () => {
  it('counts TP / FP / FN by hand', () => {
    // true   0 1 2 3 0 1
    // seen   0 2 2 0 0 1   → noisy: 1, 3
    // flag   - N N - - N   → TP 1 (idx 1), FP 2 (idx 2, 5), FN 1 (idx 3)
    const p = SAMPLE_PARTITION;
    const s = scoreNoisyDetection({
      flagged: Uint8Array.from([p.easy, p.noisy, p.noisy, p.hard, p.easy, p.noisy]),
      observedLabels: [0, 2, 2, 0, 0, 1],
      trueLabels: [0, 1, 2, 3, 0, 1],
    });
    expect(s).toMatchObject({ truePositives: 1, falsePositives: 2, falseNegatives: 1, flagged: 3, noisy: 2 });
    expect(s.precision).toBeCloseTo(1 / 3, 9);
    expect(s.recall).toBeCloseTo(1 / 2, 9);
    expect(s.f1).toBeCloseTo((2 * (1 / 3) * 0.5) / (1 / 3 + 0.5), 9);
  });

  it('returns null ratios when undefined and reads booleans', () => {
    const s = scoreNoisyDetection({ flagged: [false, false], observedLabels: [0, 1], trueLabels: [0, 1] });
    expect(s.precision).toBeNull();
    expect(s.recall).toBeNull();
    expect(s.f1).toBeNull();
    expect(() =>
      scoreNoisyDetection({ flagged: [true], observedLabels: [0, 1], trueLabels: [0, 1] }),
    ).toThrow(/flagged has 1 entries, expected 2 like trueLabels/);
  });
});

describe('sampleWeightedCrossEntropyLoss', () => {
  const n = fixture.shape.samples;
  const c = fixture.shape.classes;
  const clip0 = (): tf.Tensor =>
    tf.tensor2d(
      Array.from({ length: n }, (_, b) => fixture.logits.slice(b * 4 * c, b * 4 * c + c)),
      [n, c],
    );

  it('equals v_b · CE_b (numpy), mean divides by B', () => {
    const logits = clip0();
    const none = sampleWeightedCrossEntropyLoss({
      logits,
      labels: fixture.labels,
      sampleWeights: fixture.sampleWeights,
      reduction: 'none',
    });
    expectAllClose(none.loss.dataSync(), fixture.weightedCeNone);
    const mean = sampleWeightedCrossEntropyLoss({
      logits,
      labels: fixture.labels,
      sampleWeights: fixture.sampleWeights,
    });
    expect(Math.abs((mean.loss.dataSync()[0] as number) - fixture.weightedCeMean)).toBeLessThan(1e-5);
    tf.dispose([logits, none, mean]);
  });

  it('gradient of a zero-weight sample is zero; no tensor leak', async () => {
    const logits = clip0();
    await expectNoTensorLeak(() => {
      const grad = tf.grad(
        (z: tf.Tensor) =>
          sampleWeightedCrossEntropyLoss({
            logits: z,
            labels: fixture.labels,
            sampleWeights: fixture.sampleWeights,
          }).loss,
      )(logits);
      const g = grad.arraySync() as number[][];
      expect(g[3]!.every((v) => v === 0)).toBe(true);
      expect(g[0]!.some((v) => v !== 0)).toBe(true);
      grad.dispose();
    });
    logits.dispose();
  });

  it('rejects negative weights and a wrong count', () => {
    const logits = clip0();
    expect(() =>
      sampleWeightedCrossEntropyLoss({ logits, labels: fixture.labels, sampleWeights: [1, 1, 1, 1, 1, -1] }),
    ).toThrow(/sampleWeights\[5\] = -1 must be a finite number ≥ 0/);
    expect(() =>
      sampleWeightedCrossEntropyLoss({ logits, labels: fixture.labels, sampleWeights: [1] }),
    ).toThrow(/sampleWeights has 1 entries, expected 6/);
    logits.dispose();
  });
});
