import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExperimentConfigInput } from '@dfer/trainer';
import {
  cellChildCommand,
  cellRunDir,
  createChildProcessCellExecutor,
  createPoolStatusLine,
  estimatePoolSeconds,
  expandProfile,
  formatDuration,
  formatPoolStatus,
  readBenchResults,
  runMatrix,
  type BenchCellExecutor,
  type BenchCellJob,
  type BenchPoolStatus,
  type ProfileConfig,
  type RunRecord,
} from '../src';
import { loadFixture, tempDir } from './helpers';

/** A profile whose cells are named by model (the stand-ins act on the model name); one method, one seed. */
function profileOf(models: string[], name = 'pool'): ProfileConfig {
  return {
    name,
    description: 'stand-in cells of the pool tests',
    models,
    preset: 'tiny',
    methods: ['ce'],
    seeds: [0],
    data: { type: 'synthetic_dfer' },
    protocol: { type: 'fixed' },
    training: { epochs: 1, batchSize: 8, lr: 1e-3, weightDecay: 0, warmupEpochs: 0, evalEvery: 1 },
    engine: 'cpu',
  };
}

/** The fixture's first run renamed to the job's cell (not a result). */
function standInRecord(job: BenchCellJob): RunRecord {
  const base = loadFixture().runs[0]!;
  const { cell } = job;
  return {
    ...base,
    id: cell.id,
    profile: job.profile.name,
    dataset: cell.dataset,
    model: cell.model,
    method: cell.method,
    seed: cell.seed,
  } as RunRecord;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** An in-process stand-in executor that records start order and the highest number of cells at once. */
function countingExecutor(
  wait: (job: BenchCellJob) => Promise<void>,
  fail: (job: BenchCellJob) => string | undefined = () => undefined,
) {
  const started: string[] = [];
  let active = 0;
  let maxActive = 0;
  const execute: BenchCellExecutor = async (job, context) => {
    started.push(job.cell.model);
    active += 1;
    maxActive = Math.max(maxActive, active);
    try {
      context.report(`training ${job.cell.model}`);
      await wait(job);
      const why = fail(job);
      if (why) throw new Error(why);
      return standInRecord(job);
    } finally {
      active -= 1;
    }
  };
  return { execute, started, maxActive: () => maxActive };
}

describe('runMatrix pool (stand-in executors)', () => {
  it('runs at most `workers` cells at once, starts them in the profile order, and merges every record in that order', async () => {
    const models = ['a', 'b', 'c', 'd', 'e'];
    const outDir = tempDir();
    // The first cell holds its worker until the four others have gone through the other worker.
    let othersFinished = 0;
    let release = (): void => undefined;
    const othersDone = new Promise<void>((r) => (release = r));
    const ex = countingExecutor(async (job) => {
      if (job.cell.model === 'a') {
        await othersDone;
        await sleep(20);
        return;
      }
      await sleep(5);
      othersFinished += 1;
      if (othersFinished === 4) release();
    });
    const lines: string[] = [];
    const statuses: BenchPoolStatus[] = [];
    const summary = await runMatrix(profileOf(models), {
      outDir,
      workers: 2,
      executeCell: ex.execute,
      report: (l) => lines.push(l),
      onStatus: (s) => statuses.push(s),
    });
    expect(ex.maxActive()).toBe(2);
    expect(ex.started).toEqual(models);
    expect(summary.workers).toBe(2);
    expect(summary.failed).toEqual([]);
    const ids = expandProfile(profileOf(models)).map((c) => c.id);
    expect(summary.ran).toEqual(ids);
    const results = readBenchResults(summary.paths.results);
    expect(results.runs.map((r) => r.id)).toEqual(ids);
    expect(existsSync(summary.paths.report) && existsSync(summary.paths.dashboard)).toBe(true);
    // A start and an end line per cell, with the counts; the cells' own lines are tagged.
    expect(lines.filter((l) => / — start #\d /.test(l))).toHaveLength(5);
    expect(lines.filter((l) => / — done #\d /.test(l))).toHaveLength(5);
    expect(lines).toContain('  #3 training c');
    expect(lines.at(-1)).toMatch(
      /^\[bench\] 5\/5 done, 0 running, 0 left, ETA 0s — done #1 pool\/.*\/a\/ce\/seed-0 in /,
    );
    expect(lines[0]).toBe(`[bench] 0/5 done, 1 running, 4 left, ETA n/a — start #1 ${ids[0]}`);
    expect(statuses.every((s) => s.running <= 2 && s.done + s.failed + s.running + s.left === 5)).toBe(true);
    expect(statuses.some((s) => s.etaSeconds !== undefined && s.etaSeconds > 0)).toBe(true);
    // The cell's lines are in its log.
    const log = readFileSync(join(cellRunDir(outDir, ids[2]!), 'bench.log'), 'utf8');
    expect(log).toContain('training c\n');
  });

  it('never runs more cells at once than there are workers, for workers 1 and 3', async () => {
    for (const workers of [1, 3]) {
      const ex = countingExecutor(() => sleep(15));
      await runMatrix(profileOf(['a', 'b', 'c', 'd', 'e', 'f', 'g']), {
        outDir: tempDir(),
        workers,
        executeCell: ex.execute,
        report: () => undefined,
      });
      expect(ex.maxActive()).toBe(workers);
    }
  });

  it('with train.workers 2 runs at most cores ÷ 2 cells at once and says why; refuses more threads than cores', async () => {
    const profile = profileOf(['a', 'b', 'c', 'd', 'e']);
    const twoThreads = { ...profile, training: { ...profile.training, workers: 2 } };
    expect(expandProfile(twoThreads).map((c) => (c.config.train as { workers?: number }).workers)).toEqual([
      2, 2, 2, 2, 2,
    ]);
    const lines: string[] = [];
    const ex = countingExecutor(() => sleep(15));
    const summary = await runMatrix(twoThreads, {
      outDir: tempDir(),
      workers: 4,
      cores: 4,
      executeCell: ex.execute,
      report: (line) => lines.push(line),
    });
    expect([summary.workers, ex.maxActive()]).toEqual([2, 2]);
    expect(lines).toContain(
      '[bench] pool lowered from 4 to 2 worker(s): each cell trains on 2 threads (train.workers) and 4 × 2 would oversubscribe the 4 core(s)',
    );
    await expect(
      runMatrix(twoThreads, {
        outDir: tempDir(),
        workers: 1,
        cores: 1,
        executeCell: ex.execute,
        report: () => {},
      }),
    ).rejects.toThrow(/a cell would train on 2 threads, more than the 1 core\(s\) of this machine/);
  });

  it('reports a failed cell with its id and log, goes on with the others, leaves it out of results.json, and a resume retries only it', async () => {
    const outDir = tempDir();
    const profile = profileOf(['a', 'bad', 'c']);
    const ids = expandProfile(profile).map((c) => c.id);
    const lines: string[] = [];
    const first = countingExecutor(
      () => sleep(5),
      (job) => (job.cell.model === 'bad' ? 'stand-in trainer error' : undefined),
    );
    const summary = await runMatrix(profile, {
      outDir,
      workers: 2,
      executeCell: first.execute,
      report: (l) => lines.push(l),
    });
    expect(summary.ran).toEqual([ids[0], ids[2]]);
    const logPath = join(cellRunDir(outDir, ids[1]!), 'bench.log');
    expect(summary.failed).toEqual([{ id: ids[1], error: 'stand-in trainer error', logPath }]);
    expect(
      lines.some((l) => l.includes(`FAILED #2 ${ids[1]} after`) && l.includes(`(log: ${logPath})`)),
    ).toBe(true);
    expect(readFileSync(logPath, 'utf8')).toContain('# FAILED: Error: stand-in trainer error');
    expect(readBenchResults(summary.paths.results).runs.map((r) => r.id)).toEqual([ids[0], ids[2]]);

    const second = countingExecutor(() => sleep(5));
    const resumed: string[] = [];
    const again = await runMatrix(profile, {
      outDir,
      workers: 2,
      executeCell: second.execute,
      report: (l) => resumed.push(l),
    });
    expect(second.started).toEqual(['bad']);
    expect(again.skipped).toEqual([ids[0], ids[2]]);
    expect(again.ran).toEqual([ids[1]]);
    expect(again.failed).toEqual([]);
    expect(resumed[0]).toMatch(/^resuming: 2 of 3 run\(s\) already in .*results\.json, not repeated$/);
    // Earlier runs first, then this call's.
    expect(readBenchResults(again.paths.results).runs.map((r) => r.id)).toEqual([ids[0], ids[2], ids[1]]);
  });

  it('refuses a record that is not the cell’s or not valid, as a failed cell', async () => {
    const profile = profileOf(['a', 'wrong-id', 'invalid']);
    const execute: BenchCellExecutor = async (job) => {
      const record = standInRecord(job);
      if (job.cell.model === 'wrong-id') return { ...record, id: 'someone/else' };
      if (job.cell.model === 'invalid')
        return { ...record, summary: { war: 'high' } } as unknown as RunRecord;
      return record;
    };
    const summary = await runMatrix(profile, {
      outDir: tempDir(),
      workers: 2,
      executeCell: execute,
      report: () => undefined,
    });
    expect(summary.ran).toHaveLength(1);
    expect(summary.failed.map((f) => f.error)).toEqual([
      expect.stringContaining('not the cell'),
      expect.stringContaining('invalid run record (summary'),
    ]);
    expect(readBenchResults(summary.paths.results).runs).toHaveLength(1);
  });

  it('stops starting cells when aborted and rejects with an AbortError, keeping the finished ones', async () => {
    // An in-process executor ignores the signal: its running cell (b) ends and is kept; c and d never start.
    const outDir = tempDir();
    const controller = new AbortController();
    const ex = countingExecutor((job) => sleep(job.cell.model === 'a' ? 5 : 60));
    const run = runMatrix(profileOf(['a', 'b', 'c', 'd']), {
      outDir,
      workers: 2,
      executeCell: ex.execute,
      signal: controller.signal,
      report: (l) => {
        if (l.includes(' — done #1 ')) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(ex.started).toEqual(['a', 'b']);
    expect(readBenchResults(join(outDir, 'results.json')).runs.map((r) => r.model)).toEqual(['a', 'b']);
  });

  it('runs runExperiment stand-ins in this process one at a time, whatever workers says', async () => {
    let active = 0;
    let maxActive = 0;
    const fixture = loadFixture().runs[0]!;
    const summary = await runMatrix(profileOf(['a', 'b', 'c']), {
      outDir: tempDir(),
      workers: 4,
      report: () => undefined,
      runExperiment: async (config: ExperimentConfigInput) => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        await sleep(10);
        active -= 1;
        if (fixture.experiment === 'au_detection') throw new Error('fixture run 0 is a DFER run');
        const fold = fixture.folds[0]!;
        const report = {
          war: fold.war,
          uar: fold.uar,
          macroF1: fold.macroF1,
          recall: fold.recall,
          support: fold.support,
          confusion: fold.confusion,
        };
        return {
          config,
          engine: { backend: 'cpu', reason: 'stand-in' },
          selection: 'validation',
          classNames: fixture.classNames,
          summary: {
            war: fixture.summary.war,
            uar: fixture.summary.uar,
            macroF1: fixture.summary.macroF1,
            recall: fixture.summary.recall,
          },
          folds: [
            {
              fold: 1,
              test: { report },
              selectedEpoch: 1,
              trainSeconds: 1,
              history: [],
              numParameters: 10,
            },
          ],
        } as never;
      },
    });
    expect(maxActive).toBe(1);
    expect(summary.workers).toBe(1);
    expect(summary.ran).toHaveLength(3);
  });

  it('refuses a workers count that is not a positive integer', async () => {
    await expect(
      runMatrix(profileOf(['a']), {
        outDir: tempDir(),
        workers: 0,
        executeCell: async (j) => standInRecord(j),
      }),
    ).rejects.toThrow('workers must be a positive integer, got 0');
  });
});

describe('child-process executor (stand-in worker script)', () => {
  const command = { script: join(__dirname, 'fixtures', 'pool-child.cjs'), execArgv: [] };

  it('records what the workers send back, and reports a killed, a failing and a throwing worker without stopping the pool', async () => {
    const outDir = tempDir();
    const profile = profileOf(['ok1', 'crash', 'exit3', 'throw', 'ok2']);
    const ids = expandProfile(profile).map((c) => c.id);
    const lines: string[] = [];
    const summary = await runMatrix(profile, {
      outDir,
      workers: 2,
      executeCell: createChildProcessCellExecutor(command),
      report: (l) => lines.push(l),
    });
    expect(summary.ran).toEqual([ids[0], ids[4]]);
    expect(summary.failed.map((f) => [f.id, f.error])).toEqual([
      [ids[1], 'the worker process was killed (SIGKILL) without sending a record'],
      [ids[2], 'the worker process exited with code 3 without sending a record: stand-in: giving up'],
      [ids[3], 'stand-in trainer error'],
    ]);
    expect(readBenchResults(summary.paths.results).runs.map((r) => r.model)).toEqual(['ok1', 'ok2']);
    // The worker's IPC lines are forwarded, tagged; its stdout / stderr go to the cell's log only.
    expect(lines).toContain(`  #1 stand-in worker for ${ids[0]}`);
    expect(lines.some((l) => l.includes('stdout of'))).toBe(false);
    const log = readFileSync(summary.failed[1]!.logPath, 'utf8');
    expect(log).toContain('stdout of exit3\n');
    expect(log).toContain('stand-in: giving up\n');
  });

  it('kills a running worker when the run is aborted', async () => {
    const controller = new AbortController();
    const outDir = tempDir();
    const started = Date.now();
    const run = runMatrix(profileOf(['hang', 'ok']), {
      outDir,
      workers: 1,
      executeCell: createChildProcessCellExecutor(command),
      signal: controller.signal,
      report: (l) => {
        if (l.includes('stand-in worker for')) controller.abort();
      },
    });
    await expect(run).rejects.toThrow('bench run interrupted');
    expect(Date.now() - started).toBeLessThan(4000);
    expect(readBenchResults(join(outDir, 'results.json')).runs).toEqual([]);
    expect(
      readFileSync(join(cellRunDir(outDir, expandProfile(profileOf(['hang']))[0]!.id), 'bench.log'), 'utf8'),
    ).toContain('stopped, the bench was interrupted');
  });
});

describe('cellChildCommand', () => {
  const tsx = '/x/node_modules/tsx/dist/loader.mjs';

  it('forks the built cell-child.js beside a built module, with the parent options less --eval and --inspect', () => {
    const command = cellChildCommand(
      ['--max-old-space-size=4096', '--eval', 'code()', '--inspect=9229', '-p', '1'],
      '/app/dist/matrix/cell-executor.js',
    );
    expect(command).toEqual({
      script: '/app/dist/matrix/cell-child.js',
      execArgv: ['--max-old-space-size=4096'],
    });
  });

  it('forks cell-child.ts under TypeScript with the parent tsx loader, or adds one', () => {
    const underTsx = cellChildCommand(
      ['--require', '/x/tsx/dist/preflight.cjs', '--import', `file://${tsx}`],
      '/app/src/matrix/cell-executor.ts',
    );
    expect(underTsx).toEqual({
      script: '/app/src/matrix/cell-child.ts',
      execArgv: ['--require', '/x/tsx/dist/preflight.cjs', '--import', `file://${tsx}`],
    });
    const underJest = cellChildCommand([], '/app/src/matrix/cell-executor.ts');
    expect(underJest.execArgv).toHaveLength(2);
    expect(underJest.execArgv[0]).toBe('--import');
    expect(underJest.execArgv[1]).toMatch(/^file:\/\/.*tsx.*\.mjs$/);
  });
});

describe('pool ETA', () => {
  it('hands queued cells to the first free worker, with per-kind mean durations (by hand)', () => {
    // dfer mean (10 + 20) / 2 = 15; the running dfer cell has 15 − 5 = 10 s left on worker 1; worker 2 is
    // free: queued cell 1 → worker 2 (15), queued cell 2 → worker 1 (10 + 15 = 25). ETA 25.
    expect(
      estimatePoolSeconds(
        [
          { kind: 'dfer', seconds: 10 },
          { kind: 'dfer', seconds: 20 },
        ],
        [{ kind: 'dfer', elapsedSeconds: 5 }, { kind: 'dfer' }, { kind: 'dfer' }],
        2,
      ),
    ).toBe(25);
    // Per kind: AU cells take 2 s, RDFER (none finished) the overall mean (10 + 2) / 2 = 6; one worker:
    // 2 + 6 = 8. A running cell past its expected duration counts 0.
    expect(
      estimatePoolSeconds(
        [
          { kind: 'dfer', seconds: 10 },
          { kind: 'au_detection', seconds: 2 },
        ],
        [{ kind: 'dfer', elapsedSeconds: 30 }, { kind: 'au_detection' }, { kind: 'rdfer' }],
        1,
      ),
    ).toBe(8);
    expect(estimatePoolSeconds([], [{ kind: 'dfer' }], 2)).toBeUndefined();
    expect(estimatePoolSeconds([], [], 2)).toBe(0);
  });

  it('formats durations and the status', () => {
    expect([0.4, 52, 60, 250, 3600, 3725].map(formatDuration)).toEqual([
      '0s',
      '52s',
      '1m00s',
      '4m10s',
      '1h00m',
      '1h02m',
    ]);
    expect(formatPoolStatus({ total: 18, done: 5, failed: 0, running: 2, left: 11, etaSeconds: 250 })).toBe(
      '5/18 done, 2 running, 11 left, ETA 4m10s',
    );
    expect(
      formatPoolStatus({ total: 18, done: 5, failed: 1, running: 2, left: 10, etaSeconds: undefined }),
    ).toBe('5/18 done, 1 failed, 2 running, 10 left, ETA n/a');
  });
});

describe('createPoolStatusLine', () => {
  it('prints plain lines and no status line when not on a terminal', () => {
    const written: string[] = [];
    const stream = { isTTY: false, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    const display = createPoolStatusLine(stream);
    display.report('[bench] 0/2 done, 1 running, 1 left, ETA n/a — start #1 a');
    display.onStatus({ total: 2, done: 0, failed: 0, running: 1, left: 1, etaSeconds: undefined });
    display.stop();
    expect(written).toEqual(['[bench] 0/2 done, 1 running, 1 left, ETA n/a — start #1 a\n']);
  });
});
