import { assertPositiveInteger, checkSampleCall, type FrameSampler } from './frame-sampler';

/**
 * RDFER's key-expression re-sampling (`reference/rdfer.md`, "key-expression localisation"): given
 * predicted centres `μ_c ∈ [−1, 1]` and a log-stride `δ`, on a video of `T` frames
 * - centre frame `m_c = μ_c·(T − 1)/2 + (T − 1)/2`,
 * - stride `σ = T/3 · exp(δ)`,
 * - frame g of centre c (g = 0 … F − 1) at `round(m_c + (g − (F − 1)/2)·σ)`, clamped to `[0, T − 1]`
 *   (with F = 4 the offsets are `g − 1.5` as in the lab's code).
 * Deterministic in both modes; `layout = [centres.length, framesPerCentre]`.
 */
export function keyExpression(
  centres: readonly number[],
  logStride: number,
  framesPerCentre = 4,
): FrameSampler {
  if (centres.length === 0) throw new RangeError('keyExpression: centres must not be empty');
  centres.forEach((mu, c) => {
    if (!Number.isFinite(mu) || mu < -1 || mu > 1)
      throw new RangeError(`keyExpression: centres[${c}] must be in [-1, 1], got ${mu}`);
  });
  if (!Number.isFinite(logStride))
    throw new RangeError(`keyExpression: logStride must be finite, got ${logStride}`);
  assertPositiveInteger(framesPerCentre, 'keyExpression: framesPerCentre');
  const name = `keyExpression(${centres.length}×${framesPerCentre})`;
  return {
    name,
    layout: [centres.length, framesPerCentre],
    length: centres.length * framesPerCentre,
    sample(numFrames, options) {
      checkSampleCall(name, numFrames, { mode: options.mode === 'train' ? 'test' : options.mode });
      const half = (numFrames - 1) / 2;
      const stride = (numFrames / 3) * Math.exp(logStride);
      const out: number[] = [];
      for (const mu of centres) {
        const centre = mu * half + half;
        for (let g = 0; g < framesPerCentre; g++) {
          const f = Math.round(centre + (g - (framesPerCentre - 1) / 2) * stride);
          out.push(Math.min(numFrames - 1, Math.max(0, f)));
        }
      }
      return out;
    },
  };
}
