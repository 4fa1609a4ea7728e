/**
 * Face alignment: a similarity transform (rotation, uniform scale, translation) that puts the two eye
 * centres at fixed places of a model's input crop. The same function prepares crops for inference
 * and for training data, so a model sees faces framed the same way in both.
 */
import { measureFaceGeometry } from '../geometry/face-geometry';
import type { Point2, RgbFrame } from '../types';

/**
 * The crop size of a model: any object with `height` and `width`, such as a backbone's `InputSpec`
 * (`@dfer/backbones`).
 */
export interface AlignmentTarget {
  readonly height: number;
  readonly width: number;
}

/** Where the eyes go in the crop, as fractions of its size. */
export interface AlignmentTemplate {
  /** Distance between the eye centres as a fraction of the crop width (default 0.4). */
  readonly eyeDistance: number;
  /** Height of the eye line as a fraction of the crop height, from the top (default 0.4). */
  readonly eyeY: number;
}

/** The default template: eyes 0.4 × width apart, at 0.4 × height, centred horizontally. */
export const DEFAULT_ALIGNMENT_TEMPLATE: AlignmentTemplate = { eyeDistance: 0.4, eyeY: 0.4 };

/**
 * A 2-D similarity transform `[a, b, tx, c, d, ty]`: a point (x, y) maps to
 * (a·x + b·y + tx, c·x + d·y + ty).
 */
export type AffineMatrix = readonly [number, number, number, number, number, number];

/**
 * The transform from crop coordinates to image coordinates (the inverse map used for sampling) that
 * takes the subject's right eye (image left when frontal) to crop point
 * ((0.5 − eyeDistance/2)·W, eyeY·H) and the left eye to ((0.5 + eyeDistance/2)·W, eyeY·H). With
 * θ the angle of the eye line, s = eyeDistance·W / |leftEye − rightEye|, c the eyes' midpoint and
 * o = (W/2, eyeY·H):  image = c + (1/s)·R(θ)·(crop − o).
 *
 * @throws RangeError when the eyes coincide or the target or template is invalid.
 */
export function eyeAlignmentTransform(
  rightEye: Point2,
  leftEye: Point2,
  target: AlignmentTarget,
  template: AlignmentTemplate = DEFAULT_ALIGNMENT_TEMPLATE,
): AffineMatrix {
  checkTarget(target);
  if (!(template.eyeDistance > 0 && template.eyeDistance <= 1 && template.eyeY >= 0 && template.eyeY <= 1))
    throw new RangeError(
      `eyeAlignmentTransform: template needs eyeDistance in (0, 1] and eyeY in [0, 1], got ${JSON.stringify(template)}`,
    );
  const dx = leftEye[0] - rightEye[0];
  const dy = leftEye[1] - rightEye[1];
  const iod = Math.hypot(dx, dy);
  if (!(iod > 0)) throw new RangeError('eyeAlignmentTransform: the two eye centres coincide');
  const inv = iod / (template.eyeDistance * target.width); // 1 / s
  const cos = (dx / iod) * inv;
  const sin = (dy / iod) * inv;
  const ox = target.width / 2;
  const oy = template.eyeY * target.height;
  const cx = (rightEye[0] + leftEye[0]) / 2;
  const cy = (rightEye[1] + leftEye[1]) / 2;
  return [cos, -sin, cx - cos * ox + sin * oy, sin, cos, cy - sin * ox - cos * oy];
}

function checkTarget(target: AlignmentTarget): void {
  if (!(
    Number.isInteger(target.height) &&
    Number.isInteger(target.width) &&
    target.height > 0 &&
    target.width > 0
  ))
    throw new RangeError(
      `alignment target must have positive integer height and width, got ${target.height}×${target.width}`,
    );
}

/**
 * Samples the crop `[height, width, 3]` (float32 RGB in [0, 1], row-major) of `frame` through
 * `transform` (crop → image) with bilinear interpolation; pixel (row i, column j) is the point
 * (j + 0.5, i + 0.5) in both images, and samples outside the image read 0 (black).
 */
export function warpFrame(frame: RgbFrame, transform: AffineMatrix, target: AlignmentTarget): Float32Array {
  checkTarget(target);
  const { data, width, height } = frame;
  if (data.length !== width * height * 3)
    throw new RangeError(`warpFrame: frame.data has ${data.length} bytes, expected ${width * height * 3}`);
  const [a, b, tx, c, d, ty] = transform;
  const out = new Float32Array(target.height * target.width * 3);
  const read = (x: number, y: number, ch: number): number =>
    x < 0 || y < 0 || x >= width || y >= height ? 0 : (data[(y * width + x) * 3 + ch] as number);
  for (let i = 0; i < target.height; i++) {
    for (let j = 0; j < target.width; j++) {
      const u = j + 0.5;
      const v = i + 0.5;
      // source point on the integer pixel grid (pixel centres at integers)
      const sx = a * u + b * v + tx - 0.5;
      const sy = c * u + d * v + ty - 0.5;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      for (let ch = 0; ch < 3; ch++) {
        const top = read(x0, y0, ch) * (1 - fx) + read(x0 + 1, y0, ch) * fx;
        const bottom = read(x0, y0 + 1, ch) * (1 - fx) + read(x0 + 1, y0 + 1, ch) * fx;
        out[(i * target.width + j) * 3 + ch] = ((top * (1 - fy) + bottom * fy) / 255) as number;
      }
    }
  }
  return out;
}

/**
 * The aligned face crop for a model: eye centres from the face mesh (midpoints of the eye corners),
 * {@link eyeAlignmentTransform}, then {@link warpFrame}. Returns `[target.height, target.width, 3]`
 * float32 RGB in [0, 1]; a model's own mean/std normalisation is applied by its input pipeline.
 *
 * @param landmarks - The face's mesh (`DetectedFace.landmarks`, 478 × 3).
 */
export function alignFace(
  frame: RgbFrame,
  landmarks: ArrayLike<number>,
  target: AlignmentTarget,
  template: AlignmentTemplate = DEFAULT_ALIGNMENT_TEMPLATE,
): Float32Array {
  const geometry = measureFaceGeometry(landmarks);
  return warpFrame(
    frame,
    eyeAlignmentTransform(geometry.rightEye, geometry.leftEye, target, template),
    target,
  );
}
