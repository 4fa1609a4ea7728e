import { auDetectionReport, classificationReport, confusionMatrix } from '../src';
import { argmaxRows } from '../src/metrics/classification';

describe('classificationReport (hand-computed)', () => {
  // 4 classes: class 2 is present but never predicted, class 3 is absent from the test set.
  // true = [0,0,0,1,1,2,2], pred = [0,1,0,1,0,0,1]
  // confusion rows (true): t0 → [2,1,0,0], t1 → [1,1,0,0], t2 → [1,1,0,0], t3 → [0,0,0,0]
  // recall = [2/3, 1/2, 0, null]; precision = [2/4, 1/3, 0, null]
  // F1_0 = 2·(1/2)(2/3)/(1/2+2/3) = 4/7; F1_1 = 2·(1/3)(1/2)/(1/3+1/2) = 2/5; F1_2 = 0
  // WAR = 3/7; UAR = (2/3 + 1/2 + 0)/3 = 7/18; macro-F1 = (4/7 + 2/5 + 0)/3 = 34/105
  const report = classificationReport([0, 0, 0, 1, 1, 2, 2], [0, 1, 0, 1, 0, 0, 1], ['a', 'b', 'c', 'd']);

  it('has the confusion matrix and support', () => {
    expect(report.confusion).toEqual([
      [2, 1, 0, 0],
      [1, 1, 0, 0],
      [1, 1, 0, 0],
      [0, 0, 0, 0],
    ]);
    expect(report.support).toEqual([3, 2, 2, 0]);
    expect(report.count).toBe(7);
  });

  it('computes WAR, UAR and macro-F1 over the classes present', () => {
    expect(report.war).toBeCloseTo(3 / 7, 12);
    expect(report.uar).toBeCloseTo(7 / 18, 12);
    expect(report.macroF1).toBeCloseTo(34 / 105, 12);
  });

  it('reports per-class values, null where undefined', () => {
    expect(report.recall[0]).toBeCloseTo(2 / 3, 12);
    expect(report.recall[1]).toBeCloseTo(1 / 2, 12);
    expect(report.recall[2]).toBe(0);
    expect(report.recall[3]).toBeNull();
    expect(report.precision[0]).toBeCloseTo(1 / 2, 12);
    expect(report.precision[1]).toBeCloseTo(1 / 3, 12);
    expect(report.precision[2]).toBe(0);
    expect(report.precision[3]).toBeNull();
    expect(report.f1[0]).toBeCloseTo(4 / 7, 12);
    expect(report.f1[1]).toBeCloseTo(2 / 5, 12);
    expect(report.f1[2]).toBe(0);
    expect(report.f1[3]).toBeNull();
  });

  it('a perfect prediction gives 1 everywhere', () => {
    const r = classificationReport([0, 1, 2, 2], [0, 1, 2, 2], ['a', 'b', 'c']);
    expect([r.war, r.uar, r.macroF1]).toEqual([1, 1, 1]);
  });

  it('rejects bad input with the argument named', () => {
    expect(() => confusionMatrix([0, 1], [0], 2)).toThrow(
      /trueLabels has 2 entries but predictedLabels has 1/,
    );
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow(
      /trueLabels\[1\] = 3: expected an integer class index in \[0, 2\]/,
    );
    expect(() => confusionMatrix([0, 1], [0, 0.5], 3)).toThrow(/predictedLabels\[1\] = 0.5/);
    expect(() => classificationReport([], [], ['a'])).toThrow(/empty/);
  });
});

describe('argmaxRows', () => {
  it('takes the first maximum of each row', () => {
    expect(Array.from(argmaxRows([0.1, 0.7, 0.2, 5, 5, 1], 3))).toEqual([1, 0]);
    expect(() => argmaxRows([1, 2, 3], 2)).toThrow(/multiple of numClasses = 2/);
  });
});

describe('auDetectionReport (hand-computed)', () => {
  // AU0: pred [1,1,0,1] vs target [1,0,1,0] → TP 1, FP 2, FN 1 → P 1/3, R 1/2, F1 = 2/(2+2+1) = 0.4
  // AU1: pred [0,1,0,0] vs target [0,1,0,0] → F1 1
  // AU2: never positive, never predicted → F1 undefined (null), excluded from the mean → mean 0.7
  const probs = [0.9, 0.1, 0.0, 0.6, 0.7, 0.1, 0.2, 0.4, 0.3, 0.5, 0.2, 0.49];
  const targets = [1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0];
  it('computes per-AU and mean F1', () => {
    const r = auDetectionReport(probs, targets, ['AU01', 'AU02', 'AU04']);
    expect(r.precision[0]).toBeCloseTo(1 / 3, 12);
    expect(r.recall[0]).toBeCloseTo(1 / 2, 12);
    expect(r.f1[0]).toBeCloseTo(0.4, 12);
    expect(r.f1[1]).toBe(1);
    expect(r.f1[2]).toBeNull();
    expect(r.meanF1).toBeCloseTo(0.7, 12);
    expect(r.support).toEqual([2, 1, 0]);
  });
  it('uses per-AU thresholds', () => {
    const r = auDetectionReport(probs, targets, ['AU01', 'AU02', 'AU04'], [0.95, 0.5, 0.5]);
    // AU0 at 0.95: nothing predicted → TP 0, FN 2 → F1 0
    expect(r.f1[0]).toBe(0);
  });
  it('rejects non-binary targets and mismatched sizes', () => {
    expect(() => auDetectionReport([0.5, 0.5], [1, 2], ['AU01', 'AU02'])).toThrow(
      /targets\[0\]\[1\] = 2: expected 0 or 1/,
    );
    expect(() => auDetectionReport([0.5], [1, 0], ['AU01', 'AU02'])).toThrow(/N × 2/);
  });
});
