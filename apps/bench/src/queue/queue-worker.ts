import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { resolve } from 'node:path';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { runBenchCellInChild, type BenchCellExecutor } from '../matrix/cell-executor';
import { cellLogPath, cellRunDir, describeRunRecord, type BenchCellJob } from '../matrix/cell-job';
import { formatDuration } from '../matrix/pool-progress';
import { cellThreads, checkRecord } from '../matrix/run-matrix';
import { createThreadBudget } from '../matrix/thread-budget';
import { BENCH_QUEUE_NAME, closeQuietly, type QueueUrl } from './queue-connection';
import { resolveQueueJob, type BenchQueueJobResult } from './queue-job';

/** Per-call options of {@link startQueueWorker}. */
export interface QueueWorkerOptions {
  /** The Redis server of the queue (`parseQueueUrl`). */
  readonly url: QueueUrl;
  /** Cells run at once, each in its own child process (default 1). */
  readonly concurrency?: number;
  /** Folder of the trainer output of each cell (`<outDir>/runs/<run folder>/`, with `bench.log`). */
  readonly outDir: string;
  /** Folder the AU-detection data paths are resolved against (default `DFER_SHARED_DATA`, else the working directory). */
  readonly dataDir?: string;
  /**
   * Seconds a job's lock lasts without renewal and between two checks for stalled jobs (default 30): a job whose
   * worker died goes back to the queue within about twice this.
   */
  readonly stallSeconds?: number;
  /** Times a job may stall (its worker lost) before it is failed (default 2). */
  readonly maxStalls?: number;
  /** Progress lines (default: stderr). */
  readonly report?: (line: string) => void;
  /** Runs one cell (default: a fresh child process per cell, as in the local pool; tests inject stand-ins). */
  readonly executeCell?: BenchCellExecutor;
}

/** A running queue worker. */
export interface QueueWorkerHandle {
  /** `<host>:<pid>`, as stored with each result. */
  readonly name: string;
  /**
   * Stop: no further job is taken; running cells are killed and their jobs put back in the queue at once (no
   * attempt counted); resolves when the worker has disconnected.
   */
  close(): Promise<void>;
}

