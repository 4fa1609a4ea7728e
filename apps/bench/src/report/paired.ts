/**
 * Paired statistics of the bench's claims: per-seed differences between an arm and its reference arm, their
 * mean, sample standard deviation and two-sided Student-t confidence interval, and the verdict rule of the
 * report. The t quantile is computed (inverse of the t CDF, itself the regularized incomplete beta function),
 * not read from a table.
 */

import { meanAndSampleStd } from './aggregate';

/**
 * Natural log of the gamma function for x > 0: Lanczos' approximation with g = 7 and 9 coefficients
 * (Press et al., Numerical Recipes, 3rd ed., §6.1; relative error below 1e-15 on x > 0), with the reflection
 * formula below x = 0.5.
 */
export function logGamma(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`logGamma: x = ${x}; expected a finite x > 0`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const c = LANCZOS;
  const z = x - 1;
  let a = c[0]!;
  const t = z + LANCZOS_G + 0.5;
  for (let i = 1; i < c.length; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
] as const;

/**
 * Continued fraction of the incomplete beta function (Abramowitz & Stegun 26.5.8), evaluated with the
 * modified Lentz method (Numerical Recipes §6.4, `betacf`); converges fast for x < (a + 1) / (a + b + 2).
 */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  const eps = 1e-16;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 1000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < eps) return h;
  }
  throw new RangeError(`incomplete beta: continued fraction did not converge (x = ${x}, a = ${a}, b = ${b})`);
}

