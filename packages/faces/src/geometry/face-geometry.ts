/**
 * Scale-free face geometry from the face mesh: distances between landmarks measured in an
 * eye-aligned frame, in units of the inter-ocular distance.
 */
import { MESH_POINTS } from './mesh-points';

/**
 * The geometric features, in the order of {@link FaceGeometry.features}. All are in inter-ocular
 * distances (IOD: the distance between the two eye centres, each the midpoint of its eye corners), in
 * the eye-aligned frame: origin at the midpoint of the eye centres, x along the right-eye → left-eye
 * line, y perpendicular to it pointing down the face. Bilateral features average the two sides.
 */
export const GEOMETRY_FEATURES = [
  /** Height of the inner brow points above the eye line (−y of `*BrowInner`). */
  'browInnerHeight',
  /** Height of the middle brow points above the eye line. */
  'browMidHeight',
  /** Height of the outer brow points above the eye line. */
  'browOuterHeight',
  /** Distance between the two inner brow points. */
  'browGap',
  /** Height of the upper-lid centre above its eye's corner line. */
  'upperLidHeight',
  /** Depth of the lower-lid centre below its eye's corner line. */
  'lowerLidDrop',
  /** Upper-lid to lower-lid distance (eye opening). */
  'eyeOpening',
  /** Depth of the cheek points below the eye line. */
  'cheekDrop',
  /** Depth of the nostril wings below the eye line. */
  'alaDrop',
  /** Subnasale to upper-lip top (vermilion border) distance. */
  'lipToNose',
  /** Distance between the mouth corners. */
  'mouthWidth',
  /** Height of the mouth corners above the mouth centre (midpoint of the inner lip points). */
  'cornerLift',
  /** Upper plus lower vermilion height (outer to inner lip point, at the centre). */
  'lipThickness',
  /** Inner-lip gap (lower minus upper inner lip point). */
  'lipGap',
  /** Depth of the chin (menton) below the eye line. */
  'chinDrop',
  /** Lower-lip bottom to chin distance. */
  'chinToLip',
] as const;

/** Name of one geometric feature. */
export type GeometryFeature = (typeof GEOMETRY_FEATURES)[number];

/** What {@link measureFaceGeometry} returns. */
export interface FaceGeometry {
  /** Inter-ocular distance in input units (pixels). */
  readonly interOcular: number;
  /** In-plane rotation of the eye line (radians, image y down: positive turns clockwise). */
  readonly roll: number;
  /** Eye centres `[x, y]` in input units: the subject's right eye (image left when frontal), then left. */
  readonly rightEye: readonly [number, number];
  readonly leftEye: readonly [number, number];
  /** One value per {@link GEOMETRY_FEATURES} entry, in IOD units. */
  readonly features: Float64Array;
}

/**
 * Measures {@link GEOMETRY_FEATURES} from one face's landmarks.
 *
 * @param landmarks - Mesh points, `stride` numbers per point (x, y first), at least 468 points.
 * @param stride - Numbers per point: 3 for `[x, y, z]` (the detector's output), 2 for `[x, y]`.
 * @throws RangeError when there are too few points, a used point is not finite, or the eyes coincide.
 */
