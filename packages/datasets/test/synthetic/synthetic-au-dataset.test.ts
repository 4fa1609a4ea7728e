import { auCooccurrence } from '@dfer/au-knowledge';
import { readBp4dAuLabels } from '@dfer/datasets/annotations';
import {
  createAuExpressionRule,
  createSyntheticAuDataset,
  labelAuClipExpression,
  type AuOccurrenceSource,
} from '@dfer/datasets/synthetic';
import { describeWithSharedData } from '@dfer/test-utils';

/** A hand-made source: AU06 and AU12 always together (rows 0–39), AU01 alone (rows 40–79). */
function handSource(): AuOccurrenceSource {
  const auNames = ['AU01', 'AU06', 'AU12'];
  const labels = new Uint8Array(80 * 3);
  for (let r = 0; r < 80; r++) {
    if (r < 40) {
      labels[r * 3 + 1] = 1;
      labels[r * 3 + 2] = 1;
    } else labels[r * 3] = 1;
  }
  return { auNames, labels };
}

describe('createSyntheticAuDataset', () => {
  const source = handSource();
  const ds = createSyntheticAuDataset({
    source,
    seed: 2,
    numClips: 30,
    numIdentities: 6,
    size: [32, 32],
    numFrames: [8, 12],
  });

  it('per-frame targets are the source rows of the clip window, unchanged', () => {
    for (let i = 0; i < ds.length; i++) {
      const info = ds.getClipInfo(i);
      const want = source.labels as Uint8Array;
      expect(Array.from(info.auPresences)).toEqual(
        Array.from(want.subarray(info.sourceStart * 3, (info.sourceStart + info.numFrames) * 3)),
      );
      info.auIntensities.forEach((v, k) => {
        if (info.auPresences[k] === 1) {
          expect(v).toBeGreaterThanOrEqual(1.4); // 0.7 · peak ≥ 0.7 · 2
          expect(v).toBeLessThanOrEqual(5);
        } else expect(v).toBe(0);
      });
    }
  });

  it('onset ramp: I = peak·(0.7 + 0.3·h(min(1, r/3))) grows over the first present frames', () => {
    let checked = 0;
    for (let i = 0; i < ds.length; i++) {
      const info = ds.getClipInfo(i);
      for (let j = 0; j < 3; j++) {
        // First present frame of AU j in the clip with absent frame before or clip start.
        for (let t = 0; t + 3 < info.numFrames; t++) {
          const on = (u: number): boolean => info.auPresences[u * 3 + j] === 1;
          if (on(t) && (t === 0 || !on(t - 1)) && on(t + 1) && on(t + 2) && on(t + 3)) {
            const peak = (info.auIntensities[(t + 3) * 3 + j] as number) / 1;
            const h = (x: number): number => x * x * (3 - 2 * x);
            expect(info.auIntensities[t * 3 + j]).toBeCloseTo(peak * 0.7, 5);
            expect(info.auIntensities[(t + 1) * 3 + j]).toBeCloseTo(peak * (0.7 + 0.3 * h(1 / 3)), 5);
            expect(info.auIntensities[(t + 2) * 3 + j]).toBeCloseTo(peak * (0.7 + 0.3 * h(2 / 3)), 5);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('renders the targets as ClipSample.aus, deterministically', async () => {
    const a = await ds.get(3, { frameIndices: [0, 2] });
    const b = await createSyntheticAuDataset({
      source,
      seed: 2,
      numClips: 30,
      numIdentities: 6,
      size: [32, 32],
      numFrames: [8, 12],
    }).get(3, {
      frameIndices: [0, 2],
    });
    const info = ds.getClipInfo(3);
    expect(Array.from(a.aus as Uint8Array)).toEqual([
      ...info.auPresences.subarray(0, 3),
      ...info.auPresences.subarray(6, 9),
    ]);
    expect(Buffer.from(a.frames.buffer).equals(Buffer.from(b.frames.buffer))).toBe(true);
    expect(ds.record(3).subject).toMatch(/^identity-/);
  });

  it('names bad input', () => {
    expect(() => createSyntheticAuDataset({ source: { auNames: ['AU16'], labels: [1] } })).toThrow(
      /source.auNames\[0\]/,
    );
    expect(() =>
      createSyntheticAuDataset({ source: { auNames: ['AU01', 'AU02'], labels: [1, 0, 2, 0] } }),
    ).toThrow(/source.labels\[2\] \(row 1, AU01\) must be 0 or 1, got 2/);
    expect(() => createSyntheticAuDataset({ source, numFrames: [8, 100] })).toThrow(
      /numFrames\[1\] \(≤ the 80 source rows\)/,
    );
  });
});

describeWithSharedData(
  'bp4d/BP4D_combine_1_2_AUOccur.txt',
  'synthetic AU clips from the real BP4D labels',
  (path) => {
    it('keep the BP4D co-occurrence P(AU j | AU i) over the sampled frames', () => {
      const bp4d = readBp4dAuLabels(path);
      const ds = createSyntheticAuDataset({ source: bp4d, seed: 1, numClips: 600, numFrames: [16, 16] });
      const sampled: Uint8Array[] = [];
      for (let i = 0; i < ds.length; i++) {
        const info = ds.getClipInfo(i);
        for (let t = 0; t < info.numFrames; t++)
          sampled.push(info.auPresences.subarray(t * 12, (t + 1) * 12));
      }
      const real = auCooccurrence({ data: bp4d.labels, numAus: 12 });
      const syn = auCooccurrence(sampled);
      // Windows are sampled uniformly, so frame statistics match the source up to sampling error
      // (600 windows of 16 correlated frames).
      for (let i = 0; i < 12; i++) {
        const baseReal = (real.counts[i * 12 + i] as number) / real.total;
        const baseSyn = (syn.counts[i * 12 + i] as number) / syn.total;
        expect(Math.abs(baseSyn - baseReal)).toBeLessThan(0.07);
      }
      // AU6 (column 3) and AU12 (column 6) co-occur strongly in BP4D; AU1 (0) and AU2 (1) too.
      expect(syn.conditional[3 * 12 + 6]).toBeGreaterThan(0.6);
      expect(
        Math.abs((syn.conditional[3 * 12 + 6] as number) - (real.conditional[3 * 12 + 6] as number)),
      ).toBeLessThan(0.1);
      expect(
        Math.abs((syn.conditional[0 * 12 + 1] as number) - (real.conditional[0 * 12 + 1] as number)),
      ).toBeLessThan(0.15);
    });
  },
);

describe('auxiliary expression label (labelAuClipExpression)', () => {
  const aus = [
    'AU01',
    'AU02',
    'AU04',
    'AU06',
    'AU07',
    'AU10',
    'AU12',
    'AU14',
    'AU15',
    'AU17',
    'AU23',
    'AU24',
  ];
  const rule = createAuExpressionRule(aus);
  const row = (...on: string[]): number[] => aus.map((a) => (on.includes(a) ? 1 : 0));
  const label = (...rows: number[][]): string =>
    rule.labelNames[labelAuClipExpression(rule, rows.flat())] as string;

  it('restricts the FACS/EMFACS prototypes to the AUs present (hand-checked rows)', () => {
    // canonical EXPRESSIONS order; happy 6+12; sad 1+4+15; surprise 1+2 (5, 26 absent); fear 1+2+4; angry 4+7+23; disgust 15; contempt 12+14
    expect(rule.labelNames).toEqual([
      'neutral',
      'happy',
      'sad',
      'angry',
      'surprise',
      'disgust',
      'fear',
      'contempt',
    ]);
    expect(Array.from(rule.prototypes.subarray(0, 12))).toEqual(row('AU06', 'AU12'));
    expect(Array.from(rule.prototypes.subarray(12, 24))).toEqual(row('AU01', 'AU04', 'AU15'));
  });

  it('argmax coverage, ties to the larger prototype, neutral below the threshold', () => {
    expect(label(row('AU06', 'AU12'), row('AU06', 'AU12'))).toBe('happy');
    // AU12 in both frames, AU06 in one: happy 0.75, contempt (12+14) 0.5
    expect(label(row('AU06', 'AU12'), row('AU12'))).toBe('happy');
    // 1+2+4 all on: surprise (1, 2) and fear (1, 2, 4) both cover 1 → fear (larger prototype)
    expect(label(row('AU01', 'AU02', 'AU04'))).toBe('fear');
    // 1+4+15: sad covers 1, disgust (15) covers 1 → sad
    expect(label(row('AU01', 'AU04', 'AU15'))).toBe('sad');
    // AU10 alone is in no prototype here; AU12 half the time: happy 0.25, contempt 0.25 → neutral
    expect(label(row('AU10'), row('AU12', 'AU10'))).toBe('neutral');
    expect(label(row())).toBe('neutral');
    expect(() => labelAuClipExpression(rule, [1, 0])).toThrow(/multiple of 12/);
  });

  it('the dataset labels each clip with the rule over its whole window', () => {
    const source = handSource();
    const ds = createSyntheticAuDataset({
      source,
      seed: 2,
      numClips: 20,
      size: [16, 16],
      numFrames: [8, 12],
    });
    const r = createAuExpressionRule(source.auNames);
    expect(ds.labelNames).toEqual(r.labelNames);
    for (let i = 0; i < ds.length; i++) {
      const info = ds.getClipInfo(i);
      expect(ds.record(i).label).toBe(labelAuClipExpression(r, info.auPresences));
    }
    const names = new Set(Array.from({ length: ds.length }, (_, i) => ds.labelNames[ds.record(i).label]));
    expect(
      [...names].every((n) => ['happy', 'neutral', 'sad', 'surprise', 'fear'].includes(n as string)),
    ).toBe(true);
    expect(names.has('happy')).toBe(true);
    expect(() => createSyntheticAuDataset({ source, expressionPrior: 'dfew' as never })).toThrow(
      /expressionPrior/,
    );
  });
});
