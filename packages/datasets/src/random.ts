/**
 * Seeded randomness for samplers, transforms and the loader. Every random decision of this package
 * draws from a {@link RandomSource}, so the same seed gives the same result, bit for bit.
 */

/** A source of uniform floats in [0, 1). Structural: any seeded generator with `next()` fits. */
export interface RandomSource {
  /** Uniform float in [0, 1). */
  next(): number;
}

/**
 * A seeded SplitMix-style generator (Steele, Lea & Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014): a Weyl sequence `s ← s + 0x9e3779b9 (mod 2³²)` whose state is mixed by
 * the MurmurHash3 32-bit finaliser `z = (s ⊕ s≫16)·0x85ebca6b; z = (z ⊕ z≫13)·0xc2b2ae35; z ⊕ z≫16`,
 * divided by 2³². Period 2³²; all arithmetic is 32-bit integer, so results are identical everywhere.
 * @param seed - any number; reduced to an unsigned 32-bit integer.
 */
export function createRandomSource(seed: number): RandomSource {
  if (!Number.isFinite(seed))
    throw new RangeError(`createRandomSource: seed must be a finite number, got ${seed}`);
  let state = seed >>> 0;
  return {
    next(): number {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
    },
  };
}

/**
 * Derives an independent 32-bit seed from a base seed and integer keys (epoch, sample index, …), so
 * that a sample's randomness depends only on (seed, keys) and never on the order work is done in.
 * Each key is folded in with the MurmurHash3 32-bit finaliser: `h = fmix32(h ⊕ (key + 0x9e3779b9·(i+1)))`.
 */
export function deriveSeed(seed: number, ...keys: readonly number[]): number {
  let h = seed >>> 0;
  keys.forEach((key, i) => {
    if (!Number.isInteger(key)) throw new RangeError(`deriveSeed: key ${i} must be an integer, got ${key}`);
    h = fmix32((h ^ ((key + Math.imul(0x9e3779b9, i + 1)) >>> 0)) >>> 0);
  });
  return h;
}

function fmix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Uniform float in [lo, hi). */
export function randomUniform(rng: RandomSource, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.next();
}

/** Uniform integer in [0, n). */
export function randomInt(rng: RandomSource, n: number): number {
  return Math.min(n - 1, Math.floor(rng.next() * n));
}

/** Fisher–Yates shuffle of `0..n-1` (Knuth, TAOCP vol. 2, Algorithm P), drawing from `rng`. */
export function shuffledIndices(n: number, rng: RandomSource): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    const t = out[i] as number;
    out[i] = out[j] as number;
    out[j] = t;
  }
  return out;
}
