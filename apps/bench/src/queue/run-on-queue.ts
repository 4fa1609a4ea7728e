import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Job, Queue } from 'bullmq';
import { applyProfileSettings, type ProfileSettings } from '../matrix/profile-settings';
import { getProfile, listProfiles, type BenchCell } from '../matrix/profiles';
import { describeRunRecord } from '../matrix/cell-job';
import {
  estimatePoolSeconds,
  formatDuration,
  formatPoolStatus,
  type BenchPoolStatus,
} from '../matrix/pool-progress';
import {
  benchOutputPaths,
  checkRecord,
  createResultsRecorder,
  inIndexOrder,
  selectProfileCells,
  type BenchOutputPaths,
} from '../matrix/run-matrix';
import { withProfileDescription } from '../results/profile-description';
import { createEmptyResults, readBenchResults } from '../results/results-file';
import type { BenchResults } from '../results/schema';
import { closeQuietly, openBenchQueue, withTimeout, type QueueUrl } from './queue-connection';
import { createJobData, sameJobData, type BenchQueueJobData, type BenchQueueJobResult } from './queue-job';

/** Per-call options of {@link runMatrixOnQueue}. */
export interface RunOnQueueOptions {
  /** The Redis server of the queue (`parseQueueUrl`). */
  readonly url: QueueUrl;
  /** Output folder of results.json, report.md and dashboard.html (the trainer output stays on the workers). */
  readonly outDir: string;
  /** The command-line overrides of the profile (the workers apply the same to their own copy). */
  readonly settings?: ProfileSettings;
  /** Enqueue only cells whose run id contains one of these substrings. */
  readonly only?: readonly string[];
  /** Times a cell is tried before its job is left failed (default 3; set on the jobs this call adds). */
  readonly attempts?: number;
  /** Progress lines (default: stderr). */
  readonly report?: (line: string) => void;
  /** Called with the counts and ETA whenever a cell starts or ends. */
  readonly onStatus?: (status: BenchPoolStatus) => void;
  /** Stops following (the jobs stay in the queue); `runMatrixOnQueue` then rejects with an `AbortError`. */
  readonly signal?: AbortSignal;
  /** Milliseconds between two looks at the queue (default 1000). */
  readonly pollMs?: number;
}

/** A cell whose job failed on every attempt (it stays failed in the queue; the next `bench run --queue` retries it). */
export interface FailedQueueCell {
  readonly id: string;
  /** The last attempt's error, as the worker reported it (with its host, pid and log path). */
  readonly error: string;
  readonly attempts: number;
}

/** What {@link runMatrixOnQueue} did. */
export interface QueueRunSummary {
  readonly paths: BenchOutputPaths;
  /** Cells of the profile (after `only`). */
  readonly planned: number;
  /** Ids already in results.json: not enqueued. */
  readonly skipped: readonly string[];
  /** What the enqueue found: jobs added, already waiting or running, already done in the queue, failed ones queued again. */
  readonly enqueued: {
    readonly added: number;
    readonly queued: number;
    readonly done: number;
    readonly requeued: number;
  };
  /** Ids recorded into results.json by this call, in the profile's order. */
  readonly ran: readonly string[];
  /** Cells whose job failed, in the profile's order. */
  readonly failed: readonly FailedQueueCell[];
  readonly results: BenchResults;
}

const WAITING_STATES = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children']);

function abortError(message: string): Error {
  const error = new Error(message);
  error.name = 'AbortError';
  return error;
}

