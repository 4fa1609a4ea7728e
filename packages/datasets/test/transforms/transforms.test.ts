import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createClipTransform,
  createRandomSource,
  createTestTransform,
  createTrainTransform,
  type RandomSource,
} from '@dfer/datasets';
import type { ClipArray } from '../../src/transforms/clip-array';
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  normalizeClip,
} from '../../src/transforms/colour';
import {
  cropClip,
  flipClipHorizontally,
  randomResizedCropBox,
  resizeClip,
} from '../../src/transforms/geometry';

const fx = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'transforms', 'transform-fixtures.json'), 'utf8'),
) as Record<string, unknown> & { input: { shape: [number, number, number, number]; data: number[] } };
const input: ClipArray = { data: Float32Array.from(fx.input.data), shape: fx.input.shape };

function expectClose(actual: Float32Array, expected: unknown, tol = 1e-6): void {
  const e = expected as number[];
  expect(actual.length).toBe(e.length);
  let worst = 0;
  e.forEach((v, i) => (worst = Math.max(worst, Math.abs((actual[i] as number) - v))));
  expect(worst).toBeLessThan(tol);
}

function replay(values: readonly number[]): RandomSource {
  let i = 0;
  return { next: () => values[i++] as number };
}

describe('geometry', () => {
  it('resize matches the PyTorch bilinear (align_corners=False) reference, down and up', () => {
    const down = resizeClip(input, [3, 4]);
    expect(down.shape).toEqual([2, 3, 4, 3]);
    expectClose(down.data, fx['resize_3x4']);
    expectClose(resizeClip(input, [9, 11]).data, fx['resize_9x11']);
  });

  it('hand-computed: upsampling [0, 1] to 4 pixels gives [0, 0.25, 0.75, 1]', () => {
    const ramp: ClipArray = { data: Float32Array.from([0, 1]), shape: [1, 1, 2, 1] };
    expect(Array.from(resizeClip(ramp, [1, 4]).data)).toEqual([0, 0.25, 0.75, 1]);
  });

  it('crop and flip move pixels where they should (hand-computed)', () => {
    const clip: ClipArray = { data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [1, 2, 3, 1] };
    expect(Array.from(flipClipHorizontally(clip).data)).toEqual([3, 2, 1, 6, 5, 4]);
    expect(Array.from(cropClip(clip, 1, 1, 1, 2).data)).toEqual([5, 6]);
    expect(() => cropClip(clip, 1, 2, 1, 2)).toThrow('does not fit a 2×3 frame');
  });

  it('random resized crop box follows torchvision get_params (success and fallback)', () => {
    const a = fx['rrc'] as { h: number; w: number; u: number[]; box: number[] };
    const box = randomResizedCropBox(a.h, a.w, replay(a.u));
    expect([box.top, box.left, box.height, box.width]).toEqual(a.box);
    const b = fx['rrc_fallback'] as { h: number; w: number; u: number[]; box: number[] };
    const fb = randomResizedCropBox(b.h, b.w, replay(b.u));
    expect([fb.top, fb.left, fb.height, fb.width]).toEqual(b.box);
  });
});

describe('colour', () => {
  it('brightness, contrast, saturation match the torchvision reference', () => {
    expectClose(adjustBrightness(input, 1.3).data, fx['brightness_1.3']);
    expectClose(adjustContrast(input, 0.6).data, fx['contrast_0.6']);
    expectClose(adjustSaturation(input, 1.4).data, fx['saturation_1.4']);
  });

  it('hue shifts match the torchvision reference; shift 0 is the identity', () => {
    expectClose(adjustHue(input, 0.2).data, fx['hue_0.2'], 2e-6);
    expectClose(adjustHue(input, -0.35).data, fx['hue_-0.35'], 2e-6);
    expectClose(adjustHue(input, 0).data, Array.from(input.data), 2e-6);
  });

  it('normalisation from a model input spec matches (x − mean)/std', () => {
    const spec = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
    expectClose(normalizeClip(input, spec).data, fx['normalize_imagenet'], 1e-5);
    expect(() => normalizeClip(input, { mean: [0], std: [1] })).toThrow('need 3 values');
  });
});

describe('pipelines', () => {
  it('train transform: output size, same seed → same bits, different seed → different crop', () => {
    const t = createTrainTransform(
      { height: 4, width: 4 },
      { colorJitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 } },
    );
    expect(t.random).toBe(true);
    const a = t.apply(input, createRandomSource(5));
    const b = t.apply(input, createRandomSource(5));
    const c = t.apply(input, createRandomSource(6));
    expect(a.shape).toEqual([2, 4, 4, 3]);
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
    expect(() => t.apply(input)).toThrow('pass an rng');
  });

  it('test transform is deterministic resize + normalisation (equals the two steps by hand)', () => {
    const spec = { height: 3, width: 4, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
    const t = createTestTransform(spec);
    expect(t.random).toBe(false);
    expect(Array.from(t.apply(input).data)).toEqual(
      Array.from(normalizeClip(resizeClip(input, [3, 4]), spec).data),
    );
  });

  it('a flip with p = 1 flips every frame; the same parameters apply to all frames', () => {
    const t = createClipTransform([{ type: 'horizontalFlip', p: 1 }]);
    expect(Array.from(t.apply(input, createRandomSource(0)).data)).toEqual(
      Array.from(flipClipHorizontally(input).data),
    );
  });

  it('rejects an unknown step naming its index', () => {
    expect(() => createClipTransform([{ type: 'resize', size: [2, 2] }, { type: 'blur' } as never])).toThrow(
      'steps[1] (blur): unknown type',
    );
  });
});
