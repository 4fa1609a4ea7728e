import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { priorMatrix, scoreExpressions, type PriorSourceDefinition } from '@dfer/au-knowledge';
import { describeWithSharedFiles } from '@dfer/test-utils';

const tiny: PriorSourceDefinition = {
  name: 'tiny',
  labels: ['happy', 'sad'],
  aus: ['AU12', 'AU15'],
  rows: [
    [0.8, 0.1],
    [0.2, 0.6],
  ],
  provenance: 'hand-made test table',
  kind: 'probability',
  anomalous: false,
};
const prior = priorMatrix({ source: tiny });

describe('scoreExpressions on a hand-computed 2 × 2 example', () => {
  it('one vector: P(happy | AU12 on, AU15 off) = 0.8·0.9 / (0.8·0.9 + 0.2·0.4) = 0.9', () => {
    const s = scoreExpressions([1, 0], { aus: ['AU12', 'AU15'], prior });
    expect(s.probabilities[0]).toBeCloseTo(0.9, 14);
    expect(s.probabilities[1]).toBeCloseTo(0.1, 14);
    expect(s.logLikelihood[0]).toBeCloseTo(Math.log(0.72), 14);
    expect(s.topLabel).toBe('happy');
    expect(s.numFrames).toBe(1);
  });

  it('input columns are matched by name, and the class prior enters as log π', () => {
    const s = scoreExpressions([0, 1], { aus: ['AU15', 'AU12'], prior, classPrior: [1, 3] });
    // 0.72·1 / (0.72·1 + 0.08·3) = 0.75
    expect(s.probabilities[0]).toBeCloseTo(0.75, 14);
  });

  it('soft evidence uses the expected log-likelihood', () => {
    // q = (0.5, 0.5): ℓ_happy = 0.5(log .8 + log .2) + 0.5(log .1 + log .9) = 0.5 log(.0144); ℓ_sad = 0.5 log(.0384)
    const s = scoreExpressions([0.5, 0.5], { aus: ['AU12', 'AU15'], prior });
    const a = Math.sqrt(0.0144);
    const b = Math.sqrt(0.0384);
    expect(s.probabilities[0]).toBeCloseTo(a / (a + b), 14);
  });

  it('sequences: mean log-likelihood vs mean probability', () => {
    // Frame 1 (1, 0): happy .72, sad .08.  Frame 2 (0, 1): happy .2·.1 = .02, sad .8·.6 = .48.
    const frames = [1, 0, 0, 1];
    const geo = scoreExpressions(frames, { aus: ['AU12', 'AU15'], prior });
    const a = Math.sqrt(0.72 * 0.02);
    const b = Math.sqrt(0.08 * 0.48);
    expect(geo.probabilities[0]).toBeCloseTo(a / (a + b), 14);
    expect(geo.numFrames).toBe(2);
    expect(Array.from(geo.frameProbabilities).map((p) => Number(p.toFixed(12)))).toEqual([
      0.9, 0.1, 0.04, 0.96,
    ]);
    const mean = scoreExpressions(frames, { aus: ['AU12', 'AU15'], prior, aggregate: 'mean-probability' });
    expect(mean.probabilities[0]).toBeCloseTo((0.9 + 0.04) / 2, 14);
    expect(mean.topLabel).toBe('sad');
  });

  it('clamps binary prototypes to [ε, 1 − ε]', () => {
    const facs = priorMatrix({
      source: 'facs-emfacs',
      labels: ['happy', 'sad'],
      aus: ['AU06', 'AU12', 'AU15'],
    });
    const s = scoreExpressions([1, 1, 0], { aus: ['AU06', 'AU12', 'AU15'], prior: facs, epsilon: 0.1 });
    // happy row (1, 1, 0) → W̃ = (.9, .9, .1): .9·.9·(1 − .1) = .729; sad row (0, 0, 1) → (.1, .1, .9): .1·.1·(1 − .9) = .001
    expect(s.probabilities[0]).toBeCloseTo(0.729 / (0.729 + 0.001), 14);
  });

  it('reports or refuses AUs that do not match the prior', () => {
    expect(() => scoreExpressions([1, 0, 1], { aus: ['AU12', 'AU15', 'AU24'], prior })).toThrow(
      /options.aus: AUs do not match prior 'tiny' \(input lacks none; prior lacks AU24\); pass unmatchedAus: 'ignore'/,
    );
    const s = scoreExpressions([1, 1], { aus: ['AU12', 'AU24'], prior, unmatchedAus: 'ignore' });
    expect(s.usedAus).toEqual(['AU12']);
    expect(s.missingAus).toEqual(['AU15']);
    expect(s.unusedAus).toEqual(['AU24']);
    expect(s.probabilities[0]).toBeCloseTo(0.8, 14);
  });

  it('rejects bad input naming the argument and the expected form', () => {
    expect(() => scoreExpressions([1, 0, 1], { aus: ['AU12', 'AU15'], prior })).toThrow(
      /auProbs: length 3 is not a positive multiple of the 2 AUs/,
    );
    expect(() => scoreExpressions([1, Number.NaN], { aus: ['AU12', 'AU15'], prior })).toThrow(
      /auProbs\[1\] \(frame 0, AU15\): NaN is not a probability in \[0, 1\]/,
    );
    expect(() => scoreExpressions([1, 1.5], { aus: ['AU12', 'AU15'], prior })).toThrow(
      /auProbs\[1\].*1.5 is not a probability/,
    );
    expect(() => scoreExpressions([1, 0], { aus: ['AU12', 'AU99'], prior })).toThrow(
      /options.aus\[1\]: unknown AU "AU99"/,
    );
    expect(() => scoreExpressions([1, 0], { aus: ['AU12', 'AU15'], prior, classPrior: [1] })).toThrow(
      /options.classPrior: has length 1; expected 2/,
    );
    expect(() =>
      scoreExpressions(new Array(18).fill(0), {
        aus: 'openface18',
        prior: { source: 'ferv39k-former-dfer' },
      }),
    ).toThrow(
      /options.prior: entry \(happy, AU28\) of 'ferv39k-former-dfer' is 1.74694374224107; the naive-Bayes model needs probabilities in \[0, 1\]/,
    );
    expect(() => scoreExpressions([1, 0], undefined as never)).toThrow(/options.aus: required/);
  });
});

