/** AU-detection class weights from AU base rates (JAA and the other rules of `au-detection.md`). */
import type { AuBaseRates } from './base-rates';

/** Weighting rule of {@link auClassWeights} (`au-detection.md`, "Class weights from AU base rates"). */
export type AuClassWeightMethod = 'jaa' | 'power' | 'log' | 'effective-number' | 'pos-weight';

/** Per-call options of {@link auClassWeights}. */
export interface AuClassWeightsOptions {
  /** Default `'jaa'`. */
  readonly method?: AuClassWeightMethod;
  /** Exponent α of `'power'`, 0 < α ≤ 1. Default 0.5. */
  readonly alpha?: number;
  /** Constant c of `'log'`, c > 0. Default 1. */
  readonly c?: number;
  /** β of `'effective-number'`, 0 < β < 1. Default 0.999. */
  readonly beta?: number;
}

/**
 * Per-AU class weights from AU base rates r_i, renormalised to mean 1 (`au-detection.md`):
 * - `'jaa'` (JAA-Net): w_i = (1/r_i) / Σ_j (1/r_j) · n_AU.
 * - `'power'`: w_i ∝ (1/r_i)^α, 0 < α ≤ 1 (α = 1 is `'jaa'`).
 * - `'log'`: w_i ∝ log(1 + c / r_i).
 * - `'effective-number'` (Cui et al., CVPR 2019): w_i ∝ (1 − β) / (1 − β^{n_i}), n_i = positive count
 *   (needs an {@link AuBaseRates} with counts).
 * - `'pos-weight'`: w_i ∝ (1 − r_i) / r_i.
 * Every method ends with w_i ← n_AU · u_i / Σ_j u_j, so the weights average to 1.
 *
 * Rule for degenerate AUs: a base rate of 0 (AU never present) has no finite weight and raises an
 * error naming the AU; with `'pos-weight'`, all rates equal to 1 leave nothing to normalise and raise.
 *
 * @param baseRates - an {@link AuBaseRates} (from {@link auBaseRates}) or plain rates r_i in (0, 1].
 */
export function auClassWeights(
  baseRates: AuBaseRates | ArrayLike<number>,
  options: AuClassWeightsOptions = {},
): Float64Array {
  const method = options.method ?? 'jaa';
  const isStats =
    typeof baseRates === 'object' && baseRates !== null && 'rates' in baseRates && 'positives' in baseRates;
  const rates = isStats ? (baseRates as AuBaseRates).rates : (baseRates as ArrayLike<number>);
  if (rates === null || typeof rates !== 'object' || rates.length === 0) {
    throw new Error('baseRates: expected auBaseRates(...) output or a non-empty array of rates in (0, 1]');
  }
  for (let i = 0; i < rates.length; i++) {
    const r = rates[i] as number;
    if (!(r > 0 && r <= 1)) {
      throw new Error(
        `baseRates[${i}]: rate ${r} is not in (0, 1]; an AU that is never present has no finite class weight`,
      );
    }
  }
  const n = rates.length;
  const raw = new Float64Array(n);
  switch (method) {
    case 'jaa':
      for (let i = 0; i < n; i++) raw[i] = 1 / (rates[i] as number);
      break;
    case 'power': {
      const alpha = options.alpha ?? 0.5;
      if (!(alpha > 0 && alpha <= 1)) throw new Error(`options.alpha: ${alpha} is not in (0, 1]`);
      for (let i = 0; i < n; i++) raw[i] = Math.pow(1 / (rates[i] as number), alpha);
      break;
    }
    case 'log': {
      const c = options.c ?? 1;
      if (!(c > 0 && Number.isFinite(c))) throw new Error(`options.c: ${c} is not a finite positive number`);
      for (let i = 0; i < n; i++) raw[i] = Math.log1p(c / (rates[i] as number));
      break;
    }
    case 'effective-number': {
      if (!isStats) {
        throw new Error(
          "baseRates: method 'effective-number' needs positive counts; pass the output of auBaseRates(...), not plain rates",
        );
      }
      const beta = options.beta ?? 0.999;
      if (!(beta > 0 && beta < 1)) throw new Error(`options.beta: ${beta} is not in (0, 1)`);
      const counts = (baseRates as AuBaseRates).positives;
      for (let i = 0; i < n; i++) raw[i] = (1 - beta) / -Math.expm1((counts[i] as number) * Math.log(beta));
      break;
    }
    case 'pos-weight':
      for (let i = 0; i < n; i++) raw[i] = (1 - (rates[i] as number)) / (rates[i] as number);
      break;
    default:
      throw new Error(
        `options.method: ${JSON.stringify(method)} is not one of 'jaa', 'power', 'log', 'effective-number', 'pos-weight'`,
      );
  }
  const sum = raw.reduce((a, b) => a + b, 0);
  if (!(sum > 0))
    throw new Error(
      `baseRates: every raw '${method}' weight is 0 (all rates are 1); cannot normalise to mean 1`,
    );
  return raw.map((u) => (n * u) / sum);
}

/**
 * JAA-Net class weights w_i = (1/r_i) / Σ_j (1/r_j) · n_AU (Shao et al., ECCV 2018; `au-detection.md`):
 * `auClassWeights(baseRates, { method: 'jaa' })`.
 */
export function jaaClassWeights(baseRates: AuBaseRates | ArrayLike<number>): Float64Array {
  return auClassWeights(baseRates, { method: 'jaa' });
}
