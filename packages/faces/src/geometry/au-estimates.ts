/**
 * Action Unit intensities from landmark geometry, relative to a neutral baseline, on OpenFace's
 * 0–5 scale.
 *
 * Each AU is one formula of the change Δf = f − b of {@link GEOMETRY_FEATURES} (f measured on the
 * frame, b the neutral baseline of the face's track), in inter-ocular distances (IOD):
 *
 *     intensity = clamp(5 · d / R, 0, 5)
 *
 * where d is the AU's displacement (below) and R its full range: the displacement taken as FACS
 * intensity E (maximum). The movements are those FACS describes for each AU (Ekman, Friesen & Hager,
 * FACS Manual 2002); the ranges R are round values of the size of the visible movement on adult faces
 * (IOD ≈ 63 mm: R = 0.1 IOD ≈ 6 mm) and are **not fitted to coded data**: an intensity is a relative
 * measure of one face's movement, comparable across frames of a track, not a calibrated FACS code.
 */
import type { AuId } from '@dfer/au-knowledge';
import { GEOMETRY_FEATURES, type GeometryFeature } from './face-geometry';
import { NEUTRAL_REFERENCE } from './neutral-reference';

/** One AU's geometric formula. */
export interface AuGeometryFormula {
  readonly au: AuId;
  /** The formula of the displacement d in terms of Δ (feature change from the baseline). */
  readonly formula: string;
  /** Full range R in IOD units (d = R gives intensity 5). */
  readonly range: number;
  /** d from the feature changes Δ (`delta`) and the baseline (`base`), both indexed by feature name. */
  readonly displacement: (
    delta: Readonly<Record<GeometryFeature, number>>,
    base: Readonly<Record<GeometryFeature, number>>,
  ) => number;
}

const pos = (v: number): number => Math.max(0, v);

/**
 * The AUs geometry can see, in OpenFace order, with their formulas. AU14 (dimpler), AU24 (lip
 * presser) and AU28 (lip suck) change little that the mesh resolves and are not estimated.
 */
export const AU_GEOMETRY: readonly AuGeometryFormula[] = [
  {
    au: 'AU01',
    formula: 'd = Δ browInnerHeight (inner brows rise)',
    range: 0.12,
    displacement: (d) => d.browInnerHeight,
  },
  {
    au: 'AU02',
    formula: 'd = Δ browOuterHeight (outer brows rise)',
    range: 0.12,
    displacement: (d) => d.browOuterHeight,
  },
  {
    au: 'AU04',
    formula: 'd = −(Δ browInnerHeight + Δ browMidHeight) / 2 − Δ browGap / 2 (brows lower and draw together)',
    range: 0.1,
    displacement: (d) => -(d.browInnerHeight + d.browMidHeight) / 2 - d.browGap / 2,
  },
  {
    au: 'AU05',
    formula: 'd = Δ upperLidHeight (upper lid rises)',
    range: 0.05,
    displacement: (d) => d.upperLidHeight,
  },
  {
    au: 'AU06',
    formula: 'd = −Δ cheekDrop (cheeks rise towards the eyes)',
    range: 0.06,
    displacement: (d) => -d.cheekDrop,
  },
  {
    au: 'AU07',
    formula: 'd = −Δ lowerLidDrop (lower lid rises)',
    range: 0.04,
    displacement: (d) => -d.lowerLidDrop,
  },
  {
    au: 'AU09',
    formula: 'd = −Δ alaDrop (nostril wings rise)',
    range: 0.06,
    displacement: (d) => -d.alaDrop,
  },
  {
    au: 'AU10',
    formula: 'd = −Δ lipToNose (upper lip rises towards the nose)',
    range: 0.06,
    displacement: (d) => -d.lipToNose,
  },
  {
    au: 'AU12',
    formula: 'd = Δ cornerLift + Δ mouthWidth / 2 (corners pulled up and out)',
    range: 0.2,
    displacement: (d) => d.cornerLift + d.mouthWidth / 2,
  },
  {
    au: 'AU15',
    formula: 'd = −Δ cornerLift (corners pulled down)',
    range: 0.08,
    displacement: (d) => -d.cornerLift,
  },
  {
    au: 'AU17',
    formula: 'd = −Δ chinToLip (chin boss pushes the lower lip up)',
    range: 0.08,
    displacement: (d) => -d.chinToLip,
  },
  {
    au: 'AU20',
    formula: 'd = Δ mouthWidth − 2 · max(0, Δ cornerLift) (mouth stretched sideways, not up)',
    range: 0.2,
    displacement: (d) => d.mouthWidth - 2 * pos(d.cornerLift),
  },
  {
    au: 'AU23',
    formula: 'd = −Δ lipThickness (lips tighten and narrow)',
    range: 0.08,
    displacement: (d) => -d.lipThickness,
  },
  {
    au: 'AU25',
    formula: 'd = Δ lipGap (lips part)',
    range: 0.15,
    displacement: (d) => d.lipGap,
  },
  {
    au: 'AU26',
    formula: 'd = Δ chinDrop (jaw drops)',
    range: 0.25,
    displacement: (d) => d.chinDrop,
  },
  {
    au: 'AU45',
    formula: 'd = −Δ eyeOpening / b eyeOpening (fraction of the neutral eye opening closed)',
    range: 0.8,
    displacement: (d, b) => (b.eyeOpening > 0 ? -d.eyeOpening / b.eyeOpening : 0),
  },
];

/** The estimated AUs, in {@link AU_GEOMETRY} order (the AU columns of every result). */
export const GEOMETRY_AUS: readonly AuId[] = AU_GEOMETRY.map((f) => f.au);