/**
 * Regularized incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b) for 0 ≤ x ≤ 1, a, b > 0:
 * I_x = x^a (1 − x)^b / (a B(a, b)) · CF(x; a, b) when x < (a + 1) / (a + b + 2), else 1 − I_{1−x}(b, a)
 * (Abramowitz & Stegun 26.5.8; Numerical Recipes §6.4).
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0))
    throw new RangeError(`regularizedIncompleteBeta: a = ${a}, b = ${b}; expected a, b > 0`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`regularizedIncompleteBeta: x = ${x}; expected 0 ≤ x ≤ 1`);
  if (x === 0) return 0;
  if (x === 1) return 1;
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

function checkDf(df: number, caller: string): void {
  if (!(df > 0) || !Number.isFinite(df)) {
    throw new RangeError(`${caller}: df = ${df}; expected finite degrees of freedom > 0`);
  }
}

/** Upper tail P(T > t) of Student's t for t ≥ 0: ½ · I_{ν/(ν+t²)}(ν/2, ½) (Abramowitz & Stegun 26.7.1). */
function studentTUpperTail(t: number, df: number): number {
  return 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/**
 * Student's t cumulative distribution function with `df` degrees of freedom:
 * F(t) = 1 − ½ · I_{ν/(ν+t²)}(ν/2, ½) for t ≥ 0 and F(t) = 1 − F(−t) for t < 0 (Abramowitz & Stegun 26.7.1).
 */
export function studentTCdf(t: number, df: number): number {
  checkDf(df, 'studentTCdf');
  if (Number.isNaN(t)) throw new RangeError('studentTCdf: t is NaN');
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = studentTUpperTail(Math.abs(t), df);
  return t >= 0 ? 1 - tail : tail;
}

/**
 * Density of Student's t: Γ((ν+1)/2) / (√(νπ) Γ(ν/2)) · (1 + t²/ν)^(−(ν+1)/2).
 */
export function studentTDensity(t: number, df: number): number {
  checkDf(df, 'studentTDensity');
  const logC = logGamma((df + 1) / 2) - logGamma(df / 2) - 0.5 * Math.log(df * Math.PI);
  return Math.exp(logC - ((df + 1) / 2) * Math.log1p((t * t) / df));
}

/**
 * Quantile (inverse CDF) of Student's t with `df` degrees of freedom: the t with F(t) = p, for 0 < p < 1.
 * Solved on the upper tail (P(T > t) = 1 − p for p > ½, by symmetry below) with Newton steps on the density,
 * kept inside a bisection bracket, to a relative tolerance of 1e-14. Checked against published values, e.g.
 * t(0.975, 2) = 4.302653, t(0.975, 4) = 2.776445, t(0.975, 29) = 2.045230.
 */
export function studentTQuantile(p: number, df: number): number {
  checkDf(df, 'studentTQuantile');
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: p = ${p}; expected 0 < p < 1`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  const q = 1 - p;
  let lo = 0;
  let hi = 1;
  while (studentTUpperTail(hi, df) > q) {
    lo = hi;
    hi *= 2;
    if (!Number.isFinite(hi))
      throw new RangeError(`studentTQuantile: no finite quantile for p = ${p}, df = ${df}`);
  }
  let t = (lo + hi) / 2;
  for (let i = 0; i < 200; i++) {
    const g = studentTUpperTail(t, df) - q;
    if (g === 0) return t;
    if (g > 0) lo = t;
    else hi = t;
    const density = studentTDensity(t, df);
    let next = density > 0 ? t + g / density : NaN;
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (Math.abs(next - t) <= 1e-14 * Math.max(1, Math.abs(t))) return next;
    t = next;
  }
  return t;
}

/** One seed present in both arms, with both values and the difference arm − reference. */
export interface PairedSeed {
  readonly seed: number;
  readonly arm: number;
  readonly reference: number;
  /** arm − reference. */
  readonly difference: number;
}

/** The seeds of two arms, paired: only seeds present in both (with a defined value) are paired; the rest are listed. */
export interface PairedComparison {
  /** Paired seeds, by ascending seed. */
  readonly pairs: readonly PairedSeed[];
  /** Seeds of the arm without a run of the reference arm. */
  readonly armOnlySeeds: readonly number[];
  /** Seeds of the reference arm without a run of the arm. */
  readonly referenceOnlySeeds: readonly number[];
  /** Seeds run in both arms where the metric is undefined (null) for one of them or both. */
  readonly undefinedSeeds: readonly number[];
}

/**
 * Pair two arms by seed. `arm` and `reference` map a seed to the metric of that seed's run (null when the
 * metric is undefined there, e.g. a precision with nothing flagged). Seeds found in one arm only, and seeds
 * whose metric is undefined in either arm, are not paired and are listed (never dropped silently).
 */
export function pairBySeed(
  arm: ReadonlyMap<number, number | null>,
  reference: ReadonlyMap<number, number | null>,
): PairedComparison {
  const pairs: PairedSeed[] = [];
  const armOnlySeeds: number[] = [];
  const undefinedSeeds: number[] = [];
  const byNumber = (a: number, b: number) => a - b;
  for (const seed of [...arm.keys()].sort(byNumber)) {
    if (!reference.has(seed)) {
      armOnlySeeds.push(seed);
      continue;
    }
    const a = arm.get(seed);
    const r = reference.get(seed);
    if (a === null || a === undefined || r === null || r === undefined) {
      undefinedSeeds.push(seed);
      continue;
    }
    pairs.push({ seed, arm: a, reference: r, difference: a - r });
  }
  const referenceOnlySeeds = [...reference.keys()].filter((s) => !arm.has(s)).sort(byNumber);
  return { pairs, armOnlySeeds, referenceOnlySeeds, undefinedSeeds };
}

/** Mean of paired differences with its two-sided Student-t confidence interval. */
export interface PairedEffect {
  /** Number of paired differences. */
  readonly n: number;
  /** Mean difference d̄ = Σd/n; null when n = 0. */
  readonly mean: number | null;
  /** Sample standard deviation s = sqrt(Σ(d − d̄)² / (n − 1)); null when n < 2. */
  readonly std: number | null;
  /** Confidence level of the interval (0.95). */
  readonly level: number;
  /** t(1 − (1 − level)/2, n − 1); null when n < 2. */
  readonly tQuantile: number | null;
  /** d̄ ± t · s / √n; null when n < 2 (no interval exists from one difference). */
  readonly interval: { readonly lower: number; readonly upper: number } | null;
}

/**
 * Mean, sample std and two-sided Student-t confidence interval of paired differences:
 * d̄ ± t(1 − α/2, n − 1) · s / √n with α = 1 − level (the paired t interval; e.g. Montgomery & Runger,
 * Applied Statistics and Probability for Engineers, §10-4). n = 1 gives the mean but no interval; n = 0 neither.
 */
export function pairedEffect(differences: readonly number[], level = 0.95): PairedEffect {
  if (!(level > 0 && level < 1))
    throw new RangeError(`pairedEffect: level = ${level}; expected 0 < level < 1`);
  for (const d of differences) {
    if (!Number.isFinite(d)) throw new RangeError(`pairedEffect: difference ${d} is not a finite number`);
  }
  const n = differences.length;
  if (n === 0) return { n, mean: null, std: null, level, tQuantile: null, interval: null };
  const { mean, std } = meanAndSampleStd(differences);
  if (n === 1) return { n, mean, std: null, level, tQuantile: null, interval: null };
  const tQuantile = studentTQuantile(1 - (1 - level) / 2, n - 1);
  const half = (tQuantile * std) / Math.sqrt(n);
  return { n, mean, std, level, tQuantile, interval: { lower: mean - half, upper: mean + half } };
}

/** Verdict of a claim that an arm improves a metric over its reference. */
export type Verdict = 'supported' | 'contradicted' | 'not shown';

/** The verdict rule, as stated in the report and the dashboard. */
export const VERDICT_RULE =
  'A claim that an arm improves metric M over its reference arm is **supported** when the 95 % confidence interval of the mean paired difference (arm − reference, paired by seed; Student t with n − 1 degrees of freedom) lies entirely above 0, **contradicted** when it lies entirely below 0, and **not shown** otherwise — including n < 2, where no interval exists. Only seeds run in both arms are paired; unpaired seeds are listed.';

/**
 * The verdict rule: `supported` when the interval lies entirely above 0 (lower > 0), `contradicted` when it
 * lies entirely below 0 (upper < 0), `not shown` otherwise, including n < 2 (no interval).
 */
export function verdictOf(effect: Pick<PairedEffect, 'interval'>): Verdict {
  if (!effect.interval) return 'not shown';
  if (effect.interval.lower > 0) return 'supported';
  if (effect.interval.upper < 0) return 'contradicted';
  return 'not shown';
}
