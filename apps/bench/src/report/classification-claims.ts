/** The AU-DFER claims (each AU-DFER method vs `ce`) and the RDFER claims (clip agreement vs `ce`; noisy-clip detection). */
import { type ClassificationRunRecord } from '../results/schema';
import { formatNoiseRate } from './aggregate';
import {
  bySeed,
  claimRow,
  differenceMetric,
  foldMean,
  groupBy,
  metric,
  minorityClassesOf,
  minorityRecall,
  perSeed,
} from './claim-rows';
import { AU_DFER_METHODS, type ClaimsOut } from './claim-types';
import { pairBySeed } from './paired';

export function dferClaims(runs: readonly ClassificationRunRecord[], out: ClaimsOut): void {
  const dfer = runs.filter((r) => r.experiment === 'dfer');
  if (dfer.length === 0) {
    out.absent.push('AU-DFER claims: no `dfer` runs in this file.');
    return;
  }
  for (const group of groupBy(dfer, (r) => [r.profile, r.dataset, r.model].join('|')).values()) {
    const { profile, dataset, model } = group[0]!;
    const where = `${profile} / ${dataset} / ${model}`;
    const methods = groupBy(group, (r) => r.method);
    const present = AU_DFER_METHODS.filter((m) => methods.has(m));
    const missing = AU_DFER_METHODS.filter((m) => !methods.has(m));
    const reference = methods.get('ce');
    if (!reference) {
      out.absent.push(`AU-DFER, ${where}: reference arm \`ce\` absent; no AU-DFER claim computed.`);
      continue;
    }
    if (missing.length)
      out.absent.push(`AU-DFER, ${where}: ${missing.map((m) => `\`${m}\``).join(', ')} absent.`);
    if (present.length === 0) continue;
    const minority = minorityClassesOf(reference);
    out.minority.set([profile, dataset, model].join('|'), minority);
    const ref = bySeed(reference);
    const minorityLabel = `minority recall (${minority.names.join(', ')})`;
    for (const method of present) {
      const arm = bySeed(methods.get(method)!);
      const uar = pairBySeed(
        perSeed(arm, (r) => foldMean(r, (f) => f.uar)),
        perSeed(ref, (r) => foldMean(r, (f) => f.uar)),
      );
      const war = pairBySeed(
        perSeed(arm, (r) => foldMean(r, (f) => f.war)),
        perSeed(ref, (r) => foldMean(r, (f) => f.war)),
      );
      const minor = pairBySeed(
        perSeed(arm, (r) => minorityRecall(r, minority.indices)),
        perSeed(ref, (r) => minorityRecall(r, minority.indices)),
      );
      out.rows.push(
        claimRow(
          {
            kind: 'au_dfer',
            experiment: 'dfer',
            profile,
            dataset,
            model,
            arm: method,
            reference: 'ce',
            noiseRate: null,
            claim: `${method} improves test UAR over ce`,
            label: model,
            metric: 'test UAR',
            undefinedReason: 'metric undefined',
          },
          uar,
          [differenceMetric('test WAR', war), differenceMetric(minorityLabel, minor)],
        ),
      );
    }
  }
}

/** Noisy-clip detection of one run pooled over its folds: precision ΣTP/Σflagged, recall ΣTP/Σnoisy, noise Σnoisy/Σsamples. */
function pooledDetection(run: ClassificationRunRecord): {
  precision: number | null;
  recall: number | null;
  noiseRate: number | null;
} {
  const folds = run.folds.filter((f) => f.noisyDetection);
  const sum = (pick: (d: NonNullable<(typeof folds)[number]['noisyDetection']>) => number) =>
    folds.reduce((a, f) => a + pick(f.noisyDetection!), 0);
  const flagged = sum((d) => d.flagged);
  const tp = sum((d) => d.truePositives);
  const noisy = sum((d) => d.noisy);
  const samples = sum((d) => d.samples);
  return {
    precision: flagged > 0 ? tp / flagged : null,
    recall: noisy > 0 ? tp / noisy : null,
    noiseRate: samples > 0 ? noisy / samples : null,
  };
}

export function rdferClaims(runs: readonly ClassificationRunRecord[], out: ClaimsOut): void {
  const rdfer = runs.filter((r) => r.experiment === 'rdfer');
  if (rdfer.length === 0) {
    out.absent.push('RDFER claims: no `rdfer` runs in this file.');
    return;
  }
  const groups = groupBy(rdfer, (r) => [r.profile, r.dataset, r.model, r.noise?.rate ?? ''].join('|'));
  const ordered = [...groups.values()].sort((a, b) => (a[0]!.noise?.rate ?? -1) - (b[0]!.noise?.rate ?? -1));
  const byModel = groupBy(ordered, (g) => [g[0]!.profile, g[0]!.dataset, g[0]!.model].join('|'));
  for (const modelGroups of byModel.values()) {
    for (const group of modelGroups) {
      const { profile, dataset, model } = group[0]!;
      const rate = group[0]!.noise?.rate ?? null;
      const noiseText =
        rate === null ? 'no recorded noise rate' : `${formatNoiseRate(rate)} % training-label noise`;
      const where = `${profile} / ${dataset} / ${model}, ${noiseText}`;
      const methods = groupBy(group, (r) => r.method);
      const armRuns = methods.get('clip_agreement');
      const refRuns = methods.get('ce');
      if (!armRuns || !refRuns) {
        const missing = [!armRuns ? '`clip_agreement`' : null, !refRuns ? '`ce`' : null].filter(Boolean);
        out.absent.push(`RDFER, ${where}: ${missing.join(' and ')} absent; no UAR claim computed.`);
      }
      const label = rate === null ? model : `${model} · noise ${formatNoiseRate(rate)} %`;
      if (armRuns && refRuns) {
        const arm = bySeed(armRuns);
        const ref = bySeed(refRuns);
        out.rows.push(
          claimRow(
            {
              kind: 'rdfer_uar',
              experiment: 'rdfer',
              profile,
              dataset,
              model,
              arm: 'clip_agreement',
              reference: 'ce',
              noiseRate: rate,
              claim: 'clip_agreement improves test UAR over ce (clean test labels)',
              label,
              metric: 'test UAR',
              undefinedReason: 'metric undefined',
            },
            pairBySeed(
              perSeed(arm, (r) => foldMean(r, (f) => f.uar)),
              perSeed(ref, (r) => foldMean(r, (f) => f.uar)),
            ),
            [
              differenceMetric(
                'test WAR',
                pairBySeed(
                  perSeed(arm, (r) => foldMean(r, (f) => f.war)),
                  perSeed(ref, (r) => foldMean(r, (f) => f.war)),
                ),
              ),
            ],
          ),
        );
      }
      if (armRuns && rate !== null && rate > 0) {
        const arm = bySeed(armRuns);
        const detection = new Map([...arm].map(([seed, run]) => [seed, pooledDetection(run)]));
        const comparison = pairBySeed(
          new Map([...detection].map(([s, d]) => [s, d.precision])),
          new Map([...detection].map(([s, d]) => [s, d.noiseRate])),
        );
        const valuesOf = (pick: (d: ReturnType<typeof pooledDetection>) => number | null) => {
          const values: { seed: number; value: number }[] = [];
          const leftOut: number[] = [];
          for (const [seed, d] of [...detection].sort((a, b) => a[0] - b[0])) {
            const v = pick(d);
            if (v === null) leftOut.push(seed);
            else values.push({ seed, value: v });
          }
          return [values, leftOut] as const;
        };
        out.rows.push(
          claimRow(
            {
              kind: 'rdfer_detection',
              experiment: 'rdfer',
              profile,
              dataset,
              model,
              arm: 'clip_agreement',
              reference: 'random flagger',
              noiseRate: rate,
              claim:
                "clip_agreement's noisy-clip detection beats a random flagger (precision − realised noise rate)",
              label,
              metric: 'noisy-clip precision',
              undefinedReason: 'precision undefined (nothing flagged as noisy)',
            },
            comparison,
            [
              metric(
                'realised noise rate (random-flagger precision)',
                'value',
                ...valuesOf((d) => d.noiseRate),
              ),
              metric('noisy-clip recall', 'value', ...valuesOf((d) => d.recall)),
            ],
          ),
        );
      }
    }
  }
}
