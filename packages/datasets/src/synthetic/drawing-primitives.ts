/** 2-D drawing primitives of the synthetic faces: colours, the head-pose projection, smooth paths. */
import type { SKRSContext2D } from '@napi-rs/canvas';
import type { FaceIdentity, Rgb } from './face-identity';
import type { FacePoint, FaceState } from './face-geometry';
import type { FaceRenderRequest, HeadPose } from './face-render-request';

export function css(c: Rgb, k = 1, alpha = 1): string {
  const ch = (v: number): number => Math.max(0, Math.min(255, Math.round(v * k)));
  return alpha >= 1
    ? `rgb(${ch(c[0])},${ch(c[1])},${ch(c[2])})`
    : `rgba(${ch(c[0])},${ch(c[1])},${ch(c[2])},${alpha.toFixed(3)})`;
}

/** Orthographic projection of a face point with depth: yaw then pitch rotation. */
export class Projector {
  private readonly cy: number;
  private readonly sy: number;
  private readonly cp: number;
  private readonly sp: number;
  constructor(pose: HeadPose) {
    this.cy = Math.cos(pose.yaw);
    this.sy = Math.sin(pose.yaw);
    this.cp = Math.cos(pose.pitch);
    this.sp = Math.sin(pose.pitch);
  }
  /**
   * Surface depth of the face at x (an ellipsoidal front, 0 on the silhouette) plus `dz` for features
   * that stand out (nose, lips).
   */
  p(point: FacePoint, dz = 0, onSurface = true): [number, number] {
    const [x, y] = point;
    const z = (onSurface ? 0.8 * Math.sqrt(Math.max(0, 1 - (x / 1.15) ** 2)) : 0) + dz;
    const x1 = x * this.cy + z * this.sy;
    const z1 = -x * this.sy + z * this.cy;
    return [x1, y * this.cp - z1 * this.sp];
  }
}

/** Quadratic Bézier from a to b whose curve passes through m at t = 1/2: control = 2m − (a + b)/2. */
export function curveThrough(
  ctx: SKRSContext2D,
  a: readonly number[],
  m: readonly number[],
  b: readonly number[],
): void {
  const cx = 2 * (m[0] as number) - ((a[0] as number) + (b[0] as number)) / 2;
  const cy = 2 * (m[1] as number) - ((a[1] as number) + (b[1] as number)) / 2;
  ctx.quadraticCurveTo(cx, cy, b[0] as number, b[1] as number);
}

/** Closed Catmull–Rom spline through `pts`, drawn as cubic Béziers. */
export function smoothClosed(ctx: SKRSContext2D, pts: readonly (readonly [number, number])[]): void {
  const n = pts.length;
  const at = (i: number): readonly [number, number] => pts[((i % n) + n) % n] as readonly [number, number];
  ctx.beginPath();
  ctx.moveTo(at(0)[0], at(0)[1]);
  for (let i = 0; i < n; i++) {
    const p0 = at(i - 1);
    const p1 = at(i);
    const p2 = at(i + 1);
    const p3 = at(i + 2);
    ctx.bezierCurveTo(
      p1[0] + (p2[0] - p0[0]) / 6,
      p1[1] + (p2[1] - p0[1]) / 6,
      p2[0] - (p3[0] - p1[0]) / 6,
      p2[1] - (p3[1] - p1[1]) / 6,
      p2[0],
      p2[1],
    );
  }
  ctx.closePath();
}

export function line(ctx: SKRSContext2D, a: readonly number[], b: readonly number[]): void {
  ctx.beginPath();
  ctx.moveTo(a[0] as number, a[1] as number);
  ctx.lineTo(b[0] as number, b[1] as number);
  ctx.stroke();
}

/** What the parts of `drawFace` (face-drawing.ts) share. */
export interface FaceDrawing {
  readonly ctx: SKRSContext2D;
  readonly req: FaceRenderRequest;
  readonly id: FaceIdentity;
  readonly L: FaceState['landmarks'];
  readonly creases: FaceState['creases'];
  /** Projects face points (with depth) for the head pose. */
  readonly P: Projector;
  /** Half width of the face, face units. */
  readonly fw: number;
  /** Stroke colour of a skin crease of strength `alpha`. */
  crease(alpha: number): string;
}
