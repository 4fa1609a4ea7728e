import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  aggregateRuns,
  createDashboardEvidence,
  readBenchResults,
  renderDashboardHtml,
  type BenchResults,
} from '../src';
import { aggregateAuRuns, formatRowLabel } from '../src/report/aggregate';
import { checkDashboardInBrowser, DEFAULT_CHROMIUM_PATH } from './browser-check';
import { CLAIMS_FIXTURE_PATH, EXPERIMENTS_FIXTURE_PATH, FIXTURE_PATH, tempDir } from './helpers';

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

const files: [string, string][] = [
  ['fixture', FIXTURE_PATH],
  ['experiments-fixture', EXPERIMENTS_FIXTURE_PATH],
  ['claims-fixture', CLAIMS_FIXTURE_PATH],
];
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

      const group0 = rows.filter(
        (r) => r.experiment === rows[0]?.experiment && r.dataset === rows[0]?.dataset,
      );
      const summary = byId.get('chart-summary-0');
      expect(summary === undefined).toBe(rows.length === 0);
      const [uar, war] = summary?.datasets ?? [];
      const recall = byId.get('chart-recall-0');
      if (summary) {
        expect(summary.type).toBe('bar');
        expect(summary.labels).toEqual(group0.map(formatRowLabel));
        expect(uar!.label).toBe('UAR (%)');
        group0.forEach((r, i) => {
          expect(uar!.data[i]).toBeCloseTo(r.uar.mean * 100, 9);
          expect(war!.data[i]).toBeCloseTo(r.war.mean * 100, 9);
        });
        expect(recall!.datasets).toHaveLength(group0.length);
        for (const id of ['chart-loss-0', 'chart-selection-0']) expect(byId.get(id)?.type).toBe('line');
      }
      expect(check.confusionTables).toBe(rows.length);
      // RDFER: UAR against noise per model · arm, noisy-detection precision / recall
      const rdferRows = rows.filter((r) => r.noiseRate !== null);
      if (rdferRows.length) {
        const g = [...new Set(rows.map((r) => `${r.experiment} — ${r.dataset}`))].indexOf(
          `${rdferRows[0]!.experiment} — ${rdferRows[0]!.dataset}`,
        );
        const uarChart = byId.get(`chart-rdfer-uar-${g}`)!;
        expect(uarChart.type).toBe('line');
        const rates = [...new Set(rdferRows.map((r) => r.noiseRate!))].sort((a, b) => a - b);
        expect(uarChart.labels).toEqual(rates.map((p) => String(Math.round(p * 1000) / 10)));
        for (const ds of uarChart.datasets) {
          rates.forEach((p, i) => {
            const row = rdferRows.find((r) => `${r.model} · ${r.method}` === ds.label && r.noiseRate === p);
            if (row) expect(ds.data[i]).toBeCloseTo(row.uar.mean * 100, 9);
            else expect(ds.data[i]).toBeNull();
          });
        }
        const detected = rdferRows.filter((r) => r.noisyDetection);
        if (detected.length) {
          const det = byId.get(`chart-rdfer-detection-${g}`)!;
          expect(det.labels).toEqual(detected.map(formatRowLabel));
          expect(det.datasets.map((d) => d.label)).toEqual(['precision (%)', 'recall (%)']);
          detected.forEach((r, i) => {
            const p = r.noisyDetection!.precision;
            if (p) expect(det.datasets[0]!.data[i]).toBeCloseTo(p.mean * 100, 9);
            else expect(det.datasets[0]!.data[i]).toBeNull();
          });
        }
      }
      // AU detection: mean F1 per arm and per-AU F1 per arm
      const auRows = aggregateAuRuns(results);
      if (auRows.length) {
        const mean = byId.get('chart-au-mean-0')!;
        expect(mean.labels).toEqual(auRows.map((r) => r.method));
        auRows.forEach((r, i) => expect(mean.datasets[0]!.data[i]).toBeCloseTo(r.meanF1.mean * 100, 9));
        const perAu = byId.get('chart-au-f1-0')!;
        expect(perAu.labels).toEqual(auRows[0]!.auNames);
        expect(perAu.datasets.map((d) => d.label)).toEqual(auRows.map((r) => r.method));
        auRows.forEach((r, i) =>
          r.f1.forEach((f, a) => {
            if (f) expect(perAu.datasets[i]!.data[a]).toBeCloseTo(f.mean * 100, 9);
            else expect(perAu.datasets[i]!.data[a]).toBeNull();
          }),
        );
      }
      // verdicts: one interval plot per claim of each group, a point per claim × model at the mean paired difference
      const evidence = createDashboardEvidence(results);
      const verdictCharts = check.charts.filter((c) => c.id.startsWith('chart-verdict-'));
      const claimCount = evidence.groups.reduce(
        (n, g) => n + new Set(g.rows.map((r) => r.chartClaim)).size,
        0,
      );
      expect(verdictCharts).toHaveLength(claimCount);
      evidence.groups.forEach((g, gi) => {
        [...new Set(g.rows.map((r) => r.chartClaim))].forEach((claim, ci) => {
          const rows = g.rows.filter((r) => r.chartClaim === claim);
          const plot = byId.get(`chart-verdict-${gi}-${ci}`)!;
          expect(plot.labels).toEqual(rows.map((r) => r.label));
          rows.forEach((r, i) => {
            if (r.effect === null) expect(plot.datasets[0]!.data[i]).toBeNull();
            else expect(plot.datasets[0]!.data[i]).toBeCloseTo(r.effect, 9);
          });
        });
      });
      expect(check.verdictRows).toBe(evidence.groups.reduce((n, g) => n + g.rows.length, 0));
      if (name === 'claims-fixture') {
        // hand-computed (see claims.test.ts): ce+au_global − ce in UAR points: former_dfer +20, m3dfel +15, mae_dfer -25
        const plot = byId.get('chart-verdict-0-0')!;
        expect(plot.labels).toEqual(['former_dfer', 'm3dfel', 'mae_dfer']);
        expect(plot.datasets[0]!.data.map((v) => Number(v!.toFixed(9)))).toEqual([20, 15, -25]);
      }
      if (results.perf.some((p) => p.task === 'train_step')) {
        const perf = byId.get('chart-perf-train')!;
        const train = results.perf.filter((p) => p.task === 'train_step' && p.metric === 'clips_per_second');
        expect(perf.datasets[0]!.data).toEqual(train.map((p) => p.value));
      }
      if (name === 'experiments-fixture') {
        // hand-computed (see experiments-report.test.ts): clip agreement at 40 % noise UAR 50 %, detection P 62.5 %;
        // au_mtl_single_plain mean F1 64.72 %, AU1 F1 77.5 %
        const uarChart = byId.get('chart-rdfer-uar-0')!;
        expect(uarChart.datasets.map((d) => d.label)).toEqual(['rdfer · ce', 'rdfer · clip_agreement']);
        expect(uarChart.datasets[1]!.data[1]).toBeCloseTo(50, 9);
        expect(byId.get('chart-rdfer-detection-0')!.datasets[0]!.data[1]).toBeCloseTo(62.5, 9);
        expect(byId.get('chart-au-mean-0')!.datasets[0]!.data[0]).toBeCloseTo(64.7222, 3);
        expect(byId.get('chart-au-f1-0')!.datasets[0]!.data[0]).toBeCloseTo(77.5, 9);
      }
      if (name === 'fixture') {
        // hand-computed (see report.test.ts): former_dfer / ce UAR 56.94 %, WAR 68.75 %
        expect(uar!.data[0]).toBeCloseTo(56.9444, 3);
        expect(war!.data[0]).toBeCloseTo(68.75, 9);
        // recall chart: minority class (fear) first; former_dfer/ce fear recall mean(0, 0.5) = 25 %
        expect(recall!.labels).toEqual(['fear', 'sad', 'happy']);
        expect(recall!.datasets[0]!.data[0]).toBeCloseTo(25, 9);
      }
      expect(statSync(screenshotPath).size).toBeGreaterThan(10_000);
      process.stderr.write(`dashboard screenshot: ${screenshotPath}\n`);
    },
    120_000,
  );

  // The published quick run: six 7-class confusion matrices side by side, the layout that overlapped before.
  const quickResults = resolve(__dirname, '..', 'results', 'quick', 'results.json');
  it.each([800, 1400])(
    'lays out at %i px: no horizontal scrollbar, nothing cut off, no overlapping matrices or charts',
    async (width) => {
      const dir = tempDir();
      const html = join(dir, 'dashboard.html');
      writeFileSync(html, renderDashboardHtml(readBenchResults(quickResults)));
      mkdirSync(screenshotDir, { recursive: true });
      const screenshotPath = join(screenshotDir, `dashboard-quick-${width}px.png`);
      const check = await checkDashboardInBrowser(html, { screenshotPath, viewportWidth: width });
      expect(check.consoleErrors).toEqual([]);
      expect(check.confusionTables).toBe(6);
      expect(check.layout.viewportWidth).toBe(width);
      expect(check.layout.pageWidth).toBeLessThanOrEqual(width);
      expect(check.layout.clipped).toEqual([]);
      expect(check.layout.overlaps).toEqual([]);
      process.stderr.write(`dashboard screenshot at ${width} px: ${screenshotPath}\n`);
    },
    120_000,
  );
});
