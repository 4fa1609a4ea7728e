import type { ClipDataset } from '@dfer/datasets';
import { createIdentityFolds, createSyntheticFacsDataset } from '@dfer/datasets/synthetic';

describe('createIdentityFolds', () => {
  const ds = createSyntheticFacsDataset({ seed: 1, numClips: 103, numIdentities: 17 });

  it('k folds: identity-disjoint, every clip tested exactly once, balanced sizes', () => {
    const folds = createIdentityFolds(ds, 5, { seed: 3 });
    expect(folds).toHaveLength(5);
    const tested = new Array<number>(ds.length).fill(0);
    for (const f of folds) {
      const trainSubjects = new Set(f.train.map((i) => ds.record(i).subject));
      const testSubjects = new Set(f.test.map((i) => ds.record(i).subject));
      for (const s of testSubjects) expect(trainSubjects.has(s)).toBe(false);
      expect([...testSubjects].sort()).toEqual(f.testSubjects);
      expect(f.train.length + f.test.length).toBe(ds.length);
      f.test.forEach((i) => (tested[i] = (tested[i] as number) + 1));
    }
    expect(tested.every((c) => c === 1)).toBe(true);
    // 17 identities of 6–7 clips: greedy balancing keeps folds within one identity's size.
    const sizes = folds.map((f) => f.test.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(7);
  });

  it('is seeded', () => {
    expect(createIdentityFolds(ds, 3, { seed: 1 })).toEqual(createIdentityFolds(ds, 3, { seed: 1 }));
    expect(createIdentityFolds(ds, 3, { seed: 1 })).not.toEqual(createIdentityFolds(ds, 3, { seed: 2 }));
  });

  it('names what is wrong', () => {
    expect(() => createIdentityFolds(ds, 18)).toThrow(/k must be an integer in \[2, 17\]/);
    const noSubject: ClipDataset = {
      length: 1,
      labelNames: ['a'],
      record: () => ({ id: 'clip-1', numFrames: 3, label: 0 }),
      get: () => Promise.reject(new Error('unused')),
    };
    expect(() => createIdentityFolds(noSubject, 2)).toThrow(/record 0 \(clip-1\) has no subject/);
  });
});
