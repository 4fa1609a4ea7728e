/**
 * Benchmark (not a test): clips per second through `createClipLoader` with the dataset in-process vs
 * in worker threads (`createWorkerClipDataset` + `createDataset`), on the synthetic FACS
 * dataset at 64×64 and on real video (`single_face.mp4` scaled by ffmpeg to 112×112), 16 frames per clip.
 * Needs the build (`pnpm --filter @dfer/datasets build`): workers load `dist/index.js`.
 * Writes bench/results/loader-workers.json.
 *
 * Run: npx tsx packages/datasets/bench/loader-workers.ts [clips] [workers]
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import {
  createClipLoader,
  createDataset,
  createWorkerClipDataset,
  uniform,
  type ClipDataset,
  type DatasetConfig,
} from '../src';

const clips = Number(process.argv[2] ?? 32);
const workerCount = Number(process.argv[3] ?? 2);
const dist = join(__dirname, '..', 'dist', 'index.js');
const video = resolve(
  process.env.DFER_SHARED_DATA ?? join(__dirname, '..', '..', '..', '..', 'shared', 'data'),
  'media',
  'single_face.mp4',
);

async function clipsPerSecond(
  dataset: ClipDataset,
): Promise<{ seconds: number; clips: number; clipsPerSecond: number }> {
  const loader = createClipLoader({
    dataset,
    sampler: uniform(16),
    mode: 'train',
    batchSize: 8,
    seed: 1,
    prefetch: 2,
  });
  const t0 = performance.now();
  let n = 0;
  for await (const batch of loader.epoch(0)) n += batch.shape[0];
  const seconds = (performance.now() - t0) / 1000;
  return { seconds: Number(seconds.toFixed(3)), clips: n, clipsPerSecond: Number((n / seconds).toFixed(2)) };
}

async function compare(config: DatasetConfig): Promise<Record<string, unknown>> {
  const inProcess = await clipsPerSecond(await createDataset(config));
  const pool = await createWorkerClipDataset({
    module: dist,
    exportName: 'createDataset',
    config,
    workers: workerCount,
  });
  try {
    const inWorkers = await clipsPerSecond(pool);
    return { inProcess, [`workers${workerCount}`]: inWorkers };
  } finally {
    await pool.close();
  }
}

async function main(): Promise<void> {
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run pnpm --filter @dfer/datasets build first`);
  const results: Record<string, unknown> = {
    synthetic64: await compare({ type: 'synthetic_facs', seed: 1, numClips: clips, size: [64, 64] }),
  };
  if (existsSync(video)) {
    results.video112 = await compare({
      type: 'video',
      videos: Array.from({ length: Math.max(1, Math.floor(clips / 4)) }, (_, i) => ({
        file: video,
        label: 0,
        id: `v${i}`,
      })),
      labels: 'dfew',
      size: [112, 112],
    });
  }
  const out = {
    benchmark: 'loader-workers',
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      loadAverage1m: Number(loadavg()[0]?.toFixed(2)),
    },
    framesPerClip: 16,
    workers: workerCount,
    results,
  };
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'loader-workers.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log(JSON.stringify(out, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
