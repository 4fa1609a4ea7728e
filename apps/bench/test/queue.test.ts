/**
 * The bench on a BullMQ queue, against a redis-server of its own on a free loopback port (skipped, saying so,
 * where redis-server is not installed: apps/bench/scripts/install-redis.sh installs Debian's).
 *
 * - End to end: two `bench worker` processes (src/cli.ts under tsx) drain the smoke profile (3 tiny cells,
 *   1 epoch); one is killed with SIGKILL while it holds a job. Every run id is in results.json once, with the
 *   metrics of a local-pool run of the same cells; a second enqueue adds nothing. About 40–60 s on 2 cores.
 * - A cell failing on every attempt is reported failed with its error, and queued again by the next run.
 * - Unit checks of the URL parser and of what a worker accepts from a job.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ExperimentConfigInput } from '@dfer/trainer';
import {
  SMOKE_PROFILE,
  createBenchProgram,
  createJobData,
  expandProfile,
  formatQueueStatus,
  getQueueStatus,
  isClassificationRun,
  parseQueueUrl,
  readBenchResults,
  resolveQueueJob,
  runMatrix,
  runMatrixOnQueue,
  startQueueWorker,
  type BenchCellJob,
  type RunRecord,
} from '../src';
import { loadFixture, tempDir } from './helpers';
import { findRedisServer, startRedisServer, type TestRedisServer } from './redis-server';

const redisServer = findRedisServer();
if (!redisServer) {
  process.stderr.write(
    'queue.test: SKIPPED the Redis tests — redis-server is not installed; run apps/bench/scripts/install-redis.sh\n',
  );
}
const describeIfRedis = redisServer ? describe : describe.skip;

/** Everything of a record that must not depend on where it ran: all but timings and start times. */
function metricsOf(record: RunRecord) {
  if (!isClassificationRun(record)) throw new Error(`${record.id}: expected a classification run`);
  return {
    id: record.id,
    config: record.config,
    engine: record.engine.backend,
    classNames: record.classNames,
    summary: record.summary,
    numParameters: record.numParameters,
    folds: record.folds.map((f) => ({
      war: f.war,
      uar: f.uar,
      macroF1: f.macroF1,
      recall: f.recall,
      support: f.support,
      confusion: f.confusion,
      selectedEpoch: f.selectedEpoch,
      trainLoss: f.history.map((h) => h.trainLoss),
      selection: f.history.map((h) => h.selection),
    })),
  };
}

