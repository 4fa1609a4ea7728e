/**
 * The bench-ready AU-detection comparison of reference/au-detection.md: single-task AU, joint FER + AU
 * without the gate, joint with the attention gate — each with and without the smooth class weighting —
 * over seeds, reporting the average and per-AU F1 with their spread.
 */
import { join } from 'node:path';

import { loadConfigFile, SHIPPED_CONFIG_DIR } from '../config/config-file';
import { mergeConfigs } from '../config/merge';
import type { MeanStd } from '../experiment/summary';
import {
  runAuDetectionExperiment,
  type AuDetectionExperimentResult,
  type RunAuDetectionOptions,
} from './run-au-detection';

/** One arm of the comparison: a shipped config under `configs/au-detection/`. */
export interface AuMtlComparisonVariant {
  /** Config file name without `.json`. */
  readonly config: string;
  readonly task: 'au' | 'joint';
  readonly gate: boolean;
  /** `none` (plain BCE) or `smooth` (power-law class weights w_i ∝ r_i^−0.5, mean 1). */
  readonly weighting: 'none' | 'smooth';
}

/** The six arms, in table order. */
export const AU_MTL_COMPARISON_VARIANTS: readonly AuMtlComparisonVariant[] = [
  { config: 'au_mtl_single_plain', task: 'au', gate: false, weighting: 'none' },
  { config: 'au_mtl_single_smooth', task: 'au', gate: false, weighting: 'smooth' },
  { config: 'au_mtl_joint_nogate_plain', task: 'joint', gate: false, weighting: 'none' },
  { config: 'au_mtl_joint_nogate_smooth', task: 'joint', gate: false, weighting: 'smooth' },
  { config: 'au_mtl_joint_gate_plain', task: 'joint', gate: true, weighting: 'none' },
  { config: 'au_mtl_joint_gate_smooth', task: 'joint', gate: true, weighting: 'smooth' },
];

/** Per-call options of {@link runAuMtlComparison}. */
export interface AuMtlComparisonOptions extends RunAuDetectionOptions {
  /** Seeds of every arm (default: the configs' `[0, 1, 2]`). */
  readonly seeds?: readonly number[];
  /** Subset of arms by config name (default: all six). */
  readonly variants?: readonly string[];
  /** Merged over every arm's config (e.g. `{ epochs: 1, data: { numClips: 24 } }` for a smoke run). */
  readonly overrides?: Record<string, unknown>;
  /** Folder of the configs (default: the shipped `configs/au-detection`). */
  readonly configDir?: string;
  /** Called after each arm. */
  readonly onVariant?: (variant: AuMtlComparisonVariant, result: AuDetectionExperimentResult) => void;
}

/** One row of the comparison. */
export interface AuMtlComparisonRow {
  readonly variant: AuMtlComparisonVariant;
  readonly result: AuDetectionExperimentResult;
}

/** Result of {@link runAuMtlComparison}. */
export interface AuMtlComparisonResult {
  readonly auNames: readonly string[];
  readonly seeds: readonly number[];
  readonly rows: readonly AuMtlComparisonRow[];
  /** Markdown table: arm, average F1 mean ± std, per-AU F1 means (at 0.5), average F1 at tuned thresholds. */
  readonly markdown: string;
}

const pct = (m: MeanStd | null | undefined): string =>
  m === null || m === undefined ? '–' : `${(100 * m.mean).toFixed(1)} ± ${(100 * m.std).toFixed(1)}`;

/**
 * Runs the six arms of {@link AU_MTL_COMPARISON_VARIANTS} (or a subset) on the same seeds and data, and
 * returns each arm's {@link AuDetectionExperimentResult} plus a Markdown table of average and per-AU F1
 * (mean ± sample std over seeds, in %). The data files are resolved against `options.dataDir` (the folder
 * holding `bp4d/BP4D_combine_1_2_AUOccur.txt`).
 *
 * @example
 * const cmp = await runAuMtlComparison({ dataDir: '../shared/data', seeds: [0, 1, 2] });
 * console.log(cmp.markdown);
 */
export async function runAuMtlComparison(
  options: AuMtlComparisonOptions = {},
): Promise<AuMtlComparisonResult> {
  const dir = options.configDir ?? join(SHIPPED_CONFIG_DIR, 'au-detection');
  const wanted = options.variants ?? AU_MTL_COMPARISON_VARIANTS.map((v) => v.config);
  const unknown = wanted.filter((w) => !AU_MTL_COMPARISON_VARIANTS.some((v) => v.config === w));
  if (unknown.length > 0) {
    throw new Error(
      `variants: unknown arm(s) ${unknown.join(', ')}; arms: ${AU_MTL_COMPARISON_VARIANTS.map((v) => v.config).join(', ')}`,
    );
  }
  const rows: AuMtlComparisonRow[] = [];
  for (const variant of AU_MTL_COMPARISON_VARIANTS.filter((v) => wanted.includes(v.config))) {
    let config = loadConfigFile(join(dir, `${variant.config}.json`));
    if (options.overrides) config = mergeConfigs(config, options.overrides);
    if (options.seeds) config = { ...config, seeds: [...options.seeds] };
    // each arm in its own folder under outputDir
    const result = await runAuDetectionExperiment(config, {
      ...options,
      ...(options.outputDir ? { outputDir: join(options.outputDir, variant.config) } : {}),
    });
    options.onVariant?.(variant, result);
    rows.push({ variant, result });
  }
  if (rows.length === 0) throw new Error('variants: no arm selected');
  const auNames = rows[0]!.result.auNames;
  const header = ['arm', 'avg F1 (0.5)', ...auNames, 'avg F1 (tuned)'];
  const lines = [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map(
      ({ variant, result }) =>
        `| ${variant.config} | ${pct(result.summary.meanF1)} | ${result.summary.f1.map((f) => pct(f)).join(' | ')} | ${pct(result.tunedSummary?.meanF1)} |`,
    ),
  ];
  return { auNames, seeds: rows[0]!.result.config.seeds, rows, markdown: lines.join('\n') };
}
