import { createRandomSource } from '@dfer/datasets';
import {
  CLEAN_PHOTOMETRY,
  FRONTAL_FRAMING,
  renderFaceFrame,
  sampleFaceIdentity,
  type FaceRenderRequest,
} from '@dfer/datasets/synthetic';
import { computeFaceLandmarks } from '../../src/synthetic/face-geometry';

const S = 64;
const identity = sampleFaceIdentity(createRandomSource(21));
const base: FaceRenderRequest = {
  identity,
  aus: {},
  framing: FRONTAL_FRAMING,
  photometry: CLEAN_PHOTOMETRY,
  noiseSeed: 1,
};
const render = (req: Partial<FaceRenderRequest>): Uint8Array => renderFaceFrame({ ...base, ...req }, S, S);

/** Pixel row of a face-unit y in the frontal default framing (the renderer's documented transform). */
const k = S / 3.1;
const rowOf = (y: number): number => S / 2 + 0.12 * k + y * k;

/** Centroid row of |a − b| summed over channels, and the total difference. */
function diffCentroid(a: Uint8Array, b: Uint8Array): { row: number; total: number } {
  let total = 0;
  let moment = 0;
  for (let i = 0; i < S * S * 3; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    total += d;
    moment += d * Math.floor(i / 3 / S);
  }
  return { row: moment / Math.max(total, 1), total };
}

