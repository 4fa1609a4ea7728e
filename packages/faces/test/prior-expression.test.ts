import { priorMatrix, scoreExpressions } from '@dfer/au-knowledge';
import { EXPRESSION_LABELS, GEOMETRY_AUS, priorExpression } from '@dfer/faces';

describe('priorExpression', () => {
  const aus = (o: Record<string, number>) => GEOMETRY_AUS.map((a) => o[a] ?? 0);

  it('is naive Bayes over the DFEW prior with q = intensity / 5 (recomputed by hand from the prior table)', () => {
    const intensities = aus({ AU01: 4, AU02: 4, AU05: 3, AU25: 4, AU26: 4 });
    const p = priorExpression(intensities);
    const prior = priorMatrix({ source: 'dfew' });
    const logits = prior.labels.map((_, e) => {
      let ll = 0;
      GEOMETRY_AUS.forEach((au, j) => {
        const w = Math.min(0.99, Math.max(0.01, prior.values64[e * prior.cols + prior.aus.indexOf(au)]!));
        const q = intensities[j]! / 5;
        ll += q * Math.log(w) + (1 - q) * Math.log(1 - w);
      });
      return ll;
    });
    const max = Math.max(...logits);
    const z = logits.reduce((s, l) => s + Math.exp(l - max), 0);
    EXPRESSION_LABELS.forEach((label, i) =>
      expect(p[i]).toBeCloseTo(Math.exp(logits[prior.labels.indexOf(label)]! - max) / z, 12),
    );
    expect(EXPRESSION_LABELS[p.indexOf(Math.max(...p))]).toBe('surprise');
    // and it is what scoreExpressions gives
    const direct = scoreExpressions(
      intensities.map((v) => v / 5),
      { aus: GEOMETRY_AUS, unmatchedAus: 'ignore' },
    );
    expect(direct.topLabel).toBe('surprise');
  });

  it('refuses the wrong number of AUs', () => {
    expect(() => priorExpression([1, 2])).toThrow(/2 intensities, expected 16/);
  });
});
