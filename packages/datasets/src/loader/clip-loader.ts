import type { ClipDataset, ClipSample } from '../clip-dataset';
import { createRandomSource, deriveSeed, shuffledIndices } from '../random';
import { clipAuTargets } from '../annotations/openface-csv';
import {
  DatasetInputError,
  resolveBadInputPolicy,
  type BadInputPolicy,
  type SkippedItem,
} from '../data-errors';
import type { FrameSampler, SamplingMode } from '../samplers/frame-sampler';
import {
  createClipTransform,
  type ClipTransform,
  type ClipTransformStep,
} from '../transforms/clip-transform';

/** Build-time options of {@link createClipLoader}. */
export interface ClipLoaderConfig {
  readonly dataset: ClipDataset;
  /** Chooses each video's frames (train mode jitters with the sample's seeded rng). */
  readonly sampler: FrameSampler;
  /** `train`: sampler jitter, random transforms, shuffling by default; `test`: all deterministic. */
  readonly mode: SamplingMode;
  readonly batchSize: number;
  /** Shuffle the order each epoch (default: `mode === 'train'`). */
  readonly shuffle?: boolean;
  /** Base seed (default 0): epoch e, video i draw from `deriveSeed(seed, e, i)`. */
  readonly seed?: number;
  /** Frame size asked from the dataset (`ClipGetOptions.size`). */
  readonly size?: readonly [number, number];
  /** Applied to every decoded clip (random steps draw from the sample's rng after the sampler). */
  readonly transform?: ClipTransform | readonly ClipTransformStep[];
  /** Batches decoded ahead of the one being consumed (default 2; 0 = one batch at a time). */
  readonly prefetch?: number;
  /** `throw` (default): a bad sample stops the epoch; `skip`: it is left out and reported. */
  readonly onError?: BadInputPolicy;
  /** Optional subset of dataset indices (e.g. a fold); default every index. */
  readonly indices?: readonly number[];
  /**
   * Also compute clip AU targets by majority vote over each sample's decoded frames (AU-DFER's
   * "16 sampled frames" variant; see `clipAuTargets`). Needs a dataset with `auNames` and per-frame `aus`.
   * `missing`: `throw` (default) stops at a sample without `aus`; `mask` gives it zero targets and a 0 in
   * `ClipBatch.auMask`, so an AU loss can leave it out while the expression loss still uses it.
   */
  readonly clipAuTargets?: { readonly threshold?: number; readonly missing?: 'throw' | 'mask' };
}

/** One batch. Samples are concatenated along a new leading axis. */
export interface ClipBatch {
  /** `[B, T, H, W, C]` row-major. */
  readonly frames: Float32Array;
  readonly shape: readonly [number, number, number, number, number];
  /**
   * The sampler's `[clips, framesPerClip]` grouping of the T frames (e.g. `[4, 4]` for
   * `instances(4, 4)`, `[K, 16]` for `multiClip(K)`): view `frames` as `[B, clips, framesPerClip, H, W, C]`.
   */
  readonly layout: readonly [number, number];
  readonly labels: Int32Array;
  /** Dataset indices of the samples, in batch order. */
  readonly indices: readonly number[];
  readonly ids: readonly string[];
  /** Frame indices decoded per sample. */
  readonly frameIndices: readonly (readonly number[])[];
  /** `[B, T, nAU]` when every sample has AU labels. */
  readonly aus?: Uint8Array;
  /** `[B, nAU]` clip AU targets (majority vote over the decoded frames), when `clipAuTargets` is set. */
  readonly auTargets?: Uint8Array;
  /**
   * `[B]`: 1 where the sample has AU labels, 0 where it has none (its `auTargets` row is zeros); present when
   * `clipAuTargets.missing` is `mask`.
   */
  readonly auMask?: Uint8Array;
  /** Per-sample `meta` of the dataset (e.g. the synthetic generator's true label). */
  readonly meta: readonly (Readonly<Record<string, unknown>> | undefined)[];
}

/** What one epoch delivered. */
export interface EpochReport {
  readonly epoch: number;
  /** Samples the epoch was asked for (`indices.length`). */
  readonly requested: number;
  /** Samples delivered in batches. */
  readonly delivered: number;
  readonly batches: number;
  /** Size of the last batch (`batchSize` or fewer: the partial batch is kept, never dropped). */
  readonly lastBatchSize: number;
  /** Samples left out in `skip` mode, with the reason. */
  readonly skipped: readonly SkippedItem[];
  /** False while the epoch is still being iterated. */
  readonly complete: boolean;
}

