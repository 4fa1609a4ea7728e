import type { ExperimentResult } from './experiment-result';

const pct = (v: number): string => (v * 100).toFixed(2);

/**
 * The end-of-run summary as a Markdown table: one row per fold (WAR, UAR, macro-F1, selected epoch) and a
 * mean ± std row, then per-class recall. States how the checkpoint was selected.
 */
export function formatSummaryTable(result: ExperimentResult): string {
  const lines = [
    `Experiment ${result.name} — engine ${result.engine.backend}; checkpoint selected on ${result.selection === 'validation' ? 'a validation split carved from the training data' : result.selection === 'test' ? 'THE TEST SPLIT (not an unbiased estimate)' : 'the last epoch'}`,
    '',
    '| fold | test clips | WAR % | UAR % | macro-F1 % | selected epoch (1-based) |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const f of result.folds) {
    const r = f.test.report;
    lines.push(
      `| ${f.fold} | ${f.counts.testScored} | ${pct(r.war)} | ${pct(r.uar)} | ${pct(r.macroF1)} | ${f.selectedEpoch + 1} |`,
    );
  }
  const s = result.summary;
  lines.push(
    `| mean ± std | | ${pct(s.war.mean)} ± ${pct(s.war.std)} | ${pct(s.uar.mean)} ± ${pct(s.uar.std)} | ${pct(s.macroF1.mean)} ± ${pct(s.macroF1.std)} | |`,
  );
  lines.push('', '| class | recall % (mean ± std) |', '| --- | --- |');
  result.classNames.forEach((name, c) => {
    const r = s.recall[c];
    lines.push(`| ${name} | ${r ? `${pct(r.mean)} ± ${pct(r.std)}` : 'no test clip'} |`);
  });
  return lines.join('\n');
}
