/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The page-side callbacks of page.evaluate run in the browser and use DOM types.
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
  readonly layout: PageLayout;
  readonly screenshot?: string;
}

/** Layout problems at the viewport width of the check. */
export interface PageLayout {
  readonly viewportWidth: number;
  /** `document.documentElement.scrollWidth`: wider than the viewport means a horizontal scrollbar. */
  readonly pageWidth: number;
  /** Tables, charts and confusion boxes that stick out of the page (those in a scrolling box may not). */
  readonly clipped: readonly string[];
  /** Pairs of confusion matrices or charts whose visible boxes overlap. */
  readonly overlaps: readonly string[];
}

/** Per-call options of {@link checkDashboardInBrowser}. */
export interface DashboardCheckOptions {
  readonly executablePath?: string;
  /** Write a full-page PNG screenshot here. */
  readonly screenshotPath?: string;
  /** Window width in CSS pixels (default 1300). */
  readonly viewportWidth?: number;
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
    viewport: { width: options.viewportWidth ?? 1300, height: 900 },
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
    const layout = await page.evaluate(() => {
      const describe = (el: Element): string => {
        const id = el.id ? `#${el.id}` : '';
        const cls = el.classList.length > 0 ? `.${[...el.classList].join('.')}` : '';
        const heading = el.closest('section')?.querySelector('h2, h3')?.textContent?.trim() ?? '';
        return `${el.tagName.toLowerCase()}${id}${cls}${heading ? ` in "${heading}"` : ''}`;
      };
      const viewportWidth = document.documentElement.clientWidth;
      const scrollerOf = (el: Element): Element | null => {
        let scroller: Element | null = el.parentElement;
        while (scroller && !['auto', 'scroll'].includes(getComputedStyle(scroller).overflowX)) {
          scroller = scroller.parentElement;
        }
        return scroller;
      };
      // The part of an element one can see: clipped by the box that scrolls it, if any.
      const visibleRect = (el: Element) => {
        const r = el.getBoundingClientRect();
        const scroller = scrollerOf(el);
        if (!scroller) return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
        const s = scroller.getBoundingClientRect();
        return {
          left: Math.max(r.left, s.left),
          right: Math.min(r.right, s.right),
          top: Math.max(r.top, s.top),
          bottom: Math.min(r.bottom, s.bottom),
        };
      };
      const shown = (el: Element) => (el as HTMLElement).offsetParent !== null;
      const clipped: string[] = [];
      for (const el of [...document.querySelectorAll('table, canvas, .confusion, .chart-box')].filter(
        shown,
      )) {
        // Inside a box that scrolls horizontally, being wider than the page is fine: the box scrolls.
        if (scrollerOf(el)) continue;
        const rect = el.getBoundingClientRect();
        if (rect.left < -1 || rect.right > viewportWidth + 1) {
          clipped.push(
            `${describe(el)}: x ${Math.round(rect.left)}–${Math.round(rect.right)} of ${viewportWidth}`,
          );
        }
      }
      const overlaps: string[] = [];
      const solid = [
        ...document.querySelectorAll('table.confusion-matrix, canvas, .chart-box, .confusion'),
      ].filter(shown);
      for (let i = 0; i < solid.length; i += 1) {
        for (let j = i + 1; j < solid.length; j += 1) {
          const a = solid[i]!;
          const b = solid[j]!;
          if (a.contains(b) || b.contains(a)) continue;
          const ra = visibleRect(a);
          const rb = visibleRect(b);
          const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
          const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
          if (w > 1 && h > 1) overlaps.push(`${describe(a)} × ${describe(b)}`);
        }
      }
      return { viewportWidth, pageWidth: document.documentElement.scrollWidth, clipped, overlaps };
    });
    if (options.screenshotPath) await page.screenshot({ path: options.screenshotPath, fullPage: true });
    return {
      consoleErrors,
      externalRequests,
      charts,
      confusionTables,
      verdictRows,
      layout,
      ...(options.screenshotPath ? { screenshot: options.screenshotPath } : {}),
    };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
