import type { BenchResults, MeanStdValue } from '../results/schema';
import {
  aggregateAuRuns,
  aggregateRuns,
  formatNoiseRate,
  minorityFirstOrder,
  type AggregateRow,
  type AuAggregateRow,
} from './aggregate';
import { renderPublishedComparison } from '../matrix/published';
import {
  evaluateClaims,
  formatClaim,
  formatClaimMetric,
  formatInterval,
  formatPairs,
  formatPoints,
  groupClaimRows,
  MINORITY_CLASS_COUNT,
  type ClaimRow,
  type ClaimsReport,
} from './claims';
import { VERDICT_RULE } from './paired';
import { describeRuns, type ProfileRunDescription } from './run-description';

/**
 * `mean ± std` in percent with one decimal; the mean alone when it rests on one value (n = 1, where a sample
 * std does not exist); `n/a` for null.
 */
export function formatPercent(value: MeanStdValue | null): string {
  if (!value) return 'n/a';
  const mean = (value.mean * 100).toFixed(1);
  return value.n < 2 ? mean : `${mean} ± ${(value.std * 100).toFixed(1)}`;
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

/** `method`, or `method` with its noise rate for RDFER rows. */
function methodCell(row: AggregateRow): string {
  return row.noiseRate === null ? row.method : `${row.method} (noise ${formatNoiseRate(row.noiseRate)} %)`;
}

/**
 * The RDFER part of a group: test UAR (and WAR) per model × arm against the training-label noise rate, and the
 * noisy-sample detection precision / recall / F1 of clip agreement (mean ± std over folds × seeds).
 */
function renderRdferSection(group: readonly AggregateRow[]): string[] {
  const noisy = group.filter((r) => r.noiseRate !== null);
  if (noisy.length === 0) return [];
  const rates = [...new Set(noisy.map((r) => r.noiseRate!))].sort((a, b) => a - b);
  const series = [...new Set(noisy.map((r) => `${r.model}|${r.method}`))];
  const find = (key: string, rate: number) =>
    noisy.find((r) => `${r.model}|${r.method}` === key && r.noiseRate === rate);
  const out: string[] = ['### Test UAR / WAR against training-label noise', ''];
  out.push(
    'Symmetric noise in the training labels only (test labels are the true labels); mean ± std over folds × seeds, in %.',
    '',
  );
  for (const metric of ['uar', 'war'] as const) {
    out.push(
      table(
        ['Model', 'Arm', ...rates.map((r) => `${metric.toUpperCase()} @ ${formatNoiseRate(r)} %`)],
        series.map((key) => {
          const [model, method] = key.split('|') as [string, string];
          return [model, method, ...rates.map((r) => formatPercent(find(key, r)?.[metric] ?? null))];
        }),
      ),
      '',
    );
  }
  const detected = noisy.filter((r) => r.noisyDetection);
  if (detected.length) {
    out.push('### Noisy-sample detection (clip agreement, last epoch, training clips)', '');
    out.push(
      'A training clip is flagged when clip agreement puts it in the noisy partition; it is truly noisy when its training label differs from its true label. Precision = TP / flagged, recall = TP / truly noisy; n/a where undefined (nothing flagged, or no noisy clip). Counts are summed over folds × seeds; Noisy / Clips is the realised training-label noise.',
      '',
      table(
        [
          'Model',
          'Arm',
          'Noise',
          'Precision',
          'Recall',
          'F1',
          'Flagged',
          'Flagged & noisy',
          'Noisy',
          'Clips',
        ],
        detected.map((r) => [
          r.model,
          r.method,
          `${formatNoiseRate(r.noiseRate!)} %`,
          formatPercent(r.noisyDetection!.precision),
          formatPercent(r.noisyDetection!.recall),
          formatPercent(r.noisyDetection!.f1),
          String(r.noisyDetection!.flagged),
          String(r.noisyDetection!.truePositives),
          String(r.noisyDetection!.noisy),
          String(r.noisyDetection!.samples),
        ]),
      ),
      '',
    );
  }
  return out;
}

/** The AU-detection section: mean F1 per arm and per-AU F1 (mean ± std over folds × seeds, in %). */
function renderAuDetectionSection(rows: readonly AuAggregateRow[]): string[] {
  if (rows.length === 0) return [];
  const out: string[] = [];
  const byDataset = new Map<string, AuAggregateRow[]>();
  for (const row of rows) byDataset.set(row.dataset, [...(byDataset.get(row.dataset) ?? []), row]);
  for (const [dataset, group] of byDataset) {
    out.push(`## au_detection — ${dataset}`, '');
    out.push(
      'Average F1 = mean of the per-AU F1 at threshold 0.5 (frame level when the model gives frame AU logits); mean ± sample std over folds × seeds (n), in %. Tuned: per-AU thresholds chosen on validation, reported apart.',
      '',
      table(
        ['Model', 'Preset', 'Arm', 'Task', 'Gate', 'AU loss', 'n', 'Mean F1', 'Mean F1 (tuned)', 'Engine'],
        group.map((r) => [
          r.model,
          r.preset,
          r.method,
          r.arm.task === 'au' ? 'AU only' : 'FER + AU',
          r.arm.gate ? 'yes' : 'no',
          r.arm.weighting === 'smooth' ? 'smooth class-weighted BCE' : 'plain BCE',
          String(r.meanF1.n),
          formatPercent(r.meanF1),
          formatPercent(r.tunedMeanF1),
          r.backends.join(', '),
        ]),
      ),
      '',
    );
    const first = group[0]!;
    out.push(
      '### Per-AU F1 (threshold 0.5)',
      '',
      table(
        ['Arm', ...first.auNames.map((a, i) => `${a} (${first.support[i]!})`)],
        group.map((r) => [r.method, ...r.f1.map((f) => formatPercent(f))]),
      ),
      '',
      'Column headers give the positive test targets per AU of the first row (summed over folds and seeds).',
      '',
    );
  }
  return out;
}

/** The header block: per profile its description, and per experiment the data, training, engine and weights. */
export function renderRunDescription(descriptions: readonly ProfileRunDescription[]): string[] {
  if (descriptions.length === 0) return [];
  const out: string[] = ['## What was run', ''];
  for (const d of descriptions) {
    out.push(`### Profile \`${d.profile}\``, '');
    out.push(
      d.description === null
        ? 'Description: not recorded in this results file (written before results files kept profile descriptions).'
        : `Description: ${d.description}.`,
      '',
    );
    for (const e of d.experiments) {
      out.push(
        `- **${e.experiment}**: ${e.runs} run(s); models ${e.models.join(', ')}; arms ${e.arms.join(', ')}; seeds ${e.seeds.join(', ')} (${e.seeds.length})`,
        ...e.data.map((line) => `  - data: ${line}`),
        `  - training: ${e.training}`,
        `  - engine: ${e.engines.join(', ')}`,
        `  - weights: ${e.initialisation}`,
        ...(e.aboveTwiceChance ? [`  - test UAR ≥ 2 × chance: ${e.aboveTwiceChance}`] : []),
      );
    }
    out.push('');
  }
  return out;
}

/** Per-AU F1 tables of the AU-detection claims: AUs × arms, the best arm per AU, AUs at F1 0 per arm. */
function renderAuF1Tables(claims: ClaimsReport): string[] {
  const out: string[] = [];
  for (const t of claims.auF1Tables) {
    out.push(
      `#### Per-AU F1 — profile \`${t.profile}\`, ${t.dataset}, ${t.model}`,
      '',
      'Mean F1 over folds × seeds at threshold 0.5, in %; best arm = highest mean (ties all named; none when every arm is at 0).',
      '',
      table(
        ['AU', ...t.arms, 'Best arm'],
        [
          ...t.auNames.map((au, a) => [
            au,
            ...t.f1.map((row) =>
              row[a] === null || row[a] === undefined ? 'n/a' : (row[a]! * 100).toFixed(1),
            ),
            t.best[a]!.length ? t.best[a]!.join(', ') : 'none (all 0)',
          ]),
          ['AUs at F1 0', ...t.zeroCount.map(String), ''],
        ],
      ),
      '',
    );
  }
  return out;
}

/**
 * The verdicts section: the rule, then per experiment, profile and dataset one row per claim × model with the
 * mean paired difference (points), its 95 % interval, n, the verdict, the per-seed differences (and unpaired
 * seeds) and the other metrics of the comparison; then the claims that could not be computed.
 */
export function renderVerdictsSection(claims: ClaimsReport): string[] {
  const out: string[] = ['## Verdicts', '', `Rule: ${VERDICT_RULE}`, ''];
  out.push(
    "Effects are in percentage points (arm − reference); each seed's value is the mean over its folds. RDFER detection compares the precision of the clips clip agreement flags as noisy (pooled over folds: flagged and truly noisy / flagged) with the realised training-label noise rate (truly noisy / training clips), the precision a random flagger gets; only at noise > 0.",
    '',
  );
  if (claims.rows.length === 0) out.push('No claim could be computed from this file.', '');
  for (const group of groupClaimRows(claims.rows)) {
    out.push(`### ${group.title}`, '');
    out.push(
      table(
        [
          'Claim',
          'Model',
          'Effect (points)',
          '95 % CI',
          'n',
          'Verdict',
          'Per-seed differences',
          'Also shown',
        ],
        group.rows.map((r) => [
          formatClaim(r),
          r.model,
          r.effect.mean === null ? 'n/a' : formatPoints(r.effect.mean),
          formatInterval(r.effect),
          String(r.effect.n),
          r.verdict,
          formatPairs(r.comparison, r.undefinedReason),
          r.also.map(formatClaimMetric).join('; '),
        ]),
      ),
      '',
    );
    if (group.rows[0]!.experiment === 'dfer') {
      const byClasses = new Map<string, string[]>();
      for (const model of new Set(group.rows.map((r) => r.model))) {
        const m = claims.minority.get([group.rows[0]!.profile, group.rows[0]!.dataset, model].join('|'));
        if (!m) continue;
        const text = `${m.names.join(', ')} (ranked by ${m.source})`;
        byClasses.set(text, [...(byClasses.get(text) ?? []), model]);
      }
      const notes = [...byClasses].map(([text, models]) => `${models.join(', ')}: ${text}`);
      out.push(
        `Minority classes (the ${MINORITY_CLASS_COUNT} classes with the smallest training support; per fold the mean recall over those of them with test clips, then the mean over folds): ${notes.join('; ')}.`,
        '',
      );
    }
    if (group.rows[0]!.experiment === 'au_detection') {
      out.push(
        ...renderAuF1Tables({
          ...claims,
          auF1Tables: claims.auF1Tables.filter(
            (t) => t.profile === group.rows[0]!.profile && t.dataset === group.rows[0]!.dataset,
          ),
        }),
      );
    }
  }
  if (claims.absent.length) {
    out.push('### Claims not computed (arms absent)', '', ...claims.absent.map((a) => `- ${a}`), '');
  }
  return out;
}

/** The DFER section's per-model paired effect of the AU loss: UAR, WAR and minority recall vs `ce`. */
function renderAuLossEffect(claims: readonly ClaimRow[]): string[] {
  if (claims.length === 0) return [];
  return [
    '### Paired effect of the AU loss (vs ce, paired by seed)',
    '',
    'Mean paired difference in points with its 95 % Student-t interval and the per-seed differences; verdict on test UAR (see Verdicts).',
    '',
    table(
      [
        'Model',
        'Profile',
        'AU method',
        'n',
        'UAR effect',
        '95 % CI',
        'Per-seed',
        'Verdict',
        'WAR, minority recall',
      ],
      claims.map((r) => [
        r.model,
        r.profile,
        r.arm,
        String(r.effect.n),
        r.effect.mean === null ? 'n/a' : formatPoints(r.effect.mean),
        formatInterval(r.effect),
        formatPairs(r.comparison, r.undefinedReason),
        r.verdict,
        r.also.map(formatClaimMetric).join('; '),
      ]),
    ),
    '',
  ];
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
  const descriptions = describeRuns(results);
  for (const d of descriptions) {
    if (d.notEvidence) out.push(`> **Not evidence:** ${d.notEvidence}`, '');
  }
  out.push(
    `Results created ${results.createdAt}; ${results.runs.length} run(s), ${results.perf.length} timing(s).`,
    '',
  );
  const claims = results.runs.length ? evaluateClaims(results) : null;
  out.push(...renderRunDescription(descriptions));
  if (claims) out.push(...renderVerdictsSection(claims));
  const rows = aggregateRuns(results);
  const auRows = aggregateAuRuns(results);
  if (rows.length === 0 && auRows.length === 0) out.push('No training runs in this file.', '');
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
          methodCell(r),
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
    const first = group[0]!;
    if (claims && first.experiment === 'dfer') {
      out.push(
        ...renderAuLossEffect(
          claims.rows.filter((c) => c.experiment === 'dfer' && c.dataset === first.dataset),
        ),
      );
    }
    out.push(...renderPublishedComparison(group));
    out.push(...renderRdferSection(group));
    const totalSupport = first.classNames.map((_, c) => group.reduce((a, r) => a + r.support[c]!, 0));
    const order = minorityFirstOrder(totalSupport);
    out.push('### Per-class recall (minority classes first)', '');
    out.push(
      table(
        ['Model', 'Method', ...order.map((c) => `${first.classNames[c]!} (${first.support[c]!})`)],
        group.map((r) => [r.model, methodCell(r), ...order.map((c) => formatPercent(r.recall[c] ?? null))]),
      ),
      '',
      'Column headers give the test clips per class of the first row (summed over folds and seeds).',
      '',
    );
  }
  out.push(...renderAuDetectionSection(auRows));
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
  const env = results.perfEnvironment ?? {};
  const listed: Record<string, string> = {
    paperRatios: '### Ratios measured without a target',
    failedTasks: '### Failed tasks (no timing; why)',
  };
  for (const [key, title] of Object.entries(listed)) {
    const value = env[key];
    if (value) out.push(title, '', ...value.split(' | ').map((line) => `- ${line}`), '');
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
      ...Object.entries(results.perfEnvironment)
        .filter(([k]) => !(k in listed))
        .map(([k, v]) => `- ${k}: ${v}`),
      '',
    );
  }
  return `${out.join('\n').trimEnd()}\n`;
}
