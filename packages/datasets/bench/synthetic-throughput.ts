/**
 * Benchmark (not a test): synthetic FACS frames rendered per second on one core, at 64×64 and
 * 112×112, through the public `ClipDataset.get` path (16 sampled frames per clip, float32 output).
 * Writes bench/results/synthetic-throughput.json.
 *
 * Run: npx tsx packages/datasets/bench/synthetic-throughput.ts [seconds-per-size]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createSyntheticFacsDataset } from '../src';

interface SizeResult {
  size: [number, number];
  frames: number;
  clips: number;
  seconds: number;
  framesPerSecond: number;
  msPerFrame: number;
}

async function measure(size: [number, number], seconds: number): Promise<SizeResult> {
  const ds = createSyntheticFacsDataset({ seed: 1, numClips: 10000, size });
  const frameIndices = Array.from({ length: 16 }, (_, k) => k);
  // Warm-up (canvas creation, JIT).
  for (let i = 0; i < 5; i++) await ds.get(i, { frameIndices });
  let frames = 0;
  let clips = 0;
  const t0 = performance.now();
  let i = 5;
  while (performance.now() - t0 < seconds * 1000) {
    const clip = await ds.get(i++ % ds.length, { frameIndices });
    frames += clip.shape[0];
    clips++;
  }
  const elapsed = (performance.now() - t0) / 1000;
  return {
    size,
    frames,
    clips,
    seconds: elapsed,
    framesPerSecond: frames / elapsed,
    msPerFrame: (1000 * elapsed) / frames,
  };
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const results: SizeResult[] = [];
  for (const size of [
    [64, 64],
    [112, 112],
  ] as [number, number][]) {
    const r = await measure(size, seconds);
    console.log(
      `${size[0]}×${size[1]}: ${r.framesPerSecond.toFixed(0)} frames/s (${r.msPerFrame.toFixed(2)} ms/frame, ${r.clips} clips of 16 frames)`,
    );
    results.push(r);
  }
  const out = {
    benchmark: 'synthetic-facs-throughput',
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    logicalCpus: cpus().length,
    note: 'one process, one thread; includes planning, drawing, blur/noise and float32 conversion; the machine is shared, so numbers are a lower bound',
    results,
  };
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'synthetic-throughput.json'), `${JSON.stringify(out, null, 2)}\n`);
}

void main();
