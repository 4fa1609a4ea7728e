/**
 * Draws one synthetic face frame with `@napi-rs/canvas` (Skia 2-D vector graphics) straight at the
 * requested resolution, then applies photometric changes (brightness, contrast, blur, sensor noise)
 * on the 8-bit pixels. Output is RGB, 8 bits per channel, row-major `[H, W, 3]`.
 *
 * Determinism: the drawing is a pure function of its inputs, and the noise comes from a seeded
 * generator, so the same request gives byte-identical pixels on the same platform build of Skia.
 */
import { createCanvas, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import { createRandomSource } from '../random';
import type { FaceIdentity, Rgb } from './face-identity';
import { computeFaceLandmarks, type AuIntensities, type FacePoint, type FaceState } from './face-geometry';

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

interface Surface {
  readonly canvas: Canvas;
  readonly ctx: SKRSContext2D;
}

const surfaces = new Map<string, Surface>();

function getSurface(width: number, height: number): Surface {
  const key = `${width}x${height}`;
  let s = surfaces.get(key);
  if (s === undefined) {
    const canvas = createCanvas(width, height);
    s = { canvas, ctx: canvas.getContext('2d') };
    surfaces.set(key, s);
  }
  return s;
}

function css(c: Rgb, k = 1, alpha = 1): string {
  const ch = (v: number): number => Math.max(0, Math.min(255, Math.round(v * k)));
  return alpha >= 1
    ? `rgb(${ch(c[0])},${ch(c[1])},${ch(c[2])})`
    : `rgba(${ch(c[0])},${ch(c[1])},${ch(c[2])},${alpha.toFixed(3)})`;
}

/** Orthographic projection of a face point with depth: yaw then pitch rotation. */
class Projector {
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
function curveThrough(
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
function smoothClosed(ctx: SKRSContext2D, pts: readonly (readonly [number, number])[]): void {
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

function line(ctx: SKRSContext2D, a: readonly number[], b: readonly number[]): void {
  ctx.beginPath();
  ctx.moveTo(a[0] as number, a[1] as number);
  ctx.lineTo(b[0] as number, b[1] as number);
  ctx.stroke();
}

function drawFace(
  ctx: SKRSContext2D,
  req: FaceRenderRequest,
  state: FaceState,
  width: number,
  height: number,
): void {
  const id = req.identity;
  const { landmarks: L, creases } = state;
  const fr = req.framing;
  const P = new Projector(fr.pose);

  // Background gradient.
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  const bg = ctx.createLinearGradient(0, 0, 0, height);
  bg.addColorStop(0, css(id.background[0]));
  bg.addColorStop(1, css(id.background[1]));
  ctx.fillStyle = bg;
  ctx.fillRect(0, 0, width, height);

  // Face units → pixels: roll, scale, translation.
  const k = (fr.scale * Math.min(width, height)) / 3.1;
  const cr = Math.cos(fr.pose.roll) * k;
  const sr = Math.sin(fr.pose.roll) * k;
  ctx.setTransform(
    cr,
    sr,
    -sr,
    cr,
    width / 2 + fr.offsetX * width,
    height / 2 + fr.offsetY * height + 0.05 * k,
  );
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  const fw = id.faceHalfWidth;

  // Shoulders and neck.
  ctx.fillStyle = css(id.clothes);
  ctx.beginPath();
  ctx.ellipse(0, id.chinY + 1.45, 1.9, 0.95, 0, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = css(id.skin, 0.82);
  ctx.fillRect(-0.42, 0.5, 0.84, id.chinY + 0.5);

  // Long hair behind the head.
  if (id.hairStyle === 'long') {
    ctx.fillStyle = css(id.hair);
    ctx.beginPath();
    ctx.ellipse(0, 0.15, fw + 0.32, 1.6, 0, 0, Math.PI * 2);
    ctx.fill();
  }

  // Ears.
  ctx.fillStyle = css(id.skin, 0.9);
  for (const s of [-1, 1]) {
    const [ex, ey] = P.p([s * fw * 0.97, id.eyeY + 0.22], 0, false);
    ctx.beginPath();
    ctx.ellipse(ex, ey, 0.13, 0.24, 0, 0, Math.PI * 2);
    ctx.fill();
  }

  // Face outline with shading.
  const outline: [number, number][] = [
    [0, id.foreheadY],
    [fw * 0.72, id.foreheadY + 0.13],
    [fw, id.eyeY - 0.3],
    [fw * 0.98, id.eyeY + 0.4],
    [L.jawR[0], L.jawR[1]],
    [0.36, L.chin[1] - 0.07],
    [0, L.chin[1]],
    [-0.36, L.chin[1] - 0.07],
    [L.jawL[0], L.jawL[1]],
    [-fw * 0.98, id.eyeY + 0.4],
    [-fw, id.eyeY - 0.3],
    [-fw * 0.72, id.foreheadY + 0.13],
  ];
  smoothClosed(
    ctx,
    outline.map((pt) => P.p(pt, 0, false)),
  );
  const [fcx, fcy] = P.p([0, 0], 0.3, false);
  const shade = ctx.createRadialGradient(fcx, fcy - 0.2, 0.2, fcx, fcy, 1.7);
  shade.addColorStop(0, css(id.skin, 1.06));
  shade.addColorStop(1, css(id.skin, 0.78));
  ctx.fillStyle = shade;
  ctx.fill();

  const crease = (alpha: number): string => css(id.skin, 0.55, Math.min(1, alpha));
  ctx.lineWidth = 0.028;

  // Cheek mounds (AU6, AU12 raise them).
  ctx.fillStyle = `rgba(255,${Math.round(150 + 40 * (1 - creases.crowsFeet))},150,${(0.16 + 0.3 * creases.crowsFeet).toFixed(3)})`;
  for (const c of [L.cheekL, L.cheekR]) {
    const [x, y] = P.p(c);
    ctx.beginPath();
    ctx.ellipse(x, y, 0.2, 0.12, 0, 0, Math.PI * 2);
    ctx.fill();
  }

  // Forehead lines (AU1/AU2).
  if (creases.forehead > 0.05) {
    ctx.strokeStyle = crease(creases.forehead);
    for (const dy of [0.32, 0.46, 0.6]) {
      const y = id.foreheadY + dy;
      ctx.beginPath();
      const a = P.p([-0.45, y + 0.03]);
      const m = P.p([0, y - 0.03]);
      const b = P.p([0.45, y + 0.03]);
      ctx.moveTo(a[0], a[1]);
      curveThrough(ctx, a, m, b);
      ctx.stroke();
    }
  }
  // Glabella lines (AU4).
  if (creases.glabella > 0.05) {
    ctx.strokeStyle = crease(creases.glabella);
    for (const s of [-1, 1]) {
      line(ctx, P.p([s * 0.06, id.eyeY - 0.2]), P.p([s * 0.05, id.eyeY - 0.02]));
    }
  }
  // Nasolabial furrows (AU9/10/12).
  if (creases.nasolabial > 0.05) {
    ctx.strokeStyle = crease(creases.nasolabial);
    ctx.lineWidth = 0.035;
    for (const [wing, corner, s] of [
      [L.noseWingL, L.mouthCornerL, -1],
      [L.noseWingR, L.mouthCornerR, 1],
    ] as const) {
      const a = P.p([wing[0] + s * 0.05, wing[1] - 0.02]);
      const b = P.p([corner[0] + s * 0.09, corner[1] + 0.04]);
      const m = P.p([(wing[0] + corner[0]) / 2 + s * 0.12, (wing[1] + corner[1]) / 2]);
      ctx.beginPath();
      ctx.moveTo(a[0], a[1]);
      curveThrough(ctx, a, m, b);
      ctx.stroke();
    }
    ctx.lineWidth = 0.028;
  }

  // Nose: bridge shadow, wings, nostrils, wrinkles.
  ctx.strokeStyle = css(id.skin, 0.8, 0.6);
  for (const s of [-1, 1])
    line(ctx, P.p([s * 0.07, id.eyeY + 0.08], 0.15), P.p([s * 0.09, id.noseTipY - 0.08], 0.3));
  ctx.strokeStyle = css(id.skin, 0.62);
  ctx.lineWidth = 0.04;
  {
    const a = P.p(L.noseWingL, 0.15);
    const b = P.p(L.noseWingR, 0.15);
    const m = P.p([0, L.noseTip[1] + 0.06], 0.4);
    ctx.beginPath();
    ctx.moveTo(a[0], a[1]);
    curveThrough(ctx, a, m, b);
    ctx.stroke();
  }
  ctx.fillStyle = css(id.skin, 0.35);
  for (const s of [-1, 1]) {
    const [x, y] = P.p(
      [s * (0.055 + 0.3 * (Math.abs(L.noseWingR[0]) - id.noseHalfWidth)), L.noseWingR[1] + 0.03],
      0.3,
    );
    ctx.beginPath();
    ctx.ellipse(x, y, 0.04, 0.022, 0, 0, Math.PI * 2);
    ctx.fill();
  }
  if (creases.noseWrinkle > 0.05) {
    ctx.strokeStyle = crease(creases.noseWrinkle);
    ctx.lineWidth = 0.03;
    for (const dy of [0.06, 0.12, 0.18]) {
      const y = id.eyeY + dy;
      line(ctx, P.p([-0.1, y], 0.2), P.p([0.1, y], 0.2));
    }
  }

  // Eyes.
  const gx = req.gaze?.[0] ?? 0;
  const gy = req.gaze?.[1] ?? 0;
  for (const side of ['L', 'R'] as const) {
    const inner = P.p(side === 'L' ? L.eyeInnerL : L.eyeInnerR);
    const outer = P.p(side === 'L' ? L.eyeOuterL : L.eyeOuterR);
    const upper = P.p(side === 'L' ? L.upperLidL : L.upperLidR);
    const lower = P.p(side === 'L' ? L.lowerLidL : L.lowerLidR);
    const centre = side === 'L' ? L.eyeCentreL : L.eyeCentreR;
    const open = (side === 'L' ? L.lowerLidL[1] - L.upperLidL[1] : L.lowerLidR[1] - L.upperLidR[1]) > 0.02;
    if (open) {
      ctx.beginPath();
      ctx.moveTo(inner[0], inner[1]);
      curveThrough(ctx, inner, upper, outer);
      curveThrough(ctx, outer, lower, inner);
      ctx.closePath();
      ctx.fillStyle = 'rgb(236,234,228)';
      ctx.fill();
      ctx.save();
      ctx.clip();
      const [ix, iy] = P.p([centre[0] + gx, centre[1] + gy]);
      ctx.fillStyle = css(id.iris);
      ctx.beginPath();
      ctx.arc(ix, iy, id.irisRadius, 0, Math.PI * 2);
      ctx.fill();
      ctx.fillStyle = 'rgb(12,10,10)';
      ctx.beginPath();
      ctx.arc(ix, iy, id.irisRadius * 0.45, 0, Math.PI * 2);
      ctx.fill();
      ctx.restore();
      ctx.strokeStyle = css(id.skin, 0.6);
      ctx.lineWidth = 0.018;
      ctx.beginPath();
      ctx.moveTo(outer[0], outer[1]);
      curveThrough(ctx, outer, lower, inner);
      ctx.stroke();
    }
    // Upper lid / lash line (the whole eye when closed).
    ctx.strokeStyle = 'rgb(30,22,20)';
    ctx.lineWidth = 0.035;
    ctx.beginPath();
    ctx.moveTo(inner[0], inner[1]);
    curveThrough(ctx, inner, upper, outer);
    ctx.stroke();
    // Crow's feet (AU6).
    if (creases.crowsFeet > 0.05) {
      ctx.strokeStyle = crease(creases.crowsFeet);
      ctx.lineWidth = 0.025;
      const s = side === 'L' ? -1 : 1;
      const o = side === 'L' ? L.eyeOuterL : L.eyeOuterR;
      for (const dy of [-0.06, 0.0, 0.06]) {
        line(ctx, P.p([o[0] + s * 0.05, o[1] + dy * 0.5]), P.p([o[0] + s * 0.16, o[1] + dy * 1.6]));
      }
    }
  }

  // Brows.
  ctx.strokeStyle = css(id.hair, 0.5);
  ctx.lineWidth = id.browThickness;
  for (const [a, m, b] of [
    [L.browInnerL, L.browMidL, L.browOuterL],
    [L.browInnerR, L.browMidR, L.browOuterR],
  ] as const) {
    const pa = P.p(a);
    const pm = P.p(m);
    const pb = P.p(b);
    ctx.beginPath();
    ctx.moveTo(pa[0], pa[1]);
    curveThrough(ctx, pa, pm, pb);
    ctx.stroke();
  }

  // Mouth.
  const cl = P.p(L.mouthCornerL, 0.1);
  const crn = P.p(L.mouthCornerR, 0.1);
  const ulb = P.p(L.upperLipBottom, 0.15);
  const llt = P.p(L.lowerLipTop, 0.15);
  const ult = L.upperLipTop[1];
  const llb = P.p(L.lowerLipBottom, 0.15);
  if (L.lowerLipTop[1] - L.upperLipBottom[1] > 0.012) {
    ctx.beginPath();
    ctx.moveTo(cl[0], cl[1]);
    curveThrough(ctx, cl, ulb, crn);
    curveThrough(ctx, crn, llt, cl);
    ctx.closePath();
    ctx.fillStyle = 'rgb(52,18,24)';
    ctx.fill();
    ctx.save();
    ctx.clip();
    ctx.fillStyle = `rgba(240,236,224,${Math.min(1, creases.teeth).toFixed(3)})`;
    const teethH = 0.075;
    ctx.beginPath();
    ctx.moveTo(cl[0], cl[1] - 0.05);
    curveThrough(ctx, [cl[0], cl[1] - 0.05], [ulb[0], ulb[1] - 0.02], [crn[0], crn[1] - 0.05]);
    ctx.lineTo(crn[0], crn[1] - 0.05 + teethH);
    curveThrough(
      ctx,
      [crn[0], crn[1] - 0.05 + teethH],
      [ulb[0], ulb[1] + teethH],
      [cl[0], cl[1] - 0.05 + teethH],
    );
    ctx.closePath();
    ctx.fill();
    ctx.restore();
  }
  // Upper lip with a Cupid's bow.
  ctx.fillStyle = css(id.lips);
  ctx.beginPath();
  ctx.moveTo(cl[0], cl[1]);
  const bowL = P.p([-0.09, ult], 0.15);
  const bowM = P.p([0, ult + 0.018], 0.15);
  const bowR = P.p([0.09, ult], 0.15);
  curveThrough(
    ctx,
    cl,
    P.p([(L.mouthCornerL[0] - 0.09) / 2, (L.mouthCornerL[1] + ult) / 2 - 0.01], 0.12),
    bowL,
  );
  ctx.lineTo(bowM[0], bowM[1]);
  ctx.lineTo(bowR[0], bowR[1]);
  curveThrough(
    ctx,
    bowR,
    P.p([(L.mouthCornerR[0] + 0.09) / 2, (L.mouthCornerR[1] + ult) / 2 - 0.01], 0.12),
    crn,
  );
  curveThrough(ctx, crn, ulb, cl);
  ctx.closePath();
  ctx.fill();
  // Lower lip.
  ctx.fillStyle = css(id.lips, 1.08);
  ctx.beginPath();
  ctx.moveTo(cl[0], cl[1]);
  curveThrough(ctx, cl, llt, crn);
  curveThrough(ctx, crn, llb, cl);
  ctx.closePath();
  ctx.fill();
  // Lip line.
  ctx.strokeStyle = css(id.lips, 0.5);
  ctx.lineWidth = 0.022;
  ctx.beginPath();
  ctx.moveTo(cl[0], cl[1]);
  curveThrough(ctx, cl, ulb, crn);
  ctx.stroke();
  // Dimples (AU14), lip-press bulges (AU24), chin boss (AU17).
  if (creases.dimple > 0.05) {
    ctx.strokeStyle = crease(creases.dimple);
    ctx.lineWidth = 0.035;
    for (const [c, s] of [
      [L.mouthCornerL, -1],
      [L.mouthCornerR, 1],
    ] as const) {
      line(ctx, P.p([c[0] + s * 0.06, c[1] - 0.05], 0.1), P.p([c[0] + s * 0.07, c[1] + 0.05], 0.1));
    }
  }
  if (creases.lipPress > 0.05) {
    ctx.strokeStyle = crease(creases.lipPress);
    ctx.lineWidth = 0.025;
    line(ctx, P.p([-0.15, ult - 0.05], 0.1), P.p([0.15, ult - 0.05], 0.1));
    line(ctx, P.p([-0.15, L.lowerLipBottom[1] + 0.05], 0.1), P.p([0.15, L.lowerLipBottom[1] + 0.05], 0.1));
  }
  if (creases.chinBoss > 0.05) {
    ctx.strokeStyle = crease(creases.chinBoss);
    ctx.lineWidth = 0.03;
    const y = (L.lowerLipBottom[1] + L.chin[1]) / 2 + 0.02;
    for (const x of [-0.12, 0, 0.12]) {
      const [px, py] = P.p([x, y], 0.1);
      ctx.beginPath();
      ctx.arc(px, py, 0.045, Math.PI * 0.1, Math.PI * 0.9);
      ctx.stroke();
    }
  }

  // Hair in front (cap, fringe).
  if (id.hairStyle !== 'bald') {
    const hairline = id.foreheadY + (id.hairStyle === 'fringe' ? 0.55 : 0.34);
    const pts: [number, number][] = [
      [-fw * 1.04, id.eyeY - 0.12],
      [-fw * 0.95, id.foreheadY - 0.1],
      [0, id.foreheadY - 0.3],
      [fw * 0.95, id.foreheadY - 0.1],
      [fw * 1.04, id.eyeY - 0.12],
      [fw * 0.9, hairline + 0.05],
      [0, hairline],
      [-fw * 0.9, hairline + 0.05],
    ];
    smoothClosed(
      ctx,
      pts.map((pt) => P.p(pt, 0, false)),
    );
    ctx.fillStyle = css(id.hair);
    ctx.fill();
  }

  // Occlusion.
  const occ = req.occlusion;
  if (occ !== undefined) {
    const [ox, oy] = P.p([occ.x, occ.y], 0.6, false);
    ctx.save();
    ctx.translate(ox, oy);
    ctx.rotate(occ.angle);
    if (occ.kind === 'hand') {
      ctx.fillStyle = css(id.skin, 0.95);
      ctx.beginPath();
      ctx.ellipse(0, 0, occ.halfWidth, occ.halfHeight, 0, 0, Math.PI * 2);
      ctx.fill();
      ctx.strokeStyle = css(id.skin, 0.7);
      ctx.lineWidth = 0.025;
      for (const f of [-0.5, 0, 0.5])
        line(ctx, [f * occ.halfWidth, -occ.halfHeight * 0.8], [f * occ.halfWidth, 0]);
    } else {
      ctx.fillStyle = 'rgb(38,38,44)';
      ctx.fillRect(-occ.halfWidth, -occ.halfHeight, 2 * occ.halfWidth, 2 * occ.halfHeight);
    }
    ctx.restore();
  }

  // Directional light over the whole frame.
  const ph = req.photometry;
  if (ph.lightStrength > 0) {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    const dx = (Math.cos(ph.lightAngle) * width) / 2;
    const dy = (Math.sin(ph.lightAngle) * height) / 2;
    const g = ctx.createLinearGradient(width / 2 - dx, height / 2 - dy, width / 2 + dx, height / 2 + dy);
    g.addColorStop(0, `rgba(255,255,240,${(0.35 * ph.lightStrength).toFixed(3)})`);
    g.addColorStop(0.5, 'rgba(128,128,128,0)');
    g.addColorStop(1, `rgba(0,0,10,${(0.45 * ph.lightStrength).toFixed(3)})`);
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, width, height);
  }
}

/**
 * Separable binomial blur in place on an RGBA buffer: `passes` passes of the kernel [1, 2, 1]/4 along
 * rows and columns (edges clamped). n passes have variance n/2, so a Gaussian of σ pixels needs
 * n = round(2σ²) passes (central limit theorem; Burt & Adelson, 1983).
 */
function binomialBlur(rgba: Uint8ClampedArray, width: number, height: number, passes: number): void {
  const tmp = new Uint8ClampedArray(Math.max(width, height) * 4);
  for (let p = 0; p < passes; p++) {
    for (let y = 0; y < height; y++) {
      const row = y * width * 4;
      tmp.set(rgba.subarray(row, row + width * 4));
      for (let x = 0; x < width; x++) {
        const l = Math.max(0, x - 1) * 4;
        const r = Math.min(width - 1, x + 1) * 4;
        const c = x * 4;
        for (let ch = 0; ch < 3; ch++) {
          rgba[row + c + ch] =
            ((tmp[l + ch] as number) + 2 * (tmp[c + ch] as number) + (tmp[r + ch] as number) + 2) >> 2;
        }
      }
    }
    for (let x = 0; x < width; x++) {
      for (let y = 0; y < height; y++) {
        const i = (y * width + x) * 4;
        tmp[y * 4] = rgba[i] as number;
        tmp[y * 4 + 1] = rgba[i + 1] as number;
        tmp[y * 4 + 2] = rgba[i + 2] as number;
      }
      for (let y = 0; y < height; y++) {
        const u = Math.max(0, y - 1) * 4;
        const d = Math.min(height - 1, y + 1) * 4;
        const c = y * 4;
        const i = (y * width + x) * 4;
        for (let ch = 0; ch < 3; ch++) {
          rgba[i + ch] =
            ((tmp[u + ch] as number) + 2 * (tmp[c + ch] as number) + (tmp[d + ch] as number) + 2) >> 2;
        }
      }
    }
  }
}

let gaussian: Float32Array | undefined;

/**
 * 65,536 standard-normal samples (Box–Muller from a fixed-seed generator), drawn once. Sensor noise
 * indexes this table with a per-frame xorshift32 stream: far cheaper than a log, a square root and a
 * cosine per pixel, and a sample mean/std within 0.01 of 0/1.
 */
function gaussianTable(): Float32Array {
  if (gaussian === undefined) {
    const rng = createRandomSource(0x5eed);
    const t = new Float32Array(65536);
    for (let k = 0; k < t.length; k += 2) {
      const u = Math.max(rng.next(), 1e-12);
      const v = rng.next();
      const r = Math.sqrt(-2 * Math.log(u));
      t[k] = r * Math.cos(2 * Math.PI * v);
      t[k + 1] = r * Math.sin(2 * Math.PI * v);
    }
    gaussian = t;
  }
  return gaussian;
}

function checkSize(width: number, height: number): void {
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < 8 || v > 2048) {
      throw new RangeError(`renderFaceFrame: ${name} must be an integer in [8, 2048], got ${v}`);
    }
  }
}

/**
 * Renders one frame as RGB bytes `[height, width, 3]`.
 *
 * Pixel pipeline after drawing: optional binomial blur with n = round(2·(σ·min(W,H)/64)²) passes,
 * then per channel v' = clamp(round((v − 128)·contrast + 128 + brightness + noiseStd·ε), 0, 255)
 * with ε ~ N(0, 1) taken from a fixed table of Box–Muller samples by a xorshift32 stream seeded from
 * `noiseSeed`.
 *
 * @param out - optional destination of length `height·width·3` (reused to avoid allocation).
 */
export function renderFaceFrame(
  request: FaceRenderRequest,
  width: number,
  height: number,
  out?: Uint8Array,
): Uint8Array {
  checkSize(width, height);
  const n = width * height;
  if (out !== undefined && out.length !== n * 3) {
    throw new RangeError(
      `renderFaceFrame: out has length ${out.length}, expected ${n * 3} (= ${height}×${width}×3)`,
    );
  }
  const dest = out ?? new Uint8Array(n * 3);
  const { ctx } = getSurface(width, height);
  const state = computeFaceLandmarks(request.identity, request.aus);
  ctx.save();
  drawFace(ctx, request, state, width, height);
  ctx.restore();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const ph = request.photometry;
  const sigmaPx = (ph.blurSigma * Math.min(width, height)) / 64;
  const passes = Math.round(2 * sigmaPx * sigmaPx);
  if (passes > 0) binomialBlur(rgba, width, height, passes);
  const contrast = ph.contrast;
  const offset = 128 - 128 * contrast + ph.brightness;
  const noise = ph.noiseStd;
  const m = n * 3;
  if (noise > 0) {
    const table = gaussianTable();
    let state = (createRandomSource(request.noiseSeed).next() * 4294967296) | 0 || 1;
    for (let k = 0, j = 0; k < m; j++) {
      if ((j & 3) === 3) continue; // alpha
      // xorshift32 (Marsaglia, 2003) picks one of the 65,536 Gaussian samples.
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const val = Math.round(
        (rgba[j] as number) * contrast + offset + noise * (table[state >>> 16] as number),
      );
      dest[k++] = val < 0 ? 0 : val > 255 ? 255 : val;
    }
  } else if (contrast === 1 && offset === 0) {
    for (let k = 0, j = 0; k < m; j++) {
      if ((j & 3) !== 3) dest[k++] = rgba[j] as number;
    }
  } else {
    for (let k = 0, j = 0; k < m; j++) {
      if ((j & 3) === 3) continue;
      const val = Math.round((rgba[j] as number) * contrast + offset);
      dest[k++] = val < 0 ? 0 : val > 255 ? 255 : val;
    }
  }
  return dest;
}
