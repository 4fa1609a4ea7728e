/**
 * Named points of the MediaPipe face mesh (468 points + 10 iris points, the topology of
 * `@vladmandic/human`'s `facemesh` model). Indices from MediaPipe's canonical face model
 * (`mediapipe/modules/face_geometry/data/canonical_face_model_uv_visualization.png`); "right" and
 * "left" are the subject's, so for a frontal face the subject's right eye is on the image's left.
 * Each feature of {@link measureFaceGeometry} averages a point pair or group to damp landmark noise.
 */
export const MESH_POINTS = {
  rightEyeOuter: 33,
  rightEyeInner: 133,
  rightEyeUpperLid: 159,
  rightEyeLowerLid: 145,
  leftEyeOuter: 263,
  leftEyeInner: 362,
  leftEyeUpperLid: 386,
  leftEyeLowerLid: 374,
  /** Brows: upper contour point and the lower contour point below it. */
  rightBrowInner: [107, 55],
  rightBrowMid: [105, 52],
  rightBrowOuter: [70, 46],
  leftBrowInner: [336, 285],
  leftBrowMid: [334, 282],
  leftBrowOuter: [300, 276],
  /** Lateral nostril wings (alae). */
  rightAla: 98,
  leftAla: 327,
  /** Columella base (subnasale). */
  subnasale: 2,
  /** Cheek points below the lower eyelids. */
  rightCheek: 50,
  leftCheek: 280,
  rightMouthCorner: 61,
  leftMouthCorner: 291,
  /** Upper-lip outer (vermilion top, centre) and inner (centre) points. */
  upperLipOuter: 0,
  upperLipInner: 13,
  lowerLipInner: 14,
  lowerLipOuter: 17,
  /** Menton (lowest chin point). */
  chin: 152,
  noseTip: 1,
} as const;
