import {
  createClipLoader,
  createRandomSource,
  deriveSeed,
  type ClipDataset,
  type FrameSampler,
} from '@dfer/datasets';
import type { ExperimentConfig } from '../config/schema';
import { holdoutSplit } from '../protocols/splits';
import { datasetSubset } from './dataset-subset';

/** The label and identity (when known) of every clip of `dataset`, in order. */
export function recordsOf(dataset: ClipDataset): { labels: number[]; subjects: (string | undefined)[] } {
  const labels: number[] = [];
  const subjects: (string | undefined)[] = [];
  for (let i = 0; i < dataset.length; i++) {
    const r = dataset.record(i);
    labels.push(r.label);
    subjects.push(r.subject);
  }
  return { labels, subjects };
}

/**
 * The clip-level AU targets of every clip of `dataset` (majority vote over the frames of test-mode sampling,
 * AU-DFER's "sampled frames" rule), for pos-weights computed from the training split. With `maskMissing`,
 * clips without AU labels are left out; `labels` are the expression labels of the clips kept.
 */
export async function trainingAuTargets(
  dataset: ClipDataset,
  sampler: FrameSampler,
  maskMissing = false,
  skipUnreadable = false,
): Promise<{ targets: Uint8Array[]; labels: number[] }> {
  const loader = createClipLoader({
    dataset,
    sampler,
    mode: 'test',
    batchSize: 16,
    size: [8, 8],
    clipAuTargets: maskMissing ? { missing: 'mask' } : {},
    ...(skipUnreadable ? { onError: 'skip' as const } : {}),
  });
  const targets: Uint8Array[] = [];
  const labels: number[] = [];
  for await (const batch of loader.epoch(0)) {
    const all = batch.auTargets!;
    const A = all.length / batch.labels.length;
    for (let b = 0; b < batch.labels.length; b++) {
      if (batch.auMask?.[b] === 0) continue;
      targets.push(all.slice(b * A, (b + 1) * A));
      labels.push(batch.labels[b]!);
    }
  }
  return { targets, labels };
}

/** The clip AU targets of the clips of `dataset` that have them (from the source, nothing decoded). */
export function knownAuTargets(
  dataset: ClipDataset,
  targetOf: (id: string) => Uint8Array | undefined,
): { targets: Uint8Array[]; labels: number[] } {
  const targets: Uint8Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < dataset.length; i++) {
    const record = dataset.record(i);
    const target = targetOf(record.id);
    if (target === undefined) continue;
    targets.push(target);
    labels.push(record.label);
  }
  return { targets, labels };
}

/**
 * The training and validation sides of a fold's training split: with `evaluation.selection` `validation`,
 * a stratified (identity-disjoint when identities are known) holdout of `validationFraction`, seeded by
 * (seed, fold); otherwise every training clip trains.
 */
export function carveValidation(
  trainSplit: ClipDataset,
  config: ExperimentConfig,
  fold: number,
): { train: ClipDataset; validation?: ClipDataset } {
  if (config.evaluation.selection !== 'validation') return { train: trainSplit };
  const rng = createRandomSource(deriveSeed(config.seed, 101, fold));
  const { labels, subjects } = recordsOf(trainSplit);
  const groups = subjects.every((s) => s !== undefined) ? (subjects as string[]) : undefined;
  const holdout = holdoutSplit({
    fraction: config.evaluation.validationFraction,
    labels,
    ...(groups ? { groups } : {}),
    random: () => rng.next(),
  });
  return {
    train: datasetSubset(trainSplit, holdout.train),
    validation: datasetSubset(trainSplit, holdout.validation),
  };
}
