/**
 * Data splits for honest evaluation: a validation split carved from training data, and k folds.
 * Every function takes a `random` source (uniform [0, 1)) so results are seeded by the caller, and returns
 * sorted index lists that partition the input exactly: no index is dropped or duplicated.
 */

/** Fisher–Yates shuffle of a copy. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function byKey(
  indices: readonly number[],
  keyOf: (i: number) => string | number,
): Map<string | number, number[]> {
  const groups = new Map<string | number, number[]>();
  for (const i of indices) {
    const k = keyOf(i);
    const list = groups.get(k);
    if (list) list.push(i);
    else groups.set(k, [i]);
  }
  return new Map(
    [...groups.entries()].sort(([a], [b]) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0)),
  );
}

/** Options of {@link holdoutSplit}. */
export interface HoldoutOptions {
  /** Fraction of samples to hold out, in (0, 1). */
  readonly fraction: number;
  /** Class label per sample: the split is stratified by label. */
  readonly labels: readonly number[];
  /** Identity per sample: when given, the split is identity-disjoint (whole identities are held out). */
  readonly groups?: readonly string[];
  readonly random: () => number;
}

/**
 * Split `0..n-1` into `train` and `validation`.
 * - Without groups: per class c with n_c samples, round(fraction·n_c) samples go to validation (at least one
 *   when n_c ≥ 2, so that rare classes are validated; none when n_c = 1).
 * - With groups: identities are shuffled and moved to validation while the validation size stays within
 *   fraction·n; no identity is on both sides.
 */
export function holdoutSplit(options: HoldoutOptions): { train: number[]; validation: number[] } {
  const { fraction, labels, groups, random } = options;
  if (!(fraction > 0 && fraction < 1))
    throw new RangeError(`fraction = ${fraction}: expected a number in (0, 1)`);
  const n = labels.length;
  if (groups && groups.length !== n) {
    throw new RangeError(`groups has ${groups.length} entries: expected one per sample (${n})`);
  }
  const all = Array.from({ length: n }, (_, i) => i);
  const validation: number[] = [];
  if (groups) {
    const byGroup = byKey(all, (i) => groups[i]!);
    const target = fraction * n;
    for (const g of shuffled([...byGroup.keys()], random)) {
      const members = byGroup.get(g)!;
      if (validation.length + members.length <= target || validation.length === 0)
        validation.push(...members);
      if (validation.length >= target) break;
    }
  } else {
    for (const members of byKey(all, (i) => labels[i]!).values()) {
      const take = members.length >= 2 ? Math.max(1, Math.round(fraction * members.length)) : 0;
      validation.push(...shuffled(members, random).slice(0, take));
    }
  }
  const held = new Set(validation);
  return { train: all.filter((i) => !held.has(i)), validation: validation.sort((a, b) => a - b) };
}

/** Options of {@link kFoldSplits}. */
export interface KFoldOptions {
  readonly folds: number;
  /** Class label per sample: folds are stratified by label (round-robin within each class). */
  readonly labels: readonly number[];
  readonly random: () => number;
}

/**
 * Stratified k folds over `0..n-1`: fold f's `test` is its part, `train` everything else; every index is in
 * exactly one test part. (Identity-disjoint folds over a dataset whose records name a subject are
 * `createIdentityFolds` of `@dfer/datasets/synthetic`.)
 */
export function kFoldSplits(options: KFoldOptions): { train: number[]; test: number[] }[] {
  const { folds, labels, random } = options;
  if (!Number.isInteger(folds) || folds < 2)
    throw new RangeError(`folds = ${folds}: expected an integer ≥ 2`);
  const all = Array.from({ length: labels.length }, (_, i) => i);
  const parts: number[][] = Array.from({ length: folds }, () => []);
  let offset = 0;
  for (const members of byKey(all, (i) => labels[i]!).values()) {
    shuffled(members, random).forEach((idx, j) => parts[(j + offset) % folds]!.push(idx));
    offset += members.length;
  }
  return parts.map((part) => {
    const test = part.slice().sort((a, b) => a - b);
    const inTest = new Set(test);
    return { train: all.filter((i) => !inTest.has(i)), test };
  });
}
