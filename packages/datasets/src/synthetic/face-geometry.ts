/**
 * The FACS motion model of the synthetic faces: how each Action Unit moves the landmarks of a face
 * and which creases it draws. Descriptions follow the FACS manual's appearance changes (Ekman,
 * Friesen & Hager, "Facial Action Coding System", 2002) as summarised per AU in `@dfer/au-knowledge`'s
 * catalogue; the magnitudes are exaggerated so that every action stays visible at 32–64 px.
 *
 * Coordinates are face units (see `face-identity.ts`): x to the image right, y **down**, so "raises"
 * means a smaller y. `L` is the image-left half of the face, `R` the image-right half.
 */
import type { FaceIdentity } from './face-identity';

/** A 2-D point in face units. */
export type FacePoint = readonly [number, number];

/** AU intensities on the FACS 0–5 scale by AU id (`'AU12'`); absent AUs are 0. */
export type AuIntensities = Readonly<Record<string, number>>;

/**
 * AUs the motion model animates: the 18 OpenFace 2.0 AUs plus AU24 (BP4D) and AU43 (eyes closed,
 * drawn like AU45).
 */
export const ANIMATED_AUS = [
  'AU01',
  'AU02',
  'AU04',
  'AU05',
  'AU06',
  'AU07',
  'AU09',
  'AU10',
  'AU12',
  'AU14',
  'AU15',
  'AU17',
  'AU20',
  'AU23',
  'AU24',
  'AU25',
  'AU26',
  'AU28',
  'AU43',
  'AU45',
] as const;

/** Landmarks of one face state (after the AUs acted, before head pose). */
interface FaceLandmarks {
  readonly browInnerL: FacePoint;
  readonly browMidL: FacePoint;
  readonly browOuterL: FacePoint;
  readonly browInnerR: FacePoint;
  readonly browMidR: FacePoint;
  readonly browOuterR: FacePoint;
  /** Eye centres (fixed by the identity). */
  readonly eyeCentreL: FacePoint;
  readonly eyeCentreR: FacePoint;
  /** Highest point of the upper lid (above the eye centre). */
  readonly upperLidL: FacePoint;
  readonly upperLidR: FacePoint;
  /** Lowest point of the lower lid. */
  readonly lowerLidL: FacePoint;
  readonly lowerLidR: FacePoint;
  readonly eyeInnerL: FacePoint;
  readonly eyeOuterL: FacePoint;
  readonly eyeInnerR: FacePoint;
  readonly eyeOuterR: FacePoint;
  /** Top of the cheek mound below each eye. */
  readonly cheekL: FacePoint;
  readonly cheekR: FacePoint;
  readonly noseTip: FacePoint;
  /** Outer edge of the nose wings (alae). */
  readonly noseWingL: FacePoint;
  readonly noseWingR: FacePoint;
  readonly mouthCornerL: FacePoint;
  readonly mouthCornerR: FacePoint;
  /** Top edge of the upper lip at the midline. */
  readonly upperLipTop: FacePoint;
  /** Bottom edge of the upper lip at the midline. */
  readonly upperLipBottom: FacePoint;
  /** Top edge of the lower lip at the midline. */
  readonly lowerLipTop: FacePoint;
  /** Bottom edge of the lower lip at the midline. */
  readonly lowerLipBottom: FacePoint;
  readonly chin: FacePoint;
  /** Jaw angle points of the face outline. */
  readonly jawL: FacePoint;
  readonly jawR: FacePoint;
}

/** Strengths (0–1) of the creases and skin changes the renderer draws. */
interface FaceCreases {
  /** Horizontal forehead lines (AU1, AU2). */
  readonly forehead: number;
  /** Vertical lines between the brows (AU4). */
  readonly glabella: number;
  /** Crow's feet at the eye corners and raised cheek highlight (AU6). */
  readonly crowsFeet: number;
  /** Wrinkles across the nose root (AU9). */
  readonly noseWrinkle: number;
  /** Nasolabial furrows from the nose wings to the mouth corners (AU9, AU10, AU12). */
  readonly nasolabial: number;
  /** Dimples beside the mouth corners (AU14). */
  readonly dimple: number;
  /** Chin boss wrinkling (AU17). */
  readonly chinBoss: number;
  /** Bulges above/below the pressed lips (AU24). */
  readonly lipPress: number;
  /** Upper teeth shown when the lips part, by how much the upper lip is raised (AU10, AU12). */
  readonly teeth: number;
}

/** Result of {@link computeFaceLandmarks}. */
export interface FaceState {
  readonly landmarks: FaceLandmarks;
  readonly creases: FaceCreases;
}

function level(aus: AuIntensities, id: string): number {
  const v = aus[id] ?? 0;
  return v <= 0 ? 0 : v >= 5 ? 1 : v / 5;
}