function byName(values: ArrayLike<number>): Record<GeometryFeature, number> {
  return Object.fromEntries(GEOMETRY_FEATURES.map((name, i) => [name, values[i] as number])) as Record<
    GeometryFeature,
    number
  >;
}

/**
 * AU intensities (0–5, {@link GEOMETRY_AUS} order) of one frame's features against a neutral
 * baseline, by the formulas of {@link AU_GEOMETRY}.
 *
 * @throws RangeError when either vector does not have one finite value per {@link GEOMETRY_FEATURES}.
 */
export function estimateAus(features: ArrayLike<number>, baseline: ArrayLike<number>): Float64Array {
  for (const [name, v] of [
    ['features', features],
    ['baseline', baseline],
  ] as const) {
    if (v.length !== GEOMETRY_FEATURES.length)
      throw new RangeError(
        `estimateAus: ${name} has ${v.length} values, expected ${GEOMETRY_FEATURES.length}`,
      );
    for (let i = 0; i < v.length; i++)
      if (!Number.isFinite(v[i]))
        throw new RangeError(`estimateAus: ${name}[${i}] (${GEOMETRY_FEATURES[i]}) is ${v[i]}`);
  }
  const base = byName(baseline);
  const delta = byName(
    Array.from(GEOMETRY_FEATURES, (_, i) => (features[i] as number) - (baseline[i] as number)),
  );
  return Float64Array.from(AU_GEOMETRY, (f) =>
    Math.min(5, Math.max(0, (5 * f.displacement(delta, base)) / f.range)),
  );
}

/** Build-time options of {@link createNeutralBaseline}. */
export interface NeutralBaselineConfig {
  /** The population neutral face (default {@link NEUTRAL_REFERENCE}, MediaPipe's canonical face). */
  readonly reference?: ArrayLike<number>;
  /**
   * How far a person's own neutral may lie from the reference, per feature, in IOD units (default
   * {@link NEUTRAL_TOLERANCE}). Larger offsets are taken as expression, not identity.
   */
  readonly tolerance?: ArrayLike<number>;
  /** Frames of the track's recent history whose median estimates its neutral (default 300). */
  readonly window?: number;
}

/** A per-track neutral baseline, updated frame by frame in constant memory. */
export interface NeutralBaseline {
  /** Adds one frame's features and returns the baseline for that frame (a new array). */
  update(features: ArrayLike<number>): Float64Array;
  /** Frames seen. */
  readonly count: number;
}

/**
 * Tolerance of a person's neutral around {@link NEUTRAL_REFERENCE}, per feature: 1.5 intensity units
 * of the feature's most sensitive AU (1.5 / 5 · R), so up to 1.5 of a constant offset is absorbed as
 * identity and the rest stays expression.
 */
export const NEUTRAL_TOLERANCE: Readonly<Record<GeometryFeature, number>> = (() => {
  const ranges: Record<GeometryFeature, number> = {
    browInnerHeight: 0.12,
    browMidHeight: 0.1,
    browOuterHeight: 0.12,
    browGap: 0.1,
    upperLidHeight: 0.05,
    lowerLidDrop: 0.04,
    eyeOpening: 0.05,
    cheekDrop: 0.06,
    alaDrop: 0.06,
    lipToNose: 0.06,
    mouthWidth: 0.2,
    cornerLift: 0.08,
    lipThickness: 0.08,
    lipGap: 0.15,
    chinDrop: 0.25,
    chinToLip: 0.08,
  };
  return Object.fromEntries(GEOMETRY_FEATURES.map((n) => [n, (1.5 / 5) * ranges[n]])) as Record<
    GeometryFeature,
    number
  >;
})();

/**
 * A track's neutral face: b = r + clamp(m − r, −τ, τ) per feature, where r is the population
 * reference, m the median of the track's last `window` frames (including the current one) and τ the
 * tolerance. On a track that is mostly neutral, b follows the person's own face (so a naturally
 * down-turned mouth is not AU15); on a track that never relaxes (a smile held through a whole clip),
 * b stays within τ of the reference and the held expression is still measured.
 *
 * @throws RangeError for a bad option or, on `update`, a feature vector of the wrong length.
 */
export function createNeutralBaseline(config: NeutralBaselineConfig = {}): NeutralBaseline {
  const n = GEOMETRY_FEATURES.length;
  const reference = Float64Array.from(config.reference ?? NEUTRAL_REFERENCE);
  const tolerance = Float64Array.from(config.tolerance ?? GEOMETRY_FEATURES.map((f) => NEUTRAL_TOLERANCE[f]));
  const window = config.window ?? 300;
  if (reference.length !== n || tolerance.length !== n)
    throw new RangeError(`createNeutralBaseline: reference and tolerance need ${n} values each`);
  if (!tolerance.every((t) => t >= 0))
    throw new RangeError('createNeutralBaseline: tolerance values must be ≥ 0');
  if (!(Number.isInteger(window) && window >= 1))
    throw new RangeError(`createNeutralBaseline: window must be an integer ≥ 1, got ${window}`);
  const history = new Float64Array(window * n);
  let count = 0;
  const column = new Float64Array(window);
  return {
    get count() {
      return count;
    },
    update(features) {
      if (features.length !== n)
        throw new RangeError(`NeutralBaseline.update: ${features.length} features, expected ${n}`);
      history.set(Array.from(features), (count % window) * n);
      count++;
      const filled = Math.min(count, window);
      const out = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        for (let t = 0; t < filled; t++) column[t] = history[t * n + j] as number;
        const m = median(column.subarray(0, filled));
        const r = reference[j] as number;
        const tau = tolerance[j] as number;
        out[j] = r + Math.min(tau, Math.max(-tau, m - r));
      }
      return out;
    },
  };
}

function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
