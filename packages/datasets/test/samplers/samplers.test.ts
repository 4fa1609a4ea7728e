import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createRandomSource,
  instances,
  keyExpression,
  multiClip,
  stridedWindow,
  uniform,
  uniformSegments,
  type RandomSource,
} from '@dfer/datasets';

interface Fixture {
  kind: string;
  n: number;
  s?: number;
  d?: number;
  k?: number;
  u?: number[];
  centres?: number[];
  delta?: number;
  f?: number;
  expected: number[];
}
const fixtures = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'samplers', 'sampler-fixtures.json'), 'utf8'),
) as Fixture[];

/** A RandomSource replaying given values, failing when asked for more. */
function replay(values: readonly number[]): RandomSource {
  let i = 0;
  return {
    next: () => {
      if (i >= values.length) throw new Error('replay: out of values');
      return values[i++] as number;
    },
  };
}

describe('uniformSegments', () => {
  it('hand-computed: 16 frames, 8 × 2 in test mode takes every frame', () => {
    expect(uniformSegments(8, 2).sample(16, { mode: 'test' })).toEqual([...Array(16).keys()]);
  });

  it.each(fixtures.filter((f) => f.kind === 'segments-test'))(
    "test mode matches Former-DFER's int(tick/2 + tick·s) for N=$n, $s×$d",
    (f) => {
      expect(uniformSegments(f.s as number, f.d as number).sample(f.n, { mode: 'test' })).toEqual(f.expected);
    },
  );

  it.each(fixtures.filter((f) => f.kind === 'segments-short'))(
    'short video N=$n repeats frames, segment starts in order',
    (f) => {
      const got = uniformSegments(8, 2).sample(f.n, { mode: 'test' });
      expect(got).toEqual(f.expected);
      expect(got).toHaveLength(16);
      const starts = got.filter((_, i) => i % 2 === 0);
      expect([...starts].sort((a, b) => a - b)).toEqual(starts);
      expect(Math.max(...got)).toBeLessThan(f.n);
    },
  );

  it.each(fixtures.filter((f) => f.kind === 'segments-train'))(
    'train mode with given jitter matches the reference (N=$n)',
    (f) => {
      expect(uniformSegments(8, 2).sample(f.n, { mode: 'train', rng: replay(f.u as number[]) })).toEqual(
        f.expected,
      );
    },
  );

  it('train mode stays inside each segment and is seed-deterministic', () => {
    const sampler = uniformSegments(8, 2);
    const a = sampler.sample(100, { mode: 'train', rng: createRandomSource(3) });
    const b = sampler.sample(100, { mode: 'train', rng: createRandomSource(3) });
    const c = sampler.sample(100, { mode: 'train', rng: createRandomSource(4) });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const tick = 99 / 8;
    for (let s = 0; s < 8; s++) {
      const start = a[2 * s] as number;
      expect(start).toBeGreaterThanOrEqual(Math.floor(tick * s));
      expect(start).toBeLessThan(Math.ceil(tick * (s + 1)));
      expect(a[2 * s + 1]).toBe(start + 1);
    }
  });

  it('rejects bad arguments with the argument named', () => {
    expect(() => uniformSegments(0, 2)).toThrow('numSegments');
    expect(() => uniformSegments(8, 2).sample(0, { mode: 'test' })).toThrow('numFrames');
    expect(() => uniformSegments(8, 2).sample(10, { mode: 'train' })).toThrow('rng is required');
  });
});

describe('uniform and instances', () => {
  it('uniform(16) equals 16 segments of 1 frame and spreads over the video', () => {
    const f = fixtures.find((x) => x.kind === 'segments-test' && x.n === 70 && x.s === 16);
    expect(uniform(16).sample(70, { mode: 'test' })).toEqual(f?.expected);
    expect(uniform(16).layout).toEqual([1, 16]);
  });

  it('instances(4, 4) returns 16 frames grouped as 4 contiguous instances', () => {
    const sampler = instances(4, 4);
    expect(sampler.layout).toEqual([4, 4]);
    expect(sampler.sample(70, { mode: 'test' })).toEqual(uniform(16).sample(70, { mode: 'test' }));
    // hand-computed: N = 8 → ⌊8·(i + ½)/16⌋ = ⌊i/2 + ¼⌋
    expect(sampler.sample(8, { mode: 'test' })).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]);
  });
});

describe('multiClip', () => {
  it.each(fixtures.filter((f) => f.kind === 'multiclip-test'))(
    'test mode puts the K clips at K phases (N=$n)',
    (f) => {
      const sampler = multiClip(f.k as number);
      expect(sampler.layout).toEqual([4, 16]);
      expect(sampler.sample(f.n, { mode: 'test' })).toEqual(f.expected);
    },
  );

  it('train mode draws clips independently and deterministically per seed', () => {
    const sampler = multiClip(3, { numSegments: 4, framesPerSegment: 1 });
    const a = sampler.sample(200, { mode: 'train', rng: createRandomSource(9) });
    expect(a).toEqual(sampler.sample(200, { mode: 'train', rng: createRandomSource(9) }));
    expect(a.slice(0, 4)).not.toEqual(a.slice(4, 8));
  });
});

describe('keyExpression', () => {
  it.each(fixtures.filter((f) => f.kind === 'key'))('matches the RDFER formula (N=$n)', (f) => {
    const sampler = keyExpression(f.centres as number[], f.delta as number, f.f);
    expect(sampler.sample(f.n, { mode: 'test' })).toEqual(f.expected);
  });

  it('hand-computed: centre 0, huge negative log-stride picks the middle frame 4 times', () => {
    expect(keyExpression([0], -50).sample(11, { mode: 'test' })).toEqual([5, 5, 5, 5]);
  });

  it('rejects centres outside [-1, 1]', () => {
    expect(() => keyExpression([1.5], 0)).toThrow('centres[0]');
  });
});

describe('stridedWindow', () => {
  it('hand-computed: 4 frames stride 3 on 20 frames, centred window [5, 15]', () => {
    // window = 3·3 + 1 = 10, slack = 10, start = 5
    expect(stridedWindow(4, 3).sample(20, { mode: 'test' })).toEqual([5, 8, 11, 14]);
  });

  it('short video: every stride-th frame padded with the last frame', () => {
    expect(stridedWindow(16, 4).sample(30, { mode: 'test' })).toEqual([
      0, 4, 8, 12, 16, 20, 24, 28, 29, 29, 29, 29, 29, 29, 29, 29,
    ]);
  });

  it('train mode places the window at U{0 … N − W} with the rng', () => {
    // slack = 100 − 61 = 39; u = 0.5 → start ⌊0.5·40⌋ = 20
    expect(stridedWindow(16, 4).sample(100, { mode: 'train', rng: replay([0.5]) })).toEqual(
      Array.from({ length: 16 }, (_, k) => 20 + 4 * k),
    );
    expect(stridedWindow(16, 4).sample(100, { mode: 'train', rng: replay([0.999]) })[15]).toBe(99);
  });
});
