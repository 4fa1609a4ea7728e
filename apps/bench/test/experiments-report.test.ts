import { readFileSync } from 'node:fs';
import { aggregateAuRuns, aggregateRuns, formatRowLabel, type AggregateRow } from '../src/report/aggregate';
import { createDashboardData } from '../src/report/dashboard';
import { renderReportMarkdown } from '../src/report/markdown';
import { parseBenchResults, ResultsFileError } from '../src';
import { EXPERIMENTS_FIXTURE_PATH, FIXTURE_PATH, loadExperimentsFixture } from './helpers';

// Hand-computed from the confusion matrices and counts of fixtures/make-results-fixture.mjs (schema 2 part).
describe('RDFER rows', () => {
  const rows = aggregateRuns(loadExperimentsFixture());
  const row = (method: string, rate: number): AggregateRow =>
    rows.find((r) => r.method === method && r.noiseRate === rate)!;

  it('are grouped by arm and noise rate, ordered by arm then rate', () => {
    expect(rows.map((r) => formatRowLabel(r))).toEqual([
      'rdfer · ce · noise 0 %',
      'rdfer · ce · noise 40 %',
      'rdfer · clip_agreement · noise 0 %',
      'rdfer · clip_agreement · noise 40 %',
    ]);
    expect(rows.every((r) => r.experiment === 'rdfer')).toBe(true);
  });

  it('give UAR mean ± sample std and noisy-detection P/R over seeds', () => {
    // ce: recall (3/4, 2/3, 1/2) → 0.638889; at 40 %: (2/4, 1/3, 0) → 0.277778
    expect(row('ce', 0).uar.mean).toBeCloseTo(0.638889, 6);
    expect(row('ce', 0.4).uar.mean).toBeCloseTo(0.277778, 6);
    expect(row('ce', 0.4).noisyDetection).toBeNull();
    // clip agreement at 40 %: UAR 0.527778 and 0.472222 → 0.5 ± 0.0392837 (n = 2)
    const ca = row('clip_agreement', 0.4);
    expect(ca.uar.mean).toBeCloseTo(0.5, 6);
    expect(ca.uar.std).toBeCloseTo(0.0392837, 6);
    expect(ca.uar.n).toBe(2);
    // TP/FP/FN (6, 2, 2) and (4, 4, 4): precision 0.75 and 0.5 → 0.625 ± 0.176777; recall the same
    expect(ca.noisyDetection!.precision!.mean).toBeCloseTo(0.625, 12);
    expect(ca.noisyDetection!.precision!.std).toBeCloseTo(0.176777, 6);
    expect(ca.noisyDetection!.recall!.mean).toBeCloseTo(0.625, 12);
    // at 0 %: 2 flagged, none noisy → precision 0, recall undefined
    expect(row('clip_agreement', 0).noisyDetection).toEqual({
      precision: { mean: 0, std: 0, n: 1 },
      recall: null,
      f1: null,
      flagged: 2,
      truePositives: 0,
      noisy: 0,
      samples: 20,
    });
  });
});

describe('AU-detection rows', () => {
  const rows = aggregateAuRuns(loadExperimentsFixture());

  it('give mean F1 and per-AU F1 over seeds, leaving undefined F1 out', () => {
    expect(rows.map((r) => r.method)).toEqual(['au_mtl_single_plain', 'au_mtl_joint_gate_smooth']);
    const plain = rows[0]!;
    // mean F1 0.6 (AU4 undefined) and 0.694444 → 0.647222 ± 0.0667823
    expect(plain.meanF1.mean).toBeCloseTo(0.647222, 6);
    expect(plain.meanF1.std).toBeCloseTo(0.0667823, 6);
    // AU1 F1 0.8 and 0.75; AU4 defined in one seed only (2/3)
    expect(plain.f1[0]!.mean).toBeCloseTo(0.775, 12);
    expect(plain.f1[2]).toEqual({ mean: expect.closeTo(2 / 3, 12) as number, std: 0, n: 1 });
    expect(plain.support).toEqual([9, 6, 1]);
    expect(plain.tunedMeanF1).toBeNull();
    expect(rows[1]!.tunedMeanF1).toEqual({ mean: 0.9, std: 0, n: 1 });
    expect(rows[1]!.arm).toEqual({ task: 'joint', gate: true, weighting: 'smooth' });
  });
});

