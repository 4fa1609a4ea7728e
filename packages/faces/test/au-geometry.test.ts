import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AU_GEOMETRY,
  GEOMETRY_AUS,
  GEOMETRY_FEATURES,
  MESH_POINTS,
  NEUTRAL_REFERENCE,
  NEUTRAL_TOLERANCE,
  createNeutralBaseline,
  estimateAus,
  measureFaceGeometry,
} from '@dfer/faces';

const F = (name: (typeof GEOMETRY_FEATURES)[number]): number => GEOMETRY_FEATURES.indexOf(name);

/** A 468-point face (stride 2) with every used point placed by hand; unused points at the origin. */
function handFace(): Float64Array {
  const pts = new Float64Array(468 * 2);
  const set = (i: number, x: number, y: number): void => {
    pts[2 * i] = x;
    pts[2 * i + 1] = y;
  };
  const P = MESH_POINTS;
  // eyes: right eye corners (80,100),(120,100) → centre (100,100); left (180,100),(220,100) → (200,100). IOD 100.
  set(P.rightEyeOuter, 80, 100);
  set(P.rightEyeInner, 120, 100);
  set(P.leftEyeInner, 180, 100);
  set(P.leftEyeOuter, 220, 100);
  set(P.rightEyeUpperLid, 100, 95);
  set(P.rightEyeLowerLid, 100, 104);
  set(P.leftEyeUpperLid, 200, 93);
  set(P.leftEyeLowerLid, 200, 106);
  set(P.rightBrowInner[0], 130, 70);
  set(P.rightBrowInner[1], 130, 74); // pair mean y 72 → height 0.28
  set(P.leftBrowInner[0], 170, 70);
  set(P.leftBrowInner[1], 170, 74);
  set(P.rightBrowMid[0], 100, 64);
  set(P.rightBrowMid[1], 100, 68);
  set(P.leftBrowMid[0], 200, 64);
  set(P.leftBrowMid[1], 200, 68);
  set(P.rightBrowOuter[0], 75, 76);
  set(P.rightBrowOuter[1], 75, 80);
  set(P.leftBrowOuter[0], 225, 76);
  set(P.leftBrowOuter[1], 225, 80);
  set(P.rightCheek, 110, 150);
  set(P.leftCheek, 190, 154);
  set(P.rightAla, 130, 168);
  set(P.leftAla, 170, 170);
  set(P.subnasale, 150, 172);
  set(P.upperLipOuter, 150, 190);
  set(P.upperLipInner, 150, 200);
  set(P.lowerLipInner, 150, 204);
  set(P.lowerLipOuter, 150, 214);
  set(P.rightMouthCorner, 110, 198);
  set(P.leftMouthCorner, 190, 198);
  set(P.chin, 150, 290);
  return pts;
}

/** Rotates (about (150, 150)), scales and shifts every point. */
function similarity(pts: Float64Array, angle: number, scale: number, tx: number, ty: number): Float64Array {
  const out = new Float64Array(pts.length);
  for (let i = 0; i < pts.length; i += 2) {
    const x = (pts[i]! - 150) * scale;
    const y = (pts[i + 1]! - 150) * scale;
    out[i] = x * Math.cos(angle) - y * Math.sin(angle) + 150 + tx;
    out[i + 1] = x * Math.sin(angle) + y * Math.cos(angle) + 150 + ty;
  }
  return out;
}

