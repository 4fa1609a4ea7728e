import {
  logGamma,
  pairBySeed,
  pairedEffect,
  regularizedIncompleteBeta,
  studentTCdf,
  studentTQuantile,
  verdictOf,
} from '../src';

describe('Student t', () => {
  it('gives the published 97.5 % quantiles (any table, e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2)', () => {
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.302653, 6);
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.776445, 6);
    expect(studentTQuantile(0.975, 29)).toBeCloseTo(2.04523, 6);
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706205, 5);
    expect(studentTQuantile(0.975, 100)).toBeCloseTo(1.983972, 6);
    expect(studentTQuantile(0.95, 10)).toBeCloseTo(1.812461, 6);
    expect(studentTQuantile(0.995, 2)).toBeCloseTo(9.924843, 5);
  });

  it('matches the closed forms for 1 and 2 degrees of freedom and is symmetric', () => {
    // df = 1 (Cauchy): t = tan(π (p − ½)); df = 2: t = (2p − 1) · sqrt(2 / (4p(1 − p)))
    for (const p of [0.01, 0.2, 0.6, 0.9, 0.999]) {
      expect(studentTQuantile(p, 1)).toBeCloseTo(Math.tan(Math.PI * (p - 0.5)), 9);
      expect(studentTQuantile(p, 2)).toBeCloseTo((2 * p - 1) * Math.sqrt(2 / (4 * p * (1 - p))), 9);
    }
    expect(studentTQuantile(0.025, 4)).toBeCloseTo(-2.776445, 6);
    expect(studentTQuantile(0.5, 7)).toBe(0);
  });

  it('has a CDF that matches closed forms and inverts the quantile', () => {
    expect(studentTCdf(1, 1)).toBeCloseTo(0.75, 12);
    expect(studentTCdf(0, 5)).toBeCloseTo(0.5, 12);
    // df = 2: F(t) = ½ + t / (2 sqrt(2 + t²))
    for (const t of [-3, -0.5, 0.7, 2, 10]) {
      expect(studentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 12);
    }
    for (const df of [1, 3, 4.5, 29, 200]) {
      for (const p of [0.001, 0.05, 0.3, 0.975, 0.9995]) {
        expect(studentTCdf(studentTQuantile(p, df), df)).toBeCloseTo(p, 11);
      }
    }
  });

  it('rests on a regularized incomplete beta and log-gamma that match closed forms', () => {
    // I_x(2, 3) = Σ_{j=2..4} C(4, j) x^j (1 − x)^(4 − j): 6·0.09·0.49 + 4·0.027·0.7 + 0.0081 = 0.3483
    expect(regularizedIncompleteBeta(0.3, 2, 3)).toBeCloseTo(0.3483, 12);
    // I_x(1, 1) = x; I_x(a, 1) = x^a
    expect(regularizedIncompleteBeta(0.42, 1, 1)).toBeCloseTo(0.42, 12);
    expect(regularizedIncompleteBeta(0.9, 3.5, 1)).toBeCloseTo(0.9 ** 3.5, 12);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
  });

  it('refuses p outside (0, 1) and df ≤ 0', () => {
    expect(() => studentTQuantile(1, 3)).toThrow(/expected 0 < p < 1/);
    expect(() => studentTQuantile(0, 3)).toThrow(/expected 0 < p < 1/);
    expect(() => studentTQuantile(0.9, 0)).toThrow(/degrees of freedom > 0/);
    expect(() => studentTCdf(1, Number.NaN)).toThrow(/degrees of freedom/);
  });
});

