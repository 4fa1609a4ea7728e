import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import {
  createSyntheticFacsDataset,
  DFEW_CLASS_COUNTS,
  NO_NUISANCE,
  type SyntheticFacsClipMeta,
} from '@dfer/datasets/synthetic';
import { allocateClassCounts } from '../../src/synthetic/synthetic-facs-config';

interface Fixture {
  nearest: number[];
  hamilton: Record<string, number[]>;
}
// Made by fixtures/make_expression_profile.py (numpy).
const fixture = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'expression-profile-dfew.json'), 'utf8'),
) as Fixture;

const small = { numClips: 40, numIdentities: 8, size: [32, 32] as const, numFrames: [16, 20] as const };

function bytesEqual(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

describe('createSyntheticFacsDataset: the ClipDataset contract', () => {
  const ds = createSyntheticFacsDataset({ seed: 3, ...small });

  it('has DFEW labels, the 18 OpenFace AUs and records with subjects', () => {
    expect(ds.length).toBe(40);
    expect(ds.labelNames).toEqual(['happy', 'sad', 'neutral', 'angry', 'surprise', 'disgust', 'fear']);
    expect(ds.auNames).toHaveLength(18);
    const r = ds.record(5);
    expect(r.id).toBe('synfacs-000005');
    expect(r.subject).toMatch(/^identity-\d{4}$/);
    expect(r.numFrames).toBeGreaterThanOrEqual(16);
    expect(r.numFrames).toBeLessThanOrEqual(20);
  });

  it('decodes only the requested frames, float32 NHWC in [0, 1], with per-frame AUs', async () => {
    const clip = await ds.get(2, { frameIndices: [0, 3, 3, 7] });
    expect(clip.shape).toEqual([4, 32, 32, 3]);
    expect(clip.frames).toHaveLength(4 * 32 * 32 * 3);
    expect(clip.frameIndices).toEqual([0, 3, 3, 7]);
    expect(clip.aus).toHaveLength(4 * 18);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of clip.frames) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
    // A repeated index gives the same frame.
    const n = 32 * 32 * 3;
    expect(bytesEqual(clip.frames.subarray(n, 2 * n), clip.frames.subarray(2 * n, 3 * n))).toBe(true);
  });

  it('renders any requested size (vector drawing, no resampling)', async () => {
    const clip = await ds.get(0, { frameIndices: [1], size: [40, 24] });
    expect(clip.shape).toEqual([1, 40, 24, 3]);
  });

  it('names the bad argument', async () => {
    await expect(ds.get(40)).rejects.toThrow(/get: index 40 is out of range \(dataset has 40 clips\)/);
    await expect(ds.get(0, { frameIndices: [0, 99] })).rejects.toThrow(
      /frameIndices\[1\] = 99 is not a frame of clip synfacs-000000/,
    );
    await expect(ds.get(0, { frameIndices: [0], size: [4, 4] })).rejects.toThrow(/options.size/);
    expect(() => createSyntheticFacsDataset({ numClips: 0 })).toThrow(/numClips must be an integer/);
    expect(() => createSyntheticFacsDataset({ classProportions: [1, 2] })).toThrow(
      /classProportions has 2 entries; expected 7/,
    );
    expect(() => createSyntheticFacsDataset({ numFrames: [10, 20] })).toThrow(
      /at least 16 when distractorRate > 0/,
    );
    expect(() => createSyntheticFacsDataset({ labelNoise: { rate: 1.5 } })).toThrow(/labelNoise.rate/);
    expect(() => createSyntheticFacsDataset({ auNames: ['AU16'] })).toThrow(
      /auNames\[0\] = AU16 is not animated/,
    );
  });
});