interface Reference {
  labels: string[];
  aus: string[];
  frames: number;
  meanLogLikelihood: number[];
  meanLogLikelihoodPosterior: number[];
  meanProbabilityPosterior: number[];
  firstFramePosterior: number[];
}

describeWithSharedFiles(
  'scoreExpressions on a real OpenFace output (../shared/data/media)',
  ['media/OpenFace_Test.csv'],
  (csvPath) => {
    // Made by fixtures/make-openface-scores.py (numpy) from the same CSV and the AU-DFER DFEW prior.
    const reference = JSON.parse(
      readFileSync(join(__dirname, 'fixtures', 'openface-scores.json'), 'utf8'),
    ) as Reference;
    const lines = readFileSync(csvPath, 'utf8').trim().split('\n');
    const header = (lines[0] ?? '').split(',').map((h) => h.trim());
    const columns = reference.aus.map((au) => header.indexOf(`${au}_c`));
    const q = lines.slice(1).flatMap((line) => {
      const fields = line.split(',');
      return columns.map((c) => Number(fields[c]));
    });

    it('matches the numpy reference with the AU-DFER DFEW prior', () => {
      expect(columns.every((c) => c >= 0)).toBe(true);
      const s = scoreExpressions(q, { aus: 'openface18', prior: { source: 'dfew' } });
      expect(s.numFrames).toBe(reference.frames);
      expect(s.labels).toEqual(reference.labels);
      s.logLikelihood.forEach((v, e) => expect(v).toBeCloseTo(reference.meanLogLikelihood[e] as number, 10));
      s.probabilities.forEach((v, e) =>
        expect(v).toBeCloseTo(reference.meanLogLikelihoodPosterior[e] as number, 12),
      );
      s.frameProbabilities
        .slice(0, 7)
        .forEach((v, e) => expect(v).toBeCloseTo(reference.firstFramePosterior[e] as number, 12));
      const m = scoreExpressions(q, { aus: 'openface18', aggregate: 'mean-probability' });
      m.probabilities.forEach((v, e) =>
        expect(v).toBeCloseTo(reference.meanProbabilityPosterior[e] as number, 12),
      );
    });
  },
);
