/**
 * Identities of the synthetic FACS faces: face shape, feature geometry, colours, hair, background
 * and a resting expression, all drawn from one seeded random source.
 *
 * Geometry is in *face units*: origin at the face centre (between the eyes' line and the mouth),
 * x to the image right, y down, the face half-width at the cheekbones ≈ 1.
 */
import { randomInt, randomUniform, type RandomSource } from '../random';

/** An RGB colour, channels 0–255. */
export type Rgb = readonly [number, number, number];

/** Hair styles the renderer draws. */
export type HairStyle = 'short' | 'long' | 'bald' | 'fringe';

/** Everything that makes one synthetic person look like themselves. */
export interface FaceIdentity {
  /** Face half-width at the cheekbones. */
  readonly faceHalfWidth: number;
  /** Half-width of the jaw at the jaw angle. */
  readonly jawHalfWidth: number;
  /** y of the top of the forehead (negative). */
  readonly foreheadY: number;
  /** y of the chin at rest. */
  readonly chinY: number;
  /** Half the distance between the eye centres. */
  readonly eyeHalfSpacing: number;
  /** y of the eye centres. */
  readonly eyeY: number;
  /** Half-width of one eye. */
  readonly eyeHalfWidth: number;
  /** Height of the open upper lid above the eye centre line. */
  readonly upperLidHeight: number;
  /** Depth of the lower lid below the eye centre line. */
  readonly lowerLidHeight: number;
  /** Iris radius. */
  readonly irisRadius: number;
  /** Gap between eye centre line and the brow at rest. */
  readonly browGap: number;
  /** Stroke width of the brows. */
  readonly browThickness: number;
  /** y of the nose tip. */
  readonly noseTipY: number;
  /** Half-width of the nose wings. */
  readonly noseHalfWidth: number;
  /** y of the mouth (lip line) at rest. */
  readonly mouthY: number;
  /** Half-width of the mouth (corner x). */
  readonly mouthHalfWidth: number;
  /** Thickness of the upper lip's red part. */
  readonly upperLipThickness: number;
  /** Thickness of the lower lip's red part. */
  readonly lowerLipThickness: number;
  readonly skin: Rgb;
  readonly lips: Rgb;
  readonly iris: Rgb;
  readonly hair: Rgb;
  readonly hairStyle: HairStyle;
  readonly clothes: Rgb;
  /** Background colours: top and bottom of a vertical gradient. */
  readonly background: readonly [Rgb, Rgb];
  /**
   * Resting expression: AU id → intensity on the FACS 0–5 scale, always shown (e.g. a slight
   * habitual frown or smile). Included in the per-frame ground truth.
   */
  readonly restingAus: Readonly<Record<string, number>>;
}

/** Anchor skin tones from light to dark; an identity's tone interpolates between two neighbours. */
const SKIN_ANCHORS: readonly Rgb[] = [
  [246, 214, 190],
  [232, 190, 160],
  [210, 160, 120],
  [170, 118, 82],
  [120, 80, 52],
  [82, 54, 36],
];

const HAIR_COLOURS: readonly Rgb[] = [
  [24, 20, 18],
  [60, 40, 26],
  [110, 74, 42],
  [190, 150, 90],
  [150, 70, 36],
  [150, 150, 150],
];

const HAIR_STYLES: readonly HairStyle[] = ['short', 'long', 'bald', 'fringe'];

/** AUs an identity's resting expression may show, with the largest resting intensity of each. */
const RESTING_CANDIDATES: readonly (readonly [string, number])[] = [
  ['AU04', 0.8],
  ['AU12', 0.8],
  ['AU15', 0.8],
  ['AU01', 0.8],
  ['AU07', 0.6],
  ['AU17', 0.6],
];

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [
    Math.round(a[0] + (b[0] - a[0]) * t),
    Math.round(a[1] + (b[1] - a[1]) * t),
    Math.round(a[2] + (b[2] - a[2]) * t),
  ];
}

function clampRgb(c: readonly number[]): Rgb {
  const ch = (v: number | undefined): number => Math.max(0, Math.min(255, Math.round(v ?? 0)));
  return [ch(c[0]), ch(c[1]), ch(c[2])];
}

function pick<T>(rng: RandomSource, items: readonly T[]): T {
  return items[randomInt(rng, items.length)] as T;
}

/**
 * Draws one identity from `rng`. Every parameter is uniform in a plausible range (face units,
 * see the module comment); skin tone interpolates uniformly along {@link SKIN_ANCHORS}; 0–2 resting
 * AUs with intensity uniform in [0.2, max]. Same random stream → same identity.
 */
export function sampleFaceIdentity(rng: RandomSource): FaceIdentity {
  const u = (lo: number, hi: number): number => randomUniform(rng, lo, hi);
  const faceHalfWidth = u(0.92, 1.05);
  const tone = u(0, SKIN_ANCHORS.length - 1);
  const lo = Math.floor(tone);
  const skinBase = mix(
    SKIN_ANCHORS[lo] as Rgb,
    SKIN_ANCHORS[Math.min(lo + 1, SKIN_ANCHORS.length - 1)] as Rgb,
    tone - lo,
  );
  const skin = clampRgb([skinBase[0] + u(-8, 8), skinBase[1] + u(-8, 8), skinBase[2] + u(-8, 8)]);
  const lips = clampRgb([skin[0] * 0.78 + 40, skin[1] * 0.55, skin[2] * 0.6]);
  const bgHue = u(0, 1);
  const bgA = clampRgb([
    60 + 150 * Math.abs(Math.sin(bgHue * 6.283)),
    60 + 150 * Math.abs(Math.sin(bgHue * 6.283 + 2.1)),
    60 + 150 * Math.abs(Math.sin(bgHue * 6.283 + 4.2)),
  ]);
  const bgShade = u(0.45, 0.9);
  const bgB = clampRgb([bgA[0] * bgShade, bgA[1] * bgShade, bgA[2] * bgShade]);
  const restingAus: Record<string, number> = {};
  const nResting = randomInt(rng, 3);
  for (let k = 0; k < nResting; k++) {
    const [au, max] = pick(rng, RESTING_CANDIDATES);
    restingAus[au] = u(0.2, max);
  }
  return {
    faceHalfWidth,
    jawHalfWidth: faceHalfWidth * u(0.62, 0.85),
    foreheadY: -u(1.2, 1.35),
    chinY: u(1.22, 1.42),
    eyeHalfSpacing: u(0.37, 0.45),
    eyeY: -u(0.12, 0.22),
    eyeHalfWidth: u(0.17, 0.21),
    upperLidHeight: u(0.08, 0.105),
    lowerLidHeight: u(0.06, 0.08),
    irisRadius: u(0.065, 0.08),
    browGap: u(0.2, 0.27),
    browThickness: u(0.06, 0.09),
    noseTipY: u(0.3, 0.4),
    noseHalfWidth: u(0.13, 0.18),
    mouthY: u(0.72, 0.82),
    mouthHalfWidth: u(0.3, 0.37),
    upperLipThickness: u(0.055, 0.08),
    lowerLipThickness: u(0.075, 0.1),
    skin,
    lips,
    iris: pick(rng, [
      [60, 40, 25],
      [90, 60, 30],
      [60, 90, 120],
      [70, 100, 60],
      [30, 25, 20],
    ] as const),
    hair: pick(rng, HAIR_COLOURS),
    hairStyle: pick(rng, HAIR_STYLES),
    clothes: clampRgb([u(20, 230), u(20, 230), u(20, 230)]),
    background: [bgA, bgB],
    restingAus,
  };
}
