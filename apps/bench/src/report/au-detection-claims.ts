/** The expression-assisted AU-detection claims (joint vs AU-only, gate vs no gate, smooth vs plain BCE) and per-AU F1 tables. */
import { AU_MTL_COMPARISON_VARIANTS } from '@dfer/trainer';
import { type AuDetectionRunRecord } from '../results/schema';
import { bySeed, claimRow, differenceMetric, groupBy, meanOf, perSeed } from './claim-rows';
import type { AuF1Table, ClaimMetric, ClaimsOut } from './claim-types';
import { pairBySeed } from './paired';

/** The AU-detection comparisons: each pairs an arm with its reference, both found by their `arm` record. */
const AU_COMPARISONS: readonly {
  kind: 'au_joint' | 'au_gate' | 'au_smooth';
  arm: AuDetectionRunRecord['arm'];
  reference: AuDetectionRunRecord['arm'];
  claim: string;
}[] = [
  ...(['none', 'smooth'] as const).map((weighting) => ({
    kind: 'au_joint' as const,
    arm: { task: 'joint' as const, gate: false, weighting },
    reference: { task: 'au' as const, gate: false, weighting },
    claim: 'joint FER + AU training improves mean AU F1 over AU-only (same loss, no gate)',
  })),
  ...(['none', 'smooth'] as const).map((weighting) => ({
    kind: 'au_gate' as const,
    arm: { task: 'joint' as const, gate: true, weighting },
    reference: { task: 'joint' as const, gate: false, weighting },
    claim: 'the attention gate improves mean AU F1 (joint FER + AU, same loss)',
  })),
  ...(
    [
      ['au', false],
      ['joint', false],
      ['joint', true],
    ] as const
  ).map(([task, gate]) => ({
    kind: 'au_smooth' as const,
    arm: { task, gate, weighting: 'smooth' as const },
    reference: { task, gate, weighting: 'none' as const },
    claim: 'smooth class-weighted BCE improves mean AU F1 over plain BCE (same task and gate)',
  })),
];

/** An AU arm by its shipped config name (`AU_MTL_COMPARISON_VARIANTS`). */
function describeArm(arm: AuDetectionRunRecord['arm']): string {
  const variant = AU_MTL_COMPARISON_VARIANTS.find((v) => sameArm(v, arm));
  if (variant) return `\`${variant.config}\``;
  return `(${arm.task}, gate ${String(arm.gate)}, ${arm.weighting})`;
}

function sameArm(a: AuDetectionRunRecord['arm'], b: AuDetectionRunRecord['arm']): boolean {
  return a.task === b.task && a.gate === b.gate && a.weighting === b.weighting;
}

export function auClaims(runs: readonly AuDetectionRunRecord[], out: ClaimsOut): void {
  if (runs.length === 0) {
    out.absent.push('Expression-assisted AU detection claims: no `au_detection` runs in this file.');
    return;
  }
  for (const group of groupBy(runs, (r) => [r.profile, r.dataset, r.model].join('|')).values()) {
    const { profile, dataset, model } = group[0]!;
    const where = `${profile} / ${dataset} / ${model}`;
    const methods = groupBy(group, (r) => r.method);
    const meanF1 = (r: AuDetectionRunRecord) => meanOf(r.folds.map((f) => f.meanF1));
    const missingArms = new Set<string>();
    const skipped: string[] = [];
    for (const c of AU_COMPARISONS) {
      const arms = [...methods].filter(([, rs]) => sameArm(rs[0]!.arm, c.arm));
      const refs = [...methods].filter(([, rs]) => sameArm(rs[0]!.arm, c.reference));
      if (arms.length === 0 || refs.length === 0) {
        if (arms.length === 0) missingArms.add(describeArm(c.arm));
        if (refs.length === 0) missingArms.add(describeArm(c.reference));
        skipped.push(`${describeArm(c.arm)} vs ${describeArm(c.reference)}`);
        continue;
      }
      for (const [armName, armRuns] of arms) {
        for (const [refName, refRuns] of refs) {
          out.rows.push(
            claimRow(
              {
                kind: c.kind,
                experiment: 'au_detection',
                profile,
                dataset,
                model,
                arm: armName,
                reference: refName,
                noiseRate: null,
                claim: c.claim,
                label: `${model} · ${armName} vs ${refName}`,
                metric: 'mean F1',
                undefinedReason: 'metric undefined',
              },
              pairBySeed(perSeed(bySeed(armRuns), meanF1), perSeed(bySeed(refRuns), meanF1)),
              tunedF1Metric(bySeed(armRuns), bySeed(refRuns)),
            ),
          );
        }
      }
    }
    if (skipped.length) {
      out.absent.push(
        `AU detection, ${where}: ${[...missingArms].join(', ')} absent; comparisons not computed: ${skipped.join(', ')}.`,
      );
    }
    out.auF1Tables.push(auF1Table(profile, dataset, model, methods));
  }
}

/** The mean F1 at per-AU thresholds tuned on validation, paired like the claim's (none unless both arms tuned). */
function tunedF1Metric(
  arm: ReadonlyMap<number, AuDetectionRunRecord>,
  reference: ReadonlyMap<number, AuDetectionRunRecord>,
): ClaimMetric[] {
  const tuned = (r: AuDetectionRunRecord) => meanOf(r.folds.map((f) => f.tuned?.meanF1));
  const a = perSeed(arm, tuned);
  const r = perSeed(reference, tuned);
  const some = (m: ReadonlyMap<number, number | null>) => [...m.values()].some((v) => v !== null);
  if (!some(a) || !some(r)) return [];
  return [differenceMetric('mean F1 at tuned thresholds', pairBySeed(a, r))];
}

function auF1Table(
  profile: string,
  dataset: string,
  model: string,
  methods: ReadonlyMap<string, readonly AuDetectionRunRecord[]>,
): AuF1Table {
  const arms = [...methods.keys()];
  const first = methods.get(arms[0]!)![0]!;
  for (const [name, runs] of methods) {
    for (const run of runs) {
      if (run.auNames.join(',') !== first.auNames.join(',')) {
        throw new RangeError(
          `runs "${first.id}" and "${run.id}" (${name}) are in one AU-detection group but have different auNames; expected the same AUs`,
        );
      }
    }
  }
  const auNames = first.auNames;
  const f1 = arms.map((arm) =>
    auNames.map((_, a) => meanOf(methods.get(arm)!.flatMap((r) => r.folds.map((f) => f.f1[a])))),
  );
  const best = auNames.map((_, a) => {
    const values = f1.map((row) => row[a] ?? null);
    const max = Math.max(...values.filter((v): v is number => v !== null));
    return max > 0 ? arms.filter((_, i) => values[i] === max) : [];
  });
  return {
    profile,
    dataset,
    model,
    auNames,
    arms,
    seeds: arms.map((arm) => [...new Set(methods.get(arm)!.map((r) => r.seed))].sort((a, b) => a - b)),
    f1,
    best,
    zeroCount: f1.map((row) => row.filter((v) => v === 0).length),
  };
}
