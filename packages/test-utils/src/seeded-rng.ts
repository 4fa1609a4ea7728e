/** A deterministic pseudo-random generator: the same seed gives the same sequence on every platform. */
export interface SeededRng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal sample (Box–Muller). */
  normal(): number;
  /** Float32Array of `n` uniform values in [lo, hi). */
  uniformArray(n: number, lo?: number, hi?: number): Float32Array;
}

/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): 2^32 period, enough for tests and fixtures. The same
 * algorithm as `createRng` of `@dfer/backbones`, kept here on purpose: every package devDepends on this one,
 * so importing backbones (or runtime) from it would make a workspace dependency cycle.
 * @param seed - any integer; it is reduced to 32 bits.
 */
export function createSeededRng(seed: number): SeededRng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    normal: () => {
      const u = Math.max(next(), 1e-12);
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    uniformArray: (n, lo = 0, hi = 1) => {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * next();
      return out;
    },
  };
}
