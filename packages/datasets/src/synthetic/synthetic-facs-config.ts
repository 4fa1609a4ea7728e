/** Checks the synthetic FACS dataset config and fills in its defaults; exact class counts from proportions. */
import { LABEL_SETS, resolveAuList, resolveLabelList } from '@dfer/au-knowledge';
import { DFEW_CLASS_COUNTS, type SyntheticFacsConfig } from './synthetic-facs-types';
import { DEFAULT_NUISANCE, type ClipPlanConfig } from './clip-plan';
import { ANIMATED_AUS } from './face-geometry';

export interface ResolvedConfig {
  readonly seed: number;
  readonly numClips: number;
  readonly numIdentities: number;
  readonly size: readonly [number, number];
  readonly labels: readonly string[];
  readonly auNames: readonly string[];
  readonly classProportions: readonly number[];
  readonly noiseRate: number;
  readonly noisePattern: 'uniform' | 'pair' | readonly (readonly number[])[];
  readonly presenceThreshold: number;
  readonly cacheDir?: string;
  readonly memoryCacheBytes: number;
  readonly plan: ClipPlanConfig;
}

function checkNumber(name: string, v: number, lo: number, hi: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
    throw new RangeError(
      `createSyntheticFacsDataset: ${name} must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${String(v)}`,
    );
  }
  return v;
}