describe('pairedEffect', () => {
  it('gives mean, sample std and the t interval of hand-computed differences', () => {
    // d = 0.1, 0.2, 0.3: mean 0.2, s = sqrt((0.01 + 0 + 0.01) / 2) = 0.1, CI 0.2 ± 4.302653 · 0.1 / √3
    const e = pairedEffect([0.1, 0.2, 0.3]);
    expect(e.n).toBe(3);
    expect(e.mean).toBeCloseTo(0.2, 12);
    expect(e.std).toBeCloseTo(0.1, 12);
    expect(e.tQuantile).toBeCloseTo(4.302653, 6);
    const half = (4.30265273 * 0.1) / Math.sqrt(3);
    expect(e.interval!.lower).toBeCloseTo(0.2 - half, 7);
    expect(e.interval!.upper).toBeCloseTo(0.2 + half, 7);
    // d = -0.2, -0.25, -0.3, -0.25, -0.2 (n = 5, t(0.975, 4) = 2.776445): mean -0.24, s = sqrt(0.007 / 4)
    const f = pairedEffect([-0.2, -0.25, -0.3, -0.25, -0.2]);
    expect(f.mean).toBeCloseTo(-0.24, 12);
    expect(f.std).toBeCloseTo(Math.sqrt(0.007 / 4), 12);
    expect(f.interval!.upper).toBeCloseTo(-0.24 + (2.776445 * Math.sqrt(0.007 / 4)) / Math.sqrt(5), 6);
  });

  it('gives no interval from one difference, and nothing from none', () => {
    expect(pairedEffect([0.5])).toEqual({
      n: 1,
      mean: 0.5,
      std: null,
      level: 0.95,
      tQuantile: null,
      interval: null,
    });
    expect(pairedEffect([])).toMatchObject({ n: 0, mean: null, interval: null });
    expect(() => pairedEffect([Number.NaN])).toThrow(/not a finite number/);
  });

  it('widens with the confidence level', () => {
    const e90 = pairedEffect([0.1, 0.2, 0.3], 0.9);
    // t(0.95, 2) = 2.919986
    expect(e90.tQuantile).toBeCloseTo(2.919986, 6);
    expect(e90.interval!.upper - e90.interval!.lower).toBeLessThan(
      pairedEffect([0.1, 0.2, 0.3]).interval!.upper - pairedEffect([0.1, 0.2, 0.3]).interval!.lower,
    );
  });
});

describe('pairBySeed', () => {
  it('pairs only the seeds present in both arms and lists the others', () => {
    const arm = new Map<number, number | null>([
      [0, 0.5],
      [1, 0.6],
      [3, 0.7],
      [4, null],
    ]);
    const reference = new Map<number, number | null>([
      [2, 0.3],
      [1, 0.5],
      [0, 0.4],
      [4, 0.1],
    ]);
    const c = pairBySeed(arm, reference);
    expect(c.pairs.map((p) => p.seed)).toEqual([0, 1]);
    expect(c.pairs[0]).toEqual({ seed: 0, arm: 0.5, reference: 0.4, difference: 0.5 - 0.4 });
    expect(c.armOnlySeeds).toEqual([3]);
    expect(c.referenceOnlySeeds).toEqual([2]);
    expect(c.undefinedSeeds).toEqual([4]);
  });
});

describe('verdictOf', () => {
  const at = (lower: number, upper: number) => verdictOf({ interval: { lower, upper } });

  it('is supported only when the whole interval is above 0, contradicted only when below', () => {
    expect(at(0.01, 0.3)).toBe('supported');
    expect(at(-0.3, -0.01)).toBe('contradicted');
    expect(at(-0.1, 0.3)).toBe('not shown');
    // an end exactly at 0 is not "entirely above / below"
    expect(at(0, 0.3)).toBe('not shown');
    expect(at(-0.3, 0)).toBe('not shown');
  });

  it('is not shown without an interval (n < 2), whatever the mean', () => {
    expect(verdictOf(pairedEffect([0.9]))).toBe('not shown');
    expect(verdictOf(pairedEffect([]))).toBe('not shown');
  });

  it('follows the interval of identical differences (zero spread)', () => {
    expect(verdictOf(pairedEffect([0.1, 0.1, 0.1]))).toBe('supported');
    expect(verdictOf(pairedEffect([0, 0, 0]))).toBe('not shown');
    expect(verdictOf(pairedEffect([0.1, 0.2, 0.3]))).toBe('not shown');
    expect(verdictOf(pairedEffect([0.1, 0.15, 0.2]))).toBe('supported');
    expect(verdictOf(pairedEffect([-0.2, -0.25, -0.3]))).toBe('contradicted');
  });
});
