import { join } from 'node:path';
import {
  AU_MTL_COMPARISON_VARIANTS,
  loadConfigFile,
  mergeConfigs,
  SHIPPED_CONFIG_DIR,
  validateAuDetectionConfig,
  type AuMtlComparisonVariant,
} from '@dfer/trainer';
import { BENCH_FACE_SCALE } from './pretrained';

/**
 * The AU-detection experiment (`../shared/reference/au-detection.md`): the six arms of the trainer's
 * AU-MTL comparison (`AU_MTL_COMPARISON_VARIANTS`: AU-only vs joint FER + AU without / with the attention
 * gate, each with plain BCE or the smooth class-weighted BCE), one bench run per arm × seed, reporting per-AU
 * F1 and mean F1.
 */

/** The AU-detection block of a profile: arms × the profile's seeds. */
export interface AuDetectionBlock {
  /** Arms: config names of `AU_MTL_COMPARISON_VARIANTS` (shipped under `configs/au-detection/`). */
  readonly arms: readonly string[];
  /**
   * Merged over every arm's shipped config (`mergeConfigs`), e.g. `{ data: { numClips: 48 } }`. `seeds` and
   * `epochs` are set by the bench (the profile's seeds, one per run; the profile's epochs).
   */
  readonly overrides: Readonly<Record<string, unknown>>;
  /** Epochs of every arm (default: the profile's epochs). */
  readonly epochs?: number;
}

/** The inputs of one AU-detection cell besides the block. */
export interface AuDetectionCellContext {
  readonly profileName: string;
  readonly seeds: readonly number[];
  readonly epochs: number;
}

/** One AU-detection cell: an AU-detection config (one seed) of one arm. */
export interface AuDetectionCell {
  readonly experiment: 'au_detection';
  readonly id: string;
  readonly dataset: string;
  readonly model: string;
  readonly preset: string;
  /** The arm's config name. */
  readonly method: string;
  readonly seed: number;
  readonly arm: AuMtlComparisonVariant;
  /** Input of `runAuDetectionExperiment` (validated at expansion). */
  readonly config: Record<string, unknown>;
}

/** Look up an arm of the AU-MTL comparison; unknown names fail with the list of valid ones. */
export function getAuDetectionArm(name: string): AuMtlComparisonVariant {
  const arm = AU_MTL_COMPARISON_VARIANTS.find((v) => v.config === name);
  if (!arm) {
    throw new RangeError(
      `au_detection arm "${name}": unknown; expected one of ${AU_MTL_COMPARISON_VARIANTS.map((v) => v.config).join(', ')}`,
    );
  }
  return arm;
}

/**
 * Expand an AU-detection block into cells, in run order (seed, then arm). Each cell's config is the arm's
 * shipped config with the block's overrides merged in, `seeds: [seed]` and `epochs` from the profile; it is
 * validated with the trainer's `validateAuDetectionConfig` (errors name the run id). Run ids are
 * `<profile>/<data type>/<model>/<arm>/seed-<seed>`.
 */
export function expandAuDetectionBlock(
  block: AuDetectionBlock,
  context: AuDetectionCellContext,
): AuDetectionCell[] {
  const cells: AuDetectionCell[] = [];
  const dir = join(SHIPPED_CONFIG_DIR, 'au-detection');
  for (const seed of context.seeds) {
    for (const armName of block.arms) {
      const arm = getAuDetectionArm(armName);
      const merged = mergeConfigs(loadConfigFile(join(dir, `${arm.config}.json`)), {
        ...block.overrides,
        epochs: block.epochs ?? context.epochs,
      });
      const raw = merged as { data?: { type?: unknown }; model?: { type?: unknown } };
      const id = `${context.profileName}/${String(raw.data?.type)}/${String(raw.model?.type)}/${arm.config}/seed-${seed}`;
      const config: Record<string, unknown> = {
        ...merged,
        seeds: [seed],
        name: id.replace(/[^A-Za-z0-9_.-]+/g, '_'),
      };
      let draft: ReturnType<typeof validateAuDetectionConfig>;
      try {
        draft = validateAuDetectionConfig(config);
      } catch (error) {
        throw new Error(`${id}: ${(error as Error).message}`);
      }
      cells.push({
        experiment: 'au_detection',
        id,
        dataset: draft.data.type,
        model: draft.model.type,
        preset: draft.model.preset,
        method: arm.config,
        seed,
        arm,
        config,
      });
    }
  }
  return cells;
}

/** The AU-detection block of the `au_detection` and `full` profiles: all six arms, shipped data and settings. */
export const AU_DETECTION_BLOCK: AuDetectionBlock = {
  arms: AU_MTL_COMPARISON_VARIANTS.map((v) => v.config),
  overrides: {},
};

/**
 * The AU-detection block of the `claims` and `full` profiles: all six arms on 576 synthetic clips of 96
 * identities (BP4D AU co-occurrence; 312 train / 72 validation / 192 test clips in fold 1 of 3), rendered at
 * 64 × 64 with the bench's face framing, 20 epochs; everything else from the shipped configs.
 */
export const CLAIMS_AU_DETECTION_BLOCK: AuDetectionBlock = {
  arms: AU_MTL_COMPARISON_VARIANTS.map((v) => v.config),
  overrides: {
    data: { numClips: 576, numIdentities: 96, size: [64, 64], nuisance: { faceScale: BENCH_FACE_SCALE } },
  },
  epochs: 20,
};
