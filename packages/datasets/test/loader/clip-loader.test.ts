import { join } from 'node:path';
import {
  createClipLoader,
  createWorkerClipDataset,
  DatasetInputError,
  uniform,
  uniformSegments,
  type ClipBatch,
  type ClipDataset,
  type ClipLoader,
} from '@dfer/datasets';

const fixture = join(__dirname, '..', 'fixtures', 'loader', 'counter-dataset.cjs');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createCounterDataset } = require(fixture) as {
  createCounterDataset: (config?: object) => ClipDataset;
};

function createCounterOptions(): {
  dataset: ClipDataset;
  sampler: ReturnType<typeof uniform>;
  mode: 'test';
  batchSize: number;
} {
  return { dataset: createCounterDataset({ length: 2 }), sampler: uniform(4), mode: 'test', batchSize: 2 };
}

async function collect(loader: ClipLoader, epoch = 0): Promise<ClipBatch[]> {
  const out: ClipBatch[] = [];
  for await (const batch of loader.epoch(epoch)) out.push(batch);
  return out;
}

function bytes(batches: readonly ClipBatch[]): Buffer {
  return Buffer.concat(
    batches.flatMap((b) => [
      Buffer.from(b.frames.buffer, b.frames.byteOffset, b.frames.byteLength),
      Buffer.from(b.labels.buffer),
    ]),
  );
}

