/**
 * The synthetic FACS video dataset: seeded procedural face videos driven by AU intensities, with
 * full ground truth (per-frame AU intensities and presences, true and given labels, identities, the
 * key-expression and distractor segments). Implements `ClipDataset`; only the requested frames
 * are rendered.
 */
import type {
  SyntheticClipInfo,
  SyntheticFacsClipSample,
  SyntheticFacsConfig,
  SyntheticFacsDataset,
  SyntheticFacsStats,
} from './synthetic-facs-types';
import type { ClipGetOptions, VideoRecord } from '../clip-dataset';
import { type ClipDifficulty } from './clip-plan';
import { type ExpressionProfile } from './expression-profile';
import { SyntheticCore } from './synthetic-core';
import { resolveConfig } from './synthetic-facs-config';

/** A dataset or subset: clip `i` of the view is clip `indices[i]` of the shared core. */
class SyntheticFacsDatasetView implements SyntheticFacsDataset {
  readonly length: number;
  readonly labelNames: readonly string[];
  readonly auNames: readonly string[];
  readonly size: readonly [number, number];
  readonly profile: ExpressionProfile;

  constructor(
    private readonly core: SyntheticCore,
    private readonly indexMap: Int32Array | undefined,
  ) {
    this.length = indexMap === undefined ? core.cfg.numClips : indexMap.length;
    this.labelNames = core.cfg.labels;
    this.auNames = core.cfg.auNames;
    this.size = core.cfg.size;
    this.profile = core.profile;
  }

  private clip(index: number, what: string): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(
        `${what}: index ${String(index)} is out of range (dataset has ${this.length} clips)`,
      );
    }
    return this.indexMap === undefined ? index : (this.indexMap[index] as number);
  }

  record(index: number): VideoRecord {
    const i = this.clip(index, 'record');
    return {
      id: this.core.clipId(i),
      numFrames: this.core.plan(i).numFrames,
      label: this.core.givenLabels[i] as number,
      subject: this.core.subject(i),
    };
  }

  get(index: number, options: ClipGetOptions = {}): Promise<SyntheticFacsClipSample> {
    try {
      return Promise.resolve(this.core.get(this.clip(index, 'get'), options));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  getClipInfo(index: number): SyntheticClipInfo {
    return this.core.info(this.clip(index, 'getClipInfo'));
  }

  getStats(): SyntheticFacsStats {
    const E = this.labelNames.length;
    const trueLabelCounts = new Array<number>(E).fill(0);
    const labelCounts = new Array<number>(E).fill(0);
    const difficultyCounts: Record<ClipDifficulty, number> = { normal: 0, subtle: 0, short: 0 };
    const ids = new Set<number>();
    let noisyLabels = 0;
    let withDistractor = 0;
    let withSpeech = 0;
    let withOcclusion = 0;
    for (let k = 0; k < this.length; k++) {
      const i = this.clip(k, 'getStats');
      const y = this.core.trueLabels[i] as number;
      const g = this.core.givenLabels[i] as number;
      trueLabelCounts[y] = (trueLabelCounts[y] as number) + 1;
      labelCounts[g] = (labelCounts[g] as number) + 1;
      if (y !== g) noisyLabels++;
      ids.add(this.core.identities[i] as number);
      const plan = this.core.plan(i);
      difficultyCounts[plan.difficulty]++;
      if (plan.distractors.length > 0) withDistractor++;
      if (plan.speech !== undefined) withSpeech++;
      if (plan.occlusion !== undefined) withOcclusion++;
    }
    return {
      numClips: this.length,
      numIdentities: ids.size,
      trueLabelCounts,
      labelCounts,
      noisyLabels,
      difficultyCounts,
      withDistractor,
      withSpeech,
      withOcclusion,
    };
  }

  subset(indices: readonly number[]): SyntheticFacsDataset {
    const map = new Int32Array(indices.length);
    indices.forEach((idx, k) => (map[k] = this.clip(idx, `subset: indices[${k}]`)));
    return new SyntheticFacsDatasetView(this.core, map);
  }
}

/**
 * Builds the synthetic FACS video dataset. Nothing is rendered until `get` is called; labels,
 * identities and label noise are fixed at build time from `config.seed`.
 *
 * @example
 * const ds = createSyntheticFacsDataset({ seed: 1, numClips: 200, labelNoise: { rate: 0.1 } });
 * const clip = await ds.get(0, { frameIndices: [0, 4, 8, 12] }); // frames: Float32Array [4, 64, 64, 3]
 * @throws RangeError naming the config field for any bad option.
 */
export function createSyntheticFacsDataset(config: SyntheticFacsConfig = {}): SyntheticFacsDataset {
  const cfg = resolveConfig(config);
  return new SyntheticFacsDatasetView(new SyntheticCore(cfg, config.prior), undefined);
}
