import type { BenchResults, MeanStdValue } from '../results/schema';
import { aggregateRuns, minorityFirstOrder, type AggregateRow } from './aggregate';
import { renderPublishedComparison } from '../matrix/published';

/** `mean ± std` in percent with one decimal (`n/a` for null). */
export function formatPercent(value: MeanStdValue | null): string {
  if (!value) return 'n/a';
  return `${(value.mean * 100).toFixed(1)} ± ${(value.std * 100).toFixed(1)}`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const lines = [
    `| ${header.map(escapeCell).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(escapeCell).join(' | ')} |`),
  ];
  return lines.join('\n');
}

function groupsOf(rows: readonly AggregateRow[]): Map<string, AggregateRow[]> {
  const out = new Map<string, AggregateRow[]>();
  for (const row of rows) {
    const key = `${row.experiment} — ${row.dataset}`;
    out.set(key, [...(out.get(key) ?? []), row]);
  }
  return out;
}

/**
 * Render the Markdown report of a results file: per experiment and dataset, UAR / WAR / macro-F1 as mean ± std
 * over folds × seeds for each model × method; per-class recall with the minority classes first; the
 * performance table and targets. Values are printed from the results, nothing else.
 */
export function renderReportMarkdown(results: BenchResults): string {
  const out: string[] = ['# DFER bench report', ''];
  if (results.fixture) {
    out.push(
      '> **Fixture data** — this file was made for tests or documentation; its numbers are not results.',
      '',
    );
  }
  out.push(
    `Results created ${results.createdAt}; ${results.runs.length} run(s), ${results.perf.length} timing(s).`,
    '',
  );
  const rows = aggregateRuns(results);
  if (rows.length === 0) out.push('No training runs in this file.', '');
  for (const [title, group] of groupsOf(rows)) {
    out.push(`## ${title}`, '');
    out.push(
      'Mean ± sample std over folds × seeds (n), in %. WAR = accuracy; UAR = mean per-class recall.',
      '',
    );
    out.push(
      table(
        ['Model', 'Preset', 'Method', 'n', 'UAR', 'WAR', 'macro-F1', 'Engine', 'Selection'],
        group.map((r) => [
          r.model,
          r.preset,
          r.method,
          String(r.uar.n),
          formatPercent(r.uar),
          formatPercent(r.war),
          formatPercent(r.macroF1),
          r.backends.join(', '),
          r.selections.join(', '),
        ]),
      ),
      '',
    );
    const testSelected = group.filter((r) => r.selections.includes('test'));
    if (testSelected.length) {
      out.push(
        `**Warning:** ${testSelected.length} row(s) chose the checkpoint on the test split (selection = test); those numbers are not unbiased estimates.`,
        '',
      );
    }
    out.push(...renderPublishedComparison(group));
    const first = group[0]!;
    const totalSupport = first.classNames.map((_, c) => group.reduce((a, r) => a + r.support[c]!, 0));
    const order = minorityFirstOrder(totalSupport);
    out.push('### Per-class recall (minority classes first)', '');
    out.push(
      table(
        ['Model', 'Method', ...order.map((c) => `${first.classNames[c]!} (${first.support[c]!})`)],
        group.map((r) => [r.model, r.method, ...order.map((c) => formatPercent(r.recall[c] ?? null))]),
      ),
      '',
      'Column headers give the test clips per class of the first row (summed over folds and seeds).',
      '',
    );
  }
  if (results.perf.length) {
    out.push('## Performance', '');
    out.push(
      table(
        ['Task', 'Model', 'Preset', 'Engine', 'Shape', 'Metric', 'Value', 'Peak RSS (MiB)', 'Note'],
        results.perf.map((p) => [
          p.task,
          p.model ?? '',
          p.preset ?? '',
          p.engine,
          p.shape ? p.shape.join('×') : '',
          p.metric,
          p.value.toPrecision(4),
          p.peakRssMiB !== undefined ? p.peakRssMiB.toFixed(0) : '',
          p.note ?? '',
        ]),
      ),
      '',
    );
  }
  if (results.perfTargets.length) {
    out.push('### Targets', '');
    out.push(
      table(
        ['Target', 'Ours', 'Reference', 'Ratio (time)', 'Target', 'Met', 'Note'],
        results.perfTargets.map((t) => [
          t.name,
          t.ours,
          t.reference,
          `${t.ratio.toFixed(2)}×`,
          `≤ ${t.target}×`,
          t.met ? 'yes' : `no (${(t.ratio / t.target).toFixed(2)}× over)`,
          t.note ?? '',
        ]),
      ),
      '',
    );
  }
  if (results.perfProfile.length) {
    out.push('### Where the time goes (per-kernel profile)', '');
    out.push(
      table(
        ['Scope', 'Kernel', 'ms', 'Share'],
        results.perfProfile.map((k) => [
          k.scope,
          k.kernel,
          k.ms.toFixed(1),
          `${(k.share * 100).toFixed(1)} %`,
        ]),
      ),
      '',
    );
  }
  if (results.perfEnvironment) {
    out.push(
      '### Environment',
      '',
      ...Object.entries(results.perfEnvironment).map(([k, v]) => `- ${k}: ${v}`),
      '',
    );
  }
  return `${out.join('\n').trimEnd()}\n`;
}