describe('createClipLoader', () => {
  it('test mode keeps the last partial batch and delivers every sample once, in order', async () => {
    const loader = createClipLoader({
      dataset: createCounterDataset({ length: 10 }),
      sampler: uniform(4),
      mode: 'test',
      batchSize: 4,
    });
    expect(loader.numBatches).toBe(3);
    const batches = await collect(loader);
    expect(batches.map((b) => b.shape[0])).toEqual([4, 4, 2]);
    expect(batches.flatMap((b) => b.indices)).toEqual([...Array(10).keys()]);
    expect(batches[0]?.shape).toEqual([4, 4, 2, 2, 3]);
    expect(batches[0]?.layout).toEqual([1, 4]);
    expect(Array.from(batches[2]?.labels ?? [])).toEqual([8 % 3, 9 % 3]);
    expect(loader.lastReport()).toEqual({
      epoch: 0,
      requested: 10,
      delivered: 10,
      batches: 3,
      lastBatchSize: 2,
      skipped: [],
      complete: true,
    });
  });

  it('decodes the frames the sampler chose (hand-computed pixel values)', async () => {
    const loader = createClipLoader({
      dataset: createCounterDataset({ length: 2 }),
      sampler: uniform(4),
      mode: 'test',
      batchSize: 2,
    });
    const [batch] = await collect(loader);
    // video 1 has 4 frames → uniform(4) test picks 0,1,2,3; video 0 has 3 frames → ⌊3(s + ½)/4⌋ = 0,1,1,2
    expect(batch?.frameIndices).toEqual([
      [0, 1, 1, 2],
      [0, 1, 2, 3],
    ]);
    const per = 4 * 2 * 2 * 3;
    expect(batch?.frames[per + 3 * 12]).toBeCloseTo((100 + 3) / 1000, 7);
    expect(batch?.aus?.length).toBe(2 * 4 * 2);
  });

  it('same seed → same batches bit for bit, whatever the prefetch depth and per-sample latency', async () => {
    const make = (prefetch: number, delayMs: number): ClipLoader =>
      createClipLoader({
        dataset: createCounterDataset({ length: 13, delayMs }),
        sampler: uniformSegments(2, 2),
        mode: 'train',
        batchSize: 3,
        seed: 42,
        prefetch,
        transform: [{ type: 'horizontalFlip' }, { type: 'colorJitter', brightness: 0.4 }],
      });
    const a = await collect(make(0, 0), 1);
    const b = await collect(make(3, 2), 1);
    expect(bytes(a).equals(bytes(b))).toBe(true);
    expect(a.flatMap((x) => x.indices)).toEqual(b.flatMap((x) => x.indices));
    const other = await collect(
      createClipLoader({
        dataset: createCounterDataset({ length: 13 }),
        sampler: uniformSegments(2, 2),
        mode: 'train',
        batchSize: 3,
        seed: 43,
      }),
      1,
    );
    expect(other.flatMap((x) => x.indices)).not.toEqual(a.flatMap((x) => x.indices));
  });

  it('train mode shuffles differently each epoch, each index exactly once', async () => {
    const loader = createClipLoader({
      dataset: createCounterDataset({ length: 12 }),
      sampler: uniform(2),
      mode: 'train',
      batchSize: 5,
      seed: 1,
    });
    const e0 = (await collect(loader, 0)).flatMap((b) => b.indices);
    const e1 = (await collect(loader, 1)).flatMap((b) => b.indices);
    expect([...e0].sort((x, y) => x - y)).toEqual([...Array(12).keys()]);
    expect([...e1].sort((x, y) => x - y)).toEqual([...Array(12).keys()]);
    expect(e0).not.toEqual(e1);
  });

  it('throw mode names the file of a bad sample; skip mode reports it and keeps the rest', async () => {
    const dataset = createCounterDataset({ length: 6 });
    const broken: ClipDataset = {
      ...dataset,
      record: (i) => dataset.record(i),
      get: async (i, o) => {
        if (i === 2) throw new DatasetInputError('/data/v2/00002_3.jpg', 'cannot decode the image');
        return dataset.get(i, o);
      },
    };
    const strict = createClipLoader({ dataset: broken, sampler: uniform(2), mode: 'test', batchSize: 4 });
    await expect(collect(strict)).rejects.toThrow('/data/v2/00002_3.jpg: cannot decode the image');
    const lenient = createClipLoader({
      dataset: broken,
      sampler: uniform(2),
      mode: 'test',
      batchSize: 4,
      onError: 'skip',
    });
    const batches = await collect(lenient);
    expect(batches.flatMap((b) => b.indices)).toEqual([0, 1, 3, 4, 5]);
    const report = lenient.lastReport();
    expect(report?.delivered).toBe(5);
    expect(report?.skipped).toEqual([
      { file: '/data/v2/00002_3.jpg', index: 2, reason: '/data/v2/00002_3.jpg: cannot decode the image' },
    ]);
  });

  it('an empty clip is an error naming the clip, skippable', async () => {
    const dataset = createCounterDataset({ length: 3, emptyIndex: 1 });
    await expect(
      collect(createClipLoader({ dataset, sampler: uniform(2), mode: 'test', batchSize: 3 })),
    ).rejects.toThrow('v1: empty clip');
    const lenient = createClipLoader({
      dataset,
      sampler: uniform(2),
      mode: 'test',
      batchSize: 3,
      onError: 'skip',
    });
    await collect(lenient);
    expect(lenient.lastReport()?.skipped.map((s) => s.index)).toEqual([1]);
  });

  it('rejects random transforms in test mode and bad options', () => {
    const dataset = createCounterDataset();
    expect(() =>
      createClipLoader({
        dataset,
        sampler: uniform(2),
        mode: 'test',
        batchSize: 2,
        transform: [{ type: 'horizontalFlip' }],
      }),
    ).toThrow('must not use random transform steps');
    expect(() => createClipLoader({ dataset, sampler: uniform(2), mode: 'test', batchSize: 0 })).toThrow(
      'batchSize',
    );
    expect(() =>
      createClipLoader({ dataset, sampler: uniform(2), mode: 'test', batchSize: 2, indices: [10] }),
    ).toThrow('indices[0] = 10');
  });
});

