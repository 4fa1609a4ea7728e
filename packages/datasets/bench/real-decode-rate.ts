/**
 * Benchmark (not a test): decode rate of real video on this machine, through the public API.
 * - ffmpeg video decoding of `../shared/data/media/single_face.mp4` (640×360, 72 frames) at native
 *   size and scaled to 112×112;
 * - JPEG frame folders (the DFEW/FERV39K/MAFW layout): the video's frames written as JPEGs, then
 *   16-frame clips decoded + resized to 112×112 by sharp through `createFrameFolderDataset`;
 * - the same frame folders through `createClipLoader` (uniform(16), batch 8, test transform).
 * Writes bench/results/real-decode-rate.json.
 *
 * Run: npx tsx packages/datasets/bench/real-decode-rate.ts [repeats]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createClipLoader, createFrameFolderDataset, createTestTransform, uniform } from '../src';
import { decodeVideo, probeVideo, resolveFfmpeg } from '../src/media';

const repeats = Number(process.argv[2] ?? 5);
const video = resolve(
  process.env.DFER_SHARED_DATA ?? join(__dirname, '..', '..', '..', '..', 'shared', 'data'),
  'media',
  'single_face.mp4',
);

interface Timing {
  seconds: number;
  frames: number;
  framesPerSecond: number;
  /** CPU seconds of this Node process (not counting the ffmpeg child process). */
  nodeCpuSeconds: number;
  /** Frames per CPU second of this Node process: the rate on an otherwise idle core. */
  framesPerNodeCpuSecond: number;
}

async function timeIt(fn: () => Promise<number>): Promise<Timing> {
  await fn(); // warm-up
  let frames = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let r = 0; r < repeats; r++) frames += await fn();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    seconds: Number(seconds.toFixed(3)),
    frames,
    framesPerSecond: Number((frames / seconds).toFixed(1)),
    nodeCpuSeconds: Number(cpuSeconds.toFixed(3)),
    framesPerNodeCpuSecond: Number((frames / cpuSeconds).toFixed(1)),
  };
}

async function main(): Promise<void> {
  const ffmpeg = resolveFfmpeg();
  const info = await probeVideo(video);
  const results: Record<string, unknown> = {};
  results.videoNative = await timeIt(async () => (await decodeVideo(video, { info })).shape[0]);
  results.video112 = await timeIt(
    async () => (await decodeVideo(video, { info, size: [112, 112] })).shape[0],
  );

  const root = mkdtempSync(join(tmpdir(), 'dfer-decode-bench-'));
  try {
    const clipDirs: string[] = [];
    for (let c = 0; c < 4; c++) {
      const dir = join(root, `clip-${c}`);
      mkdirSync(dir);
      execFileSync(ffmpeg.path, [
        '-v',
        'error',
        '-i',
        video,
        '-vf',
        'scale=224:224',
        '-q:v',
        '3',
        join(dir, `%05d.jpg`),
      ]);
      clipDirs.push(dir);
    }
    const dataset = createFrameFolderDataset({
      clips: clipDirs.map((dir, i) => ({ id: `clip-${i}`, dir, label: 0 })),
      labels: 'dfew',
    });
    const frameIndices = uniform(16).sample(dataset.record(0).numFrames, { mode: 'test' });
    results.jpegFolder224to112 = await timeIt(async () => {
      let n = 0;
      for (let i = 0; i < dataset.length; i++)
        n += (await dataset.get(i, { frameIndices, size: [112, 112] })).shape[0];
      return n;
    });
    const loader = createClipLoader({
      dataset,
      sampler: uniform(16),
      mode: 'test',
      batchSize: 2,
      size: [224, 224],
      transform: createTestTransform({ height: 112, width: 112 }),
    });
    results.loaderJpeg224ResizeTo112 = await timeIt(async () => {
      let n = 0;
      for await (const batch of loader.epoch(0)) n += batch.shape[0] * batch.shape[1];
      return n;
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }

  const out = {
    benchmark: 'real-decode-rate',
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      // 1-minute load average at the end: on a shared machine the rates scale down with it
      loadAverage1m: Number(loadavg()[0]?.toFixed(2)),
    },
    ffmpeg,
    video: {
      file: 'shared/data/media/single_face.mp4',
      width: info.width,
      height: info.height,
      fps: info.fps,
      numFrames: info.numFrames,
    },
    repeats,
    results,
  };
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'real-decode-rate.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log(JSON.stringify(out, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
