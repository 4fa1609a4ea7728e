import {
  aggregateRuns,
  formatPercent,
  meanAndSampleStd,
  minorityFirstOrder,
  renderReportMarkdown,
} from '../src';
import { loadFixture } from './helpers';

// Hand-computed from the fixture's confusion matrices (see fixtures/make-results-fixture.mjs):
// former_dfer / ce, fold 1 [[3,1,0],[1,2,0],[1,0,0]]: recall 3/4, 2/3, 0 → UAR 0.472222, WAR 5/8
//                   fold 2 [[4,0,0],[1,1,0],[0,1,1]]: recall 1, 1/2, 1/2 → UAR 0.666667, WAR 6/8
// UAR mean (0.472222 + 0.666667)/2 = 0.569444, sample std |0.194444|/√2 = 0.137493
// WAR mean 0.6875, sample std 0.125/√2 = 0.0883883
describe('aggregateRuns', () => {
  it('gives mean ± sample std over folds, hand-computed', () => {
    const rows = aggregateRuns(loadFixture());
    expect(rows.map((r) => `${r.model}/${r.method}`)).toEqual([
      'former_dfer/ce',
      'former_dfer/ce+au_global',
      'm3dfel/ce',
      'm3dfel/ce+au_global',
    ]);
    const row = rows[0]!;
    expect(row.uar.mean).toBeCloseTo(0.569444, 5);
    expect(row.uar.std).toBeCloseTo(0.137493, 5);
    expect(row.uar.n).toBe(2);
    expect(row.war.mean).toBeCloseTo(0.6875, 10);
    expect(row.war.std).toBeCloseTo(0.0883883, 6);
    expect(row.recall[0]!.mean).toBeCloseTo(0.875, 10);
    expect(row.recall[2]!.mean).toBeCloseTo(0.25, 10);
    expect(row.support).toEqual([8, 5, 3]);
    expect(row.confusion).toEqual([
      [7, 1, 0],
      [2, 3, 0],
      [1, 1, 1],
    ]);
  });

  it('refuses a group whose runs disagree on class names', () => {
    const results = loadFixture();
    const twin = { ...results.runs[0]!, id: 'x', seed: 1, classNames: ['a', 'b', 'c'] };
    expect(() => aggregateRuns({ runs: [results.runs[0]!, twin] })).toThrow(/different classNames/);
  });
});

describe('helpers', () => {
  it('meanAndSampleStd matches the closed form', () => {
    // values 1, 2, 4: mean 7/3, variance ((4/3)² + (1/3)² + (5/3)²)/2 = 42/18 = 7/3
    const m = meanAndSampleStd([1, 2, 4]);
    expect(m.mean).toBeCloseTo(7 / 3, 12);
    expect(m.std).toBeCloseTo(Math.sqrt(7 / 3), 12);
    expect(meanAndSampleStd([0.5]).std).toBe(0);
    expect(() => meanAndSampleStd([])).toThrow(/empty/);
  });

  it('orders minority classes first, ties by index', () => {
    expect(minorityFirstOrder([8, 5, 3])).toEqual([2, 1, 0]);
    expect(minorityFirstOrder([2, 1, 2, 1])).toEqual([1, 3, 0, 2]);
  });

  it('formats percentages', () => {
    expect(formatPercent({ mean: 0.569444, std: 0.137493, n: 2 })).toBe('56.9 ± 13.7');
    // one value: no sample std exists, so the mean stands alone (std 0 with n = 2 keeps its ± 0.0)
    expect(formatPercent({ mean: 0.161, std: 0, n: 1 })).toBe('16.1');
    expect(formatPercent({ mean: 0.5, std: 0, n: 2 })).toBe('50.0 ± 0.0');
    expect(formatPercent(null)).toBe('n/a');
  });
});

describe('renderReportMarkdown', () => {
  const md = renderReportMarkdown(loadFixture());

  it('says that fixture data is not results', () => {
    expect(md).toContain('**Fixture data**');
  });

  it('has one summary row per model × method with the hand-computed values', () => {
    expect(md).toContain('| former_dfer | tiny | ce | 2 | 56.9 ± 13.7 | 68.8 ± 8.8 |');
    expect(md.match(/^\| (former_dfer|m3dfel) \| tiny \|/gm)).toHaveLength(4);
  });

  it('lists per-class recall with the minority class first', () => {
    const header = md.split('\n').find((l) => l.startsWith('| Model | Method | '))!;
    expect(header).toBe('| Model | Method | fear (3) | sad (5) | happy (8) |');
    // former_dfer/ce recall: fear mean(0, 0.5) = 25.0 ± 35.4, sad mean(2/3, 1/2) = 58.3 ± 11.8, happy 87.5 ± 17.7
    expect(md).toContain('| former_dfer | ce | 25.0 ± 35.4 | 58.3 ± 11.8 | 87.5 ± 17.7 |');
  });

  it('shows the performance table, the missed target by how much and the kernel profile', () => {
    expect(md).toContain('## Performance');
    expect(md).toContain(
      '| training step, wasm vs PyTorch CPU | wasm | pytorch-cpu | 2.00× | ≤ 1.5× | no (1.33× over) | fixture |',
    );
    expect(md).toContain('| former_dfer train step (wasm) | Conv2D | 30.0 | 60.0 % |');
  });

  it('warns when a checkpoint was chosen on the test split', () => {
    const results = loadFixture();
    const runs = results.runs.map((r, i) => (i === 0 ? { ...r, selection: 'test' as const } : r));
    expect(renderReportMarkdown({ ...results, runs })).toContain('chose the checkpoint on the test split');
  });

  it('handles a file without runs', () => {
    expect(renderReportMarkdown({ ...loadFixture(), runs: [] })).toContain('No training runs in this file.');
  });
});
