/**
 * Seeded random numbers for parameter initialisation: the same seed gives the same weights, bit for bit,
 * on every platform.
 */

/** A deterministic pseudo-random generator (mulberry32, 32-bit state, period 2^32). */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal sample (Box–Muller transform). */
  normal(): number;
  /** A fresh 31-bit seed for a child generator or a tfjs op that takes a seed. */
  seed(): number;
  /**
   * When `true`, the initialisers ({@link uniformValues}, {@link normalValues},
   * {@link truncatedNormalValues}) return zeros without drawing: for models whose weights are loaded right
   * after construction (as PyTorch's `skip_init`), which saves seconds on paper-size models.
   */
  readonly zeros: boolean;
}

/** Build-time options of {@link createRng}. */
export interface RngConfig {
  /** Make the initialisers return zeros (see {@link Rng.zeros}); default `false`. */
  zeros?: boolean;
}

/**
 * Creates a mulberry32 generator (Tommy Ettinger's 32-bit generator).
 * @param seed - any integer; it is reduced to 32 bits.
 */
export function createRng(seed: number, config: RngConfig = {}): Rng {
  if (!Number.isFinite(seed)) throw new Error(`createRng: seed must be a finite number, got ${seed}`);
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
    seed: () => Math.floor(next() * 0x7fffffff),
    zeros: config.zeros ?? false,
  };
}

/** `n` values uniform in [-bound, bound). */
export function uniformValues(n: number, bound: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  if (rng.zeros) return out;
  for (let i = 0; i < n; i++) out[i] = (2 * rng.next() - 1) * bound;
  return out;
}

/**
 * `n` values from a normal distribution N(0, std²) truncated to [-2·std, 2·std] by resampling
 * (as `timm.layers.trunc_normal_` with its default cut-offs scaled by std).
 */
export function truncatedNormalValues(n: number, std: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  if (rng.zeros) return out;
  for (let i = 0; i < n; i++) {
    let z = rng.normal();
    while (Math.abs(z) > 2) z = rng.normal();
    out[i] = z * std;
  }
  return out;
}

/** `n` values from N(0, std²) (as `torch.randn` · std). */
export function normalValues(n: number, std: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  if (rng.zeros) return out;
  for (let i = 0; i < n; i++) out[i] = rng.normal() * std;
  return out;
}
