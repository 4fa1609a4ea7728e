/**
 * Data of AU-detection experiments: one dataset, identity-disjoint train / validation / test index lists,
 * and the frame-level AU labels of the training split (for the AU base rates of the class weights).
 */
import { createRandomSource, deriveSeed, type ClipDataset } from '@dfer/datasets';
import { readBp4dAuLabels } from '@dfer/datasets/annotations';
import {
  createIdentityFolds,
  createSyntheticAuDataset,
  type SyntheticAuConfig,
  type SyntheticAuDataset,
} from '@dfer/datasets/synthetic';
import { isAbsolute, resolve } from 'node:path';

import { holdoutSplit } from '../protocols/splits';
import { createBp4dAuProtocol, type Bp4dAuProtocolConfig } from './bp4d-protocol';

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

function holdOut(
  dataset: ClipDataset,
  indices: readonly number[],
  fraction: number,
  context: AuDataContext,
): { train: number[]; validation: number[] } {
  const rng = createRandomSource(deriveSeed(context.seed, 211, context.fold));
  const split = holdoutSplit({
    fraction,
    labels: indices.map((i) => dataset.record(i).label),
    groups: indices.map((i) => dataset.record(i).subject as string),
    random: () => rng.next(),
  });
  return { train: split.train.map((j) => indices[j]!), validation: split.validation.map((j) => indices[j]!) };
}

function buildBp4d(node: Bp4dDataNode, context: AuDataContext): AuDetectionData {
  const { validationFraction = 0.2 } = node;
  if (!(validationFraction >= 0 && validationFraction < 1)) {
    throw new Error(`data.validationFraction: expected a number in [0, 1), got ${validationFraction}`);
  }
  const protocol = createBp4dAuProtocol({
    parts: node.parts,
    frameRoot: node.frameRoot,
    clipLength: node.clipLength ?? 8,
    ...(context.dataDir === undefined ? {} : { dataDir: context.dataDir }),
  });
  const test = protocol.parts[context.fold];
  if (test === undefined) {
    throw new Error(`fold ${context.fold + 1} does not exist: data.parts has ${protocol.parts.length} parts`);
  }
  let train = protocol.parts.filter((_, p) => p !== context.fold).flat();
  let validation: number[] = [];
  if (validationFraction > 0)
    ({ train, validation } = holdOut(protocol.dataset, train, validationFraction, context));
  return {
    dataset: protocol.dataset,
    auNames: protocol.dataset.auNames,
    train,
    validation,
    test: [...test],
    trainFrameAus: protocol.frameLabels(train),
    description:
      `BP4D, subject-exclusive fold ${context.fold + 1}/${protocol.parts.length} (test part ${context.fold + 1}: ` +
      `${protocol.subjects[context.fold]!.length} subjects): ${train.length} train / ${validation.length} validation / ${test.length} test clips`,
  };
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

/**
 * Options of the `bp4d` data node: the BP4D protocol of {@link createBp4dAuProtocol} (the public label lists
 * plus the user's frame path lists and frames). Fold k tests on part k and trains on the others.
 */
export interface Bp4dDataNode extends Omit<Bp4dAuProtocolConfig, 'dataDir' | 'clipLength'> {
  readonly type: 'bp4d';
  /** Frames per clip (default 8; set it to the model's frames so every frame is scored once). */
  readonly clipLength?: number;
  /** Fraction of the training clips (whole subjects) held out for validation. Default 0.2. */
  readonly validationFraction?: number;
}

/** A data node of the AU-detection experiment. */
export type AuDetectionDataNode = SyntheticAuDataNode | Bp4dDataNode;

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
export function buildAuDetectionData(node: AuDetectionDataNode, context: AuDataContext): AuDetectionData {
  if (node.type === 'bp4d') return buildBp4d(node, context);
  if (node.type !== 'synthetic_au') {
    throw new Error(
      `data.type: unknown AU-detection data source '${String((node as { type: unknown }).type)}'; available: synthetic_au, bp4d`,
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
  if (validationFraction > 0) ({ train, validation } = holdOut(dataset, train, validationFraction, context));
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