describe('determinism', () => {
  it('same seed → byte-identical pixels and ground truth; another seed → different', async () => {
    const a = createSyntheticFacsDataset({ seed: 9, ...small });
    const b = createSyntheticFacsDataset({ seed: 9, ...small });
    const c = createSyntheticFacsDataset({ seed: 10, ...small });
    const frames = [0, 5, 10, 15];
    const ca = await a.get(7, { frameIndices: frames });
    const cb = await b.get(7, { frameIndices: frames });
    const cc = await c.get(7, { frameIndices: frames });
    expect(bytesEqual(ca.frames, cb.frames)).toBe(true);
    expect(ca.aus).toEqual(cb.aus);
    expect(ca.meta).toEqual(cb.meta);
    expect(bytesEqual(ca.frames, cc.frames)).toBe(false);
  });

  it('a frame does not depend on which other frames are requested', async () => {
    const ds = createSyntheticFacsDataset({ seed: 4, ...small });
    const all = await ds.get(1, { frameIndices: [2, 6, 9] });
    const one = await ds.get(1, { frameIndices: [6] });
    const n = 32 * 32 * 3;
    expect(bytesEqual(all.frames.subarray(n, 2 * n), one.frames)).toBe(true);
  });
});

describe('ground truth', () => {
  const ds = createSyntheticFacsDataset({ seed: 5, ...small, numClips: 60 });

  it('getClipInfo agrees with get() on the requested frames', async () => {
    const info = ds.getClipInfo(3);
    const frames = [0, 4, info.numFrames - 1];
    const clip = await ds.get(3, { frameIndices: frames });
    const meta = clip.meta as { auIntensities: Float32Array; keyActivation: Float32Array; trueLabel: number };
    frames.forEach((t, k) => {
      expect(Array.from(meta.auIntensities.subarray(k * 18, (k + 1) * 18))).toEqual(
        Array.from(info.auIntensities.subarray(t * 18, (t + 1) * 18)),
      );
      expect(Array.from((clip.aus as Uint8Array).subarray(k * 18, (k + 1) * 18))).toEqual(
        Array.from(info.auPresences.subarray(t * 18, (t + 1) * 18)),
      );
      expect(meta.keyActivation[k]).toBe(info.keyActivation[t]);
    });
    expect(meta.trueLabel).toBe(info.trueLabel);
    expect(clip.label).toBe(info.label);
  });

  it('presence = intensity ≥ the presence threshold; intensities stay in 0–5', () => {
    for (let i = 0; i < 10; i++) {
      const info = ds.getClipInfo(i);
      info.auIntensities.forEach((v, k) => {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(5);
        expect(info.auPresences[k]).toBe(v >= 1 ? 1 : 0);
      });
    }
  });

  it('the key segment follows neutral → onset → apex → offset inside the clip, activation 1 on the apex', () => {
    for (let i = 0; i < ds.length; i++) {
      const info = ds.getClipInfo(i);
      const s = info.keySegment;
      expect(s.label).toBe(info.trueLabel);
      expect(0 <= s.start && s.start < s.apexStart && s.apexStart <= s.apexEnd && s.apexEnd < s.end).toBe(
        true,
      );
      expect(s.end).toBeLessThan(info.numFrames);
      expect(info.keyActivation[s.start]).toBe(0);
      expect(info.keyActivation[s.end]).toBe(0);
      for (let t = s.apexStart; t <= s.apexEnd; t++) expect(info.keyActivation[t]).toBe(1);
    }
  });

  it('happy clips raise AU12 at the apex; neutral clips do not', () => {
    const big = createSyntheticFacsDataset({
      seed: 6,
      numClips: 300,
      hardRate: 0,
      speechRate: 0,
      distractorRate: 0,
    });
    const au12 = big.auNames.indexOf('AU12');
    let happy = 0;
    let happyOn = 0;
    let neutralOn = 0;
    let neutral = 0;
    for (let i = 0; i < big.length; i++) {
      const info = big.getClipInfo(i);
      const t = info.keySegment.apexStart;
      const v = info.auIntensities[t * 18 + au12] as number;
      if (info.trueLabel === 0) {
        happy++;
        if (v >= 2) happyOn++;
      } else if (info.trueLabel === 2) {
        neutral++;
        if (v >= 2) neutralOn++;
      }
    }
    expect(happyOn / happy).toBeGreaterThan(0.9);
    expect(neutralOn / neutral).toBeLessThan(0.05);
  });
});