export function measureFaceGeometry(landmarks: ArrayLike<number>, stride: 2 | 3 = 3): FaceGeometry {
  if (landmarks.length < 468 * stride)
    throw new RangeError(
      `measureFaceGeometry: ${landmarks.length} numbers is fewer than 468 points × ${stride}`,
    );
  const raw = (i: number): [number, number] => {
    const x = landmarks[i * stride] as number;
    const y = landmarks[i * stride + 1] as number;
    if (!Number.isFinite(x) || !Number.isFinite(y))
      throw new RangeError(`measureFaceGeometry: landmark ${i} is not finite (${x}, ${y})`);
    return [x, y];
  };
  const mid = (a: [number, number], b: [number, number]): [number, number] => [
    (a[0] + b[0]) / 2,
    (a[1] + b[1]) / 2,
  ];
  const P = MESH_POINTS;
  const rightEye = mid(raw(P.rightEyeOuter), raw(P.rightEyeInner));
  const leftEye = mid(raw(P.leftEyeOuter), raw(P.leftEyeInner));
  const dx = leftEye[0] - rightEye[0];
  const dy = leftEye[1] - rightEye[1];
  const iod = Math.hypot(dx, dy);
  if (!(iod > 0)) throw new RangeError('measureFaceGeometry: the two eye centres coincide');
  const ux = dx / iod;
  const uy = dy / iod;
  const ox = (rightEye[0] + leftEye[0]) / 2;
  const oy = (rightEye[1] + leftEye[1]) / 2;
  // eye-aligned, IOD-scaled coordinates: x along u = (ux, uy), y along v = (−uy, ux) (down the face)
  const at = (i: number): [number, number] => {
    const [x, y] = raw(i);
    return [((x - ox) * ux + (y - oy) * uy) / iod, (-(x - ox) * uy + (y - oy) * ux) / iod];
  };
  const pairY = (pair: readonly [number, number]): number => (at(pair[0])[1] + at(pair[1])[1]) / 2;
  const pairX = (pair: readonly [number, number]): number => (at(pair[0])[0] + at(pair[1])[0]) / 2;
  const dist = (a: [number, number], b: [number, number]): number => Math.hypot(a[0] - b[0], a[1] - b[1]);
  /** Signed depth of `point` below the line through `a` and `b` (positive down the face). */
  const depthBelow = (point: number, a: number, b: number): number => {
    const [px, py] = at(point);
    const [ax, ay] = at(a);
    const [bx, by] = at(b);
    const t = (px - ax) / (bx - ax);
    return py - (ay + t * (by - ay));
  };
  const mean2 = (a: number, b: number): number => (a + b) / 2;

  const upperR = depthBelow(P.rightEyeUpperLid, P.rightEyeOuter, P.rightEyeInner);
  const upperL = depthBelow(P.leftEyeUpperLid, P.leftEyeOuter, P.leftEyeInner);
  const lowerR = depthBelow(P.rightEyeLowerLid, P.rightEyeOuter, P.rightEyeInner);
  const lowerL = depthBelow(P.leftEyeLowerLid, P.leftEyeOuter, P.leftEyeInner);
  const mouthCentreY = mean2(at(P.upperLipInner)[1], at(P.lowerLipInner)[1]);
  const cornerY = mean2(at(P.rightMouthCorner)[1], at(P.leftMouthCorner)[1]);

  const values: Record<GeometryFeature, number> = {
    browInnerHeight: -mean2(pairY(P.rightBrowInner), pairY(P.leftBrowInner)),
    browMidHeight: -mean2(pairY(P.rightBrowMid), pairY(P.leftBrowMid)),
    browOuterHeight: -mean2(pairY(P.rightBrowOuter), pairY(P.leftBrowOuter)),
    browGap: Math.abs(pairX(P.leftBrowInner) - pairX(P.rightBrowInner)),
    upperLidHeight: -mean2(upperR, upperL),
    lowerLidDrop: mean2(lowerR, lowerL),
    eyeOpening: mean2(
      dist(at(P.rightEyeUpperLid), at(P.rightEyeLowerLid)),
      dist(at(P.leftEyeUpperLid), at(P.leftEyeLowerLid)),
    ),
    cheekDrop: mean2(at(P.rightCheek)[1], at(P.leftCheek)[1]),
    alaDrop: mean2(at(P.rightAla)[1], at(P.leftAla)[1]),
    lipToNose: at(P.upperLipOuter)[1] - at(P.subnasale)[1],
    mouthWidth: dist(at(P.rightMouthCorner), at(P.leftMouthCorner)),
    cornerLift: mouthCentreY - cornerY,
    lipThickness:
      at(P.upperLipInner)[1] - at(P.upperLipOuter)[1] + (at(P.lowerLipOuter)[1] - at(P.lowerLipInner)[1]),
    lipGap: at(P.lowerLipInner)[1] - at(P.upperLipInner)[1],
    chinDrop: at(P.chin)[1],
    chinToLip: at(P.chin)[1] - at(P.lowerLipOuter)[1],
  };
  return {
    interOcular: iod,
    roll: Math.atan2(dy, dx),
    rightEye,
    leftEye,
    features: Float64Array.from(GEOMETRY_FEATURES, (name) => values[name]),
  };
}
