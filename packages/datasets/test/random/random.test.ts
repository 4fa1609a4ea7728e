import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRandomSource, deriveSeed } from '@dfer/datasets';
import { shuffledIndices } from '../../src/random';

const fx = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'random', 'random-fixtures.json'), 'utf8'),
) as {
  stream: Record<string, number[]>;
  derive: { seed: number; keys: number[]; value: number }[];
  shuffle: { n: number; seed: number; value: number[] };
};

describe('seeded randomness', () => {
  it.each(Object.entries(fx.stream))(
    'createRandomSource(%s) matches the Python reference exactly',
    (seed, values) => {
      const rng = createRandomSource(Number(seed));
      expect(values.map(() => rng.next())).toEqual(values);
    },
  );

  it.each(fx.derive)('deriveSeed($seed, $keys) matches the reference', ({ seed, keys, value }) => {
    expect(deriveSeed(seed, ...keys)).toBe(value);
  });

  it('shuffledIndices is the reference Fisher–Yates permutation', () => {
    expect(shuffledIndices(fx.shuffle.n, createRandomSource(fx.shuffle.seed))).toEqual(fx.shuffle.value);
  });

  it('rejects a non-finite seed and non-integer keys', () => {
    expect(() => createRandomSource(Number.NaN)).toThrow('seed must be a finite number');
    expect(() => deriveSeed(1, 0.5)).toThrow('key 0 must be an integer');
  });
});
