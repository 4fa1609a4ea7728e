/**
 * Benchmark (not a test): synthetic FACS frames rendered per second on one core, at 64×64 and
 * 112×112, through the public `ClipDataset.get` path (16 sampled frames per clip, float32 output).
 * Reports wall-clock rates and rates per CPU second of this process (the latter is what one idle core
 * gives; the wall-clock rate drops when other processes share the machine).
 * Writes bench/results/synthetic-throughput.json.
 *
 * Run: npx tsx packages/datasets/bench/synthetic-throughput.ts [seconds-per-size]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createSyntheticFacsDataset } from '../src/synthetic';

interface SizeResult {
  size: [number, number];
  frames: number;
  clips: number;
  seconds: number;
  framesPerSecond: number;
  msPerFrame: number;
  /** CPU time (user + system) of this process per frame. */
  cpuMsPerFrame: number;
  /** Frames per second of CPU time: the single-core rate on an otherwise idle core. */
  framesPerCpuSecond: number;
}

async function measure(size: [number, number], seconds: number): Promise<SizeResult> {
  const ds = createSyntheticFacsDataset({ seed: 1, numClips: 10000, size });
  const frameIndices = Array.from({ length: 16 }, (_, k) => k);
  // Warm-up (canvas creation, JIT).
  for (let i = 0; i < 5; i++) await ds.get(i, { frameIndices });
  let frames = 0;
  let clips = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let i = 5;
  while (performance.now() - t0 < seconds * 1000) {
    const clip = await ds.get(i++ % ds.length, { frameIndices });
    frames += clip.shape[0];
    clips++;
  }
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    size,
    frames,
    clips,
    seconds: elapsed,
    framesPerSecond: frames / elapsed,
    msPerFrame: (1000 * elapsed) / frames,
    cpuMsPerFrame: (1000 * cpuSeconds) / frames,
    framesPerCpuSecond: frames / cpuSeconds,
  };
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const loadBefore = loadavg();
  const results: SizeResult[] = [];
  for (const size of [
    [64, 64],
    [112, 112],
  ] as [number, number][]) {
    const r = await measure(size, seconds);
    console.log(
      `${size[0]}×${size[1]}: ${r.framesPerSecond.toFixed(0)} frames/s wall (${r.msPerFrame.toFixed(2)} ms/frame), ` +
        `${r.framesPerCpuSecond.toFixed(0)} frames per CPU second (${r.cpuMsPerFrame.toFixed(2)} ms), ${r.clips} clips of 16 frames`,
    );
    results.push(r);
  }
  const out = {
    benchmark: 'synthetic-facs-throughput',
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    logicalCpus: cpus().length,
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadavg(),
    note: 'one process, one thread; includes planning, drawing, blur/noise and float32 conversion; wall-clock rates are a lower bound when the machine is shared (see loadAverage)',
    results,
  };
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'synthetic-throughput.json'), `${JSON.stringify(out, null, 2)}\n`);
}

void main();