/**
 * Run a built-in profile's cells on the BullMQ queue of `url`, resumably, and collect their records.
 *
 * - **Enqueue**: every cell of the profile (after `only`) that is not in `results.json` of `outDir` becomes a
 *   job whose id is its run id, holding the profile's name, the overrides and the cell's trainer config
 *   (`createJobData`). Idempotent: a cell whose job is waiting, running or done is not added again; a failed
 *   one is queued again with fresh attempts; a job of the same id made with other settings is an error (one
 *   sweep per Redis database).
 * - **Follow**: the jobs are polled until each is done or failed. A done job's record (stored in Redis by the
 *   worker that ran it) is checked against the results schema and merged into results.json (runs of this call
 *   in the profile's order, after those already there), and results.json, report.md and dashboard.html are
 *   rewritten, each atomically. Each run id is recorded once: a job completes once (BullMQ's lock), and a
 *   recorded id leaves the polled set.
 * - **Progress**: a line per start, return to the queue (failed attempt, lost worker), end and failure of a
 *   cell, as in the local pool (`[bench] 2/3 done, 1 running, 0 left, ETA 8s — done #2 … on host:pid …`).
 */
export async function runMatrixOnQueue(
  profileName: string,
  options: RunOnQueueOptions,
): Promise<QueueRunSummary> {
  const report = options.report ?? ((line: string) => process.stderr.write(`${line}\n`));
  const settings = options.settings ?? {};
  const attempts = options.attempts ?? 3;
  if (!Number.isInteger(attempts) || attempts < 1)
    throw new RangeError(`attempts must be a positive integer, got ${attempts}`);
  const pollMs = options.pollMs ?? 1000;
  const signal = options.signal ?? new AbortController().signal;
  if (!listProfiles().includes(profileName))
    throw new RangeError(
      `--queue runs the built-in profiles only (workers rebuild the cells from their own copy); "${profileName}" is not one of ${listProfiles().join(', ')}`,
    );
  const profile = applyProfileSettings(getProfile(profileName), settings);
  const cells = selectProfileCells(profile, options.only);
  const badId = cells.find((c) => c.id.includes(':'));
  if (badId) throw new RangeError(`run id "${badId.id}" contains ":", which a queue job id cannot hold`);

  const paths = benchOutputPaths(options.outDir);
  mkdirSync(resolve(options.outDir), { recursive: true });
  const initial = withProfileDescription(
    existsSync(paths.results) ? readBenchResults(paths.results) : createEmptyResults(),
    profile,
  );
  const inFile = new Set(initial.runs.map((r) => r.id));
  const skipped = cells.filter((c) => inFile.has(c.id)).map((c) => c.id);
  if (skipped.length)
    report(`resuming: ${skipped.length} of ${cells.length} run(s) already in ${paths.results}, not enqueued`);
  const todo = cells.filter((c) => !inFile.has(c.id));

  const queue = await openBenchQueue(options.url);
  try {
    const enqueued = await enqueueCells(
      queue,
      todo,
      (cell) => createJobData(profileName, settings, cell),
      attempts,
    );
    report(
      `bench run: queue ${options.url.display}: ${enqueued.added} job(s) added, ${enqueued.queued} already waiting or running, ${enqueued.done} done earlier, ${enqueued.requeued} failed one(s) queued again; waiting for workers (bench worker --queue …)`,
    );
    const followed = await followCells(queue, todo, initial, paths, {
      report,
      signal,
      pollMs,
      onStatus: options.onStatus,
    });
    return { paths, planned: cells.length, skipped, enqueued, ...followed };
  } finally {
    await closeQuietly(queue);
  }
}