describe('measureFaceGeometry', () => {
  it('gives the hand-computed features of a hand-placed face (IOD 100 px)', () => {
    const g = measureFaceGeometry(handFace(), 2);
    expect(g.interOcular).toBeCloseTo(100, 12);
    expect(g.roll).toBeCloseTo(0, 12);
    const expected: Record<string, number> = {
      browInnerHeight: 0.28, // (100 − 72) / 100
      browMidHeight: 0.34, // (100 − 66) / 100
      browOuterHeight: 0.22, // (100 − 78) / 100
      browGap: 0.4, // 170 − 130
      upperLidHeight: 0.06, // (5 + 7) / 2 / 100
      lowerLidDrop: 0.05, // (4 + 6) / 2
      eyeOpening: 0.11, // (9 + 13) / 2
      cheekDrop: 0.52, // (50 + 54) / 2
      alaDrop: 0.69, // (68 + 70) / 2
      lipToNose: 0.18, // 190 − 172
      mouthWidth: 0.8, // 190 − 110
      cornerLift: 0.04, // centre 202 − corners 198
      lipThickness: 0.2, // 10 + 10
      lipGap: 0.04, // 204 − 200
      chinDrop: 1.9, // 290 − 100
      chinToLip: 0.76, // 290 − 214
    };
    GEOMETRY_FEATURES.forEach((name, i) => expect(g.features[i]).toBeCloseTo(expected[name]!, 10));
  });

  it('is unchanged by rotation, scale and translation of the face', () => {
    const a = measureFaceGeometry(handFace(), 2);
    const b = measureFaceGeometry(similarity(handFace(), 0.4, 2.5, 30, -12), 2);
    expect(b.interOcular).toBeCloseTo(250, 9);
    expect(b.roll).toBeCloseTo(0.4, 12);
    a.features.forEach((v, i) => expect(b.features[i]).toBeCloseTo(v, 10));
  });

  it('reads stride-3 landmarks like stride-2 ones and refuses bad input', () => {
    const two = handFace();
    const three = new Float32Array(478 * 3);
    for (let i = 0; i < 468; i++) {
      three[3 * i] = two[2 * i]!;
      three[3 * i + 1] = two[2 * i + 1]!;
      three[3 * i + 2] = 7;
    }
    const a = measureFaceGeometry(two, 2);
    const b = measureFaceGeometry(three);
    a.features.forEach((v, i) => expect(b.features[i]).toBeCloseTo(v, 5));
    expect(() => measureFaceGeometry(new Float32Array(100))).toThrow(/fewer than 468 points/);
    const bad = handFace();
    bad[2 * MESH_POINTS.chin] = Number.NaN;
    expect(() => measureFaceGeometry(bad, 2)).toThrow(/landmark 152 is not finite/);
  });

  it('NEUTRAL_REFERENCE is the geometry of MediaPipe’s canonical face seen from the front', () => {
    const fixture = JSON.parse(
      readFileSync(join(__dirname, 'fixtures', 'canonical-face-points.json'), 'utf8'),
    ) as { points: Record<string, [number, number, number]> };
    const pts = new Float64Array(468 * 2);
    for (const [i, [x, y]] of Object.entries(fixture.points)) {
      pts[2 * Number(i)] = x;
      pts[2 * Number(i) + 1] = -y; // model y is up, image y is down
    }
    const g = measureFaceGeometry(pts, 2);
    NEUTRAL_REFERENCE.forEach((v, i) => expect(g.features[i]).toBeCloseTo(v, 5));
  });
});