export function resolveConfig(config: SyntheticFacsConfig): ResolvedConfig {
  const seed = checkNumber('seed', config.seed ?? 0, -(2 ** 53), 2 ** 53, true);
  const numClips = checkNumber('numClips', config.numClips ?? 700, 1, 1e7, true);
  const numIdentities = checkNumber('numIdentities', config.numIdentities ?? 70, 1, 1e7, true);
  const size = config.size ?? [64, 64];
  if (!Array.isArray(size) || size.length !== 2)
    throw new RangeError('createSyntheticFacsDataset: size must be [height, width]');
  checkNumber('size[0] (height)', size[0], 8, 2048, true);
  checkNumber('size[1] (width)', size[1], 8, 2048, true);
  const numFrames = config.numFrames ?? [24, 40];
  if (!Array.isArray(numFrames) || numFrames.length !== 2) {
    throw new RangeError('createSyntheticFacsDataset: numFrames must be [min, max]');
  }
  const distractorRate = checkNumber('distractorRate', config.distractorRate ?? 0.1, 0, 1);
  const minFrames = distractorRate > 0 ? 16 : 8;
  checkNumber(
    `numFrames[0] (min frames${distractorRate > 0 ? '; at least 16 when distractorRate > 0' : ''})`,
    numFrames[0],
    minFrames,
    100000,
    true,
  );
  checkNumber('numFrames[1] (max frames, ≥ min)', numFrames[1], numFrames[0], 100000, true);
  const labels = resolveLabelList(config.labels ?? 'dfew', 'labels');
  const auNames = resolveAuList(config.auNames ?? 'openface18', 'auNames');
  auNames.forEach((au, i) => {
    if (!(ANIMATED_AUS as readonly string[]).includes(au)) {
      throw new RangeError(
        `createSyntheticFacsDataset: auNames[${i}] = ${au} is not animated; animated AUs: ${ANIMATED_AUS.join(', ')}`,
      );
    }
  });
  const isDfew = labels.length === LABEL_SETS.dfew.length && labels.every((l, i) => l === LABEL_SETS.dfew[i]);
  const classProportions = config.classProportions ?? (isDfew ? DFEW_CLASS_COUNTS : labels.map(() => 1));
  if (classProportions.length !== labels.length) {
    throw new RangeError(
      `createSyntheticFacsDataset: classProportions has ${classProportions.length} entries; expected ${labels.length} (one per label: ${labels.join(', ')})`,
    );
  }
  classProportions.forEach((p, i) =>
    checkNumber(`classProportions[${i}] (${labels[i]})`, p, 0, Number.MAX_VALUE),
  );
  if (!classProportions.some((p) => p > 0))
    throw new RangeError('createSyntheticFacsDataset: classProportions are all 0');
  const noise = config.labelNoise ?? { rate: 0 };
  const noiseRate = checkNumber('labelNoise.rate', noise.rate, 0, 1);
  const noisePattern = noise.pattern ?? 'uniform';
  if (typeof noisePattern === 'string') {
    if (noisePattern !== 'uniform' && noisePattern !== 'pair') {
      throw new RangeError(
        `createSyntheticFacsDataset: labelNoise.pattern must be 'uniform', 'pair' or a matrix, got ${JSON.stringify(noisePattern)}`,
      );
    }
  } else {
    if (noisePattern.length !== labels.length) {
      throw new RangeError(
        `createSyntheticFacsDataset: labelNoise.pattern has ${noisePattern.length} rows; expected ${labels.length}`,
      );
    }
    noisePattern.forEach((row, e) => {
      if (row.length !== labels.length) {
        throw new RangeError(
          `createSyntheticFacsDataset: labelNoise.pattern[${e}] has ${row.length} entries; expected ${labels.length}`,
        );
      }
      row.forEach((v, f) => checkNumber(`labelNoise.pattern[${e}][${f}]`, v, 0, Number.MAX_VALUE));
      if (row[e] !== 0)
        throw new RangeError(
          `createSyntheticFacsDataset: labelNoise.pattern[${e}][${e}] must be 0 (a wrong label differs from the true one)`,
        );
      if (!row.some((v) => v > 0))
        throw new RangeError(
          `createSyntheticFacsDataset: labelNoise.pattern[${e}] (${labels[e]}) has no positive entry`,
        );
    });
  }
  const nuisance = { ...DEFAULT_NUISANCE, ...(config.nuisance ?? {}) };
  for (const [k, v] of Object.entries(nuisance)) {
    if (k === 'faceScale') checkNumber(`nuisance.${k}`, v, 0.25, 4);
    else checkNumber(`nuisance.${k}`, v, 0, k === 'brightness' || k === 'noiseStd' ? 255 : 90);
  }
  return {
    seed,
    numClips,
    numIdentities,
    size: [size[0], size[1]],
    labels,
    auNames,
    classProportions,
    noiseRate,
    noisePattern,
    presenceThreshold: checkNumber('presenceThreshold', config.presenceThreshold ?? 1, 0, 5),
    ...(config.cacheDir === undefined ? {} : { cacheDir: config.cacheDir }),
    memoryCacheBytes: checkNumber('memoryCacheMiB', config.memoryCacheMiB ?? 64, 0, 2 ** 20) * 2 ** 20,
    plan: {
      numFrames: [numFrames[0], numFrames[1]],
      fps: checkNumber('fps', config.fps ?? 25, 1, 1000),
      hardRate: checkNumber('hardRate', config.hardRate ?? 0.15, 0, 1),
      distractorRate,
      speechRate: checkNumber('speechRate', config.speechRate ?? 0.2, 0, 1),
      blinkRate: checkNumber('blinkRate', config.blinkRate ?? 0.3, 0, 10),
      occlusionRate: checkNumber('occlusionRate', config.occlusionRate ?? 0.05, 0, 1),
      nuisance,
    },
  };
}

/**
 * Exact class counts for n items with proportions p: Hamilton's largest-remainder method —
 * floor(n·p_e/Σp) each, then one more to the classes with the largest remainders (ties: lower index).
 */
export function allocateClassCounts(n: number, proportions: readonly number[]): number[] {
  const total = proportions.reduce((a, b) => a + b, 0);
  const quotas = proportions.map((p) => (n * p) / total);
  const counts = quotas.map((q) => Math.floor(q));
  let left = n - counts.reduce((a, b) => a + b, 0);
  const order = quotas
    .map((q, i) => [q - Math.floor(q), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left === 0) break;
    counts[i] = (counts[i] as number) + 1;
    left--;
  }
  return counts;
}
