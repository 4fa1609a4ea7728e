import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isClassificationRun, type BenchResults } from '../results/schema';
import {
  aggregateAuRuns,
  aggregateRuns,
  formatRowLabel,
  meanAndSampleStd,
  minorityFirstOrder,
  type AggregateRow,
  type AuAggregateRow,
} from './aggregate';
import { DASHBOARD_CLIENT_SOURCE } from './dashboard-client';
import {
  evaluateClaims,
  formatClaim,
  formatClaimMetric,
  formatInterval,
  formatPairs,
  formatPoints,
  groupClaimRows,
} from './claims';
import { VERDICT_RULE } from './paired';
import { describeRuns } from './run-description';

/** One claim × model of the dashboard's verdict table and interval plot (effects in percentage points). */
export interface DashboardVerdictRow {
  /** The claim with its setting (as in the report's table). */
  readonly claim: string;
  /** The claim alone: one interval plot per claim. */
  readonly chartClaim: string;
  /** The point's label in the plot. */
  readonly label: string;
  readonly model: string;
  /** Mean paired difference in points; null when n = 0. */
  readonly effect: number | null;
  /** 95 % interval in points; null when n < 2. */
  readonly lower: number | null;
  readonly upper: number | null;
  readonly n: number;
  readonly verdict: string;
  /** Formatted as in the report: effect, interval, per-seed differences and unpaired seeds, other metrics. */
  readonly effectText: string;
  readonly intervalText: string;
  readonly perSeed: string;
  readonly also: string;
}

/** The evidence part of the dashboard: what was run, the verdict rule, the verdicts and the absent claims. */
export interface DashboardEvidence {
  /** Why a profile's numbers are not evidence (one line per such profile). */
  readonly notEvidence: readonly string[];
  /** Per profile: a title and lines (description, data, training, engine, weights per experiment). */
  readonly runs: readonly { readonly title: string; readonly lines: readonly string[] }[];
  /** The verdict rule (plain text). */
  readonly rule: string;
  readonly groups: readonly { readonly title: string; readonly rows: readonly DashboardVerdictRow[] }[];
  readonly absent: readonly string[];
}

/** One row of a dashboard group, as embedded in the HTML. */
export interface DashboardRow extends Omit<AggregateRow, 'key'> {
  /** Chart label: `model · method` (RDFER rows: `· noise <p> %`), see `formatRowLabel`. */
  readonly label: string;
  /** Per-epoch means over every fold of every run of the row (null where no fold reached that epoch). */
  readonly curve: { readonly trainLoss: (number | null)[]; readonly selectionUar: (number | null)[] };
}

/** The data the dashboard's browser code draws (embedded as JSON in the page). */
export interface DashboardData {
  readonly createdAt: string;
  readonly fixture: boolean;
  readonly runCount: number;
  readonly groups: readonly {
    readonly title: string;
    readonly classNames: readonly string[];
    /** Class indices, minority (fewest test clips) first. */
    readonly classOrder: readonly number[];
    /** Epoch labels (1-based) of the curves. */
    readonly epochs: readonly number[];
    readonly rows: readonly DashboardRow[];
  }[];
  /** AU-detection rows by dataset (`au_detection — <dataset>`), see `aggregateAuRuns`. */
  readonly auGroups: readonly {
    readonly title: string;
    readonly auNames: readonly string[];
    readonly rows: readonly Omit<AuAggregateRow, 'key'>[];
  }[];
  /** Verdicts of the claims (`evaluateClaims`) and the description of the runs (`describeRuns`). */
  readonly evidence: DashboardEvidence;
  readonly perf: BenchResults['perf'];
  readonly perfTargets: BenchResults['perfTargets'];
  readonly perfProfile: BenchResults['perfProfile'];
}

function meanOrNull(values: readonly number[]): number | null {
  return values.length ? meanAndSampleStd(values).mean : null;
}

/**
 * What the dashboard shows, computed from a results file: the rows of {@link aggregateRuns} grouped by
 * experiment and dataset, with training curves averaged per epoch over folds × seeds (loss as is, selection
 * UAR in %).
 */
