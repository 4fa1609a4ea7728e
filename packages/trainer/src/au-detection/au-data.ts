/**
 * Data of AU-detection experiments: one dataset, identity-disjoint train / validation / test index lists,
 * and the frame-level AU labels of the training split (for the AU base rates of the class weights).
 */
import {
  createIdentityFolds,
  createRandomSource,
  deriveSeed,
  createSyntheticAuDataset,
  readBp4dAuLabels,
  type ClipDataset,
  type SyntheticAuConfig,
  type SyntheticAuDataset,
} from '@dfer/datasets';
import { isAbsolute, resolve } from 'node:path';

import { holdoutSplit } from '../protocols/splits';

/** What {@link buildAuDetectionData} returns for one seed and fold. */
export interface AuDetectionData {
  /** The whole dataset; the splits are index lists into it. */
  readonly dataset: ClipDataset;
  readonly auNames: readonly string[];
  readonly train: readonly number[];
  /** Identity-disjoint from train (empty when `validationFraction` is 0). */
  readonly validation: readonly number[];
  readonly test: readonly number[];
  /** `[frames, A]` 0/1 labels of every frame of the training clips (base rates of the class weights). */
  readonly trainFrameAus: Uint8Array;
  /** One line saying how the split was made. */
  readonly description: string;
}

/** Options of the `synthetic_au` data node. */
export interface SyntheticAuDataNode extends Omit<SyntheticAuConfig, 'source' | 'seed'> {
  readonly type: 'synthetic_au';
  /** BP4D AU label list whose rows drive the clips (`BP4D_combine_1_2_AUOccur.txt`); relative to `dataDir`. */
  readonly labelFile: string;
  /** Dataset seed (default: the experiment seed). */
  readonly seed?: number;
  /** Identity-disjoint folds; the fixed protocol tests on fold 1 of them. Default 3. */
  readonly folds?: number;
  /** Fraction of the training clips (whole identities) held out for validation. Default 0.2. */
  readonly validationFraction?: number;
}

/** Context of {@link buildAuDetectionData}. */
export interface AuDataContext {
  readonly seed: number;
  /** 0-based fold. */
  readonly fold: number;
  /** Folder relative label files are resolved against (default: the working directory). */
  readonly dataDir?: string;
}

/**
 * Builds the data of one seed and fold. `synthetic_au`: the synthetic BP4D-style AU dataset of
 * `@dfer/datasets` (clips whose frame AU labels are windows of the real BP4D label rows, with the
 * auxiliary expression label), split into `folds` identity-disjoint folds (`createIdentityFolds`); the
 * validation side is a seeded identity-disjoint hold-out of the training side (`holdoutSplit`).
 *
 * @throws Error naming the field for a bad node (unknown type, missing label file, bad fraction).
 */
export function buildAuDetectionData(node: SyntheticAuDataNode, context: AuDataContext): AuDetectionData {
  if (node.type !== 'synthetic_au') {
    throw new Error(
      `data.type: unknown AU-detection data source '${String(node.type)}'; available: synthetic_au`,
    );
  }
  const { type: _type, labelFile, folds: k = 3, validationFraction = 0.2, seed, ...rest } = node;
  if (typeof labelFile !== 'string' || labelFile === '') {
    throw new Error(
      'data.labelFile: expected the path of a BP4D AU label list (e.g. BP4D_combine_1_2_AUOccur.txt)',
    );
  }
  if (!(validationFraction >= 0 && validationFraction < 1)) {
    throw new Error(`data.validationFraction: expected a number in [0, 1), got ${validationFraction}`);
  }
  const file = isAbsolute(labelFile) ? labelFile : resolve(context.dataDir ?? process.cwd(), labelFile);
  const source = readBp4dAuLabels(file);
  const dataSeed = seed ?? context.seed;
  const dataset: SyntheticAuDataset = createSyntheticAuDataset({ ...rest, source, seed: dataSeed });
  const folds = createIdentityFolds(dataset, k, { seed: dataSeed });
  const chosen = folds[context.fold];
  if (chosen === undefined) throw new Error(`fold ${context.fold + 1} does not exist: data.folds is ${k}`);
  let train = [...chosen.train];
  let validation: number[] = [];
  if (validationFraction > 0) {
    const rng = createRandomSource(deriveSeed(context.seed, 211, context.fold));
    const split = holdoutSplit({
      fraction: validationFraction,
      labels: train.map((i) => dataset.record(i).label),
      groups: train.map((i) => dataset.record(i).subject as string),
      random: () => rng.next(),
    });
    validation = split.validation.map((j) => train[j]!);
    train = split.train.map((j) => train[j]!);
  }
  const parts = train.map((i) => dataset.getClipInfo(i).auPresences);
  const trainFrameAus = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    trainFrameAus.set(p, offset);
    offset += p.length;
  }
  return {
    dataset,
    auNames: dataset.auNames,
    train,
    validation,
    test: [...chosen.test],
    trainFrameAus,
    description:
      `synthetic AU clips from ${file} (${dataset.length} clips, seed ${dataSeed}); identity-disjoint fold ` +
      `${context.fold + 1}/${k}: ${train.length} train / ${validation.length} validation / ${chosen.test.length} test clips`,
  };
}
