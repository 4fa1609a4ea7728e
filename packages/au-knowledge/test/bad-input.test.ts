import {
  alignAuVector,
  auBaseRates,
  auClassWeights,
  auCooccurrence,
  auGivenExpression,
  createLabelMapping,
  posWeights,
  priorMatrix,
  scoreExpressions,
} from '@dfer/au-knowledge';

// The "Done when": bad input raises an error that names the argument and the expected form.
describe('bad input across the public API', () => {
  it('wrong vector length', () => {
    expect(() => alignAuVector([0, 1], 'openface18', 'bp4d12')).toThrow(
      /^values: length 2 is not a positive multiple of the 18 AUs of 'from'/,
    );
    expect(() => scoreExpressions(new Array(17).fill(0), { aus: 'openface18' })).toThrow(
      /^auProbs: length 17 is not a positive multiple of the 18 AUs/,
    );
    expect(() => auBaseRates([[0, 1], [0]])).toThrow(/^auTargets\[1\]: has length 1; expected 2 values/);
    expect(() => posWeights([[0, 1]], [0, 1], { numClasses: 2 })).toThrow(
      /^exprLabels: has length 2; expected 1/,
    );
  });

  it('non-binary targets', () => {
    expect(() => auBaseRates([[0, 2]])).toThrow(
      /^auTargets\[0\]\[1\]: value 2 is not binary; expected every AU target to be exactly 0 or 1/,
    );
    expect(() => auCooccurrence([[0.5, 1]])).toThrow(/^auTargets\[0\]\[0\]: value 0.5 is not binary/);
    expect(() => posWeights({ data: [0, -1], numAus: 2 }, [0], { numClasses: 1 })).toThrow(
      /^auTargets.data\[1\] \(row 0, AU 1\): value -1 is not binary/,
    );
  });

  it('NaN', () => {
    expect(() => auBaseRates([[0, Number.NaN]])).toThrow(/^auTargets\[0\]\[1\]: value NaN is not binary/);
    expect(() => posWeights([[0, 1]], [Number.NaN], { numClasses: 2 })).toThrow(
      /^exprLabels\[0\]: NaN is not an integer class index in \[0, 1\]/,
    );
    expect(() =>
      scoreExpressions([Number.NaN, 0], { aus: ['AU12', 'AU06'], unmatchedAus: 'ignore' }),
    ).toThrow(/^auProbs\[0\] \(frame 0, AU12\): NaN is not a probability in \[0, 1\]/);
    expect(() => alignAuVector([Number.NaN], ['AU12'], ['AU12'])).toThrow(
      /^values\[0\] \(row 0, AU12\): NaN is not a finite number/,
    );
    expect(() => auClassWeights([0.2, Number.NaN])).toThrow(/^baseRates\[1\]: rate NaN is not in \(0, 1\]/);
    expect(() => priorMatrix({ scale: Number.NaN })).toThrow(/^scale: NaN is not a finite positive number/);
  });

  it('unknown AU or label', () => {
    expect(() => priorMatrix({ aus: ['AU12', 'AU3'] })).toThrow(
      /^aus\[1\]: unknown AU "AU3"; expected one of AU01, AU02/,
    );
    expect(() => priorMatrix({ labels: ['happy', 'bored'] })).toThrow(
      /^labels\[1\]: unknown expression label "bored"; expected one of happy, happiness/,
    );
    expect(() => auBaseRates([[1]], { aus: ['AU99'] })).toThrow(/^options.aus\[0\]: unknown AU "AU99"/);
    expect(() => auGivenExpression([[1]], [0], { labels: ['glad'], aus: ['AU12'] })).toThrow(
      /^options.labels\[0\]: unknown expression label "glad"/,
    );
    expect(() => createLabelMapping('dfew', 'fer2013' as never)).toThrow(
      /^to: unknown label set "fer2013"; expected one of dfew, ferv39k, mafw, affectnet8, ckplus/,
    );
    expect(() =>
      posWeights([[1]], [0], { labels: 'dfew', mode: 'minor', minorityClasses: ['bored'] }),
    ).toThrow(/^options.minorityClasses\[0\]: unknown expression label "bored"/);
  });
});
