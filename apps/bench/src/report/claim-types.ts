/** The rows, tables and report of the bench claims (`claims.ts`). */
import { type PairedComparison, type PairedEffect, type Verdict } from './paired';

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

/** What the claim evaluators append to. */
export interface ClaimsOut {
  rows: ClaimRow[];
  absent: string[];
  minority: Map<string, MinorityClasses>;
  auF1Tables: AuF1Table[];
}