/** A seeded, batching loader over a {@link ClipDataset}. */
export interface ClipLoader {
  /** `⌈n / batchSize⌉`: the last, partial batch counts. */
  readonly numBatches: number;
  readonly numSamples: number;
  /** Iterates one epoch; the same (seed, epoch) gives the same batches, bit for bit. */
  epoch(epoch: number): AsyncIterable<ClipBatch>;
  /** Report of the most recent epoch started (complete once its iteration finished). */
  lastReport(): EpochReport | undefined;
}

type Loaded =
  { ok: true; index: number; sample: ClipSample } | { ok: false; index: number; skipped: SkippedItem };

/**
 * Creates a loader: per epoch e, the order is `shuffledIndices(n, rng(deriveSeed(seed, e, −1)))`
 * when shuffling, else the given order; each video i is sampled and augmented with the rng seeded by
 * `deriveSeed(seed, e, i)`, so its result does not depend on timing, prefetch depth or workers. Batches
 * are yielded in order; the last partial batch is always kept, so every test sample is scored. In
 * `skip` mode a batch holds the samples of its slice that loaded (it may be smaller than `batchSize`,
 * and a slice where none loaded yields no batch); the report counts them.
 *
 * @throws RangeError naming the option for a bad batch size, prefetch or index.
 */
export function createClipLoader(config: ClipLoaderConfig): ClipLoader {
  const { dataset, sampler, mode } = config;
  if (!Number.isInteger(config.batchSize) || config.batchSize < 1) {
    throw new RangeError(
      `createClipLoader: config.batchSize must be a positive integer, got ${config.batchSize}`,
    );
  }
  if (mode !== 'train' && mode !== 'test')
    throw new RangeError(`createClipLoader: config.mode must be 'train' or 'test', got ${String(mode)}`);
  const prefetch = config.prefetch ?? 2;
  if (!Number.isInteger(prefetch) || prefetch < 0)
    throw new RangeError(`createClipLoader: config.prefetch must be an integer ≥ 0, got ${prefetch}`);
  const policy = resolveBadInputPolicy(config.onError, 'createClipLoader: config.onError');
  const seed = config.seed ?? 0;
  const shuffle = config.shuffle ?? mode === 'train';
  const base = config.indices ?? Array.from({ length: dataset.length }, (_, i) => i);
  base.forEach((idx, k) => {
    if (!Number.isInteger(idx) || idx < 0 || idx >= dataset.length) {
      throw new RangeError(
        `createClipLoader: config.indices[${k}] = ${idx} is outside [0, ${dataset.length - 1}]`,
      );
    }
  });
  const transform =
    config.transform === undefined
      ? undefined
      : 'apply' in config.transform
        ? config.transform
        : createClipTransform(config.transform);
  if (transform?.random === true && mode === 'test') {
    throw new RangeError(
      'createClipLoader: a test loader must not use random transform steps (use createTestTransform)',
    );
  }
  const voteOptions = config.clipAuTargets;
  const numAus = dataset.auNames?.length;
  const missingAus = voteOptions?.missing ?? 'throw';
  if (missingAus !== 'throw' && missingAus !== 'mask') {
    throw new RangeError(
      `createClipLoader: config.clipAuTargets.missing must be 'throw' or 'mask', got ${JSON.stringify(missingAus)}`,
    );
  }
  if (voteOptions !== undefined && numAus === undefined) {
    throw new RangeError(
      'createClipLoader: config.clipAuTargets needs a dataset with auNames (per-frame AU labels)',
    );
  }
  const batchSize = config.batchSize;
  const numBatches = Math.ceil(base.length / batchSize);
  let report: EpochReport | undefined;

  const loadOne = async (epoch: number, index: number): Promise<Loaded> => {
    const rng = createRandomSource(deriveSeed(seed, epoch, index));
    try {
      const record = dataset.record(index);
      if (record.numFrames < 1)
        throw new DatasetInputError(record.id, `empty clip: the dataset lists ${record.numFrames} frames`);
      const frameIndices = sampler.sample(record.numFrames, mode === 'train' ? { mode, rng } : { mode });
      const sample = await dataset.get(
        index,
        config.size === undefined ? { frameIndices } : { frameIndices, size: config.size },
      );
      if (sample.frames.length === 0 || sample.shape[0] === 0)
        throw new DatasetInputError(sample.id, 'the decoded clip is empty');
      if (transform === undefined) return { ok: true, index, sample };
      const out = transform.apply({ data: sample.frames, shape: sample.shape }, rng);
      return { ok: true, index, sample: { ...sample, frames: out.data, shape: out.shape } };
    } catch (error) {
      if (policy === 'throw' || !(error instanceof DatasetInputError)) throw error;
      return { ok: false, index, skipped: { file: error.file, index, reason: error.message } };
    }
  };

  return {
    numBatches,
    numSamples: base.length,
    lastReport: () => report,
    epoch(epoch: number): AsyncIterable<ClipBatch> {
      if (!Number.isInteger(epoch) || epoch < 0)
        throw new RangeError(`ClipLoader.epoch: epoch must be an integer ≥ 0, got ${epoch}`);
      const order = shuffle
        ? shuffledIndices(base.length, createRandomSource(deriveSeed(seed, epoch, -1))).map(
            (k) => base[k] as number,
          )
        : [...base];
      const skipped: SkippedItem[] = [];
      let delivered = 0;
      let batches = 0;
      let lastBatchSize = 0;
      const setReport = (complete: boolean): void => {
        report = {
          epoch,
          requested: order.length,
          delivered,
          batches,
          lastBatchSize,
          skipped: [...skipped],
          complete,
        };
      };
      setReport(false);
      const startBatch = (b: number): Promise<Loaded[]> =>
        Promise.all(order.slice(b * batchSize, (b + 1) * batchSize).map((index) => loadOne(epoch, index)));
      return {
        async *[Symbol.asyncIterator]() {
          const inFlight = new Map<number, Promise<Loaded[]>>();
          // attach a no-op rejection handler so a failed prefetched batch is reported when reached, not as unhandled
          const start = (b: number): void => {
            if (b < numBatches && !inFlight.has(b)) {
              const p = startBatch(b);
              p.catch(() => undefined);
              inFlight.set(b, p);
            }
          };
          for (let b = 0; b < numBatches; b++) {
            for (let ahead = b; ahead <= b + prefetch; ahead++) start(ahead);
            const loaded = await (inFlight.get(b) as Promise<Loaded[]>);
            inFlight.delete(b);
            const samples: { index: number; sample: ClipSample }[] = [];
            for (const item of loaded) {
              if (item.ok) samples.push(item);
              else skipped.push(item.skipped);
            }
            if (samples.length === 0) {
              setReport(false);
              continue;
            }
            let batch: ClipBatch = { ...stackBatch(samples), layout: sampler.layout };
            if (voteOptions !== undefined) {
              const width = numAus as number;
              const auTargets = new Uint8Array(samples.length * width);
              const auMask = new Uint8Array(samples.length);
              samples.forEach(({ sample }, k) => {
                if (sample.aus === undefined) {
                  if (missingAus === 'mask') return;
                  throw new RangeError(`ClipLoader: sample ${sample.id} has no per-frame AU labels (aus)`);
                }
                auMask[k] = 1;
                const vote = clipAuTargets(
                  sample.aus,
                  width,
                  voteOptions.threshold === undefined ? {} : { threshold: voteOptions.threshold },
                );
                auTargets.set(vote.targets, k * width);
              });
              batch = missingAus === 'mask' ? { ...batch, auTargets, auMask } : { ...batch, auTargets };
            }
            delivered += samples.length;
            batches++;
            lastBatchSize = samples.length;
            setReport(b === numBatches - 1);
            yield batch;
          }
          setReport(true);
        },
      };
    },
  };
}