export function createDashboardData(results: BenchResults): DashboardData {
  const rows = aggregateRuns(results);
  const byTitle = new Map<string, AggregateRow[]>();
  for (const row of rows) {
    const title = `${row.experiment} — ${row.dataset}`;
    byTitle.set(title, [...(byTitle.get(title) ?? []), row]);
  }
  const runsById = new Map(results.runs.filter(isClassificationRun).map((r) => [r.id, r]));
  const groups = [...byTitle].map(([title, group]) => {
    const folds = (row: Pick<AggregateRow, 'runIds'>) => row.runIds.flatMap((id) => runsById.get(id)!.folds);
    const epochCount = Math.max(...group.map((row) => Math.max(...folds(row).map((f) => f.history.length))));
    const dashboardRows: DashboardRow[] = group.map(({ key: _key, ...row }) => {
      const fs = folds(row);
      const at = (e: number, pick: (h: (typeof fs)[number]['history'][number]) => number | undefined) =>
        meanOrNull(
          fs
            .map((f) => f.history[e])
            .filter((h) => h !== undefined)
            .map((h) => pick(h!))
            .filter((v): v is number => v !== undefined && Number.isFinite(v)),
        );
      return {
        ...row,
        label: formatRowLabel(row),
        curve: {
          trainLoss: Array.from({ length: epochCount }, (_, e) => at(e, (h) => h.trainLoss)),
          selectionUar: Array.from({ length: epochCount }, (_, e) => {
            const v = at(e, (h) => (h.selection ? h.selection.uar * 100 : undefined));
            return v;
          }),
        },
      };
    });
    const first = group[0]!;
    const support = first.classNames.map((_, c) => group.reduce((a, r) => a + r.support[c]!, 0));
    return {
      title,
      classNames: first.classNames,
      classOrder: minorityFirstOrder(support),
      epochs: Array.from({ length: epochCount }, (_, e) => e + 1),
      rows: dashboardRows,
    };
  });
  const auByTitle = new Map<string, Omit<AuAggregateRow, 'key'>[]>();
  for (const { key: _key, ...row } of aggregateAuRuns(results)) {
    const title = `au_detection — ${row.dataset}`;
    auByTitle.set(title, [...(auByTitle.get(title) ?? []), row]);
  }
  const auGroups = [...auByTitle].map(([title, rows]) => ({ title, auNames: rows[0]!.auNames, rows }));
  return {
    createdAt: results.createdAt,
    fixture: results.fixture ?? false,
    runCount: results.runs.length,
    groups,
    auGroups,
    evidence: createDashboardEvidence(results),
    perf: results.perf,
    perfTargets: results.perfTargets,
    perfProfile: results.perfProfile,
  };
}

