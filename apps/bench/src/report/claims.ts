/**
 * The claims of the seeds the bench answers, computed from a results file: each claim × model is a paired
 * comparison by seed of an arm against its reference arm (same profile, dataset, model and, for RDFER, noise
 * rate), with the mean paired difference, its 95 % Student-t interval and the verdict of `verdictOf`.
 *
 * - AU-DFER (`dfer`, `../shared/reference/au-dfer.md`): each AU-DFER method vs `ce`, test UAR; also WAR and the
 *   mean recall of the three minority classes.
 * - RDFER (`rdfer`, `rdfer.md`): `clip_agreement` vs `ce` per noise rate, test UAR (clean test labels); and
 *   noisy-clip detection: precision of clip agreement against the precision of a random flagger (the
 *   realised training-label noise rate), at noise > 0.
 * - Expression-assisted AU detection (`au_detection`, `au-detection.md`): joint vs AU-only (same loss), gate vs
 *   no gate (joint, same loss), smooth class-weighted vs plain BCE (same task and gate), mean F1.
 */

import { isClassificationRun, type AuDetectionRunRecord, type BenchResults } from '../results/schema';
import { formatNoiseRate } from './aggregate';
import { auClaims } from './au-detection-claims';
import type { ClaimMetric, ClaimRow, ClaimsOut, ClaimsReport } from './claim-types';
import { dferClaims, rdferClaims } from './classification-claims';
import { type PairedComparison, type PairedEffect } from './paired';

export {
  AU_DFER_METHODS,
  MINORITY_CLASS_COUNT,
  type AuF1Table,
  type ClaimKind,
  type ClaimMetric,
  type ClaimRow,
  type ClaimsReport,
  type MinorityClasses,
} from './claim-types';
export { minorityClassesOf } from './claim-rows';

/**
 * Evaluate every claim the results allow (see the module comment): one row per claim × model (× noise rate),
 * in the order AU-DFER, RDFER, AU detection; claims whose arms are absent are listed in `absent`.
 */
export function evaluateClaims(results: Pick<BenchResults, 'runs'>): ClaimsReport {
  const out: ClaimsOut = { rows: [], absent: [], minority: new Map(), auF1Tables: [] };
  const classification = results.runs.filter(isClassificationRun);
  dferClaims(classification, out);
  rdferClaims(classification, out);
  auClaims(
    results.runs.filter((r): r is AuDetectionRunRecord => r.experiment === 'au_detection'),
    out,
  );
  return out;
}

/** A difference or rate in percentage points with one decimal and its sign (`+2.5`, `-0.8`, `0.0`). */
export function formatPoints(value: number): string {
  const text = (value * 100).toFixed(1);
  if (text === '0.0' || text === '-0.0') return '0.0';
  return value > 0 ? `+${text}` : text;
}

/** The 95 % interval in points (`[-1.2, +5.8]`), or why there is none (`none (n = 1)`). */
export function formatInterval(effect: PairedEffect): string {
  if (!effect.interval) return `none (n = ${effect.n})`;
  return `[${formatPoints(effect.interval.lower)}, ${formatPoints(effect.interval.upper)}]`;
}

/** Per-seed values in points: `s0 +2.1, s1 -0.5`; `none` when empty. */
export function formatPerSeed(values: readonly { readonly seed: number; readonly value: number }[]): string {
  return values.length ? values.map((v) => `s${v.seed} ${formatPoints(v.value)}`).join(', ') : 'none';
}

/** A claim's per-seed differences and the seeds left unpaired, in words (`undefinedReason` names seeds without a value). */
export function formatPairs(comparison: PairedComparison, undefinedReason = 'metric undefined'): string {
  const parts = [formatPerSeed(comparison.pairs.map((p) => ({ seed: p.seed, value: p.difference })))];
  const seeds = (s: readonly number[]) => s.join(', ');
  if (comparison.armOnlySeeds.length)
    parts.push(`unpaired (arm only): seeds ${seeds(comparison.armOnlySeeds)}`);
  if (comparison.referenceOnlySeeds.length)
    parts.push(`unpaired (reference only): seeds ${seeds(comparison.referenceOnlySeeds)}`);
  if (comparison.undefinedSeeds.length)
    parts.push(`${undefinedReason}: seeds ${seeds(comparison.undefinedSeeds)}`);
  return parts.join('; ');
}

/** An extra metric of a claim: `test WAR +1.2 [-0.5, +2.9] (s0 +1.0, s1 +1.4)`; values shown as percentages. */
export function formatClaimMetric(m: ClaimMetric): string {
  const mean =
    m.effect.mean === null
      ? 'n/a'
      : m.kind === 'difference'
        ? formatPoints(m.effect.mean)
        : `${(m.effect.mean * 100).toFixed(1)} %`;
  const interval = m.effect.interval
    ? m.kind === 'difference'
      ? ` ${formatInterval(m.effect)}`
      : ` [${(m.effect.interval.lower * 100).toFixed(1)}, ${(m.effect.interval.upper * 100).toFixed(1)}]`
    : '';
  const seeds =
    m.kind === 'difference'
      ? formatPerSeed(m.values)
      : m.values.map((v) => `s${v.seed} ${(v.value * 100).toFixed(1)}`).join(', ') || 'none';
  const left = m.leftOut.length ? `; left out: seeds ${m.leftOut.join(', ')}` : '';
  return `${m.label} ${mean}${interval} (${seeds}${left})`;
}

/** The claim of a row with its setting, e.g. `clip_agreement improves test UAR over ce … at 20 % noise`. */
export function formatClaim(row: ClaimRow): string {
  const noise = row.noiseRate === null ? '' : ` — ${formatNoiseRate(row.noiseRate)} % training-label noise`;
  const arms = row.experiment === 'au_detection' ? ` — ${row.arm} vs ${row.reference}` : '';
  return `${row.claim}${arms}${noise}`;
}

/** Title of an experiment in the verdicts section. */
export const EXPERIMENT_TITLES: Readonly<Record<ClaimRow['experiment'], string>> = {
  dfer: 'AU-DFER (experiment `dfer`)',
  rdfer: 'RDFER (experiment `rdfer`)',
  au_detection: 'Expression-assisted AU detection (experiment `au_detection`)',
};

/** Claim rows grouped by experiment, profile and dataset (in order of appearance), with a title per group. */
export function groupClaimRows(rows: readonly ClaimRow[]): { title: string; rows: ClaimRow[] }[] {
  const groups = new Map<string, { title: string; rows: ClaimRow[] }>();
  for (const row of rows) {
    const title = `${EXPERIMENT_TITLES[row.experiment]} — profile \`${row.profile}\`, ${row.dataset}`;
    const group = groups.get(title) ?? { title, rows: [] };
    group.rows.push(row);
    groups.set(title, group);
  }
  return [...groups.values()];
}
