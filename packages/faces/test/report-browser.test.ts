/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The page-side callbacks of page.evaluate run in the browser and use DOM types.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sharedDataPath } from '@dfer/test-utils';
import {
  analyzeImage,
  analyzeVideo,
  createAnalysisWriter,
  createFaceDetector,
  EXPRESSION_LABELS,
  GEOMETRY_AUS,
  type AnalysisSummary,
} from '@dfer/faces';

/**
 * report.html in headless Chromium (Debian's, driven by playwright-core, as the bench dashboard test):
 * no console errors, no network request, one section per face with its thumbnail drawn, 7 expression
 * lines and an AU heat map, and the embedded data equal to the summary. Skips, saying why, when
 * /usr/bin/chromium is absent (apps/bench/scripts/install-chromium.sh installs it). Screenshots go to
 * `$DFER_FACES_SCREENSHOT_DIR` when set.
 */
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  process.stderr.write(
    `report-browser.test: SKIPPED — ${CHROMIUM} is absent; run apps/bench/scripts/install-chromium.sh\n`,
  );
const single = sharedDataPath('media/single_face.mp4');
const group = sharedDataPath('media/multi_face.jpg');
const ready = haveChromium && single !== undefined && group !== undefined;
if (haveChromium && !ready)
  process.stderr.write('report-browser.test: SKIPPED — the shared media folder is absent\n');

interface PageCheck {
  consoleErrors: string[];
  externalRequests: string[];
  sections: number;
  thumbnailsDrawn: number;
  linesPerChart: number[];
  heatmapCells: number[];
  data: {
    summary: { faces: { id: number; frames: number; dominant: string }[] };
    timelines: { id: number; times: number[] }[];
  };
  pageWidth: number;
  viewportWidth: number;
}

async function checkReport(html: string, screenshot?: string): Promise<PageCheck> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'dfer-faces-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
    viewport: { width: 1000, height: 900 },
  });
  const url = pathToFileURL(resolve(html)).href;
  const consoleErrors: string[] = [];
  const externalRequests: string[] = [];
  try {
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('request', (r) => {
      if (r.url() !== url && !r.url().startsWith('data:')) externalRequests.push(r.url());
    });
    await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    const result = await page.evaluate(() => {
      const sections = [...document.querySelectorAll('section.face')];
      return {
        sections: sections.length,
        thumbnailsDrawn: [...document.querySelectorAll('img.thumb')].filter(
          (img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0,
        ).length,
        linesPerChart: [...document.querySelectorAll('svg.expression-chart')].map(
          (svg) => svg.querySelectorAll('polyline.expr-line').length,
        ),
        heatmapCells: [...document.querySelectorAll('svg.au-heatmap')].map(
          (svg) => svg.querySelectorAll('rect').length,
        ),
        data: (globalThis as unknown as { dferReport: PageCheck['data'] }).dferReport,
        pageWidth: document.documentElement.scrollWidth,
        viewportWidth: document.documentElement.clientWidth,
      };
    });
    if (screenshot !== undefined) await page.screenshot({ path: screenshot, fullPage: true });
    return { consoleErrors, externalRequests, ...result };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

(ready ? describe : describe.skip)('report.html in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dfer-faces-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const shots = process.env['DFER_FACES_SCREENSHOT_DIR'];
  if (shots !== undefined) mkdirSync(shots, { recursive: true });

  const expectReport = (check: PageCheck, summary: AnalysisSummary, points: number): void => {
    expect(check.consoleErrors).toEqual([]);
    expect(check.externalRequests).toEqual([]);
    expect(check.sections).toBe(summary.faces.length);
    expect(check.thumbnailsDrawn).toBe(summary.faces.length);
    expect(check.linesPerChart).toEqual(summary.faces.map(() => EXPRESSION_LABELS.length));
    expect(check.heatmapCells).toEqual(summary.faces.map(() => GEOMETRY_AUS.length * points));
    expect(check.data.summary.faces).toEqual(
      summary.faces.map((f) => ({
        id: f.id,
        frames: f.frames,
        dominant: f.dominant,
        expression: f.expression,
      })),
    );
    for (const t of check.data.timelines) expect(t.times).toHaveLength(points);
    expect(check.pageWidth).toBeLessThanOrEqual(check.viewportWidth);
  };

  it('a video (single_face.mp4, every 6th frame): one face, 12 time points', async () => {
    const detector = await createFaceDetector({ expression: false });
    const analysis = analyzeVideo(single!, { every: 6, detector });
    const writer = createAnalysisWriter(join(dir, 'video'));
    for await (const frame of analysis) writer.addFrame(frame);
    const files = await writer.finish(analysis.summary());
    const check = await checkReport(files.reportHtml, shots && join(shots, 'report-video.png'));
    expectReport(check, analysis.summary(), 12);
  });

  it('a photo (multi_face.jpg): five faces, one time point each', async () => {
    const { frame, summary } = await analyzeImage(group!);
    const writer = createAnalysisWriter(join(dir, 'photo'));
    writer.addFrame(frame);
    const files = await writer.finish(summary);
    const check = await checkReport(files.reportHtml, shots && join(shots, 'report-photo.png'));
    expectReport(check, summary, 1);
  });
});