/**
 * Landmarks and creases of `identity`'s face under the AU intensities `aus` (FACS 0–5 scale; each
 * is normalised to a = I/5 ∈ [0, 1], and displacements are linear in a). Displacements in face units,
 * y down (see the module comment):
 *
 * - AU1 inner brow raiser: inner brow y −0.26a, mid −0.09a; forehead lines.
 * - AU2 outer brow raiser: outer brow y −0.26a, mid −0.12a; forehead lines.
 * - AU4 brow lowerer: brows y +0.16a (inner), +0.09a (mid), +0.04a (outer); inner brows drawn
 *   together by 0.08a; upper lid narrowed ×(1 − 0.25a); vertical glabella lines.
 * - AU5 upper lid raiser: upper lid raised by 0.1a (more sclera).
 * - AU6 cheek raiser: cheeks up 0.12a, lower lid up by 0.5a of its depth, outer eye corners up
 *   0.02a; crow's feet.
 * - AU7 lid tightener: lower lid up by 0.6a of its depth, upper lid ×(1 − 0.3a).
 * - AU9 nose wrinkler: nose wings up 0.1a and out 0.03a, inner brows down 0.06a, upper lip up
 *   0.04a, lower lid up 0.2a of its depth; nose wrinkles, nasolabial furrows.
 * - AU10 upper lip raiser: upper lip top up 0.13a, its lower edge up 0.11a (the lower lip stays, so
 *   the upper teeth show), corners up 0.02a; nasolabial furrows.
 * - AU12 lip corner puller: corners up 0.2a and out 0.1a, cheeks up 0.05a; nasolabial furrows.
 * - AU14 dimpler: corners out 0.04a and up 0.02a, lips ×(1 − 0.15a); dimples.
 * - AU15 lip corner depressor: corners down 0.2a and in 0.03a, lower lip bottom down 0.02a.
 * - AU17 chin raiser: pushes the closed lips up (upper lip and lower lip top up 0.02a, lower lip
 *   bottom up 0.05a), chin up 0.04a, corners down 0.03a; chin boss wrinkles.
 * - AU20 lip stretcher: corners out 0.13a and down 0.03a, lips ×(1 − 0.3a).
 * - AU23 lip tightener: lips ×(1 − 0.55a), corners in 0.05a.
 * - AU24 lip pressor: lips ×(1 − 0.6a), lip gap ×(1 − a), corners in 0.02a; bulges.
 * - AU25 lips part: lip gap +0.15a (upper lip up 0.02a, lower lip down 0.13a).
 * - AU26 jaw drop: chin down 0.26a, jaw angles down 0.2a, lower lip down 0.2a, corners down
 *   0.05a + 0.35·gap (the lips part with the jaw: gap +0.2a).
 * - AU28 lip suck: lips ×(1 − 0.85a), lip gap ×(1 − a), corners in 0.04a.
 * - AU43 / AU45 eyes closed / blink: both lids close towards a line 30 % of the lower-lid depth
 *   below the eye centre, openness ×(1 − a) with a = max(a43, a45).
 */
