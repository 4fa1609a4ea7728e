import { LABEL_SETS } from '@dfer/au-knowledge';
import { AU_MTL_COMPARISON_VARIANTS } from '@dfer/trainer';
import { DFEW_CLASS_COUNTS } from '@dfer/datasets';
import { TRAIN_NOISE_DATA } from '../matrix/train-noise-data';
import {
  isClassificationRun,
  type AuDetectionRunRecord,
  type BenchResults,
  type ClassificationRunRecord,
} from '../results/schema';
import { formatNoiseRate, meanAndSampleStd, minorityFirstOrder } from './aggregate';
import {
  pairBySeed,
  pairedEffect,
  verdictOf,
  type PairedComparison,
  type PairedEffect,
  type Verdict,
} from './paired';

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

/** Which claim a row answers. */
export type ClaimKind = 'au_dfer' | 'rdfer_uar' | 'rdfer_detection' | 'au_joint' | 'au_gate' | 'au_smooth';

/** The AU-DFER methods compared with `ce` (`METHODS` of the matrix). */
export const AU_DFER_METHODS = ['ce+au_global', 'ce+au_distinct', 'ce+au_minor'] as const;

/** Number of minority classes whose mean recall the AU-DFER rows show. */
export const MINORITY_CLASS_COUNT = 3;

/** A metric shown beside a claim's own: per-seed paired differences, or per-seed values of the arm alone. */
export interface ClaimMetric {
  readonly label: string;
  /** `difference`: arm − reference per paired seed; `value`: the arm's own value per seed. */
  readonly kind: 'difference' | 'value';
  readonly values: readonly { readonly seed: number; readonly value: number }[];
  /** Mean and 95 % Student-t interval of `values`. */
  readonly effect: PairedEffect;
  /** Seeds left out of `values` (metric undefined there, or run in one arm only). */
  readonly leftOut: readonly number[];
}

/** One claim × model (× noise rate): the paired comparison and its verdict. */
export interface ClaimRow {
  readonly kind: ClaimKind;
  readonly experiment: 'dfer' | 'rdfer' | 'au_detection';
  readonly profile: string;
  readonly dataset: string;
  readonly model: string;
  /** The arm claimed to improve the metric (method name). */
  readonly arm: string;
  /** Its reference (method name, or `random flagger` for noisy-clip detection). */
  readonly reference: string;
  /** RDFER rows: the nominal training-label noise rate; null otherwise. */
  readonly noiseRate: number | null;
  /** The claim in words, without the model (one chart of the dashboard per claim). */
  readonly claim: string;
  /** What a point of the claim's chart stands for: the model, plus the noise rate or arm names where they vary. */
  readonly label: string;
  /** The claim's metric, e.g. `test UAR`. */
  readonly metric: string;
  /** Paired seeds of the claim's metric (arm, reference, difference) and the seeds left unpaired. */
  readonly comparison: PairedComparison;
  /** Why the metric can be undefined for a seed (shown with `comparison.undefinedSeeds`). */
  readonly undefinedReason: string;
  readonly effect: PairedEffect;
  readonly verdict: Verdict;
  /** Other metrics of the same comparison (AU-DFER: WAR, minority recall; detection: recall, realised noise). */
  readonly also: readonly ClaimMetric[];
}

/** The per-AU F1 of an AU-detection group: arms × AUs, the best arm per AU and the AUs at F1 0 per arm. */
export interface AuF1Table {
  readonly profile: string;
  readonly dataset: string;
  readonly model: string;
  readonly auNames: readonly string[];
  readonly arms: readonly string[];
  /** Seeds of each arm. */
  readonly seeds: readonly (readonly number[])[];
  /** `f1[arm][au]`: mean over folds × seeds of the defined F1 values; null when never defined. */
  readonly f1: readonly (readonly (number | null)[])[];
  /** Per AU: the arm(s) with the highest mean F1 (ties all listed); empty when every arm is at 0 or undefined. */
  readonly best: readonly (readonly string[])[];
  /** Per arm: AUs whose mean F1 is exactly 0 (no true positive in any fold × seed). */
  readonly zeroCount: readonly number[];
}

/** Which minority classes an AU-DFER group uses, and where their ranking comes from. */
export interface MinorityClasses {
  readonly indices: readonly number[];
  readonly names: readonly string[];
  /** Where the ranking by training support comes from, in words. */
  readonly source: string;
}

/** Everything {@link evaluateClaims} found. */
export interface ClaimsReport {
  readonly rows: readonly ClaimRow[];
  /** Claims not computed because an arm is absent from the results, in words. */
  readonly absent: readonly string[];
  /** Minority classes per AU-DFER group, keyed `profile|dataset|model`. */
  readonly minority: ReadonlyMap<string, MinorityClasses>;
  readonly auF1Tables: readonly AuF1Table[];
}

function meanOf(values: readonly (number | null | undefined)[]): number | null {
  const defined = values.filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v));
  return defined.length ? meanAndSampleStd(defined).mean : null;
}