/**
 * Take jobs from the bench queue and run them with the local pool's code. For each job the worker checks it
 * against its own profiles (`resolveQueueJob`: a built-in profile, bounded overrides, a run id of that profile,
 * the same trainer config; otherwise the job fails at once, not retried), runs the cell in a fresh child process
 * (`runBenchCellInChild`), checks the record against the results schema and returns it: BullMQ stores it in
 * Redis as the job's result in the same step that marks the job completed, under this worker's lock. A worker
 * killed mid-job stops renewing its lock; another worker's stalled-job check puts the job back in the queue, and
 * the dead worker's lock can no longer complete it, so a run is never recorded twice. A cell that fails is
 * retried up to the job's attempts (set by `bench run --queue`), then left failed with its error.
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorkerHandle> {
  const report = options.report ?? ((line: string) => process.stderr.write(`${line}\n`));
  const execute = options.executeCell ?? runBenchCellInChild;
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  const stallMs = Math.round((options.stallSeconds ?? 30) * 1000);
  if (!(stallMs >= 100))
    throw new RangeError(`stall interval must be at least 0.1 s, got ${options.stallSeconds}`);
  const name = `${hostname()}:${process.pid}`;
  const outDir = resolve(options.outDir);
  const dataDir = resolve(options.dataDir ?? process.env['DFER_SHARED_DATA'] ?? process.cwd());
  const shutdown = new AbortController();
  const threadBudget = createThreadBudget(availableParallelism());
  let taken = 0;

  const processor = async (
    job: Job<unknown, BenchQueueJobResult>,
    token?: string,
    signal?: AbortSignal,
  ): Promise<BenchQueueJobResult> => {
    const id = job.id ?? '(no id)';
    let resolved: ReturnType<typeof resolveQueueJob>;
    try {
      resolved = resolveQueueJob(id, job.data);
    } catch (error) {
      const message = `${(error as Error).message} (worker ${name})`;
      report(`[worker ${name}] REFUSED ${id}: ${message}`);
      throw new UnrecoverableError(message);
    }
    taken += 1;
    const tag = `#${taken}`;
    const { cell } = resolved;
    const benchJob: BenchCellJob = {
      cell,
      profile: { name: resolved.profile, engine: resolved.engine },
      runDir: cellRunDir(outDir, cell.id),
      dataDir,
    };
    const logPath = cellLogPath(benchJob);
    mkdirSync(benchJob.runDir, { recursive: true });
    const fd = openSync(logPath, 'a');
    const log = (text: string): void => void writeSync(fd, text);
    const attempts = job.opts.attempts ?? 1;
    log(
      `# bench worker ${name}: ${cell.id}, attempt ${job.attemptsStarted} of ${attempts}, started ${new Date().toISOString()}\n`,
    );
    report(`[worker ${name}] took ${tag} ${cell.id} (attempt ${job.attemptsStarted} of ${attempts})`);
    // Which worker runs it, for `bench run --queue` and `bench status` (best effort: a lost update changes nothing).
    await job.updateProgress({ worker: name }).catch(() => undefined);
    // Cells that train on several threads (train.workers) share the machine's cores with the other slots.
    const threads = cellThreads(cell);
    await threadBudget.take(threads).catch((error: unknown) => {
      closeSync(fd);
      throw new UnrecoverableError(`${(error as Error).message} (worker ${name})`);
    });
    const t0 = performance.now();
    try {
      const record = await execute(benchJob, {
        report: (line) => {
          log(`${line}\n`);
          report(`  ${tag} ${line}`);
        },
        log,
        signal: signal ? AbortSignal.any([shutdown.signal, signal]) : shutdown.signal,
      });
      checkRecord(record, cell);
      const seconds = (performance.now() - t0) / 1000;
      log(`# done in ${seconds.toFixed(1)} s: ${describeRunRecord(record)}\n`);
      report(
        `[worker ${name}] done ${tag} ${cell.id} in ${formatDuration(seconds)}: ${describeRunRecord(record)}`,
      );
      return { record, worker: name };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`# FAILED: ${error instanceof Error ? (error.stack ?? message) : message}\n`);
      if (shutdown.signal.aborted && token) {
        // Interrupted, not failed: back to the queue now, without counting an attempt.
        await job.moveToWait(token);
        report(`[worker ${name}] put ${tag} ${cell.id} back in the queue (worker stopping)`);
        throw new WaitingError();
      }
      report(
        `[worker ${name}] FAILED ${tag} ${cell.id}: ${message.replace(/\s*\n\s*/g, ' ')} (log: ${logPath})`,
      );
      throw new Error(`${message} (worker ${name}, log ${logPath})`);
    } finally {
      threadBudget.giveBack(threads);
      closeSync(fd);
    }
  };

  const worker = new Worker<unknown, BenchQueueJobResult>(BENCH_QUEUE_NAME, processor, {
    connection: options.url.connection,
    concurrency,
    lockDuration: stallMs,
    stalledInterval: stallMs,
    maxStalledCount: options.maxStalls ?? 2,
    autorun: false,
  });
  let lastError = '';
  worker.on('error', (error: Error) => {
    if (error.message === lastError) return;
    lastError = error.message;
    report(`[worker ${name}] queue error: ${error.message}`);
  });
  // A lock that could not be renewed means the job may already run elsewhere: stop this copy.
  worker.on('lockRenewalFailed', (jobIds: string[]) => {
    for (const jobId of jobIds) {
      report(`[worker ${name}] lost the lock of ${jobId}; stopping it here (it is retried from the queue)`);
      worker.cancelJob(jobId, 'lock lost');
    }
  });
  const running = worker.run().catch((error: unknown) => {
    report(`[worker ${name}] stopped: ${error instanceof Error ? error.message : String(error)}`);
  });
  report(
    `[worker ${name}] taking jobs from ${options.url.display} (queue ${BENCH_QUEUE_NAME}), ${concurrency} at a time, stall interval ${stallMs / 1000} s; trainer output in ${outDir}`,
  );
  let closing: Promise<void> | undefined;
  return {
    name,
    close: () => {
      closing ??= (async () => {
        // Stop taking jobs, then kill the running cells (SIGTERM, SIGKILL after 5 s) and put their jobs back.
        const closed = closeQuietly(worker, 15_000);
        shutdown.abort();
        await closed;
        await running;
      })();
      return closing;
    },
  };
}
