/**
 * The long run of the reader fuzzer (test/fuzz/reader-fuzz.ts): every reader gets `--per-reader` seeded
 * inputs (videos `--per-video`), each reader in a child process so that a process death counts as a crash
 * and a synchronous hang is caught by a watchdog (the child is killed and restarted after the input).
 * Writes the counts to `bench/results/fuzz-readers.json`.
 *
 *   pnpm --filter @dfer/trainer fuzz                        # 2,000 inputs per reader, 500 videos
 *   pnpm --filter @dfer/trainer fuzz --per-reader 200 --out /tmp/fuzz.json
 *
 * Needs the workspace packages built (`pnpm turbo run build`): it runs under tsx outside jest.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { listModels } from '@dfer/backbones';
import { listLosses, listRobustWeightings } from '@dfer/losses';
import { atomicWriteFile } from '@dfer/runtime';
import { listExperimentData, listExperimentDataOptions } from '../src/experiment/data-registry';
import { fuzzTarget, fuzzTargets, type FuzzCounts, type FuzzOutcome } from '../test/fuzz/reader-fuzz';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

function targets(): ReturnType<typeof fuzzTargets> {
  return fuzzTargets({
    data: listExperimentData(),
    model: listModels(),
    loss: listLosses(),
    robust: listRobustWeightings(),
    dataOptions: listExperimentDataOptions(),
  });
}

/** Child: runs inputs [start, start + count) of one target, one JSON line per input, the counts at the end. */
async function worker(): Promise<void> {
  const target = targets().find((t) => t.name === option('worker', ''));
  if (target === undefined) throw new Error(`unknown target ${option('worker', '')}`);
  const counts = await fuzzTarget(target, {
    seed: Number(option('seed', '2026')),
    start: Number(option('start', '0')),
    count: Number(option('count', '0')),
    dir: option('dir', tmpdir()),
    onInput: (index, outcome) => process.stdout.write(`${JSON.stringify({ index, outcome })}\n`),
  });
  process.stdout.write(`${JSON.stringify({ done: counts })}\n`);
}

function emptyCounts(): FuzzCounts {
  return { inputs: 0, cleanError: 0, accepted: 0, silentAcceptance: 0, crash: 0, hang: 0, examples: [] };
}

function add(into: FuzzCounts, from: FuzzCounts): void {
  for (const key of ['inputs', 'cleanError', 'accepted', 'silentAcceptance', 'crash', 'hang'] as const)
    into[key] += from[key];
  into.examples.push(...from.examples);
}

/** Parent: runs the target's inputs in child processes, restarting after a hang or a process death. */
async function runTarget(
  name: string,
  timeLimitMs: number,
  total: number,
  seed: number,
  dir: string,
): Promise<FuzzCounts> {
  const counts = emptyCounts();
  let next = 0;
  while (next < total) {
    const start = next;
    const result = await new Promise<{
      last: number;
      done?: FuzzCounts;
      failure?: FuzzOutcome;
      detail?: string;
    }>((done) => {
      const child = spawn(
        process.execPath,
        [
          ...process.execArgv,
          __filename,
          ...[
            '--worker',
            name,
            '--seed',
            String(seed),
            '--start',
            String(start),
            '--count',
            String(total - start),
            '--dir',
            dir,
          ],
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let last = start - 1;
      let finished: FuzzCounts | undefined;
      let stderr = '';
      let watchdog: NodeJS.Timeout;
      let hung = false;
      const arm = (): void => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => {
          hung = true;
          child.kill('SIGKILL');
        }, timeLimitMs + 30_000);
      };
      arm();
      child.stderr.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-2000);
      });
      createInterface({ input: child.stdout }).on('line', (line) => {
        const message = JSON.parse(line) as { index?: number; done?: FuzzCounts };
        if (message.done !== undefined) finished = message.done;
        else last = message.index as number;
        arm();
      });
      child.on('close', (code, signal) => {
        clearTimeout(watchdog);
        if (finished !== undefined) done({ last, done: finished });
        else if (hung)
          done({ last, failure: 'hang', detail: `no result within ${timeLimitMs + 30_000} ms; killed` });
        else
          done({
            last,
            failure: 'crash',
            detail: `process died (code ${code}, signal ${signal}): ${stderr.trim().slice(-600)}`,
          });
      });
    });
    if (result.done !== undefined) {
      add(counts, result.done);
      next = total;
    } else {
      // inputs start..last finished in the dead child but their counts died with it: they are run again
      // (deterministic: same inputs, same outcomes); input last + 1 is the one that hung or crashed
      const failed = result.last + 1;
      if (failed > start)
        add(counts, await runTargetRange(name, seed, start, failed - start, dir, timeLimitMs));
      counts.inputs++;
      counts[result.failure as 'hang' | 'crash']++;
      counts.examples.push({
        index: failed,
        outcome: result.failure as FuzzOutcome,
        mutations: [],
        detail: result.detail ?? '',
      });
      next = failed + 1;
    }
  }
  return counts;
}

