import { createRandomSource } from '@dfer/datasets';
import { sampleFaceIdentity } from '@dfer/datasets/synthetic';
import { computeFaceLandmarks, type FaceState } from '../../src/synthetic/face-geometry';

const identity = sampleFaceIdentity(createRandomSource(11));
const neutral = computeFaceLandmarks(identity, {});
const at = (aus: Record<string, number>): FaceState => computeFaceLandmarks(identity, aus);

/** Distance between the lids of the image-right eye. */
const eyeOpening = (s: FaceState): number => s.landmarks.lowerLidR[1] - s.landmarks.upperLidR[1];
const lipGap = (s: FaceState): number => s.landmarks.lowerLipTop[1] - s.landmarks.upperLipBottom[1];
const lowerLip = (s: FaceState): number => s.landmarks.lowerLipBottom[1] - s.landmarks.lowerLipTop[1];

describe('FACS motion model: each AU moves its landmarks the way FACS describes (y grows downwards)', () => {
  // [AU, what FACS says, measure, expected change at intensity 5 from the documented displacement]
  const cases: [string, string, (s: FaceState) => number, number][] = [
    ['AU01', 'raises the inner brows', (s) => s.landmarks.browInnerR[1], -0.26],
    ['AU02', 'raises the outer brows', (s) => s.landmarks.browOuterR[1], -0.26],
    ['AU04', 'lowers the inner brows', (s) => s.landmarks.browInnerR[1], 0.16],
    ['AU04', 'draws the brows together', (s) => s.landmarks.browInnerR[0] - s.landmarks.browInnerL[0], -0.16],
    ['AU06', 'raises the cheeks', (s) => s.landmarks.cheekR[1], -0.12],
    ['AU06', 'narrows the eye from below', (s) => s.landmarks.lowerLidR[1], -0.5 * identity.lowerLidHeight],
    ['AU07', 'raises the lower lid', (s) => s.landmarks.lowerLidR[1], -0.6 * identity.lowerLidHeight],
    ['AU09', 'raises the nose wings', (s) => s.landmarks.noseWingR[1], -0.1],
    ['AU10', 'raises the upper lip', (s) => s.landmarks.upperLipTop[1], -0.13],
    ['AU10', 'uncovers the upper teeth', lipGap, 0.11],
    ['AU12', 'raises the lip corners', (s) => s.landmarks.mouthCornerR[1], -0.2],
    ['AU12', 'pulls the lip corners out', (s) => s.landmarks.mouthCornerR[0], 0.1],
    ['AU14', 'pulls the corners back (wider)', (s) => s.landmarks.mouthCornerR[0], 0.04],
    ['AU15', 'lowers the lip corners', (s) => s.landmarks.mouthCornerR[1], 0.2],
    ['AU17', 'pushes the chin and lower lip up', (s) => s.landmarks.chin[1], -0.04],
    ['AU17', 'pushes the lower lip bottom up', (s) => s.landmarks.lowerLipBottom[1], -0.05],
    ['AU20', 'stretches the lips sideways', (s) => s.landmarks.mouthCornerR[0], 0.13],
    ['AU23', 'narrows the mouth', (s) => s.landmarks.mouthCornerR[0], -0.05],
    ['AU23', 'thins the red of the lips', lowerLip, -0.55 * identity.lowerLipThickness],
    ['AU24', 'presses and thins the lips', lowerLip, -0.6 * identity.lowerLipThickness],
    ['AU25', 'parts the lips', lipGap, 0.15],
    ['AU26', 'drops the jaw', (s) => s.landmarks.chin[1], 0.26],
    ['AU28', 'sucks the lips in', lowerLip, -0.85 * identity.lowerLipThickness],
    ['AU45', 'closes the eyes', eyeOpening, -(identity.lowerLidHeight + identity.upperLidHeight)],
  ];
  it.each(cases)('%s %s', (au, _what, measure, expected) => {
    const full = measure(at({ [au]: 5 })) - measure(neutral);
    const half = measure(at({ [au]: 2.5 })) - measure(neutral);
    expect(full).toBeCloseTo(expected, 10);
    // Displacements are linear in the intensity.
    expect(half).toBeCloseTo(expected / 2, 10);
  });

  it('AU5 widens the eye (upper lid raised by 0.1 at intensity 5)', () => {
    expect(eyeOpening(at({ AU05: 5 })) - eyeOpening(neutral)).toBeCloseTo(0.1, 10);
  });

  it('AU26 also parts the lips, AU24 and AU28 keep them closed', () => {
    expect(lipGap(at({ AU26: 5 }))).toBeGreaterThan(0.15);
    expect(lipGap(at({ AU25: 5, AU24: 5 }))).toBe(0);
    expect(lipGap(at({ AU25: 5, AU28: 5 }))).toBe(0);
  });

  it('creases appear with their AUs only', () => {
    expect(at({ AU04: 5 }).creases.glabella).toBe(1);
    expect(at({ AU09: 5 }).creases.noseWrinkle).toBe(1);
    expect(at({ AU06: 5 }).creases.crowsFeet).toBe(1);
    expect(at({ AU14: 5 }).creases.dimple).toBe(1);
    expect(at({ AU17: 5 }).creases.chinBoss).toBe(1);
    expect(neutral.creases.glabella + neutral.creases.noseWrinkle + neutral.creases.crowsFeet).toBe(0);
  });

  it('an AU leaves unrelated regions alone (AU12 does not move the brows, AU1 does not move the mouth)', () => {
    expect(at({ AU12: 5 }).landmarks.browInnerR).toEqual(neutral.landmarks.browInnerR);
    expect(at({ AU01: 5 }).landmarks.mouthCornerR).toEqual(neutral.landmarks.mouthCornerR);
  });

  it('intensities are clipped to the FACS range 0–5', () => {
    expect(at({ AU12: 9 }).landmarks.mouthCornerR).toEqual(at({ AU12: 5 }).landmarks.mouthCornerR);
    expect(at({ AU12: -3 }).landmarks.mouthCornerR).toEqual(neutral.landmarks.mouthCornerR);
  });

  it('the left and right halves are mirror images', () => {
    const s = at({ AU01: 3, AU12: 4, AU20: 2 });
    expect(s.landmarks.mouthCornerL[0]).toBeCloseTo(-s.landmarks.mouthCornerR[0], 12);
    expect(s.landmarks.mouthCornerL[1]).toBeCloseTo(s.landmarks.mouthCornerR[1], 12);
    expect(s.landmarks.browInnerL[1]).toBeCloseTo(s.landmarks.browInnerR[1], 12);
  });
});
