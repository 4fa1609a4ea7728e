import { createDashboardData, readChartJsBundle, renderDashboardHtml } from '../src';
import { loadFixture } from './helpers';

describe('renderDashboardHtml', () => {
  const results = loadFixture();
  const html = renderDashboardHtml(results);

  it('is self-contained: Chart.js inlined, no external URL loaded', () => {
    expect(html).toContain(readChartJsBundle().slice(0, 200));
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    expect(html).toContain("default-src 'none'");
  });

  it('embeds the data, with "<" escaped so no text can close the script element', () => {
    const tricky = {
      ...results,
      runs: results.runs.map((r, i) => (i === 0 ? { ...r, dataset: '</script><b>x' } : r)),
    };
    const page = renderDashboardHtml(tricky);
    expect(page).not.toContain('</script><b>x');
    const json = /<script id="dfer-dashboard-data" type="application\/json">(.*?)<\/script>/s.exec(page)![1]!;
    expect(JSON.parse(json).groups.some((g: { title: string }) => g.title.includes('</script><b>x'))).toBe(
      true,
    );
  });
});

describe('createDashboardData', () => {
  const data = createDashboardData(loadFixture());

  it('groups rows by experiment and dataset with minority-first class order', () => {
    expect(data.groups).toHaveLength(1);
    expect(data.groups[0]!.classOrder).toEqual([2, 1, 0]);
    expect(data.groups[0]!.rows).toHaveLength(4);
    expect(data.fixture).toBe(true);
  });

  it('averages training curves per epoch over folds (hand-computed)', () => {
    // former_dfer/ce losses: fold 1 [1.2, 1.0, 0.9], fold 2 the same + 0.1 → means 1.25, 1.05, 0.95
    const row = data.groups[0]!.rows[0]!;
    expect(row.curve.trainLoss.map((v) => Number(v!.toFixed(10)))).toEqual([1.25, 1.05, 0.95]);
    // selection UAR: fold 1 0.2 + 0.1e, fold 2 that + 0.05 → (0.225 + 0.1e) × 100
    expect(row.curve.selectionUar.map((v) => Number(v!.toFixed(10)))).toEqual([22.5, 32.5, 42.5]);
    expect(data.groups[0]!.epochs).toEqual([1, 2, 3]);
  });
});
