import type { ClipDataset, VideoRecord } from '@dfer/datasets';

/** A view of some clips of a dataset, in the given order (e.g. the validation split carved from training data). */
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