describe('framing', () => {
  const still = {
    numClips: 7,
    numIdentities: 7,
    size: [64, 64] as const,
    numFrames: [16, 16] as const,
    occlusionRate: 0,
    nuisance: NO_NUISANCE,
  };
  /** Pixels within 0.05 (RGB, max norm) of the median colour of the frame's central 8×8 patch: the skin. */
  function skinPixels(frames: Float32Array, size: number): number {
    const centre: number[][] = [[], [], []];
    for (let y = size / 2 - 4; y < size / 2 + 4; y++)
      for (let x = size / 2 - 4; x < size / 2 + 4; x++)
        for (let c = 0; c < 3; c++) centre[c]!.push(frames[(y * size + x) * 3 + c]!);
    const skin = centre.map((v) => v.sort((a, b) => a - b)[v.length >> 1]!);
    let n = 0;
    for (let p = 0; p < size * size; p++) {
      if ([0, 1, 2].every((c) => Math.abs(frames[p * 3 + c]! - skin[c]!) <= 0.05)) n++;
    }
    return n;
  }

  it('nuisance.faceScale enlarges the face by that factor (skin area ≈ factor²); default 1 changes nothing', async () => {
    const plain = createSyntheticFacsDataset({ seed: 4, ...still });
    const explicit = createSyntheticFacsDataset({
      seed: 4,
      ...still,
      nuisance: { ...still.nuisance, faceScale: 1 },
    });
    const tight = createSyntheticFacsDataset({
      seed: 4,
      ...still,
      nuisance: { ...still.nuisance, faceScale: 1.4 },
    });
    const ratios: number[] = [];
    for (let i = 0; i < 7; i++) {
      const a = await plain.get(i, { frameIndices: [0] });
      const b = await explicit.get(i, { frameIndices: [0] });
      expect(bytesEqual(a.frames, b.frames)).toBe(true);
      const c = await tight.get(i, { frameIndices: [0] });
      expect(c.meta).toEqual(a.meta);
      ratios.push(skinPixels(c.frames, 64) / skinPixels(a.frames, 64));
    }
    const median = ratios.sort((x, y) => x - y)[3]!;
    // 1.4² = 1.96; features (eyes, brows, mouth) scale too, so the skin share of the face stays the same.
    expect(median).toBeGreaterThan(1.6);
    expect(median).toBeLessThan(2.3);
    expect(() => createSyntheticFacsDataset({ nuisance: { faceScale: 0 } })).toThrow(/nuisance.faceScale/);
  });
});