function stackBatch(items: readonly { index: number; sample: ClipSample }[]): Omit<ClipBatch, 'layout'> {
  const first = (items[0] as { sample: ClipSample }).sample;
  const [t, h, w, c] = first.shape;
  const per = t * h * w * c;
  const frames = new Float32Array(items.length * per);
  const labels = new Int32Array(items.length);
  const auWidth = first.aus === undefined ? 0 : first.aus.length;
  const withAus = items.every(({ sample }) => sample.aus !== undefined && sample.aus.length === auWidth);
  const aus = withAus ? new Uint8Array(items.length * auWidth) : undefined;
  items.forEach(({ sample }, k) => {
    const [st, sh, sw, sc] = sample.shape;
    if (st !== t || sh !== h || sw !== w || sc !== c) {
      throw new RangeError(
        `ClipLoader: sample ${sample.id} has shape [${sample.shape.join(', ')}], sample ${first.id} of the same batch has [${first.shape.join(', ')}]; give the loader a size or a transform that resizes`,
      );
    }
    frames.set(sample.frames, k * per);
    labels[k] = sample.label;
    if (aus !== undefined && sample.aus !== undefined) aus.set(sample.aus, k * auWidth);
  });
  const batch = {
    frames,
    shape: [items.length, t, h, w, c] as const,
    labels,
    indices: items.map((i) => i.index),
    ids: items.map((i) => i.sample.id),
    frameIndices: items.map((i) => i.sample.frameIndices),
    meta: items.map((i) => i.sample.meta),
  };
  return aus === undefined ? batch : { ...batch, aus };
}
