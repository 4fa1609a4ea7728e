import { createSeededRng } from '@dfer/test-utils';
import type { ClipDataset } from '@dfer/datasets';
import { createExperimentData, holdoutSplit, kFoldSplits } from '../src';
import { shuffled } from '../src/protocols/splits';

const labels = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 3];

function expectPartition(parts: number[][], n: number): void {
  const all = parts.flat().sort((a, b) => a - b);
  expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
}

describe('holdoutSplit', () => {
  it('stratifies by label: round(f·n_c), at least one for classes with ≥ 2 samples, none for singletons', () => {
    const { train, validation } = holdoutSplit({ fraction: 0.2, labels, random: createSeededRng(1).next });
    expectPartition([train, validation], labels.length);
    const count = (c: number) => validation.filter((i) => labels[i] === c).length;
    // class 0: round(0.2·10) = 2; class 1: round(0.2·5) = 1; class 2: max(1, round(0.4)) = 1; class 3: 0
    expect([count(0), count(1), count(2), count(3)]).toEqual([2, 1, 1, 0]);
  });

  it('is seeded', () => {
    const a = holdoutSplit({ fraction: 0.3, labels, random: createSeededRng(5).next });
    const b = holdoutSplit({ fraction: 0.3, labels, random: createSeededRng(5).next });
    const c = holdoutSplit({ fraction: 0.3, labels, random: createSeededRng(6).next });
    expect(a).toEqual(b);
    expect(a.validation).not.toEqual(c.validation);
  });

  it('keeps identities on one side', () => {
    const groups = labels.map((_, i) => `id${i % 6}`);
    const { train, validation } = holdoutSplit({
      fraction: 0.34,
      labels,
      groups,
      random: createSeededRng(2).next,
    });
    expectPartition([train, validation], labels.length);
    const valIds = new Set(validation.map((i) => groups[i]));
    expect(train.some((i) => valIds.has(groups[i]))).toBe(false);
    expect(validation.length).toBeLessThanOrEqual(0.34 * labels.length);
    expect(validation.length).toBeGreaterThan(0);
  });

  it('rejects bad arguments', () => {
    expect(() => holdoutSplit({ fraction: 1, labels, random: Math.random })).toThrow(
      /fraction = 1: expected a number in \(0, 1\)/,
    );
    expect(() => holdoutSplit({ fraction: 0.1, labels, groups: ['a'], random: Math.random })).toThrow(
      /groups has 1 entries/,
    );
  });
});

describe('kFoldSplits', () => {
  it('stratified folds partition the data and spread every class', () => {
    const folds = kFoldSplits({ folds: 5, labels, random: createSeededRng(3).next });
    expect(folds).toHaveLength(5);
    expectPartition(
      folds.map((f) => f.test),
      labels.length,
    );
    for (const f of folds) {
      expectPartition([f.train, f.test], labels.length);
      // class 0 has 10 samples → exactly 2 per fold
      expect(f.test.filter((i) => labels[i] === 0)).toHaveLength(2);
    }
  });

  it('shuffled is a seeded permutation', () => {
    const a = shuffled([1, 2, 3, 4, 5], createSeededRng(9).next);
    expect(a.slice().sort()).toEqual([1, 2, 3, 4, 5]);
    expect(shuffled([1, 2, 3, 4, 5], createSeededRng(9).next)).toEqual(a);
  });
});

describe('synthetic_dfer data node with labelNoise', () => {
  const options = { numClips: 60, numIdentities: 10, size: [16, 16], numFrames: [16, 16] };
  const ids = (d: ClipDataset): string[] => Array.from({ length: d.length }, (_, i) => d.record(i).id);
  const labelsOf = (d: ClipDataset): number[] =>
    Array.from({ length: d.length }, (_, i) => d.record(i).label);

  it('corrupts training labels only: the test split keeps the true labels and the same clips', () => {
    const context = { seed: 3, protocol: 'kfold', fold: 1, folds: 5 } as const;
    const noisyNode = { type: 'synthetic_dfer', ...options, labelNoise: { rate: 0.4 } };
    const noisy = createExperimentData(noisyNode, context);
    const clean = createExperimentData({ type: 'synthetic_dfer', ...options }, context);
    expect(ids(noisy.train)).toEqual(ids(clean.train));
    expect(ids(noisy.test)).toEqual(ids(clean.test));
    expect(labelsOf(noisy.test)).toEqual(labelsOf(clean.test));
    // round(0.4 · 60) = 24 wrong labels over the whole set; the 48 training clips hold theirs
    const wrong = labelsOf(noisy.train).filter((y, i) => y !== labelsOf(clean.train)[i]).length;
    expect(wrong).toBeGreaterThan(0.2 * noisy.train.length);
    expect(wrong).toBeLessThanOrEqual(24);
    expect(noisy.description).toContain('training labels with 40 % symmetric noise, clean test labels');
  });
});
