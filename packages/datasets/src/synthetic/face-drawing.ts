/**
 * The vector drawing of one synthetic face with `@napi-rs/canvas` (Skia), in face units: `drawFace` draws
 * the parts back to front, each part a function of the shared `FaceDrawing`.
 */
import type { SKRSContext2D } from '@napi-rs/canvas';
import { css, curveThrough, line, Projector, smoothClosed, type FaceDrawing } from './drawing-primitives';
import type { FaceIdentity } from './face-identity';
import type { FaceState } from './face-geometry';
import type { FaceFraming, FacePhotometry, FaceRenderRequest } from './face-render-request';

/**
 * Draws the face of `req` (landmarks and creases in `state`) on `ctx` at `width`×`height`, back to front:
 * background, body, face, creases, nose, eyes, brows, mouth, front hair, occlusion, then the light.
 */
export function drawFace(
  ctx: SKRSContext2D,
  req: FaceRenderRequest,
  state: FaceState,
  width: number,
  height: number,
): void {
  const id = req.identity;
  drawBackgroundAndPlaceFace(ctx, id, req.framing, width, height);
  const d: FaceDrawing = {
    ctx,
    req,
    id,
    L: state.landmarks,
    creases: state.creases,
    P: new Projector(req.framing.pose),
    fw: id.faceHalfWidth,
    crease: (alpha) => css(id.skin, 0.55, Math.min(1, alpha)),
  };
  drawBodyAndEars(d);
  drawFaceShape(d);
  drawCreases(d);
  drawNose(d);
  drawEyes(d);
  drawBrows(d);
  drawMouth(d);
  drawMouthCreases(d);
  drawFrontHair(d);
  drawOcclusion(d);
  drawDirectionalLight(ctx, req.photometry, width, height);
}

/** Background gradient, then the transform from face units to pixels: roll, scale, translation. */
function drawBackgroundAndPlaceFace(
  ctx: SKRSContext2D,
  id: FaceIdentity,
  fr: FaceFraming,
  width: number,
  height: number,
): void {
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
}

/** Shoulders and neck, long hair behind the head, ears. */
function drawBodyAndEars(d: FaceDrawing): void {
  const { ctx, id, P, fw } = d;
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
}

/** The face outline with its shading. */
function drawFaceShape(d: FaceDrawing): void {
  const { ctx, id, L, P, fw } = d;
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
}

/** Cheek mounds and the creases of the upper face: forehead lines, glabella lines, nasolabial furrows. */
function drawCreases(d: FaceDrawing): void {
  const { ctx, id, L, creases, P, crease } = d;
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
}

/** Nose: bridge shadow, wings, nostrils, wrinkles (AU9). */
function drawNose(d: FaceDrawing): void {
  const { ctx, id, L, creases, P, crease } = d;
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
}

/** Eyes with gaze, lids and lash lines, crow's feet (AU6). */
function drawEyes(d: FaceDrawing): void {
  const { ctx, req, id, L, creases, P, crease } = d;
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
}

/** Brows. */
function drawBrows(d: FaceDrawing): void {
  const { ctx, id, L, P } = d;
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
}

/** Mouth opening and teeth, lips with a Cupid's bow, lip line. */
function drawMouth(d: FaceDrawing): void {
  const { ctx, id, L, creases, P } = d;
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
}

/** Dimples (AU14), lip-press bulges (AU24), chin boss (AU17). */
function drawMouthCreases(d: FaceDrawing): void {
  const { ctx, L, creases, P, crease } = d;
  const ult = L.upperLipTop[1];
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
}

/** Hair in front of the head (cap, fringe). */
function drawFrontHair(d: FaceDrawing): void {
  const { ctx, id, P, fw } = d;
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
}

/** A hand or an object in front of the face. */
function drawOcclusion(d: FaceDrawing): void {
  const { ctx, req, id, P } = d;
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
}

/** Directional light over the whole frame. */
function drawDirectionalLight(ctx: SKRSContext2D, ph: FacePhotometry, width: number, height: number): void {
  // Directional light over the whole frame.
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
