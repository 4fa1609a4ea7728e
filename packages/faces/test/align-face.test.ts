import { DEFAULT_ALIGNMENT_TEMPLATE, eyeAlignmentTransform, warpFrame, type RgbFrame } from '@dfer/faces';

/** A frame whose red channel is x and green channel is y of each pixel (values 0…255). */
function coordinateFrame(width: number, height: number): RgbFrame {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      data[(y * width + x) * 3] = x;
      data[(y * width + x) * 3 + 1] = y;
      data[(y * width + x) * 3 + 2] = 7;
    }
  return { data, width, height };
}

const apply = (m: readonly number[], x: number, y: number): [number, number] => [
  m[0]! * x + m[1]! * y + m[2]!,
  m[3]! * x + m[4]! * y + m[5]!,
];

describe('eyeAlignmentTransform', () => {
  it('sends the template eye positions to the eyes (hand-computed, rotated face)', () => {
    // eyes 50 px apart on a line at 30°
    const right: [number, number] = [100, 100];
    const left: [number, number] = [100 + 50 * Math.cos(Math.PI / 6), 100 + 50 * Math.sin(Math.PI / 6)];
    const m = eyeAlignmentTransform(right, left, { height: 112, width: 112 });
    // template: eyes at x = 56 ∓ 0.2·112 = 33.6 / 78.4, y = 0.4·112 = 44.8
    const r = apply(m, 33.6, 44.8);
    const l = apply(m, 78.4, 44.8);
    expect(r[0]).toBeCloseTo(right[0], 10);
    expect(r[1]).toBeCloseTo(right[1], 10);
    expect(l[0]).toBeCloseTo(left[0], 10);
    expect(l[1]).toBeCloseTo(left[1], 10);
    // a similarity: scale 50 / 44.8 in both directions, angle 30°
    expect(Math.hypot(m[0], m[3])).toBeCloseTo(50 / 44.8, 12);
    expect(Math.atan2(m[3], m[0])).toBeCloseTo(Math.PI / 6, 12);
  });

  it('refuses coincident eyes and bad targets', () => {
    expect(() => eyeAlignmentTransform([1, 1], [1, 1], { height: 10, width: 10 })).toThrow(/coincide/);
    expect(() => eyeAlignmentTransform([0, 0], [1, 0], { height: 0, width: 10 })).toThrow(/positive integer/);
    expect(DEFAULT_ALIGNMENT_TEMPLATE).toEqual({ eyeDistance: 0.4, eyeY: 0.4 });
  });
});

describe('warpFrame', () => {
  it('is the identity when the eyes already sit at the template positions', () => {
    const frame = coordinateFrame(50, 40);
    // template for 50×40: eyes at x = 25 ∓ 10 → 15 / 35, y = 16 (pixel centres: +0 since pixel j is at j + 0.5)
    const m = eyeAlignmentTransform([15, 16], [35, 16], { height: 40, width: 50 });
    const out = warpFrame(frame, m, { height: 40, width: 50 });
    for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo(frame.data[i]! / 255, 6);
  });

  it('interpolates bilinearly: a half-pixel shift averages neighbours; outside reads 0', () => {
    const frame = coordinateFrame(20, 20);
    const m: [number, number, number, number, number, number] = [1, 0, 0.5, 0, 1, 0];
    const out = warpFrame(frame, m, { height: 20, width: 20 });
    // pixel (row 3, col 4) samples x = 4.5: red = (4 + 5) / 2 = 4.5; green = 3
    expect(out[(3 * 20 + 4) * 3]! * 255).toBeCloseTo(4.5, 4);
    expect(out[(3 * 20 + 4) * 3 + 1]! * 255).toBeCloseTo(3, 4);
    // last column samples x = 19.5: half of pixel 19, half outside (0)
    expect(out[(3 * 20 + 19) * 3]! * 255).toBeCloseTo(19 / 2, 4);
  });
});