describe('difficulty controls', () => {
  it('class counts follow DFEW proportions exactly (largest remainder, numpy reference)', () => {
    expect(allocateClassCounts(1000, DFEW_CLASS_COUNTS)).toEqual(fixture.hamilton['1000']);
    expect(allocateClassCounts(37, DFEW_CLASS_COUNTS)).toEqual(fixture.hamilton['37']);
    const ds = createSyntheticFacsDataset({ seed: 1, numClips: 1000, numIdentities: 100 });
    expect(ds.getStats().trueLabelCounts).toEqual(fixture.hamilton['1000']);
  });

  it('custom class proportions are honoured', () => {
    const ds = createSyntheticFacsDataset({ seed: 1, numClips: 70, classProportions: [1, 1, 1, 1, 1, 1, 1] });
    expect(ds.getStats().trueLabelCounts).toEqual([10, 10, 10, 10, 10, 10, 10]);
  });

  it('label noise: exactly round(rate·N) given labels are wrong, the true label is kept', () => {
    const ds = createSyntheticFacsDataset({ seed: 2, numClips: 500, labelNoise: { rate: 0.2 } });
    const stats = ds.getStats();
    expect(stats.noisyLabels).toBe(100);
    let wrong = 0;
    for (let i = 0; i < ds.length; i++) {
      const info = ds.getClipInfo(i);
      expect(ds.record(i).label).toBe(info.label);
      if (info.label !== info.trueLabel) wrong++;
      expect(info.labelIsNoisy).toBe(info.label !== info.trueLabel);
    }
    expect(wrong).toBe(100);
  });

  it("'pair' noise flips to the nearest profile (numpy reference), a matrix only to allowed classes", () => {
    const pair = createSyntheticFacsDataset({
      seed: 2,
      numClips: 300,
      labelNoise: { rate: 0.3, pattern: 'pair' },
    });
    for (let i = 0; i < pair.length; i++) {
      const info = pair.getClipInfo(i);
      if (info.labelIsNoisy) expect(info.label).toBe(fixture.nearest[info.trueLabel]);
    }
    // Everything that is wrong becomes 'fear' (index 6); fear itself becomes 'surprise'.
    const matrix = Array.from({ length: 7 }, (_, e) =>
      Array.from({ length: 7 }, (_, f) => (e === 6 ? (f === 4 ? 1 : 0) : f === 6 ? 1 : 0)),
    );
    const m = createSyntheticFacsDataset({
      seed: 2,
      numClips: 300,
      labelNoise: { rate: 0.5, pattern: matrix },
    });
    let n = 0;
    for (let i = 0; i < m.length; i++) {
      const info = m.getClipInfo(i);
      if (info.labelIsNoisy) {
        n++;
        expect(info.label).toBe(info.trueLabel === 6 ? 4 : 6);
      }
    }
    expect(n).toBe(150);
    expect(() => createSyntheticFacsDataset({ labelNoise: { rate: 0.1, pattern: [[1]] } })).toThrow(
      /pattern has 1 rows; expected 7/,
    );
  });

  it('distractors: another expression, never overlapping the key segment', () => {
    const ds = createSyntheticFacsDataset({ seed: 8, ...small, distractorRate: 1 });
    expect(ds.getStats().withDistractor).toBe(ds.length);
    for (let i = 0; i < ds.length; i++) {
      const info = ds.getClipInfo(i);
      const [d] = info.distractors;
      expect(d).toBeDefined();
      if (d === undefined) continue;
      expect(d.label).not.toBe(info.trueLabel);
      expect(d.label).not.toBe(2); // neutral has no expression to show
      expect(d.end < info.keySegment.start || d.start > info.keySegment.end).toBe(true);
      expect(info.distractorActivation[d.apexStart]).toBe(1);
    }
  });

  it('hard clips are subtle (weaker apex) or short (apex of 1–2 frames)', () => {
    const easy = createSyntheticFacsDataset({
      seed: 12,
      numClips: 200,
      hardRate: 0,
      distractorRate: 0,
      speechRate: 0,
    });
    const hard = createSyntheticFacsDataset({
      seed: 12,
      numClips: 200,
      hardRate: 1,
      distractorRate: 0,
      speechRate: 0,
    });
    const stats = hard.getStats();
    expect(stats.difficultyCounts.normal).toBe(0);
    expect(stats.difficultyCounts.subtle + stats.difficultyCounts.short).toBe(200);
    const peak = (ds: typeof easy, want: string): number[] => {
      const out: number[] = [];
      for (let i = 0; i < ds.length; i++) {
        const info = ds.getClipInfo(i);
        if (info.difficulty !== want || info.trueLabel !== 0) continue;
        out.push(info.auIntensities[info.keySegment.apexStart * 18 + ds.auNames.indexOf('AU12')] as number);
        if (want === 'short')
          expect(info.keySegment.apexEnd - info.keySegment.apexStart).toBeLessThanOrEqual(1);
      }
      return out;
    };
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    peak(hard, 'short');
    expect(mean(peak(hard, 'subtle'))).toBeLessThan(0.6 * mean(peak(easy, 'normal')));
  });
});

