import { auBaseRates, auClassWeights, auCooccurrence, jaaClassWeights } from '@dfer/au-knowledge';

describe('auClassWeights on hand-computed rates', () => {
  // r = [0.5, 0.25, 0.125]: 1/r = [2, 4, 8], sum 14, n = 3 → JAA w = 3·[2, 4, 8]/14.
  const rates = [0.5, 0.25, 0.125];

  it('JAA rule', () => {
    expect(Array.from(jaaClassWeights(rates))).toEqual([6 / 14, 12 / 14, 24 / 14]);
  });

  it('power α = 1 equals JAA, α = 0.5 uses square roots', () => {
    expect(Array.from(auClassWeights(rates, { method: 'power', alpha: 1 }))).toEqual(
      Array.from(jaaClassWeights(rates)),
    );
    const s = [Math.SQRT2, 2, 2 * Math.SQRT2];
    const sum = s[0]! + s[1]! + s[2]!;
    auClassWeights(rates, { method: 'power', alpha: 0.5 }).forEach((w, i) =>
      expect(w).toBeCloseTo((3 * s[i]!) / sum, 14),
    );
  });

  it('log and pos-weight rules', () => {
    // log(1 + 1/r) = log 3, log 5, log 9.
    const l = [Math.log(3), Math.log(5), Math.log(9)];
    auClassWeights(rates, { method: 'log' }).forEach((w, i) =>
      expect(w).toBeCloseTo((3 * l[i]!) / (l[0]! + l[1]! + l[2]!), 14),
    );
    // (1 − r)/r = 1, 3, 7 → sum 11.
    auClassWeights(rates, { method: 'pos-weight' }).forEach((w, i) =>
      expect(w).toBeCloseTo((3 * [1, 3, 7][i]!) / 11, 14),
    );
  });

  it('effective number with counts', () => {
    // 4 samples: AU0 on in 2, AU1 in 1, AU2 in 4. β = 0.5: (1−β)/(1−β^n) = 0.5/0.75, 0.5/0.5, 0.5/0.9375.
    const stats = auBaseRates([
      [1, 1, 1],
      [1, 0, 1],
      [0, 0, 1],
      [0, 0, 1],
    ]);
    const u = [0.5 / 0.75, 1, 0.5 / 0.9375];
    const sum = u[0]! + u[1]! + u[2]!;
    auClassWeights(stats, { method: 'effective-number', beta: 0.5 }).forEach((w, i) =>
      expect(w).toBeCloseTo((3 * u[i]!) / sum, 14),
    );
    expect(stats.noAuFraction).toBe(0);
    expect(stats.meanAusPerSample).toBe(7 / 4);
  });

  it('refuses AUs never present and bad parameters, naming them', () => {
    expect(() => jaaClassWeights([0.5, 0])).toThrow(
      /baseRates\[1\]: rate 0 is not in \(0, 1\]; an AU that is never present has no finite class weight/,
    );
    expect(() => jaaClassWeights([0.5, Number.NaN])).toThrow(/baseRates\[1\]: rate NaN/);
    expect(() => auClassWeights([1, 1], { method: 'pos-weight' })).toThrow(
      /every raw 'pos-weight' weight is 0/,
    );
    expect(() => auClassWeights(rates, { method: 'power', alpha: 2 })).toThrow(
      /options.alpha: 2 is not in \(0, 1\]/,
    );
    expect(() => auClassWeights(rates, { method: 'effective-number' })).toThrow(/needs positive counts/);
    expect(() => auClassWeights(rates, { method: 'focal' as never })).toThrow(
      /options.method: "focal" is not one of/,
    );
    expect(() => auBaseRates([[1, 0]], { aus: 'bp4d12' })).toThrow(
      /auTargets: rows have 2 values; expected 12/,
    );
  });
});

describe('auCooccurrence on a hand-made example', () => {
  it('counts pairs and conditionals; reports absent AUs', () => {
    const co = auCooccurrence([
      [1, 1, 0],
      [1, 0, 0],
      [1, 1, 0],
      [0, 1, 0],
    ]);
    expect(Array.from(co.counts)).toEqual([3, 2, 0, 2, 3, 0, 0, 0, 0]);
    expect(Array.from(co.conditional)).toEqual([1, 2 / 3, 0, 2 / 3, 1, 0, 0, 0, 0]);
    expect(co.absentAus).toEqual([2]);
  });
});
