import { BLENDSHAPE_AU_CORRESPONDENCES, blendshapesToAus, scoreExpressions } from '@dfer/au-knowledge';

describe('blendshapesToAus', () => {
  it('averages left/right variants and keeps the requested AU order', () => {
    const r = blendshapesToAus(
      {
        mouthSmileLeft: 0.8,
        mouthSmileRight: 0.6,
        cheekSquintLeft: 0.5,
        cheekSquintRight: 0.3,
        jawOpen: 0.2,
        mouthPucker: 0.9,
      },
      { aus: ['AU12', 'AU06', 'AU26'] },
    );
    expect(r.aus).toEqual(['AU12', 'AU06', 'AU26']);
    expect(Array.from(r.values)).toEqual([0.7, 0.4, 0.2]);
    expect(r.sources).toEqual([
      ['mouthSmileLeft', 'mouthSmileRight'],
      ['cheekSquintLeft', 'cheekSquintRight'],
      ['jawOpen'],
    ]);
    expect(r.unusedBlendshapes).toEqual(['mouthPucker']);
  });

  it('covers 16 AUs, each from one blendshape family', () => {
    expect(new Set(Object.values(BLENDSHAPE_AU_CORRESPONDENCES)).size).toBe(16);
    const all = Object.fromEntries(Object.keys(BLENDSHAPE_AU_CORRESPONDENCES).map((b) => [b, 0.5]));
    const r = blendshapesToAus(all);
    expect(r.aus).toHaveLength(16);
    expect(r.aus[0]).toBe('AU01');
    expect(r.aus[15]).toBe('AU45');
  });

  it('refuses or omits AUs without a score, and rejects bad scores', () => {
    expect(() => blendshapesToAus({ jawOpen: 0.2 }, { aus: ['AU26', 'AU12'] })).toThrow(
      /scores: no score for AU12 \(expected mouthSmile, mouthSmileLeft or mouthSmileRight\); pass missing: 'omit'/,
    );
    expect(() => blendshapesToAus({ jawOpen: 0.2 }, { aus: ['AU25'] })).toThrow(
      /options.aus: AU25 has no blendshape correspondence/,
    );
    const r = blendshapesToAus({ jawOpen: 0.2 }, { aus: ['AU26', 'AU12', 'AU25'], missing: 'omit' });
    expect(r.aus).toEqual(['AU26']);
    expect(r.omitted).toEqual(['AU12', 'AU25']);
    expect(() => blendshapesToAus({ jawOpen: Number.NaN })).toThrow(
      /scores.jawOpen: NaN is not a score in \[0, 1\]/,
    );
    expect(() => blendshapesToAus({ jawOpen: 1.2 })).toThrow(/scores.jawOpen: 1.2 is not a score/);
  });

  it('feeds scoreExpressions: a broad smile scores happy with the AU-DFER DFEW prior', () => {
    const all = Object.fromEntries(Object.keys(BLENDSHAPE_AU_CORRESPONDENCES).map((b) => [b, 0]));
    const aus = blendshapesToAus({
      ...all,
      mouthSmile: 1,
      cheekSquint: 1,
      eyeSquint: 1,
      mouthUpperUp: 1,
      mouthDimple: 1,
    });
    const s = scoreExpressions(aus.values, { aus: aus.aus, unmatchedAus: 'ignore' });
    expect(s.topLabel).toBe('happy');
    expect(s.missingAus).toEqual(['AU23', 'AU25', 'AU28']);
    expect(s.unusedAus).toEqual(['AU24']);
  });
});
