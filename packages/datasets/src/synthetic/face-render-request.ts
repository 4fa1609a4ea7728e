/** What one synthetic face frame shows: identity, AU intensities, head pose and framing, light and camera, occlusion. */
import type { FaceIdentity } from './face-identity';
import type { AuIntensities } from './face-geometry';

/** Head rotation in radians (small angles: the face is frontal). */
export interface HeadPose {
  /** Turn left/right (about the vertical axis). */
  readonly yaw: number;
  /** Nod up/down (about the horizontal axis). */
  readonly pitch: number;
  /** In-plane tilt. */
  readonly roll: number;
}

/** Where the head sits in the frame. */
export interface FaceFraming {
  readonly pose: HeadPose;
  /** Head size relative to the default framing (1 = forehead to chin span about 85 % of the frame height). */
  readonly scale: number;
  /** Horizontal offset of the face centre, as a fraction of the frame width. */
  readonly offsetX: number;
  /** Vertical offset of the face centre, as a fraction of the frame height. */
  readonly offsetY: number;
}

/** Lighting and camera effects. */
export interface FacePhotometry {
  /** Added to every channel, 0–255 units. */
  readonly brightness: number;
  /** Contrast factor about mid-grey 128. */
  readonly contrast: number;
  /** Direction of the light in radians (0 = from the image left). */
  readonly lightAngle: number;
  /** Strength of the directional light gradient, 0–1. */
  readonly lightStrength: number;
  /** Gaussian blur σ in pixels of a 64-pixel frame (scaled with the frame size). */
  readonly blurSigma: number;
  /** Standard deviation of additive Gaussian sensor noise, 0–255 units. */
  readonly noiseStd: number;
}

/** Something in front of the face. */
export interface FaceOcclusion {
  /** `hand`: a skin-coloured hand shape; `object`: a dark bar (microphone, cup, phone). */
  readonly kind: 'hand' | 'object';
  /** Centre in face units. */
  readonly x: number;
  readonly y: number;
  /** Half-size in face units. */
  readonly halfWidth: number;
  readonly halfHeight: number;
  /** Rotation in radians. */
  readonly angle: number;
}

/** Everything one frame depends on. */
export interface FaceRenderRequest {
  readonly identity: FaceIdentity;
  /** AU intensities (FACS 0–5) shown in this frame. */
  readonly aus: AuIntensities;
  readonly framing: FaceFraming;
  readonly photometry: FacePhotometry;
  readonly occlusion?: FaceOcclusion;
  /** Gaze offset of the irises, in face units. */
  readonly gaze?: readonly [number, number];
  /** Seed of the sensor noise of this frame. */
  readonly noiseSeed: number;
}

/** A neutral framing: frontal, centred, default size. */
export const FRONTAL_FRAMING: FaceFraming = {
  pose: { yaw: 0, pitch: 0, roll: 0 },
  scale: 1,
  offsetX: 0,
  offsetY: 0,
};

/** No lighting change, no blur, no noise. */
export const CLEAN_PHOTOMETRY: FacePhotometry = {
  brightness: 0,
  contrast: 1,
  lightAngle: 0,
  lightStrength: 0,
  blurSigma: 0,
  noiseStd: 0,
};