/** A `bench worker` process with its output, and a way to wait for a line of it. */
function startWorkerProcess(url: string, outDir: string, stallSeconds: number) {
  const cli = join(__dirname, '..', 'src', 'cli.ts');
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      tsx,
      cli,
      'worker',
      '--queue',
      url,
      '--out',
      outDir,
      '--stall-interval',
      String(stallSeconds),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } },
  );
  let output = '';
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const onData = (d: Buffer): void => {
    output += d.toString();
    for (const w of [...waiters]) {
      const m = output.match(w.pattern);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    output: () => output,
    waitFor: (pattern: RegExp, ms: number) =>
      new Promise<RegExpMatchArray>((resolvePromise, reject) => {
        const m = output.match(pattern);
        if (m) return resolvePromise(m);
        const timer = setTimeout(
          () => reject(new Error(`worker: no ${pattern} within ${ms} ms; output:\n${output.slice(-2000)}`)),
          ms,
        );
        waiters.push({ pattern, resolve: (found) => (clearTimeout(timer), resolvePromise(found)) });
      }),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The fixture's first run renamed to the job's cell (a stand-in record, not a result). */
function standInRecord(job: BenchCellJob): RunRecord {
  const { cell } = job;
  return {
    ...loadFixture().runs[0]!,
    id: cell.id,
    profile: job.profile.name,
    dataset: cell.dataset,
    model: cell.model,
    method: cell.method,
    seed: cell.seed,
  } as RunRecord;
}

describeIfRedis('bench on a Redis queue', () => {
  let redis: TestRedisServer;
  beforeAll(async () => {
    redis = await startRedisServer(redisServer!);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('completes the profile after a worker is killed mid-job: each run once, metrics equal to the local pool', async () => {
    const url = parseQueueUrl(`${redis.url}/0`);
    const ids = expandProfile(SMOKE_PROFILE).map((c) => c.id);
    const workerA = startWorkerProcess(url.display, tempDir(), 1.5);
    const workerB = startWorkerProcess(url.display, tempDir(), 1.5);
    try {
      // Both workers wait for jobs before any is added, so that each takes one.
      await Promise.all([workerA, workerB].map((w) => w.waitFor(/taking jobs from/, 60_000)));
      const lines: string[] = [];
      const following = runMatrixOnQueue('smoke', {
        url,
        outDir: tempDir(),
        report: (l) => lines.push(l),
        pollMs: 200,
      });
      // Kill worker A (SIGKILL: no clean-up of any kind) as soon as it holds a job.
      const [, killedId] = await workerA.waitFor(/took #1 (\S+)/, 60_000);
      await workerA.kill();
      const summary = await following;
      expect(summary.failed).toEqual([]);
      expect(summary.enqueued).toEqual({ added: 3, queued: 0, done: 0, requeued: 0 });
      const runs = readBenchResults(summary.paths.results).runs;
      expect(runs.map((r) => r.id)).toEqual(ids);
      // The killed job went back to the queue and worker B ran it.
      expect(lines.some((l) => l.includes(`${killedId} back in the queue (its worker`))).toBe(true);
      expect(workerB.output()).toContain(`done #`);
      expect(workerB.output()).toMatch(new RegExp(`done #\\d ${killedId!.replace(/[+/]/g, '\\$&')} `));
      expect(workerA.output()).not.toContain('done #');

      // The same cells on the local pool give the same metrics.
      const local = await runMatrix(SMOKE_PROFILE, {
        outDir: tempDir(),
        workers: 2,
        report: () => undefined,
      });
      expect(local.failed).toEqual([]);
      expect(runs.map(metricsOf)).toEqual(local.results.runs.map(metricsOf));

      // Per-profile status; a second enqueue adds nothing and collects the stored records.
      const status = await getQueueStatus(url);
      expect(status.profiles).toEqual([{ profile: 'smoke', waiting: 0, active: 0, done: 3, failed: 0 }]);
      const again = await runMatrixOnQueue('smoke', {
        url,
        outDir: tempDir(),
        report: () => undefined,
        pollMs: 200,
      });
      expect(again.enqueued).toEqual({ added: 0, queued: 0, done: 3, requeued: 0 });
      expect(again.ran).toEqual(ids);
      expect(readBenchResults(again.paths.results).runs.map(metricsOf)).toEqual(runs.map(metricsOf));
    } finally {
      await Promise.all([workerA.kill(), workerB.kill()]);
    }
  });

  it('reports a cell that fails on every attempt with its error, and queues it again on the next run', async () => {
    const url = parseQueueUrl(`${redis.url}/1`);
    const only = ['/focal/'];
    let tries = 0;
    const failing = await startQueueWorker({
      url,
      outDir: tempDir(),
      stallSeconds: 1,
      report: () => undefined,
      executeCell: () => {
        tries += 1;
        return Promise.reject(new Error(`out of memory in try ${tries}`));
      },
    });
    const first = await runMatrixOnQueue('smoke', {
      url,
      outDir: tempDir(),
      only,
      attempts: 2,
      report: () => undefined,
      pollMs: 100,
    });
    await failing.close();
    expect(tries).toBe(2);
    expect(first.ran).toEqual([]);
    expect(first.failed).toHaveLength(1);
    expect(first.failed[0]!.id).toBe('smoke/synthetic_dfer/former_dfer/focal/seed-0');
    expect(first.failed[0]!.attempts).toBe(2);
    expect(first.failed[0]!.error).toMatch(/^out of memory in try 2 \(worker \S+:\d+, log \S+bench\.log\)$/);
    const status = await getQueueStatus(url);
    expect(status.profiles).toEqual([{ profile: 'smoke', waiting: 0, active: 0, done: 0, failed: 1 }]);
    expect(status.failedJobs[0]!.error).toContain('out of memory in try 2');
    const table = formatQueueStatus(status, url.display);
    expect(table).toMatch(/^profile +waiting +active +done +failed\nsmoke +0 +0 +0 +1\n/m);
    expect(table).toContain(
      '  smoke/synthetic_dfer/former_dfer/focal/seed-0 (2 attempt(s)): out of memory in try 2',
    );

    const working = await startQueueWorker({
      url,
      outDir: tempDir(),
      stallSeconds: 1,
      report: () => undefined,
      executeCell: (job) => Promise.resolve(standInRecord(job)),
    });
    try {
      const second = await runMatrixOnQueue('smoke', {
        url,
        outDir: tempDir(),
        only,
        report: () => undefined,
        pollMs: 100,
      });
      expect(second.enqueued).toEqual({ added: 0, queued: 0, done: 0, requeued: 1 });
      expect(second.failed).toEqual([]);
      expect(second.ran).toEqual(['smoke/synthetic_dfer/former_dfer/focal/seed-0']);
    } finally {
      await working.close();
    }
  });
});

describe('queue URL and job checks', () => {
  it('refuses --data and --dataset with --queue before connecting', async () => {
    const program = createBenchProgram().exitOverride();
    await expect(
      program.parseAsync(['node', 'bench', 'run', '--queue', 'redis://127.0.0.1:1', '--data', 'node.json']),
    ).rejects.toThrow('--queue runs the built-in profiles only');
  });

  it('parses redis URLs, hiding the password in messages', () => {
    const url = parseQueueUrl('redis://:s%40cret@10.0.0.5:6380/2');
    expect(url.connection).toMatchObject({ host: '10.0.0.5', port: 6380, db: 2, password: 's@cret' });
    expect(url.display).toBe('redis://:***@10.0.0.5:6380/2');
    expect(parseQueueUrl('redis://localhost').connection).toMatchObject({
      host: 'localhost',
      port: 6379,
      db: 0,
    });
    expect(parseQueueUrl('rediss://u:p@h:1/0').connection).toMatchObject({
      username: 'u',
      password: 'p',
      tls: {},
    });
    expect(() => parseQueueUrl('http://h:1')).toThrow(
      '--queue http://h:1: expected a redis:// or rediss:// URL',
    );
    expect(() => parseQueueUrl('redis://:pw@h:1/x')).toThrow(
      '--queue redis://:***@h:1/x: the path must be a database number (e.g. /0), got "/x"',
    );
    expect(() => parseQueueUrl('localhost 6379')).toThrow('--queue "localhost 6379": not a URL');
    expect(() => parseQueueUrl('redis://:pw@host:port')).toThrow(
      '--queue "redis://***@host:port": not a URL',
    );
  });

  it('runs only cells of its own profiles, rebuilt with bounded overrides and the same config', () => {
    const cell = expandProfile(SMOKE_PROFILE)[1]!;
    const data = createJobData('smoke', {}, cell);
    expect(resolveQueueJob(cell.id, data).cell).toEqual(cell);
    expect(() => resolveQueueJob(cell.id, { ...data, profile: 'mine' })).toThrow(
      `job ${cell.id}: profile "mine" is not a profile of this worker`,
    );
    expect(() => resolveQueueJob('smoke/x', data)).toThrow(
      'job smoke/x: no run of that id in profile "smoke"',
    );
    const tampered = { ...data, config: { ...(cell.config as ExperimentConfigInput), seed: 7 } };
    expect(() => resolveQueueJob(cell.id, tampered)).toThrow('its trainer config differs');
    expect(() => resolveQueueJob(cell.id, { ...data, settings: { epochs: 2, script: 'rm -rf /' } })).toThrow(
      'not a bench cell job of version 1',
    );
    expect(() => resolveQueueJob(cell.id, { ...data, settings: { seeds: [-1] } })).toThrow(
      'settings.seeds.0',
    );
    // Overrides the worker applies itself: another epoch count changes the config it expects.
    const twoEpochs = createJobData('smoke', { epochs: 2 }, cell);
    expect(() => resolveQueueJob(cell.id, twoEpochs)).toThrow('its trainer config differs');
  });
});
