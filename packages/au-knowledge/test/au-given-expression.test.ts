import { auGivenExpression, priorMatrix, scoreExpressions } from '@dfer/au-knowledge';

// 5 clips: happy ×3, sad ×2; AUs AU12, AU15.
const targets = [
  [1, 0],
  [1, 0],
  [0, 0],
  [0, 1],
  [1, 1],
];
const labels = [0, 0, 0, 1, 1];

describe('auGivenExpression', () => {
  it('equals hand-counted frequencies', () => {
    const t = auGivenExpression(targets, labels, { labels: ['happy', 'sad'], aus: ['AU12', 'AU15'] });
    // happy: AU12 2/3, AU15 0/3; sad: AU12 1/2, AU15 2/2
    expect(t.rows).toEqual([
      [2 / 3, 0],
      [1 / 2, 1],
    ]);
    expect(Array.from(t.classCounts)).toEqual([3, 2]);
    expect(Array.from(t.positives)).toEqual([2, 0, 1, 2]);
    expect(t.kind).toBe('probability');
  });

  it('applies Laplace smoothing (n_ej + α) / (n_e + 2α) and works as a prior source', () => {
    const t = auGivenExpression(targets, labels, {
      labels: ['happiness', 'sadness'],
      aus: ['AU12', 'AU15'],
      smoothing: 1,
      name: 'mine',
    });
    expect(t.rows).toEqual([
      [3 / 5, 1 / 5],
      [2 / 4, 3 / 4],
    ]);
    const prior = priorMatrix({ source: t, labels: 'dfew', aus: ['AU15', 'AU12'], fill: 0.5 });
    expect(prior.source).toBe('mine');
    expect(Array.from(prior.values64.slice(0, 4))).toEqual([1 / 5, 3 / 5, 3 / 4, 2 / 4]);
    expect(prior.filled.count).toBe(10);
    const s = scoreExpressions([1, 0], { aus: ['AU12', 'AU15'], prior: priorMatrix({ source: t }) });
    // happy: .6·.8 = .48; sad: .5·.25 = .125
    expect(s.probabilities[0]).toBeCloseTo(0.48 / 0.605, 14);
  });

  it('refuses classes without samples (unless smoothed) and bad input', () => {
    expect(() =>
      auGivenExpression(targets, labels, { labels: ['happy', 'sad', 'fear'], aus: ['AU12', 'AU15'] }),
    ).toThrow(
      /exprLabels: class 2 \(fear\) has no sample; P\(AU \| fear\) is undefined \(pass options.smoothing > 0\)/,
    );
    expect(() => auGivenExpression(targets, labels, { labels: ['happy', 'sad'], aus: ['AU12'] })).toThrow(
      /auTargets: rows have 2 values; expected 1/,
    );
    expect(() =>
      auGivenExpression(targets, [0, 0, 0, 1, 2], { labels: ['happy', 'sad'], aus: ['AU12', 'AU15'] }),
    ).toThrow(/exprLabels\[4\]: 2 is not an integer class index in \[0, 1\]/);
    expect(() => auGivenExpression(targets, labels, undefined as never)).toThrow(
      /options: expected \{ labels, aus \}/,
    );
  });
});