describe('estimateAus', () => {
  const base = Float64Array.from(NEUTRAL_REFERENCE);
  const at = (au: string, v: Float64Array): number => v[GEOMETRY_AUS.indexOf(au as never)]!;

  it('is 0 for every AU at the baseline', () => {
    expect(Array.from(estimateAus(base, base))).toEqual(new Array(GEOMETRY_AUS.length).fill(0));
  });

  it('follows each formula: hand-computed intensities for chosen feature changes', () => {
    const f = Float64Array.from(base);
    f[F('browInnerHeight')] = f[F('browInnerHeight')]! + 0.06; // AU01: 5 · 0.06 / 0.12 = 2.5
    f[F('cornerLift')] = f[F('cornerLift')]! + 0.04; // AU12: 5 · (0.04 + 0.05/2) / 0.2 = 1.625
    f[F('mouthWidth')] = f[F('mouthWidth')]! + 0.05; //  AU20: 5 · (0.05 − 2·0.04) / 0.2 < 0 → 0
    f[F('chinDrop')] = f[F('chinDrop')]! + 1; // AU26: clamp(5 · 1 / 0.25) = 5
    f[F('eyeOpening')] = base[F('eyeOpening')]! / 2; // AU45: 5 · 0.5 / 0.8 = 3.125
    const aus = estimateAus(f, base);
    expect(at('AU01', aus)).toBeCloseTo(2.5, 10);
    expect(at('AU12', aus)).toBeCloseTo(1.625, 10);
    expect(at('AU20', aus)).toBe(0);
    expect(at('AU26', aus)).toBe(5);
    expect(at('AU45', aus)).toBeCloseTo(3.125, 10);
    // AU04 reads −(Δinner + Δmid)/2 − Δgap/2 = −0.03 → 0; AU15 reads −Δlift → 0
    expect(at('AU04', aus)).toBe(0);
    expect(at('AU15', aus)).toBe(0);
    // brows lowered and drawn together: AU04 = 5 · (0.02 + 0.02/2) / 0.1 = 1.5
    const frown = Float64Array.from(base);
    frown[F('browInnerHeight')] = frown[F('browInnerHeight')]! - 0.02;
    frown[F('browMidHeight')] = frown[F('browMidHeight')]! - 0.02;
    frown[F('browGap')] = frown[F('browGap')]! - 0.02;
    expect(at('AU04', estimateAus(frown, base))).toBeCloseTo(1.5, 10);
  });

  it('lists a formula for each AU the issue asks for, in OpenFace order', () => {
    expect(GEOMETRY_AUS).toEqual([
      'AU01',
      'AU02',
      'AU04',
      'AU05',
      'AU06',
      'AU07',
      'AU09',
      'AU10',
      'AU12',
      'AU15',
      'AU17',
      'AU20',
      'AU23',
      'AU25',
      'AU26',
      'AU45',
    ]);
    for (const f of AU_GEOMETRY) expect(f.formula).toMatch(/^d = /);
  });

  it('refuses vectors of the wrong length or with NaN, naming the feature', () => {
    expect(() => estimateAus(new Float64Array(3), base)).toThrow(/features has 3 values, expected 16/);
    const nan = Float64Array.from(base);
    nan[F('lipGap')] = Number.NaN;
    expect(() => estimateAus(nan, base)).toThrow(/features\[13\] \(lipGap\) is NaN/);
  });
});

describe('createNeutralBaseline', () => {
  const ref = Float64Array.from(NEUTRAL_REFERENCE);
  const tol = GEOMETRY_FEATURES.map((f) => NEUTRAL_TOLERANCE[f]);

  it('follows the track median within the tolerance of the reference', () => {
    const baseline = createNeutralBaseline({ window: 3 });
    const j = F('mouthWidth');
    const frame = (d: number): Float64Array => {
      const f = Float64Array.from(ref);
      f[j] = f[j]! + d;
      return f;
    };
    // median of [0.01] = 0.01 (inside τ = 0.06)
    expect(baseline.update(frame(0.01))[j]).toBeCloseTo(ref[j]! + 0.01, 12);
    // median of [0.01, 0.03] = 0.02
    expect(baseline.update(frame(0.03))[j]).toBeCloseTo(ref[j]! + 0.02, 12);
    // median of [0.01, 0.03, 0.5] = 0.03
    expect(baseline.update(frame(0.5))[j]).toBeCloseTo(ref[j]! + 0.03, 12);
    // window 3: [0.03, 0.5, 0.5] → median 0.5, clamped to τ = 0.3 · 0.2 = 0.06
    expect(baseline.update(frame(0.5))[j]).toBeCloseTo(ref[j]! + tol[j]!, 12);
    expect(baseline.count).toBe(4);
  });

  it('keeps a smile held through a clip visible (AU12 stays high)', () => {
    const baseline = createNeutralBaseline();
    const smile = Float64Array.from(ref);
    smile[F('cornerLift')] = smile[F('cornerLift')]! + 0.08;
    smile[F('mouthWidth')] = smile[F('mouthWidth')]! + 0.15;
    let last: Float64Array = new Float64Array();
    for (let t = 0; t < 50; t++) last = estimateAus(smile, baseline.update(smile));
    // baseline moved by τ: cornerLift 0.024, mouthWidth 0.06 → d = 0.056 + 0.09/2 = 0.101 → 2.525
    expect(last[GEOMETRY_AUS.indexOf('AU12')]).toBeCloseTo(2.525, 9);
  });

  it('refuses bad options', () => {
    expect(() => createNeutralBaseline({ window: 0 })).toThrow(/window must be an integer ≥ 1/);
    expect(() => createNeutralBaseline({ reference: [1, 2] })).toThrow(/need 16 values/);
  });
});