describe('report of the new experiments', () => {
  const md = renderReportMarkdown(loadExperimentsFixture());

  it('has the RDFER noise tables with hand-computed values', () => {
    expect(md).toContain('## rdfer — synthetic_dfer');
    expect(md).toContain('| Model | Arm | UAR @ 0 % | UAR @ 40 % |');
    expect(md).toContain('| rdfer | ce | 63.9 | 27.8 |');
    expect(md).toContain('| rdfer | clip_agreement | 72.2 | 50.0 ± 3.9 |');
    // flagged 8 + 8, TP 6 + 4, noisy 8 + 8, clips 20 + 20
    expect(md).toContain(
      '| rdfer | clip_agreement | 40 % | 62.5 ± 17.7 | 62.5 ± 17.7 | 62.5 ± 17.7 | 16 | 10 | 16 | 40 |',
    );
    expect(md).toContain('| rdfer | clip_agreement | 0 % | 0.0 | n/a | n/a | 2 | 0 | 0 | 20 |');
    expect(md).toContain('| rdfer | tiny | clip_agreement (noise 40 %) | 2 |');
  });

  it('has the AU-detection tables with hand-computed values', () => {
    expect(md).toContain('## au_detection — synthetic_au');
    expect(md).toContain(
      '| au_mtl | tiny_no_gate | au_mtl_single_plain | AU only | no | plain BCE | 2 | 64.7 ± 6.7 | n/a | wasm |',
    );
    expect(md).toContain('| Arm | AU1 (9) | AU2 (6) | AU4 (1) |');
    expect(md).toContain('| au_mtl_single_plain | 77.5 ± 3.5 | 53.3 ± 18.9 | 66.7 |');
    expect(md).toContain('| au_mtl_joint_gate_smooth | 100.0 | 80.0 | 66.7 |');
  });

  it('puts both experiments in the dashboard data', () => {
    const data = createDashboardData(loadExperimentsFixture());
    expect(data.groups.map((g) => g.title)).toEqual(['rdfer — synthetic_dfer']);
    expect(data.groups[0]!.rows.map((r) => r.label)).toContain('rdfer · clip_agreement · noise 40 %');
    expect(data.auGroups.map((g) => g.title)).toEqual(['au_detection — synthetic_au']);
    expect(data.auGroups[0]!.auNames).toEqual(['AU1', 'AU2', 'AU4']);
  });
});

describe('schema 2 checks', () => {
  it('reads a version-1 file (DFER runs only) as version 2 without changing its runs', () => {
    const text = readFileSync(FIXTURE_PATH, 'utf8');
    const raw = JSON.parse(text) as { schemaVersion: number; runs: unknown[] };
    expect(raw.schemaVersion).toBe(1);
    const parsed = parseBenchResults(text, FIXTURE_PATH);
    expect(parsed.schemaVersion).toBe(2);
    expect(parsed.runs).toEqual(raw.runs);
  });

  it('refuses an AU record whose per-AU lists do not match auNames, naming the field', () => {
    const raw = JSON.parse(readFileSync(EXPERIMENTS_FIXTURE_PATH, 'utf8')) as {
      runs: { experiment: string; folds: { f1: unknown[] }[] }[];
    };
    const i = raw.runs.findIndex((r) => r.experiment === 'au_detection');
    raw.runs[i]!.folds[0]!.f1.pop();
    expect(() => parseBenchResults(JSON.stringify(raw), 'x.json')).toThrow(ResultsFileError);
    expect(() => parseBenchResults(JSON.stringify(raw), 'x.json')).toThrow(
      `x.json: runs.${i}.folds.0.f1 has 2 entries; expected 3 (one per AU)`,
    );
  });

  it('refuses an unknown experiment with the expected values', () => {
    const raw = JSON.parse(readFileSync(EXPERIMENTS_FIXTURE_PATH, 'utf8')) as {
      runs: { experiment: string }[];
    };
    raw.runs[0]!.experiment = 'other';
    expect(() => parseBenchResults(JSON.stringify(raw), 'x.json')).toThrow(/runs\.0\.experiment/);
  });
});