function plainText(markdown: string): string {
  return markdown.replace(/\*\*|`/g, '');
}

/** The evidence part of {@link createDashboardData}: the same verdicts, rule and run description as `report.md`. */
export function createDashboardEvidence(results: BenchResults): DashboardEvidence {
  const descriptions = describeRuns(results);
  const claims = results.runs.length ? evaluateClaims(results) : null;
  const points = (v: number) => v * 100;
  return {
    notEvidence: descriptions.flatMap((d) => (d.notEvidence ? [plainText(d.notEvidence)] : [])),
    runs: descriptions.map((d) => ({
      title: `Profile ${d.profile}`,
      lines: [
        d.description === null
          ? 'Description: not recorded in this results file.'
          : `Description: ${d.description}.`,
        ...d.experiments.flatMap((e) => [
          `${e.experiment}: ${e.runs} run(s); models ${e.models.join(', ')}; arms ${e.arms.join(', ')}; seeds ${e.seeds.join(', ')}`,
          ...e.data.map((line) => `${e.experiment} data: ${plainText(line)}`),
          `${e.experiment} training: ${e.training}; engine: ${e.engines.join(', ')}; weights: ${plainText(e.initialisation)}`,
          ...(e.aboveTwiceChance ? [`${e.experiment} test UAR ≥ 2 × chance: ${e.aboveTwiceChance}`] : []),
        ]),
      ],
    })),
    rule: plainText(VERDICT_RULE),
    groups: groupClaimRows(claims?.rows ?? []).map((g) => ({
      title: plainText(g.title),
      rows: g.rows.map((r) => ({
        claim: formatClaim(r),
        chartClaim: r.claim,
        label: r.label,
        model: r.model,
        effect: r.effect.mean === null ? null : points(r.effect.mean),
        lower: r.effect.interval ? points(r.effect.interval.lower) : null,
        upper: r.effect.interval ? points(r.effect.interval.upper) : null,
        n: r.effect.n,
        verdict: r.verdict,
        effectText: r.effect.mean === null ? 'n/a' : formatPoints(r.effect.mean),
        intervalText: formatInterval(r.effect),
        perSeed: formatPairs(r.comparison, r.undefinedReason),
        also: r.also.map(formatClaimMetric).join('; '),
      })),
    })),
    absent: (claims?.absent ?? []).map(plainText),
  };
}

/** Text of Chart.js's UMD bundle from node_modules (inlined into the page: the dashboard needs no network). */
export function readChartJsBundle(): string {
  const entry = require.resolve('chart.js');
  const path = join(dirname(entry), 'chart.umd.min.js');
  return readFileSync(path, 'utf8');
}

/** Make JavaScript source safe inside an inline `<script>` element (no `</script>` closes it early). */
function inlineScript(text: string): string {
  return text.replace(/<\/(script)/gi, '<\\/$1');
}

/** JSON safe inside a `<script type="application/json">` element: every `<` written as the JSON escape `\u003c`. */
function inlineJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/** Per-call options of {@link renderDashboardHtml}. */
export interface DashboardOptions {
  /** Chart.js UMD source (default: {@link readChartJsBundle}). */
  readonly chartJsSource?: string;
  /** Page title. */
  readonly title?: string;
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 1300px; padding: 1rem 2rem; color: #222; }
h1 { margin-bottom: 0.2rem; }
.banner { background: #fff3cd; border: 1px solid #e0c060; padding: 0.5rem 1rem; font-weight: bold; }
.chart-box { position: relative; height: 340px; margin: 1rem 0 2rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 380px), 1fr)); gap: 1rem; }
.grid > * { min-width: 0; }
.grid.confusions { grid-template-columns: repeat(auto-fill, minmax(min(100%, 540px), 1fr)); }
.confusion, .table-scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.confusion-matrix td { min-width: 2.5rem; text-align: center; }
section.group { border-top: 2px solid #ddd; margin-top: 1.5rem; }
table.verdicts td { text-align: left; }
td.verdict-supported { background: #d4edda; }
td.verdict-contradicted { background: #f8d7da; }
`;

/**
 * Render the dashboard: one self-contained HTML file (Chart.js inlined, data embedded as JSON, no network
 * requests) with UAR/WAR per model × method with ± std whiskers, per-class recall (minority first),
 * confusion matrices, training curves, the RDFER charts (UAR against training-label noise, noisy-sample
 * detection precision / recall), the AU-detection charts (mean F1 per arm, per-AU F1) and the performance
 * table; first, what was run, the verdict rule, the verdict table of the claims and one interval plot per claim
 * (mean paired difference with its 95 % interval as whiskers, and the zero line).
 */
export function renderDashboardHtml(results: BenchResults, options: DashboardOptions = {}): string {
  const data = createDashboardData(results);
  const chartJs = options.chartJsSource ?? readChartJsBundle();
  const title = options.title ?? 'DFER bench dashboard';
  const escapedTitle = title.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">",
    `<title>${escapedTitle}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapedTitle}</h1>`,
    '<main id="content"></main>',
    `<script id="dfer-dashboard-data" type="application/json">${inlineJson(data)}</script>`,
    `<script>${inlineScript(chartJs)}</script>`,
    `<script>${inlineScript(DASHBOARD_CLIENT_SOURCE)}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