export function computeFaceLandmarks(identity: FaceIdentity, aus: AuIntensities): FaceState {
  const a1 = level(aus, 'AU01');
  const a2 = level(aus, 'AU02');
  const a4 = level(aus, 'AU04');
  const a5 = level(aus, 'AU05');
  const a6 = level(aus, 'AU06');
  const a7 = level(aus, 'AU07');
  const a9 = level(aus, 'AU09');
  const a10 = level(aus, 'AU10');
  const a12 = level(aus, 'AU12');
  const a14 = level(aus, 'AU14');
  const a15 = level(aus, 'AU15');
  const a17 = level(aus, 'AU17');
  const a20 = level(aus, 'AU20');
  const a23 = level(aus, 'AU23');
  const a24 = level(aus, 'AU24');
  const a25 = level(aus, 'AU25');
  const a26 = level(aus, 'AU26');
  const a28 = level(aus, 'AU28');
  const aClose = Math.max(level(aus, 'AU43'), level(aus, 'AU45'));
  const id = identity;

  // Brows (x given for the image-right side; mirrored for the left).
  const browBaseY = id.eyeY - id.browGap;
  const innerX = id.eyeHalfSpacing - id.eyeHalfWidth * 0.95 - 0.08 * a4;
  const innerY = browBaseY + 0.02 - 0.26 * a1 + 0.16 * a4 + 0.06 * a9;
  const midX = id.eyeHalfSpacing + 0.02;
  const midY = browBaseY - 0.04 - 0.09 * a1 - 0.12 * a2 + 0.09 * a4 + 0.02 * a9;
  const outerX = id.eyeHalfSpacing + id.eyeHalfWidth * 1.25;
  const outerY = browBaseY + 0.03 - 0.26 * a2 + 0.04 * a4;

  // Eyes.
  const openUpper = Math.max(0, id.upperLidHeight * (1 - 0.25 * a4) * (1 - 0.3 * a7) + 0.1 * a5);
  const lowerDepth = id.lowerLidHeight * Math.max(0, 1 - 0.5 * a6 - 0.6 * a7 - 0.2 * a9);
  const closeLine = id.eyeY + 0.3 * id.lowerLidHeight;
  const upperLidY = closeLine + (id.eyeY - openUpper - closeLine) * (1 - aClose);
  const lowerLidY = closeLine + (id.eyeY + lowerDepth - closeLine) * (1 - aClose);
  const eyeOuterX = id.eyeHalfSpacing + id.eyeHalfWidth;
  const eyeInnerX = id.eyeHalfSpacing - id.eyeHalfWidth;
  const eyeOuterY = id.eyeY - 0.02 * a6;

  // Cheeks.
  const cheekX = id.eyeHalfSpacing + 0.05;
  const cheekY = id.eyeY + 0.32 - 0.12 * a6 - 0.05 * a12;

  // Nose.
  const wingX = id.noseHalfWidth + 0.03 * a9;
  const wingY = id.noseTipY + 0.02 - 0.1 * a9;

  // Mouth.
  const lipScale = Math.max(
    0.08,
    (1 - 0.15 * a14) * (1 - 0.3 * a20) * (1 - 0.55 * a23) * (1 - 0.6 * a24) * (1 - 0.85 * a28),
  );
  const closeFactor = (1 - a24) * (1 - a28);
  const gap = (0.15 * a25 + 0.2 * a26) * closeFactor;
  const cornerX = Math.max(
    0.12,
    id.mouthHalfWidth +
      0.1 * a12 +
      0.04 * a14 -
      0.03 * a15 +
      0.13 * a20 -
      0.05 * a23 -
      0.02 * a24 -
      0.04 * a28,
  );
  const lipLineY = id.mouthY;
  const cornerY =
    lipLineY -
    0.2 * a12 -
    0.02 * a14 +
    0.2 * a15 +
    0.03 * a17 +
    0.03 * a20 -
    0.02 * a10 +
    0.05 * a26 +
    gap * 0.35;
  const upperLift = 0.02 * a25 * closeFactor + 0.02 * a17 + 0.04 * a9;
  const upperLipBottomY = lipLineY - upperLift - 0.11 * a10;
  const upperLipTopY = lipLineY - upperLift - 0.13 * a10 - id.upperLipThickness * lipScale;
  const lowerDrop = (0.13 * a25 + 0.2 * a26) * closeFactor - 0.02 * a17;
  const lowerLipTopY = Math.max(upperLipBottomY, lipLineY + lowerDrop);
  const lowerLipBottomY = lowerLipTopY + id.lowerLipThickness * lipScale + 0.02 * a15 - 0.03 * a17;
  const jawDrop = 0.26 * a26;
  const chinY = id.chinY + jawDrop - 0.04 * a17;
  const jawY = 0.95 + jawDrop * 0.75;

  const landmarks: FaceLandmarks = {
    browInnerL: [-innerX, innerY],
    browMidL: [-midX, midY],
    browOuterL: [-outerX, outerY],
    browInnerR: [innerX, innerY],
    browMidR: [midX, midY],
    browOuterR: [outerX, outerY],
    eyeCentreL: [-id.eyeHalfSpacing, id.eyeY],
    eyeCentreR: [id.eyeHalfSpacing, id.eyeY],
    upperLidL: [-id.eyeHalfSpacing, upperLidY],
    upperLidR: [id.eyeHalfSpacing, upperLidY],
    lowerLidL: [-id.eyeHalfSpacing, lowerLidY],
    lowerLidR: [id.eyeHalfSpacing, lowerLidY],
    eyeInnerL: [-eyeInnerX, id.eyeY],
    eyeOuterL: [-eyeOuterX, eyeOuterY],
    eyeInnerR: [eyeInnerX, id.eyeY],
    eyeOuterR: [eyeOuterX, eyeOuterY],
    cheekL: [-cheekX, cheekY],
    cheekR: [cheekX, cheekY],
    noseTip: [0, id.noseTipY],
    noseWingL: [-wingX, wingY],
    noseWingR: [wingX, wingY],
    mouthCornerL: [-cornerX, cornerY],
    mouthCornerR: [cornerX, cornerY],
    upperLipTop: [0, upperLipTopY],
    upperLipBottom: [0, upperLipBottomY],
    lowerLipTop: [0, lowerLipTopY],
    lowerLipBottom: [0, lowerLipBottomY],
    chin: [0, chinY],
    jawL: [-id.jawHalfWidth, jawY],
    jawR: [id.jawHalfWidth, jawY],
  };
  const creases: FaceCreases = {
    forehead: Math.max(a1, a2),
    glabella: a4,
    crowsFeet: a6,
    noseWrinkle: a9,
    nasolabial: Math.min(1, Math.max(a9, a10, a12)),
    dimple: a14,
    chinBoss: a17,
    lipPress: a24,
    teeth: Math.min(1, 0.35 + a10 + 0.5 * a12),
  };
  return { landmarks, creases };
}
