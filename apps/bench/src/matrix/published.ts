import type { AggregateRow } from '../report/aggregate';
import type { RealDatasetName } from './datasets';

/**
 * Published UAR / WAR of the three base models, to print beside the bench's own numbers on the same dataset.
 * Transcribed from `../shared/reference/dfer-benchmarks.md`, table "Published results (UAR / WAR)"; values in
 * percent as printed there. DFEW and MAFW values are means over the 5 official folds; FERV39K has one split.
 * They come from the authors' full-size models (`paper` presets) trained on the full data for ~100 epochs
 * — not from the bench's `tiny` presets and short schedules — so they are a reference point, not a target
 * a quick run should reach.
 */
export interface PublishedResult {
  /** Model name in the bench / `@dfer/backbones` registry. */
  readonly model: 'former_dfer' | 'm3dfel' | 'mae_dfer';
  readonly dataset: RealDatasetName;
  /** UAR (mean per-class recall), %. */
  readonly uar: number;
  /** WAR (accuracy), %. */
  readonly war: number;
  /** Where the number comes from. */
  readonly source: string;
}

const TABLE = 'dfer-benchmarks.md, "Published results (UAR / WAR)"';
const FORMER = `${TABLE}, row "Former-DFER (MM'21)" (Zhao & Liu, ACM MM 2021)`;
const M3DFEL = `${TABLE}, row "M3DFEL (CVPR'23)" (Wang et al., CVPR 2023)`;
const MAE = `${TABLE}, row "MAE-DFER (MM'23)" (Sun et al., ACM MM 2023)`;

/** The published numbers of the base models (M3DFEL reports no MAFW result). */
export const PUBLISHED_RESULTS: readonly PublishedResult[] = [
  { model: 'former_dfer', dataset: 'dfew', uar: 53.69, war: 65.7, source: FORMER },
  { model: 'former_dfer', dataset: 'ferv39k', uar: 37.2, war: 46.85, source: FORMER },
  { model: 'former_dfer', dataset: 'mafw', uar: 31.16, war: 43.27, source: FORMER },
  { model: 'm3dfel', dataset: 'dfew', uar: 56.1, war: 69.25, source: M3DFEL },
  { model: 'm3dfel', dataset: 'ferv39k', uar: 35.94, war: 47.67, source: M3DFEL },
  { model: 'mae_dfer', dataset: 'dfew', uar: 63.41, war: 74.43, source: MAE },
  { model: 'mae_dfer', dataset: 'ferv39k', uar: 43.12, war: 52.07, source: MAE },
  { model: 'mae_dfer', dataset: 'mafw', uar: 41.62, war: 54.31, source: MAE },
];

/**
 * The real dataset a report dataset label stands for: `dfew`, `ferv39k`, `mafw`, or one fold of them
 * (`dfew-fold3`); undefined for anything else (synthetic data).
 */
export function publishedDatasetOf(label: string): RealDatasetName | undefined {
  const match = /^(dfew|ferv39k|mafw)(-fold\d+)?$/.exec(label);
  return match ? (match[1] as RealDatasetName) : undefined;
}

/** Published results for a dataset label (see {@link publishedDatasetOf}); empty when none apply. */
export function getPublishedResults(label: string): PublishedResult[] {
  const dataset = publishedDatasetOf(label);
  return dataset ? PUBLISHED_RESULTS.filter((p) => p.dataset === dataset) : [];
}

function pct(value: { mean: number; std: number }): string {
  return `${(value.mean * 100).toFixed(1)} ± ${(value.std * 100).toFixed(1)}`;
}

/**
 * Markdown lines of the "published numbers beside ours" table for one report group (rows of one experiment
 * and dataset): every row whose model has a published number on that dataset, ours (mean ± std, %) next to
 * the paper's, then the sources. Empty when the dataset is not a real one or no model matches.
 */
export function renderPublishedComparison(rows: readonly AggregateRow[]): string[] {
  const first = rows[0];
  if (!first) return [];
  const published = getPublishedResults(first.dataset);
  const matched = rows.flatMap((r) => {
    const paper = published.find((p) => p.model === r.model);
    return paper ? [{ row: r, paper }] : [];
  });
  if (matched.length === 0) return [];
  const oneFold = /-fold\d+$/.test(first.dataset);
  const lines = [
    '### Published numbers beside ours',
    '',
    'Ours: this file, mean ± std over folds × seeds, %. Paper: the authors\u2019 full-size model and schedule ' +
      `(${first.dataset.startsWith('ferv39k') ? 'one official split' : 'mean of the 5 official folds'}).` +
      (oneFold ? ' Ours covers a single fold, so the comparison is indicative only.' : ''),
    '',
    '| Model | Preset | Method | Ours UAR | Ours WAR | Paper UAR | Paper WAR |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...matched.map(
      ({ row, paper }) =>
        `| ${row.model} | ${row.preset} | ${row.method} | ${pct(row.uar)} | ${pct(row.war)} | ${paper.uar.toFixed(2)} | ${paper.war.toFixed(2)} |`,
    ),
    '',
    ...[...new Set(matched.map((m) => m.paper.source))].map((s) => `- Source: ${s}`),
    '',
  ];
  return lines;
}
