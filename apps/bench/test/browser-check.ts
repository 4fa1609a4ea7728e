import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where Debian's Chromium is installed (`scripts/install-chromium.sh`). */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags of the headless run: no sandbox (containers), no GPU, no network side traffic. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/** What a chart of the page holds, read back through Chart.js. */
export interface RenderedChart {
  readonly id: string;
  readonly type: string;
  readonly labels: readonly string[];
  readonly datasets: readonly { readonly label: string; readonly data: readonly (number | null)[] }[];
  /** Whether the canvas has a non-zero drawn size. */
  readonly visible: boolean;
}

/** What {@link checkDashboardInBrowser} saw. */
export interface DashboardCheck {
  readonly consoleErrors: readonly string[];
  /** Requests the page made to anything but its own file (should be none). */
  readonly externalRequests: readonly string[];
  readonly charts: readonly RenderedChart[];
  readonly confusionTables: number;
  /** Rows of the verdict tables (`table.verdicts`, header rows excluded). */
  readonly verdictRows: number;
  readonly screenshot?: string;
}

/** Per-call options of {@link checkDashboardInBrowser}. */
export interface DashboardCheckOptions {
  readonly executablePath?: string;
  /** Write a full-page PNG screenshot here. */
  readonly screenshotPath?: string;
  readonly timeoutMs?: number;
}

/**
 * Open a dashboard file in headless Chromium (driven by playwright-core, a fresh profile folder per call),
 * wait until it has drawn, and read back every chart's data, the console errors and any network request.
 */
export async function checkDashboardInBrowser(
  htmlPath: string,
  options: DashboardCheckOptions = {},
): Promise<DashboardCheck> {
  const executablePath = options.executablePath ?? DEFAULT_CHROMIUM_PATH;
  if (!existsSync(executablePath)) {
    throw new Error(`${executablePath}: Chromium not found; run apps/bench/scripts/install-chromium.sh`);
  }
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'dfer-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [...CHROMIUM_ARGS],
    viewport: { width: 1300, height: 900 },
  });
  const consoleErrors: string[] = [];
  const externalRequests: string[] = [];
  const pageUrl = pathToFileURL(resolve(htmlPath)).href;
  try {
    const page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
    page.on('request', (request) => {
      if (request.url() !== pageUrl) externalRequests.push(request.url());
    });
    const timeout = options.timeoutMs ?? 30_000;
    await page.goto(pageUrl, { waitUntil: 'load', timeout });
    await page.waitForSelector('body[data-ready="true"]', { timeout });
    const charts = await page.evaluate(() => {
      const state = (
        globalThis as unknown as {
          dferDashboard: {
            charts: Record<
              string,
              {
                config: { type: string };
                data: { labels: string[]; datasets: { label: string; data: (number | null)[] }[] };
                canvas: { width: number; height: number };
              }
            >;
          };
        }
      ).dferDashboard;
      return Object.entries(state.charts).map(([id, c]) => ({
        id,
        type: c.config.type,
        labels: c.data.labels.map(String),
        datasets: c.data.datasets.map((d) => ({ label: d.label, data: d.data })),
        visible: c.canvas.width > 0 && c.canvas.height > 0,
      }));
    });
    const confusionTables = await page.locator('table.confusion-matrix').count();
    const verdictRows = await page.locator('table.verdicts tr:has(td)').count();
    if (options.screenshotPath) await page.screenshot({ path: options.screenshotPath, fullPage: true });
    return {
      consoleErrors,
      externalRequests,
      charts,
      confusionTables,
      verdictRows,
      ...(options.screenshotPath ? { screenshot: options.screenshotPath } : {}),
    };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