/** Add the cells' jobs, leaving alone those already waiting, running or done, and queueing failed ones again. */
async function enqueueCells(
  queue: Queue,
  cells: readonly BenchCell[],
  dataOf: (cell: BenchCell) => BenchQueueJobData,
  attempts: number,
): Promise<QueueRunSummary['enqueued']> {
  const counts = { added: 0, queued: 0, done: 0, requeued: 0 };
  const mismatched: string[] = [];
  const fresh: BenchCell[] = [];
  for (const cell of cells) {
    const existing = (await queue.getJob(cell.id)) as Job | undefined;
    if (!existing) {
      fresh.push(cell);
      continue;
    }
    if (!sameJobData(existing.data, dataOf(cell))) {
      mismatched.push(cell.id);
      continue;
    }
    const state = await existing.getState();
    if (state === 'completed') counts.done += 1;
    else if (state === 'failed') {
      await existing.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      counts.requeued += 1;
    } else counts.queued += 1;
  }
  if (mismatched.length) {
    throw new Error(
      `${mismatched.length} run id(s) are already in the queue with other settings (profile overrides or trainer config), e.g. ${mismatched.slice(0, 3).join(', ')}: ` +
        'give each sweep its own Redis database (redis://host:port/<db>), or empty this one (redis-cli -n <db> flushdb) when its results are collected',
    );
  }
  if (fresh.length) {
    // Adding a job whose id exists is a no-op in BullMQ, so a concurrent enqueue of the same cells adds nothing twice.
    await queue.addBulk(
      fresh.map((cell) => ({
        name: 'cell',
        data: dataOf(cell),
        opts: { jobId: cell.id, attempts, removeOnComplete: false, removeOnFail: false },
      })),
    );
    counts.added = fresh.length;
  }
  return counts;
}

