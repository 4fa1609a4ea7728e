import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDataPath } from '@dfer/test-utils';
import {
  createClipLoader,
  createDataset,
  createWorkerClipDataset,
  listDatasets,
  registerDataset,
  uniform,
  type ClipBatch,
  type ClipLoader,
} from '@dfer/datasets';

async function collect(loader: ClipLoader): Promise<ClipBatch[]> {
  const out: ClipBatch[] = [];
  for await (const batch of loader.epoch(0)) out.push(batch);
  return out;
}

describe('dataset registry', () => {
  it('lists the built-in types, sorted', () => {
    expect(listDatasets()).toEqual(['dfew_csv', 'frame_folder', 'split_list', 'synthetic_facs', 'video']);
  });

  it('names an unknown type and the registered ones; refuses a second or non-snake_case registration', async () => {
    await expect(createDataset({ type: 'kinetics' })).rejects.toThrow(
      'unknown dataset type "kinetics"; registered: dfew_csv, frame_folder, split_list, synthetic_facs, video',
    );
    expect(() => registerDataset('video', () => ({}) as never)).toThrow("'video' is already registered");
    expect(() => registerDataset('splitList', () => ({}) as never)).toThrow(
      'type must be snake_case, got "splitList"',
    );
    expect(listDatasets()).not.toContain('splitList');
    await expect(createDataset({ type: 'split_list', format: 'dfew' })).rejects.toThrow(
      'config.file must be a non-empty string (type split_list)',
    );
  });

  const file = sharedDataPath('splits', 'DFEW_set_1_test.txt');
  (file === undefined ? it.skip : it)(
    'builds a split-list dataset from plain data (needs ../shared/data/splits)',
    async () => {
      const ds = await createDataset({
        type: 'split_list',
        file: file as string,
        format: 'dfew',
        root: '/data/DFEW',
      });
      expect(ds.length).toBe(2341);
      expect(ds.record(0).id).toMatch(/^\d{5}$/);
    },
  );
});

const dist = join(__dirname, '..', '..', 'dist', 'index.js');
const video = sharedDataPath('media', 'single_face.mp4');
const workerCase =
  existsSync(join(__dirname, '..', '..', 'dist', 'dataset-registry.js')) && video !== undefined
    ? it
    : it.skip;

workerCase(
  'a config-built video dataset in worker threads equals the in-process one (needs the build in dist/ and ../shared/data)',
  async () => {
    const config = {
      type: 'video',
      videos: [{ file: video as string, label: 2 }],
      labels: 'dfew',
      fps: 5,
      size: [24, 32],
    };
    const workers = await createWorkerClipDataset({
      module: dist,
      exportName: 'createDataset',
      config,
      workers: 2,
    });
    try {
      const options = { sampler: uniform(4), mode: 'test' as const, batchSize: 1 };
      const a = await collect(createClipLoader({ ...options, dataset: workers }));
      const b = await collect(createClipLoader({ ...options, dataset: await createDataset(config) }));
      expect(a[0]?.shape).toEqual([1, 4, 24, 32, 3]);
      expect(
        Buffer.from(a[0]?.frames.buffer as ArrayBuffer).equals(
          Buffer.from(b[0]?.frames.buffer as ArrayBuffer),
        ),
      ).toBe(true);
      expect(Array.from(a[0]?.labels ?? [])).toEqual([2]);
    } finally {
      await workers.close();
    }
  },
);

const syntheticCase = existsSync(join(__dirname, '..', '..', 'dist', 'dataset-registry.js')) ? it : it.skip;

syntheticCase(
  'the synthetic dataset rendered in worker threads equals the in-process one (needs the build in dist/)',
  async () => {
    const config = { type: 'synthetic_facs', seed: 3, numClips: 6, size: [24, 24] };
    const workers = await createWorkerClipDataset({
      module: dist,
      exportName: 'createDataset',
      config,
      workers: 2,
    });
    try {
      const options = { sampler: uniform(3), mode: 'train' as const, batchSize: 4, seed: 1 };
      const a = await collect(createClipLoader({ ...options, dataset: workers }));
      const b = await collect(createClipLoader({ ...options, dataset: await createDataset(config) }));
      expect(a.map((x) => x.shape)).toEqual([
        [4, 3, 24, 24, 3],
        [2, 3, 24, 24, 3],
      ]);
      a.forEach((batch, k) => {
        expect(
          Buffer.from(batch.frames.buffer as ArrayBuffer).equals(
            Buffer.from(b[k]?.frames.buffer as ArrayBuffer),
          ),
        ).toBe(true);
        expect(Array.from(batch.aus ?? [])).toEqual(Array.from(b[k]?.aus ?? []));
      });
    } finally {
      await workers.close();
    }
  },
);