/** Runs inputs [start, start + count) in a fresh child and returns their counts (after a child died). */
function runTargetRange(
  name: string,
  seed: number,
  start: number,
  count: number,
  dir: string,
  timeLimitMs: number,
): Promise<FuzzCounts> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [
        ...process.execArgv,
        __filename,
        '--worker',
        name,
        '--seed',
        String(seed),
        '--start',
        String(start),
        '--count',
        String(count),
        '--dir',
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), (timeLimitMs + 30_000) * count);
    let finished: FuzzCounts | undefined;
    createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as { done?: FuzzCounts };
      if (message.done !== undefined) finished = message.done;
    });
    child.on('close', () => {
      clearTimeout(timer);
      if (finished === undefined)
        fail(new Error(`${name}: inputs ${start}..${start + count - 1} did not finish on a rerun`));
      else done(finished);
    });
  });
}

async function main(): Promise<void> {
  const seed = Number(option('seed', '2026'));
  const perReader = Number(option('per-reader', '2000'));
  const perVideo = Number(option('per-video', '500'));
  const out = resolve(option('out', join(__dirname, 'results', 'fuzz-readers.json')));
  const dir = mkdtempSync(join(tmpdir(), 'dfer-fuzz-long-'));
  const started = Date.now();
  const load = loadavg()[0];
  const results: Record<string, FuzzCounts & { seconds: number }> = {};
  try {
    for (const target of targets()) {
      const t0 = Date.now();
      const total = target.name === 'video' ? perVideo : perReader;
      const counts = await runTarget(
        target.name,
        target.timeLimitMs,
        total,
        seed,
        join(dir, target.name.replace(/\W/g, '_')),
      );
      results[target.name] = { ...counts, seconds: Math.round((Date.now() - t0) / 100) / 10 };
      console.log(
        `${target.name}: ${counts.inputs} inputs, ${counts.cleanError} clean errors, ${counts.accepted} accepted, ` +
          `${counts.silentAcceptance} silent acceptances, ${counts.crash} crashes, ${counts.hang} hangs (${results[target.name]!.seconds} s)`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const totals = emptyCounts();
  for (const counts of Object.values(results)) add(totals, counts);
  const report = {
    schemaVersion: 1,
    seed,
    perReader,
    perVideo,
    node: process.version,
    cpus: cpus().length,
    loadAverageAtStart: load,
    seconds: Math.round((Date.now() - started) / 1000),
    totals: { ...totals, examples: undefined },
    readers: results,
  };
  atomicWriteFile(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${out}`);
  if (totals.crash + totals.hang + totals.silentAcceptance > 0) process.exitCode = 1;
}

if (process.argv.includes('--worker')) {
  worker().catch((error) => {
    console.error(error);
    process.exit(2);
  });
} else {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