describe('createWorkerClipDataset', () => {
  it('gives the same batches as the in-process dataset, in index order', async () => {
    const workerDataset = await createWorkerClipDataset({
      module: fixture,
      exportName: 'createCounterDataset',
      config: { length: 9, delayMs: 3 },
      workers: 2,
    });
    try {
      expect(workerDataset.length).toBe(9);
      expect(workerDataset.auNames).toEqual(['AU01', 'AU12']);
      const config = {
        sampler: uniformSegments(2, 2),
        mode: 'train' as const,
        batchSize: 4,
        seed: 3,
        prefetch: 2,
      };
      const viaWorkers = await collect(createClipLoader({ ...config, dataset: workerDataset }), 2);
      const inProcess = await collect(
        createClipLoader({ ...config, dataset: createCounterDataset({ length: 9 }) }),
        2,
      );
      expect(bytes(viaWorkers).equals(bytes(inProcess))).toBe(true);
      expect(viaWorkers.map((b) => b.ids)).toEqual(inProcess.map((b) => b.ids));
    } finally {
      await workerDataset.close();
    }
  });

  it('keeps the file name of an error raised in a worker, so skip mode can report it', async () => {
    const workerDataset = await createWorkerClipDataset({
      module: fixture,
      exportName: 'createCounterDataset',
      config: { length: 4, badIndices: [1] },
      workers: 1,
    });
    try {
      const loader = createClipLoader({
        dataset: workerDataset,
        sampler: uniform(2),
        mode: 'test',
        batchSize: 4,
        onError: 'skip',
      });
      await collect(loader);
      expect(loader.lastReport()?.skipped).toEqual([
        { file: '/data/v1', index: 1, reason: '/data/v1: cannot decode the image (corrupt)' },
      ]);
    } finally {
      await workerDataset.close();
    }
  });

  it('names the module and export when the worker cannot build the dataset', async () => {
    await expect(
      createWorkerClipDataset({ module: fixture, exportName: 'noSuchFactory', workers: 1 }),
    ).rejects.toThrow('noSuchFactory');
  });
});

describe('clip AU targets in batches', () => {
  it('votes over the decoded frames of each sample (hand-computed)', async () => {
    // counter dataset: AU01 present on odd frames, AU12 present when the video index is odd
    const loader = createClipLoader({
      dataset: createCounterDataset({ length: 2 }),
      sampler: uniform(4),
      mode: 'test',
      batchSize: 2,
      clipAuTargets: {},
    });
    const [batch] = await collect(loader);
    // video 0 frames 0,1,1,2 → AU01 on 2 of 4 (≥ ½ → 1), AU12 0; video 1 frames 0..3 → AU01 2 of 4 → 1, AU12 1
    expect(Array.from(batch?.auTargets ?? [])).toEqual([1, 0, 1, 1]);
    const strict = createClipLoader({
      dataset: createCounterDataset({ length: 2 }),
      sampler: uniform(4),
      mode: 'test',
      batchSize: 2,
      clipAuTargets: { threshold: 0.75 },
    });
    const [b2] = await collect(strict);
    expect(Array.from(b2?.auTargets ?? [])).toEqual([0, 0, 0, 1]);
  });

  it('missing: mask gives a sample without AU labels zero targets and a 0 in auMask', async () => {
    const base = createCounterDataset({ length: 3 });
    // video 1 has no AU labels; videos 0 and 2 keep the counter's per-frame AUs
    const partial: ClipDataset = {
      ...base,
      record: (i) => base.record(i),
      get: async (i, options) => {
        const sample = await base.get(i, options);
        if (i !== 1) return sample;
        const { aus: _aus, ...rest } = sample;
        return rest;
      },
    };
    const config = { dataset: partial, sampler: uniform(4), mode: 'test' as const, batchSize: 3 };
    const [batch] = await collect(createClipLoader({ ...config, clipAuTargets: { missing: 'mask' } }));
    expect(Array.from(batch?.auMask ?? [])).toEqual([1, 0, 1]);
    // video 0: [1, 0] (as above); video 1: zeros; video 2 (5 frames, AU01 = frame % 2, AU12 = 2 % 2 = 0):
    // 4 uniform frames hold 2 odd frames, so AU01 is present in 2 of 4 (≥ ½ → 1)
    expect(batch?.frameIndices[2]?.filter((f) => f % 2 === 1)).toHaveLength(2);
    expect(Array.from(batch?.auTargets ?? [])).toEqual([1, 0, 0, 0, 1, 0]);
    await expect(collect(createClipLoader({ ...config, clipAuTargets: {} }))).rejects.toThrow(
      'has no per-frame AU labels',
    );
    const [plain] = await collect(createClipLoader({ ...createCounterOptions(), clipAuTargets: {} }));
    expect(plain?.auMask).toBeUndefined();
  });

  it('needs a dataset with AU names', () => {
    const plain = { ...createCounterDataset(), auNames: undefined } as ClipDataset;
    expect(() =>
      createClipLoader({
        dataset: plain,
        sampler: uniform(2),
        mode: 'test',
        batchSize: 2,
        clipAuTargets: {},
      }),
    ).toThrow('needs a dataset with auNames');
  });
});
