import {
  AU_CATALOGUE,
  AU_SETS,
  alignAuVector,
  getAu,
  listAuSetsContaining,
  parseAuId,
  resolveAuList,
} from '@dfer/au-knowledge';

describe('AU catalogue', () => {
  it('holds every AU of OpenFace, BP4D, DISFA and the FACS prototypes, ordered by number', () => {
    const numbers = AU_CATALOGUE.map((au) => au.number);
    expect(numbers).toEqual([
      1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17, 20, 23, 24, 25, 26, 28, 43, 45,
    ]);
    for (const set of Object.values(AU_SETS)) for (const id of set) expect(getAu(id).id).toBe(id);
  });

  it('describes each AU with its FACS name, muscles and region', () => {
    expect(getAu('AU12')).toMatchObject({
      facsName: 'Lip Corner Puller',
      muscles: 'zygomaticus major',
      region: 'lower',
    });
    expect(getAu(1)).toMatchObject({ facsName: 'Inner Brow Raiser', region: 'upper', area: 'brows' });
    for (const au of AU_CATALOGUE) {
      expect(au.id).toBe(`AU${String(au.number).padStart(2, '0')}`);
      expect(au.facsName.length).toBeGreaterThan(0);
      expect(au.muscles.length).toBeGreaterThan(0);
    }
  });

  it('parses AU names in every common spelling', () => {
    for (const name of ['AU01', 'AU1', 'au1', '1', 1, 'AU01_c', ' AU01_r'])
      expect(parseAuId(name)).toBe('AU01');
    expect(parseAuId('AU45_c')).toBe('AU45');
  });

  it('rejects unknown AUs with the argument name and the valid ids', () => {
    expect(() => parseAuId('AU03', 'aus[2]')).toThrow(
      /aus\[2\]: unknown AU "AU03"; expected one of AU01, AU02/,
    );
    expect(() => parseAuId(1.5)).toThrow(/unknown AU 1.5/);
    expect(() => resolveAuList('openface99' as never)).toThrow(
      /aus: unknown AU set "openface99"; expected one of openface18, openface17, bp4d12, disfa8/,
    );
    expect(() => resolveAuList(['AU01', 'AU1'])).toThrow(/aus\[1\]: AU AU01 appears twice/);
  });

  it('has the canonical AU set sizes and orders', () => {
    expect(AU_SETS.openface18).toHaveLength(18);
    expect(AU_SETS.openface17).toEqual(AU_SETS.openface18.filter((a) => a !== 'AU28'));
    expect(AU_SETS.bp4d12.map((a) => getAu(a).number)).toEqual([1, 2, 4, 6, 7, 10, 12, 14, 15, 17, 23, 24]);
    expect(AU_SETS.disfa8.map((a) => getAu(a).number)).toEqual([1, 2, 4, 6, 9, 12, 25, 26]);
    expect(AU_SETS.disfa12.map((a) => getAu(a).number)).toEqual([1, 2, 4, 5, 6, 9, 12, 15, 17, 20, 25, 26]);
    expect(AU_SETS.disfa8.every((a) => (AU_SETS.disfa12 as readonly string[]).includes(a))).toBe(true);
    expect(listAuSetsContaining('AU24')).toEqual(['bp4d12']);
    expect(listAuSetsContaining('AU28')).toEqual(['openface18']);
  });
});

describe('alignAuVector', () => {
  it('re-orders by AU id, row by row', () => {
    // bp4d12 → disfa8: AU1 AU2 AU4 AU6 are shared; AU9 AU25 AU26 are absent; AU12 is column 6 of bp4d12.
    const bp4d = [10, 20, 40, 60, 70, 100, 120, 140, 150, 170, 230, 240];
    const out = alignAuVector([...bp4d, ...bp4d.map((v) => v + 1)], 'bp4d12', 'disfa8', {
      missing: { fill: -1 },
    });
    expect(Array.from(out.values)).toEqual([
      10, 20, 40, 60, -1, 120, -1, -1, 11, 21, 41, 61, -1, 121, -1, -1,
    ]);
    expect(out.filled).toEqual(['AU09', 'AU25', 'AU26']);
    expect(out.fillValue).toBe(-1);
    expect(out.dropped).toEqual(['AU07', 'AU10', 'AU14', 'AU15', 'AU17', 'AU23', 'AU24']);
  });

  it('refuses absent AUs unless a fill is given', () => {
    expect(() => alignAuVector(new Array(17).fill(0), 'openface17', 'openface18')).toThrow(
      /to: AUs AU28 are absent from 'from'.*options.missing = \{ fill: <number> \}/,
    );
    const ok = alignAuVector([1, 2], ['AU12', 'AU06'], ['AU06', 'AU12']);
    expect(Array.from(ok.values)).toEqual([2, 1]);
    expect(ok.filled).toEqual([]);
    expect(ok.fillValue).toBeUndefined();
  });

  it('rejects NaN and infinite values, naming the row and AU', () => {
    expect(() => alignAuVector([0, 1, Number.NaN, 0], ['AU01', 'AU02'], ['AU02'])).toThrow(
      /values\[2\] \(row 1, AU01\): NaN is not a finite number/,
    );
  });

  it('rejects a vector whose length does not fit the source set', () => {
    expect(() => alignAuVector(new Array(17).fill(0), 'openface18', 'bp4d12')).toThrow(
      /values: length 17 is not a positive multiple of the 18 AUs of 'from'/,
    );
  });
});