/** A run's value of a metric: mean over its folds (folds where it is undefined left out); null if never defined. */
function perSeed<R>(
  runs: ReadonlyMap<number, R>,
  value: (run: R) => number | null,
): Map<number, number | null> {
  return new Map([...runs].map(([seed, run]) => [seed, value(run)]));
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');
}

/**
 * The minority classes of an expression-recognition run: the `count` classes with the smallest training
 * support. Training support is not recorded per run, so it is ranked by (in order): the data node's
 * `classProportions`; DFEW's class counts (`DFEW_CLASS_COUNTS`) when the data is the synthetic generator with
 * its default DFEW label set, whose class proportions they are; else the test support summed over `runs`
 * (said so in `source`). Ties go to the lower class index.
 */
export function minorityClassesOf(
  runs: readonly ClassificationRunRecord[],
  count = MINORITY_CLASS_COUNT,
): MinorityClasses {
  const first = runs[0];
  if (!first) throw new RangeError('minorityClassesOf: runs is empty; expected at least one run');
  const names = first.classNames;
  const data = (first.config['data'] ?? {}) as Record<string, unknown>;
  const proportions = data['classProportions'];
  let ranking: readonly number[];
  let source: string;
  const labels = data['labels'];
  const synthetic = data['type'] === 'synthetic_dfer' || data['type'] === TRAIN_NOISE_DATA;
  const dfewNames: readonly string[] = LABEL_SETS.dfew;
  if (Array.isArray(proportions) && proportions.length === names.length) {
    ranking = proportions as number[];
    source = "the data node's classProportions";
  } else if (
    synthetic &&
    (labels === undefined || labels === 'dfew') &&
    sameLabels(names, dfewNames) &&
    DFEW_CLASS_COUNTS.length === dfewNames.length
  ) {
    ranking = names.map((n) => DFEW_CLASS_COUNTS[dfewNames.indexOf(n)]!);
    source = "DFEW's class counts (the synthetic data's default class proportions)";
  } else {
    ranking = names.map((_, c) =>
      runs.reduce((a, r) => a + r.folds.reduce((b, f) => b + f.support[c]!, 0), 0),
    );
    source = 'test support summed over folds and seeds (training support is not recorded)';
  }
  const indices = minorityFirstOrder(ranking).slice(0, Math.min(count, names.length));
  return { indices, names: indices.map((c) => names[c]!), source };
}

/** Mean test recall of the given classes in one run: per fold over the classes with test clips, then over folds. */
function minorityRecall(run: ClassificationRunRecord, classes: readonly number[]): number | null {
  return meanOf(run.folds.map((f) => meanOf(classes.map((c) => (f.support[c]! > 0 ? f.recall[c] : null)))));
}

function metric(
  label: string,
  kind: ClaimMetric['kind'],
  values: readonly { seed: number; value: number }[],
  leftOut: readonly number[],
): ClaimMetric {
  return { label, kind, values, effect: pairedEffect(values.map((v) => v.value)), leftOut };
}

function differenceMetric(label: string, comparison: PairedComparison): ClaimMetric {
  return metric(
    label,
    'difference',
    comparison.pairs.map((p) => ({ seed: p.seed, value: p.difference })),
    [...comparison.armOnlySeeds, ...comparison.referenceOnlySeeds, ...comparison.undefinedSeeds].sort(
      (a, b) => a - b,
    ),
  );
}

function claimRow(
  base: Omit<ClaimRow, 'effect' | 'verdict' | 'comparison' | 'also'>,
  comparison: PairedComparison,
  also: readonly ClaimMetric[] = [],
): ClaimRow {
  const effect = pairedEffect(comparison.pairs.map((p) => p.difference));
  return { ...base, comparison, effect, verdict: verdictOf(effect), also };
}

/** Runs of one arm by seed; a second run of the same arm and seed is an error naming both ids. */
function bySeed<R extends { id: string; seed: number }>(runs: readonly R[]): Map<number, R> {
  const out = new Map<number, R>();
  for (const run of runs) {
    const other = out.get(run.seed);
    if (other) {
      throw new RangeError(
        `runs "${other.id}" and "${run.id}" are the same arm and seed of one comparison; expected one run per seed`,
      );
    }
    out.set(run.seed, run);
  }
  return out;
}

function groupBy<R>(items: readonly R[], key: (item: R) => string): Map<string, R[]> {
  const out = new Map<string, R[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}

function foldMean(
  run: ClassificationRunRecord,
  pick: (f: ClassificationRunRecord['folds'][number]) => number,
): number {
  return meanOf(run.folds.map(pick))!;
}

function dferClaims(runs: readonly ClassificationRunRecord[], out: ClaimsOut): void {
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

function rdferClaims(runs: readonly ClassificationRunRecord[], out: ClaimsOut): void {
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

function auClaims(runs: readonly AuDetectionRunRecord[], out: ClaimsOut): void {
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

interface ClaimsOut {
  rows: ClaimRow[];
  absent: string[];
  minority: Map<string, MinorityClasses>;
  auF1Tables: AuF1Table[];
}

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
