/**
 * Identity-disjoint splits: no person appears on both sides, so a model cannot pass a test by
 * recognising faces it was trained on.
 */
import type { ClipDataset } from '../clip-dataset';
import { createRandomSource, shuffledIndices } from '../random';

/** One fold: clip indices to train and to test on. */
export interface IdentityFold {
  readonly train: readonly number[];
  readonly test: readonly number[];
  /** Subjects of the test side. */
  readonly testSubjects: readonly string[];
}

/** Per-call options of {@link createIdentityFolds}. */
export interface IdentityFoldOptions {
  /** Seed of the subject shuffle. Default 0. */
  readonly seed?: number;
}

/**
 * k identity-disjoint folds over any {@link ClipDataset} whose records name a `subject`. Subjects are
 * shuffled (seeded), then assigned greedily, largest first (ties in shuffled order), to the fold
 * with the fewest clips so far (the longest-processing-time rule of Graham, 1969): fold sizes differ
 * by at most the clip count of one subject. Fold f tests on its subjects and trains on all others;
 * every clip is in exactly one test side.
 *
 * @throws RangeError when k is not an integer in [2, number of subjects], or a record has no subject
 *   (naming its index and id).
 */
export function createIdentityFolds(
  dataset: ClipDataset,
  k: number,
  options: IdentityFoldOptions = {},
): IdentityFold[] {
  const bySubject = new Map<string, number[]>();
  for (let i = 0; i < dataset.length; i++) {
    const rec = dataset.record(i);
    if (rec.subject === undefined) {
      throw new RangeError(
        `createIdentityFolds: record ${i} (${rec.id}) has no subject; identity-disjoint folds need one on every record`,
      );
    }
    const list = bySubject.get(rec.subject);
    if (list === undefined) bySubject.set(rec.subject, [i]);
    else list.push(i);
  }
  const subjects = [...bySubject.keys()].sort();
  if (!Number.isInteger(k) || k < 2 || k > subjects.length) {
    throw new RangeError(
      `createIdentityFolds: k must be an integer in [2, ${subjects.length}] (the number of subjects), got ${String(k)}`,
    );
  }
  const order = shuffledIndices(subjects.length, createRandomSource(options.seed ?? 0)).map(
    (i) => subjects[i] as string,
  );
  const sizeOf = (s: string): number => (bySubject.get(s) as number[]).length;
  const ranked = order
    .map((s, pos) => ({ s, pos }))
    .sort((a, b) => sizeOf(b.s) - sizeOf(a.s) || a.pos - b.pos);
  const foldSubjects: string[][] = Array.from({ length: k }, () => []);
  const foldSizes = new Array<number>(k).fill(0);
  for (const { s } of ranked) {
    let best = 0;
    for (let f = 1; f < k; f++) if ((foldSizes[f] as number) < (foldSizes[best] as number)) best = f;
    (foldSubjects[best] as string[]).push(s);
    foldSizes[best] = (foldSizes[best] as number) + sizeOf(s);
  }
  return foldSubjects.map((testSubjects) => {
    const testSet = new Set(testSubjects);
    const test: number[] = [];
    const train: number[] = [];
    for (let i = 0; i < dataset.length; i++) {
      (testSet.has(dataset.record(i).subject as string) ? test : train).push(i);
    }
    return { train, test, testSubjects: [...testSubjects].sort() };
  });
}
