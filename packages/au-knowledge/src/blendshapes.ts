/**
 * Approximate correspondences between ARKit / MediaPipe face blendshapes and FACS Action Units, and
 * the conversion of blendshape scores to AU values.
 */
import { resolveAuList, type AuId, type AuList } from './aus';

/**
 * Approximate blendshape → AU correspondences (`au-detection.md`; **not official**: ARKit and
 * MediaPipe define blendshapes by appearance, not by FACS coding). Keys are blendshape base names;
 * the left/right variants (`mouthSmileLeft`, `mouthSmileRight`) belong to the same AU.
 */
export const BLENDSHAPE_AU_CORRESPONDENCES = {
  browInnerUp: 'AU01',
  browOuterUp: 'AU02',
  browDown: 'AU04',
  eyeWide: 'AU05',
  cheekSquint: 'AU06',
  eyeSquint: 'AU07',
  noseSneer: 'AU09',
  mouthUpperUp: 'AU10',
  mouthSmile: 'AU12',
  mouthDimple: 'AU14',
  mouthFrown: 'AU15',
  mouthShrugLower: 'AU17',
  mouthStretch: 'AU20',
  mouthPress: 'AU24',
  jawOpen: 'AU26',
  eyeBlink: 'AU45',
} as const satisfies Record<string, AuId>;

/** Per-call options of {@link blendshapesToAus}. */
export interface BlendshapesToAusOptions {
  /** AUs to produce, in this order. Default: every AU of {@link BLENDSHAPE_AU_CORRESPONDENCES}, in AU order. */
  readonly aus?: AuList;
  /**
   * Requested AUs with no blendshape score in the input (or no correspondence at all): `'error'`
   * (default) refuses; `'omit'` leaves them out of the result and lists them in `omitted`.
   */
  readonly missing?: 'error' | 'omit';
}

/** AU values derived from blendshape scores. */
export interface BlendshapeAus {
  /** AUs of `values`, in order. */
  readonly aus: readonly AuId[];
  /** One value in [0, 1] per AU. */
  readonly values: Float64Array;
  /** Blendshape names averaged for each AU (same order as `aus`). */
  readonly sources: readonly (readonly string[])[];
  /** Requested AUs left out (only with `missing: 'omit'`). */
  readonly omitted: readonly AuId[];
  /** Input blendshapes not used for any requested AU (e.g. `mouthPucker`, `_neutral`). */
  readonly unusedBlendshapes: readonly string[];
}

/**
 * AU values from one frame of ARKit / MediaPipe blendshape scores (each in [0, 1]), by the
 * approximate correspondences of {@link BLENDSHAPE_AU_CORRESPONDENCES}:
 * value(AU) = mean of the scores of the blendshapes that correspond to it, among `base`,
 * `baseLeft` and `baseRight` present in the input. The result can be fed to `scoreExpressions`
 * with `aus: result.aus` (and `unmatchedAus: 'ignore'` for prior AUs without a blendshape).
 *
 * @throws Error for a score outside [0, 1] or NaN (naming the blendshape), or a requested AU without
 *   a blendshape score unless `missing: 'omit'`.
 */
export function blendshapesToAus(
  scores: Readonly<Record<string, number>>,
  options: BlendshapesToAusOptions = {},
): BlendshapeAus {
  if (scores === null || typeof scores !== 'object') {
    throw new Error(
      'scores: expected an object of blendshape scores, e.g. { mouthSmileLeft: 0.8, jawOpen: 0.1 }',
    );
  }
  for (const [name, v] of Object.entries(scores)) {
    if (!(typeof v === 'number' && v >= 0 && v <= 1))
      throw new Error(`scores.${name}: ${v} is not a score in [0, 1]`);
  }
  const entries = Object.entries(BLENDSHAPE_AU_CORRESPONDENCES) as [string, AuId][];
  const requested =
    options.aus === undefined
      ? resolveAuList(entries.map(([, au]) => au).sort(), 'options.aus')
      : resolveAuList(options.aus, 'options.aus');
  const used = new Set<string>();
  const aus: AuId[] = [];
  const values: number[] = [];
  const sources: string[][] = [];
  const omitted: AuId[] = [];
  for (const au of requested) {
    const names = entries
      .filter(([, a]) => a === au)
      .flatMap(([base]) => [base, `${base}Left`, `${base}Right`])
      .filter((n) => Object.prototype.hasOwnProperty.call(scores, n));
    if (names.length === 0) {
      if ((options.missing ?? 'error') === 'error') {
        const bases = entries.filter(([, a]) => a === au).map(([b]) => b);
        throw new Error(
          bases.length === 0
            ? `options.aus: ${au} has no blendshape correspondence (known: ${entries.map(([b, a]) => `${b}→${a}`).join(', ')}); pass missing: 'omit'`
            : `scores: no score for ${au} (expected ${bases.map((b) => `${b}, ${b}Left or ${b}Right`).join('; ')}); pass missing: 'omit' to leave it out`,
        );
      }
      omitted.push(au);
      continue;
    }
    names.forEach((n) => used.add(n));
    aus.push(au);
    values.push(names.reduce((s, n) => s + (scores[n] as number), 0) / names.length);
    sources.push(names);
  }
  return {
    aus,
    values: Float64Array.from(values),
    sources,
    omitted,
    unusedBlendshapes: Object.keys(scores).filter((n) => !used.has(n)),
  };
}