describe('renderFaceFrame', () => {
  const neutral = render({});

  it('is deterministic: same request → byte-identical pixels', () => {
    const noisy = { ...CLEAN_PHOTOMETRY, noiseStd: 6, blurSigma: 0.8, lightStrength: 0.4 };
    expect(Buffer.from(render({ aus: { AU12: 3 }, photometry: noisy }))).toEqual(
      Buffer.from(render({ aus: { AU12: 3 }, photometry: noisy })),
    );
  });

  const landmarks = computeFaceLandmarks(identity, {}).landmarks;
  const noseRow = rowOf(landmarks.noseTip[1]);
  it.each(['AU01', 'AU02', 'AU04', 'AU05', 'AU06', 'AU07', 'AU45'])(
    '%s changes pixels above the nose tip',
    (au) => {
      const { row, total } = diffCentroid(render({ aus: { [au]: 5 } }), neutral);
      expect(total).toBeGreaterThan(1000);
      expect(row).toBeLessThan(noseRow);
    },
  );
  it.each(['AU10', 'AU12', 'AU14', 'AU15', 'AU17', 'AU20', 'AU23', 'AU24', 'AU25', 'AU26', 'AU28'])(
    '%s changes pixels below the nose tip',
    (au) => {
      const { row, total } = diffCentroid(render({ aus: { [au]: 5 } }), neutral);
      expect(total).toBeGreaterThan(1000);
      expect(row).toBeGreaterThan(noseRow);
    },
  );

  it('AU12 raises the mouth: the lips move up at the corners (dark-red lip pixels rise beside the midline)', () => {
    // Mean row of lip-coloured pixels in the columns of the mouth corners.
    const lipRow = (px: Uint8Array): number => {
      const cx = S / 2;
      const halfMouth = identity.mouthHalfWidth * k;
      let n = 0;
      let sum = 0;
      for (let y = Math.floor(noseRow); y < S; y++) {
        for (const x of [Math.round(cx - halfMouth * 0.85), Math.round(cx + halfMouth * 0.85)]) {
          const i = (y * S + x) * 3;
          const [r, g, b] = [px[i] as number, px[i + 1] as number, px[i + 2] as number];
          const skinLike =
            Math.abs(r - identity.skin[0]) + Math.abs(g - identity.skin[1]) + Math.abs(b - identity.skin[2]);
          if (skinLike > 60 && r > g + 15 && y < rowOf(identity.chinY) - 2) {
            n++;
            sum += y;
          }
        }
      }
      return sum / n;
    };
    expect(lipRow(render({ aus: { AU12: 5 } }))).toBeLessThan(lipRow(neutral) - 1);
    expect(lipRow(render({ aus: { AU15: 5 } }))).toBeGreaterThan(lipRow(neutral) + 0.5);
  });

  it('AU45 hides the white of the eyes; AU25 opens a dark mouth (at 128 px)', () => {
    const B = 128;
    const big = (aus: Record<string, number>): Uint8Array => renderFaceFrame({ ...base, aus }, B, B);
    const kB = B / 3.1;
    const rowB = (y: number): number => B / 2 + 0.12 * kB + y * kB;
    const count = (
      px: Uint8Array,
      y0: number,
      y1: number,
      pred: (r: number, g: number, b: number) => boolean,
    ): number => {
      let n = 0;
      for (let y = Math.max(0, Math.floor(y0)); y < Math.min(B, Math.ceil(y1)); y++) {
        for (let x = 0; x < B; x++) {
          const i = (y * B + x) * 3;
          if (pred(px[i] as number, px[i + 1] as number, px[i + 2] as number)) n++;
        }
      }
      return n;
    };
    const eyeRow = rowB(identity.eyeY);
    const white = (r: number, g: number, b: number): boolean => r > 200 && g > 200 && b > 190;
    const neutralBig = big({});
    expect(count(neutralBig, eyeRow - 5, eyeRow + 5, white)).toBeGreaterThan(10);
    expect(count(big({ AU45: 5 }), eyeRow - 5, eyeRow + 5, white)).toBe(0);
    const mouthRow = rowB(identity.mouthY);
    const dark = (r: number, g: number, b: number): boolean => r < 90 && g < 45 && b < 55;
    expect(count(big({ AU25: 5 }), mouthRow - 3, mouthRow + 8, dark)).toBeGreaterThan(
      count(neutralBig, mouthRow - 3, mouthRow + 8, dark) + 20,
    );
  });

  it('sensor noise has the configured standard deviation (difference of two seeds has σ√2)', () => {
    const sigma = 6;
    const a = render({ photometry: { ...CLEAN_PHOTOMETRY, noiseStd: sigma }, noiseSeed: 1 });
    const b = render({ photometry: { ...CLEAN_PHOTOMETRY, noiseStd: sigma }, noiseSeed: 2 });
    let n = 0;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < a.length; i++) {
      const va = a[i] as number;
      const vb = b[i] as number;
      if (va < 30 || va > 225 || vb < 30 || vb > 225) continue; // away from clipping
      const d = va - vb;
      n++;
      s += d;
      s2 += d * d;
    }
    const std = Math.sqrt(s2 / n - (s / n) ** 2);
    // Rounding each value adds variance 1/12 per image.
    expect(std).toBeCloseTo(Math.sqrt(2 * (sigma * sigma + 1 / 12)), 0);
    expect(Math.abs(s / n)).toBeLessThan(0.3);
  });

  it('brightness and contrast follow v′ = (v − 128)·c + 128 + b', () => {
    const out = render({ photometry: { ...CLEAN_PHOTOMETRY, brightness: 10, contrast: 0.5 } });
    for (let i = 0; i < out.length; i += 97) {
      const v = neutral[i] as number;
      expect(out[i]).toBe(Math.max(0, Math.min(255, Math.round((v - 128) * 0.5 + 128 + 10))));
    }
  });

  it('blur keeps the mean and smooths edges', () => {
    const blurred = render({ photometry: { ...CLEAN_PHOTOMETRY, blurSigma: 1 } });
    const mean = (px: Uint8Array): number => px.reduce((a, b) => a + b, 0) / px.length;
    const roughness = (px: Uint8Array): number => {
      let r = 0;
      for (let y = 0; y < S; y++)
        for (let x = 1; x < S; x++)
          r += Math.abs((px[(y * S + x) * 3] as number) - (px[(y * S + x - 1) * 3] as number));
      return r;
    };
    expect(Math.abs(mean(blurred) - mean(neutral))).toBeLessThan(1);
    expect(roughness(blurred)).toBeLessThan(0.8 * roughness(neutral));
  });

  it('head pose moves the face: yaw shifts the nose sideways, roll tilts the face', () => {
    const yawed = render({ framing: { ...FRONTAL_FRAMING, pose: { yaw: 0.3, pitch: 0, roll: 0 } } });
    expect(diffCentroid(yawed, neutral).total).toBeGreaterThan(5000);
  });

  it('rejects bad sizes and output buffers', () => {
    expect(() => renderFaceFrame(base, 4, 64)).toThrow(/width must be an integer in \[8, 2048\], got 4/);
    expect(() => renderFaceFrame(base, 64, 64, new Uint8Array(5))).toThrow(
      /out has length 5, expected 12288/,
    );
  });
});
