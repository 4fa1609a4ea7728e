import { posWeights } from '@dfer/au-knowledge';

// Hand-made example: 10 clips, 3 AUs, 3 classes (clips 0-3 class 0, 4-6 class 1, 7-9 class 2).
const targets = [
  [1, 0, 0],
  [1, 1, 0],
  [0, 0, 0],
  [1, 0, 0],
  [0, 1, 0],
  [0, 1, 0],
  [1, 1, 0],
  [0, 0, 1],
  [1, 0, 1],
  [0, 0, 0],
];
const labels = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];

// Hand counts (N_pos / N_neg):
//   all:     AU0 5/5 → 1,  AU1 4/6 → 6/4 = 1.5, AU2 2/8 → 8/2 = 4
//   class 0: AU0 3/1 → 1/3, AU1 1/3 → 3,  AU2 0/4 → degenerate → 1
//   class 1: AU0 1/2 → 2,  AU1 3/0 → degenerate → 1, AU2 0/3 → degenerate → 1
//   class 2: AU0 1/2 → 2,  AU1 0/3 → degenerate → 1, AU2 2/1 → 1/2
describe('posWeights on a hand-made 10-clip example', () => {
  it("mode 'global' gives N_neg/N_pos over all clips in every row", () => {
    const p = posWeights(targets, labels, { mode: 'global', numClasses: 3 });
    expect(Array.from(p.values64)).toEqual([1, 1.5, 4, 1, 1.5, 4, 1, 1.5, 4]);
    expect(Array.from(p.global)).toEqual([1, 1.5, 4]);
    expect(p.degenerate).toEqual([]);
    expect(p.values).toEqual(Float32Array.from(p.values64));
  });

  it("mode 'distinct' counts within each class, with the degenerate rule", () => {
    const p = posWeights(targets, labels, { mode: 'distinct', labels: ['happy', 'sad', 'fear'] });
    expect(Array.from(p.values64)).toEqual([1 / 3, 3, 1, 2, 1, 1, 2, 1, 1 / 2]);
    expect(p.degenerate).toEqual([
      { classIndex: 0, auIndex: 2, positives: 0, negatives: 4 },
      { classIndex: 1, auIndex: 1, positives: 3, negatives: 0 },
      { classIndex: 1, auIndex: 2, positives: 0, negatives: 3 },
      { classIndex: 2, auIndex: 1, positives: 0, negatives: 3 },
    ]);
  });

  it("mode 'minor' keeps 1 for majority classes and the distinct row for minority ones", () => {
    const byIndex = posWeights(targets, labels, { mode: 'minor', numClasses: 3, minorityClasses: [2] });
    expect(Array.from(byIndex.values64)).toEqual([1, 1, 1, 1, 1, 1, 2, 1, 1 / 2]);
    expect(byIndex.degenerate).toEqual([{ classIndex: 2, auIndex: 1, positives: 0, negatives: 3 }]);
    const byName = posWeights(targets, labels, {
      mode: 'minor',
      labels: ['happy', 'sad', 'fear'],
      minorityClasses: ['fearful'],
    });
    expect(byName.values64).toEqual(byIndex.values64);
    expect(byName.minorityClasses).toEqual([2]);
  });

  it('uses the caller’s degenerate value', () => {
    const p = posWeights(targets, labels, { mode: 'distinct', numClasses: 3, degenerateValue: 0 });
    expect(Array.from(p.values64)).toEqual([1 / 3, 3, 0, 2, 0, 0, 2, 0, 1 / 2]);
  });

  it('accepts a flat buffer with numAus (the datasets layout)', () => {
    const flat = posWeights({ data: Uint8Array.from(targets.flat()), numAus: 3 }, Int32Array.from(labels), {
      numClasses: 3,
    });
    expect(Array.from(flat.global)).toEqual([1, 1.5, 4]);
  });
});

describe('posWeights rejects bad input', () => {
  it('names the argument and the expected form', () => {
    expect(() => posWeights([[1, 0], [1]], [0, 0], { numClasses: 1 })).toThrow(
      /auTargets\[1\]: has length 1; expected 2 values/,
    );
    expect(() => posWeights([[1, 0.5]], [0], { numClasses: 1 })).toThrow(
      /auTargets\[0\]\[1\]: value 0.5 is not binary; expected every AU target to be exactly 0 or 1/,
    );
    expect(() => posWeights([[Number.NaN, 0]], [0], { numClasses: 1 })).toThrow(
      /auTargets\[0\]\[0\]: value NaN is not binary/,
    );
    expect(() => posWeights({ data: [1, 0, 2], numAus: 3 }, [0], { numClasses: 1 })).toThrow(
      /auTargets.data\[2\] \(row 0, AU 2\): value 2 is not binary/,
    );
    expect(() => posWeights({ data: [1, 0, 1], numAus: 2 }, [0], { numClasses: 1 })).toThrow(
      /auTargets.data: length 3 is not a positive multiple of numAus = 2/,
    );
    expect(() => posWeights(targets, labels.slice(1), { numClasses: 3 })).toThrow(
      /exprLabels: has length 9; expected 10/,
    );
    expect(() => posWeights(targets, [...labels.slice(1), 3], { numClasses: 3 })).toThrow(
      /exprLabels\[9\]: 3 is not an integer class index in \[0, 2\]/,
    );
    expect(() => posWeights(targets, [...labels.slice(1), Number.NaN], { numClasses: 3 })).toThrow(
      /exprLabels\[9\]: NaN is not an integer/,
    );
    expect(() => posWeights(targets, labels, {})).toThrow(
      /options: expected options.labels .* or options.numClasses/,
    );
    expect(() => posWeights(targets, labels, { mode: 'minor', numClasses: 3 })).toThrow(
      /options.minorityClasses: required for mode 'minor'/,
    );
    expect(() =>
      posWeights(targets, labels, { mode: 'minor', labels: 'dfew', minorityClasses: ['contempt'] }),
    ).toThrow(/options.minorityClasses\[0\]: "contempt" is not one of options.labels/);
    expect(() =>
      posWeights(targets, labels, { mode: 'minor', numClasses: 3, minorityClasses: ['fear'] }),
    ).toThrow(/needs options.labels/);
    expect(() => posWeights(targets, labels, { mode: 'weighted' as never, numClasses: 3 })).toThrow(
      /options.mode: "weighted" is not one of/,
    );
    expect(() => posWeights([], [], { numClasses: 3 })).toThrow(/auTargets: is empty/);
  });
});
