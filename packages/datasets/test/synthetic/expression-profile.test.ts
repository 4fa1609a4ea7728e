import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { priorMatrix } from '@dfer/au-knowledge';
import { createRandomSource } from '@dfer/datasets';
import { createExpressionProfile, sampleApexIntensities } from '../../src/synthetic/expression-profile';

interface ProfileFixture {
  labels: string[];
  aus: string[];
  weights: number[][];
}
// Made by fixtures/make_expression_profile.py (numpy) from the AU-DFER dfew_final table.
const fixture = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'expression-profile-dfew.json'), 'utf8'),
) as ProfileFixture;

describe('createExpressionProfile', () => {
  const profile = createExpressionProfile();

  it('defaults to the AU-DFER DFEW prior, DFEW labels and the 18 OpenFace AUs', () => {
    expect(profile.source).toBe('dfew');
    expect(profile.labels).toEqual(fixture.labels);
    expect(profile.aus).toEqual(fixture.aus);
  });

  it('matches the numpy reference (column-centred log-odds, clipped, row-max normalised)', () => {
    fixture.weights.forEach((row, e) =>
      row.forEach((w, j) => expect(profile.weights[e * row.length + j]).toBeCloseTo(w, 12)),
    );
  });

  it("happy's strongest AU is AU12 and neutral has no distinctive AU", () => {
    const J = profile.aus.length;
    const happy = Array.from(profile.weights.subarray(0, J));
    expect(profile.aus[happy.indexOf(Math.max(...happy))]).toBe('AU12');
    expect(profile.emptyLabels).toEqual(['neutral']);
  });

  it('picks label rows by meaning after computing the weights over all rows', () => {
    const sub = createExpressionProfile({ labels: ['surprise', 'happiness', 'neutral'] });
    const J = sub.aus.length;
    expect(sub.labels).toEqual(['surprise', 'happiness', 'neutral']);
    (fixture.weights[4] as number[]).forEach((w, j) => expect(sub.weights[j]).toBeCloseTo(w, 12));
    (fixture.weights[0] as number[]).forEach((w, j) => expect(sub.weights[J + j]).toBeCloseTo(w, 12));
    expect(sub.emptyLabels).toEqual(['neutral']);
    expect(() => createExpressionProfile({ labels: ['contempt'] })).toThrow(
      /labels\[0\]: "contempt" has no row in prior 'dfew'/,
    );
  });

  it('uses binary FACS prototypes as they are (neutral filled with 0 is empty)', () => {
    const p = createExpressionProfile({
      prior: priorMatrix({ source: 'facs-emfacs', labels: 'dfew', aus: 'openface18', fill: 0 }),
    });
    const J = p.aus.length;
    const surprise = p.labels.indexOf('surprise');
    const on = p.aus.filter((_, j) => p.weights[surprise * J + j] === 1);
    expect(on).toEqual(['AU01', 'AU02', 'AU05', 'AU26']);
    expect(p.emptyLabels).toEqual(['neutral']);
  });
});

describe('sampleApexIntensities', () => {
  const profile = createExpressionProfile();
  const J = profile.aus.length;
  const happy = 0;

  it('activates AU j with probability √s and mean intensity 5·s·strength (u ~ U(0.75, 1.25))', () => {
    const rng = createRandomSource(5);
    const n = 4000;
    const active = new Float64Array(J);
    const sum = new Float64Array(J);
    for (let k = 0; k < n; k++) {
      const a = sampleApexIntensities(profile, happy, 0.5, rng);
      for (let j = 0; j < J; j++) {
        if ((a[j] as number) > 0) {
          active[j] = (active[j] as number) + 1;
          sum[j] = (sum[j] as number) + (a[j] as number);
        }
      }
    }
    for (let j = 0; j < J; j++) {
      const s = profile.weights[happy * J + j] as number;
      const p = s > 0 ? Math.sqrt(s) : 0;
      // 4 binomial standard errors.
      expect(Math.abs((active[j] as number) / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n) + 1e-9);
      if ((active[j] as number) > 200) {
        // strength 0.5 keeps 5·s·0.5·u ≤ 3.125 < 5: no clipping, so the mean is 5·s·0.5·E[u] = 2.5·s.
        expect((sum[j] as number) / (active[j] as number)).toBeCloseTo(2.5 * s, 1);
      }
    }
  });

  it('rejects a label outside the profile', () => {
    expect(() => sampleApexIntensities(profile, 7, 1, createRandomSource(1))).toThrow(/label: 7/);
  });
});