describe('other label sets and occlusion', () => {
  it('a custom label list gets uniform classes and its own prior rows', () => {
    const ds = createSyntheticFacsDataset({
      seed: 1,
      numClips: 30,
      labels: ['surprise', 'happy', 'neutral'],
    });
    expect(ds.labelNames).toEqual(['surprise', 'happy', 'neutral']);
    expect(ds.getStats().trueLabelCounts).toEqual([10, 10, 10]);
    expect(ds.profile.emptyLabels).toEqual(['neutral']);
    expect(() => createSyntheticFacsDataset({ labels: ['contempt'] })).toThrow(/contempt/);
  });

  it('occluded frames are flagged in the meta and in getClipInfo', async () => {
    const ds = createSyntheticFacsDataset({ seed: 4, ...small, occlusionRate: 1 });
    expect(ds.getStats().withOcclusion).toBe(ds.length);
    const info = ds.getClipInfo(0);
    const frames = Array.from({ length: info.numFrames }, (_, t) => t);
    const clip = await ds.get(0, { frameIndices: frames, size: [16, 16] });
    const meta: SyntheticFacsClipMeta = clip.meta;
    expect(Array.from(meta.occluded)).toEqual(Array.from(info.occluded));
    expect(meta.occluded.some((v) => v === 1)).toBe(true);
  });
});

describe('subsets and caching', () => {
  it('subset() is a view with the same clips', async () => {
    const ds = createSyntheticFacsDataset({ seed: 3, ...small });
    const sub = ds.subset([5, 1]);
    expect(sub.length).toBe(2);
    expect(sub.record(0)).toEqual(ds.record(5));
    const a = await sub.get(1, { frameIndices: [2] });
    const b = await ds.get(1, { frameIndices: [2] });
    expect(bytesEqual(a.frames, b.frames)).toBe(true);
    expect(() => ds.subset([40])).toThrow(/subset: indices\[0\]: index 40 is out of range/);
  });

  it('cacheDir: frames written once, read back byte-identical by a new instance', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synfacs-'));
    try {
      const a = createSyntheticFacsDataset({ seed: 3, ...small, cacheDir: dir });
      const first = await a.get(0, { frameIndices: [0, 1] });
      const [root] = readdirSync(dir);
      expect(root).toMatch(/^synthetic-facs-[0-9a-f]{16}$/);
      expect(readdirSync(join(dir, root as string, '32x32', 'synfacs-000000')).sort()).toEqual([
        '0.rgb',
        '1.rgb',
      ]);
      const b = createSyntheticFacsDataset({ seed: 3, ...small, cacheDir: dir });
      const second = await b.get(0, { frameIndices: [0, 1] });
      expect(bytesEqual(first.frames, second.frames)).toBe(true);
      // Another config gets another cache folder.
      await createSyntheticFacsDataset({ seed: 4, ...small, cacheDir: dir }).get(0, { frameIndices: [0] });
      expect(readdirSync(dir)).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('memoryCacheMiB: remembered frames equal freshly rendered ones, with room for all, for a few, or none', async () => {
    const order = [0, 3, 0, 5, 3, 0, 7, 5];
    const frameIndices = [0, 2, 5, 1];
    const fresh = createSyntheticFacsDataset({ seed: 3, ...small, memoryCacheMiB: 0 });
    const expected = await Promise.all(order.map((i) => fresh.get(i, { frameIndices })));
    // 32·32·3 bytes a frame: 0.01 MiB holds 3 frames, so the LRU keeps evicting; 64 MiB holds them all.
    for (const memoryCacheMiB of [64, 0.01]) {
      const cached = createSyntheticFacsDataset({ seed: 3, ...small, memoryCacheMiB });
      const sub = cached.subset([0, 3, 5, 7]);
      for (const [k, i] of order.entries()) {
        const got = await cached.get(i, { frameIndices });
        expect(bytesEqual(got.frames, expected[k]!.frames)).toBe(true);
        const viaSubset = await sub.get([0, 3, 5, 7].indexOf(i), { frameIndices });
        expect(bytesEqual(viaSubset.frames, expected[k]!.frames)).toBe(true);
      }
      // Another size is another frame, not a remembered one.
      const big = await cached.get(0, { frameIndices: [0], size: [40, 40] });
      const bigFresh = await fresh.get(0, { frameIndices: [0], size: [40, 40] });
      expect(bytesEqual(big.frames, bigFresh.frames)).toBe(true);
    }
    expect(() => createSyntheticFacsDataset({ ...small, memoryCacheMiB: -1 })).toThrow(
      /memoryCacheMiB must be a number in \[0, 1048576\], got -1/,
    );
  });
});
