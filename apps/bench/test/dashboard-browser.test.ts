import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { aggregateRuns, readBenchResults, renderDashboardHtml, type BenchResults } from '../src';
import { checkDashboardInBrowser, DEFAULT_CHROMIUM_PATH } from './browser-check';
import { FIXTURE_PATH, tempDir } from './helpers';

/**
 * The dashboard in headless Chromium: no console errors, no network, every chart present and holding the
 * values of the results file. Skips (saying why) when Debian's Chromium is absent:
 * install it with apps/bench/scripts/install-chromium.sh. The screenshot goes to
 * `$DFER_BENCH_SCREENSHOT_DIR` (default: bench-results/screenshots at the repository root).
 * With `DFER_BENCH_RESULTS=<results.json>` the same checks run on that file too (e.g. after `npm run bench`).
 */
const haveChromium = existsSync(DEFAULT_CHROMIUM_PATH);
if (!haveChromium) {
  process.stderr.write(
    `dashboard-browser.test: SKIPPED — ${DEFAULT_CHROMIUM_PATH} is absent; run apps/bench/scripts/install-chromium.sh\n`,
  );
}
const describeIfChromium = haveChromium ? describe : describe.skip;
const screenshotDir = resolve(
  process.env['DFER_BENCH_SCREENSHOT_DIR'] ??
    join(__dirname, '..', '..', '..', 'bench-results', 'screenshots'),
);

const files: [string, string][] = [['fixture', FIXTURE_PATH]];
if (process.env['DFER_BENCH_RESULTS']) files.push(['results', resolve(process.env['DFER_BENCH_RESULTS'])]);

describeIfChromium('dashboard in headless Chromium', () => {
  it.each(files)(
    '%s: loads without errors and shows the values of the results file',
    async (name, path) => {
      const results: BenchResults = readBenchResults(path);
      const dir = tempDir();
      const html = join(dir, 'dashboard.html');
      writeFileSync(html, renderDashboardHtml(results));
      mkdirSync(screenshotDir, { recursive: true });
      const screenshotPath = join(screenshotDir, `dashboard-${name}.png`);
      const check = await checkDashboardInBrowser(html, { screenshotPath });

      expect(check.consoleErrors).toEqual([]);
      expect(check.externalRequests).toEqual([]);
      const rows = aggregateRuns(results);
      const byId = new Map(check.charts.map((c) => [c.id, c]));
      expect(check.charts.every((c) => c.visible)).toBe(true);

      const summary = byId.get('chart-summary-0')!;
      expect(summary.type).toBe('bar');
      expect(summary.labels).toEqual(rows.map((r) => `${r.model} · ${r.method}`));
      const [uar, war] = summary.datasets;
      expect(uar!.label).toBe('UAR (%)');
      rows.forEach((r, i) => {
        expect(uar!.data[i]).toBeCloseTo(r.uar.mean * 100, 9);
        expect(war!.data[i]).toBeCloseTo(r.war.mean * 100, 9);
      });
      const recall = byId.get('chart-recall-0')!;
      expect(recall.datasets).toHaveLength(rows.length);
      for (const id of ['chart-loss-0', 'chart-selection-0']) expect(byId.get(id)?.type).toBe('line');
      expect(check.confusionTables).toBe(rows.length);
      if (results.perf.some((p) => p.task === 'train_step')) {
        const perf = byId.get('chart-perf-train')!;
        const train = results.perf.filter((p) => p.task === 'train_step' && p.metric === 'clips_per_second');
        expect(perf.datasets[0]!.data).toEqual(train.map((p) => p.value));
      }
      if (name === 'fixture') {
        // hand-computed (see report.test.ts): former_dfer / ce UAR 56.94 %, WAR 68.75 %
        expect(uar!.data[0]).toBeCloseTo(56.9444, 3);
        expect(war!.data[0]).toBeCloseTo(68.75, 9);
        // recall chart: minority class (fear) first; former_dfer/ce fear recall mean(0, 0.5) = 25 %
        expect(recall.labels).toEqual(['fear', 'sad', 'happy']);
        expect(recall.datasets[0]!.data[0]).toBeCloseTo(25, 9);
      }
      expect(statSync(screenshotPath).size).toBeGreaterThan(10_000);
      process.stderr.write(`dashboard screenshot: ${screenshotPath}\n`);
    },
    120_000,
  );
});
