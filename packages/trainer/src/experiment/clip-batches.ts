import {
  clipAuTargets,
  createRandomSource,
  deriveSeed,
  type ClipDataset,
  type ClipTransform,
  type FrameSampler,
  type VideoRecord,
} from '@dfer/datasets';

/**
 * Assembling model inputs from a {@link ClipDataset}: frame sampling (seeded per epoch and clip, so a
 * resumed run draws exactly what an uninterrupted one would), transforms, stacking, and clip-level AU
 * targets by majority vote over the sampled frames (`clipAuTargets` of `@dfer/datasets`, AU-DFER's rule).
 */

/** A view of some clips of a dataset, in the given order. */
export function datasetSubset(dataset: ClipDataset, indices: readonly number[]): ClipDataset {
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= dataset.length) {
      throw new RangeError(`datasetSubset: index ${i} is outside [0, ${dataset.length - 1}]`);
    }
  }
  return {
    length: indices.length,
    labelNames: dataset.labelNames,
    ...(dataset.auNames ? { auNames: dataset.auNames } : {}),
    record: (i: number): VideoRecord => dataset.record(indices[i]!),
    get: (i, options) => dataset.get(indices[i]!, options),
  };
}

/** One batch as plain typed arrays. */
export interface ClipBatch {
  /** `[B, T, H, W, C]`. */
  readonly frames: Float32Array;
  readonly shape: readonly [number, number, number, number, number];
  /** Expression label per clip. */
  readonly labels: Int32Array;
  /** Clip-level AU targets `[B, A]` (0/1), when the dataset has AU labels. */
  readonly auTargets?: Float32Array;
  /** Dataset indices of the clips. */
  readonly indices: readonly number[];
  readonly ids: readonly string[];
}

/** How clips are drawn for one pass. */
export interface ClipBatchOptions {
  readonly sampler: FrameSampler;
  readonly transform: ClipTransform;
  readonly mode: 'train' | 'test';
  /** Experiment seed and epoch: the randomness of clip i is derived from (seed, epoch, dataset index). */
  readonly seed: number;
  readonly epoch: number;
  /** Read AU presences (when the dataset has them). */
  readonly withAus: boolean;
}

/** Load and stack the clips `indices` of `dataset`. */
export async function loadClipBatch(
  dataset: ClipDataset,
  indices: readonly number[],
  options: ClipBatchOptions,
): Promise<ClipBatch> {
  const clips = await Promise.all(
    indices.map(async (index) => {
      const record = dataset.record(index);
      const rng = createRandomSource(deriveSeed(options.seed, options.epoch, index));
      const frameIndices = options.sampler.sample(record.numFrames, { mode: options.mode, rng });
      const sample = await dataset.get(index, { frameIndices });
      const clip = options.transform.apply({ data: sample.frames, shape: sample.shape }, rng);
      const aus =
        options.withAus && sample.aus
          ? Float32Array.from(clipAuTargets(sample.aus, sample.aus.length / sample.shape[0]).targets)
          : undefined;
      return { clip, label: sample.label, aus, id: sample.id };
    }),
  );
  const [T, H, W, C] = clips[0]!.clip.shape;
  const clipSize = T * H * W * C;
  const frames = new Float32Array(clips.length * clipSize);
  const labels = new Int32Array(clips.length);
  const A = clips[0]!.aus?.length ?? 0;
  const auTargets = A > 0 ? new Float32Array(clips.length * A) : undefined;
  clips.forEach(({ clip, label, aus, id }, b) => {
    if (clip.data.length !== clipSize) {
      throw new RangeError(
        `clip ${id}: shape ${JSON.stringify(clip.shape)} differs from the batch's [${T}, ${H}, ${W}, ${C}]`,
      );
    }
    frames.set(clip.data, b * clipSize);
    labels[b] = label;
    if (auTargets) {
      if (!aus) throw new RangeError(`clip ${id}: the dataset gave no AU presences for it`);
      auTargets.set(aus, b * A);
    }
  });
  return {
    frames,
    shape: [clips.length, T, H, W, C],
    labels,
    ...(auTargets ? { auTargets } : {}),
    indices,
    ids: clips.map((c) => c.id),
  };
}

/** Split `order` into consecutive batches of `batchSize`; the last partial batch is kept (never dropped). */
export function batchesOf(order: readonly number[], batchSize: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) out.push(order.slice(i, i + batchSize));
  return out;
}