/** Poll the cells' jobs until each is done or failed, recording the done ones as they arrive. */
async function followCells(
  queue: Queue,
  todo: readonly BenchCell[],
  initial: BenchResults,
  paths: BenchOutputPaths,
  options: {
    report: (line: string) => void;
    signal: AbortSignal;
    pollMs: number;
    onStatus: ((status: BenchPoolStatus) => void) | undefined;
  },
): Promise<Pick<QueueRunSummary, 'ran' | 'failed' | 'results'>> {
  const { report, signal } = options;
  const recorder = createResultsRecorder(initial, paths);
  const recorded = recorder.recorded;
  const failed = new Map<number, FailedQueueCell>();
  /** Last seen state, start time (ms since epoch), worker and attempts of each cell not yet done or failed. */
  const seen = new Map<
    number,
    { state: string; startedAt?: number; worker?: string; attemptsMade: number; attemptsStarted: number }
  >(todo.map((_, i) => [i, { state: 'waiting', attemptsMade: 0, attemptsStarted: 0 }]));
  const finished: { kind: string; seconds: number }[] = [];
  let errorSince: number | undefined;

  const status = (): BenchPoolStatus => {
    const now = Date.now();
    const pending = [...seen.entries()]
      .sort(([, a], [, b]) => Number(b.state === 'active') - Number(a.state === 'active'))
      .map(([i, s]) => ({
        kind: todo[i]!.experiment,
        ...(s.state === 'active' && s.startedAt
          ? { elapsedSeconds: Math.max(0, (now - s.startedAt) / 1000) }
          : {}),
      }));
    const running = [...seen.values()].filter((s) => s.state === 'active').length;
    return {
      total: todo.length,
      done: recorded.size,
      failed: failed.size,
      running,
      left: seen.size - running,
      etaSeconds: estimatePoolSeconds(finished, pending, Math.max(1, running)),
    };
  };
  const announce = (message: string): void => {
    const s = status();
    report(`[bench] ${formatPoolStatus(s)} — ${message}`);
    options.onStatus?.(s);
  };
  const look = async (i: number): Promise<void> => {
    const cell = todo[i]!;
    const tag = `#${i + 1}`;
    const last = seen.get(i)!;
    const state = await queue.getJobState(cell.id);
    // An active job is looked at each time: it may have been lost and restarted between two looks.
    if (state === last.state && state !== 'completed' && state !== 'failed' && state !== 'active') return;
    const job = (await queue.getJob(cell.id)) as Job<BenchQueueJobData, BenchQueueJobResult> | undefined;
    if (!job || state === 'unknown') {
      seen.delete(i);
      failed.set(i, {
        id: cell.id,
        error: 'its job was removed from the queue',
        attempts: last.attemptsMade,
      });
      announce(`FAILED ${tag} ${cell.id}: its job was removed from the queue`);
      return;
    }
    const worker =
      typeof job.progress === 'object' && job.progress && 'worker' in job.progress
        ? String(job.progress.worker)
        : undefined;
    if (state === 'completed') {
      seen.delete(i);
      const result = job.returnvalue;
      try {
        if (!result || typeof result !== 'object' || !result.record)
          throw new Error('no record in the job result');
        checkRecord(result.record, cell);
      } catch (error) {
        const message = `the result stored by worker ${result?.worker ?? '(unknown)'} is not a valid run record: ${(error as Error).message}`;
        failed.set(i, { id: cell.id, error: message, attempts: job.attemptsMade });
        announce(`FAILED ${tag} ${cell.id}: ${message}`);
        return;
      }
      recorder.record(i, result.record);
      finished.push({ kind: cell.experiment, seconds: result.record.durationSeconds });
      announce(
        `done ${tag} ${cell.id} in ${formatDuration(result.record.durationSeconds)} on ${result.worker}: ${describeRunRecord(result.record)}`,
      );
    } else if (state === 'failed') {
      seen.delete(i);
      const error = job.failedReason || 'failed without a reason';
      failed.set(i, { id: cell.id, error, attempts: job.attemptsMade });
      announce(
        `FAILED ${tag} ${cell.id} after ${job.attemptsMade} attempt(s): ${error.replace(/\s*\n\s*/g, ' ')}`,
      );
    } else if (state === 'active' || WAITING_STATES.has(state)) {
      const restarted =
        state === 'active' && last.state === 'active' && job.attemptsStarted > last.attemptsStarted;
      const next = { state, attemptsMade: job.attemptsMade, attemptsStarted: job.attemptsStarted };
      if ((last.state === 'active' && state !== 'active') || restarted) {
        // The attempt seen running ended without a result: it failed, or its worker died or stopped.
        const why =
          job.attemptsMade > last.attemptsMade
            ? `attempt ${job.attemptsMade} failed: ${(job.failedReason || '').replace(/\s*\n\s*/g, ' ')}`
            : `its worker${last.worker ? ` ${last.worker}` : ''} was lost or stopped`;
        seen.set(i, { ...next, state: 'waiting' });
        announce(`${tag} ${cell.id} back in the queue (${why})`);
      }
      if (state !== 'active') {
        seen.set(i, next);
      } else if (last.state !== 'active' || restarted) {
        seen.set(i, { ...next, startedAt: job.processedOn ?? Date.now(), ...(worker ? { worker } : {}) });
        announce(
          `start ${tag} ${cell.id}${worker ? ` on ${worker}` : ''} (attempt ${job.attemptsStarted} of ${job.opts.attempts ?? 1})`,
        );
      } else if (worker && !last.worker) {
        seen.set(i, { ...last, worker });
      }
    }
  };

  while (seen.size > 0 && !signal.aborted) {
    try {
      // Without an answer within 30 s (Redis unreachable), this look counts as an error.
      await withTimeout(
        Promise.all([...seen.keys()].map(look)),
        30_000,
        () => 'no answer from Redis in 30 s',
      );
      errorSince = undefined;
    } catch (error) {
      const now = Date.now();
      errorSince ??= now;
      report(`[bench] cannot read the queue: ${(error as Error).message}`);
      if (now - errorSince > 120_000)
        throw new Error(
          `the queue has not answered for 2 minutes (${(error as Error).message}); the jobs stay in it: run the same command again to collect them`,
        );
    }
    if (seen.size > 0) await sleep(options.pollMs, signal);
  }
  recorder.finish();
  if (signal.aborted)
    throw abortError(
      `stopped following the queue: ${recorded.size} run(s) recorded in ${paths.results}; the other jobs stay in the queue and the workers go on (bench status --queue …); run the same command again to collect them`,
    );
  return {
    ran: inIndexOrder(recorded).map((r) => r.id),
    failed: inIndexOrder(failed),
    results: recorder.results,
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolvePromise) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolvePromise();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
