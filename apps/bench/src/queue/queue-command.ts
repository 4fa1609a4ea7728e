import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ProfileSettings } from '../matrix/profile-settings';
import { followWithStatusLine } from '../matrix/pool-status-line';
import { parseQueueUrl } from './queue-connection';
import { formatQueueStatus, getQueueStatus } from './queue-status';
import { startQueueWorker } from './queue-worker';
import { runMatrixOnQueue } from './run-on-queue';

function positiveNumber(name: string, integer: boolean) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
      throw new InvalidArgumentError(
        `${name} must be a positive ${integer ? 'integer' : 'number'}, got "${value}"`,
      );
    return n;
  };
}

/**
 * The `--queue` option of `bench run`, `bench worker` and `bench status`. Its value is parsed in the command
 * (`parseQueueUrl`), not by commander, whose error would print the URL with its password.
 */
export function queueOption(description: string): Option {
  return new Option('--queue <redis-url>', description);
}

/**
 * `--queue` of `bench worker` and `bench status`, also read from `DFER_BENCH_QUEUE` (a command line, password
 * included, is visible to the machine's other users; the environment is not).
 */
function workerQueueOption(): Option {
  return queueOption('the queue: redis://[:password@]host[:port][/db]')
    .env('DFER_BENCH_QUEUE')
    .makeOptionMandatory();
}

/** The `--attempts` option of `bench run` (used with `--queue`). */
export function attemptsOption(): Option {
  return new Option('--attempts <n>', 'with --queue: times a cell is tried before its job is left failed')
    .argParser(positiveNumber('--attempts', true))
    .default(3);
}

/**
 * `bench run --queue`: enqueue the profile's cells, follow them to the end writing results.json, report.md and
 * dashboard.html, print a summary; exit code 1 when a cell failed, 130 / 143 on Ctrl-C / SIGTERM (the jobs stay
 * in the queue).
 */
export async function runProfileOnQueue(opts: {
  readonly queue: string;
  readonly profile: string;
  readonly settings: ProfileSettings;
  readonly out: string;
  readonly only?: readonly string[];
  readonly attempts: number;
}): Promise<void> {
  const t0 = performance.now();
  const summary = await followWithStatusLine(
    (signal) => `bench run: ${signal}, no longer following the queue (its jobs stay there)`,
    ({ report, onStatus, signal }) =>
      runMatrixOnQueue(opts.profile, {
        url: parseQueueUrl(opts.queue),
        outDir: opts.out,
        settings: opts.settings,
        attempts: opts.attempts,
        report,
        onStatus,
        signal,
        ...(opts.only?.length ? { only: opts.only } : {}),
      }),
  );
  const minutes = (performance.now() - t0) / 60000;
  process.stdout.write(
    `bench run: ${summary.ran.length} run(s) recorded from the queue, ${summary.skipped.length} already in results.json` +
      `${summary.failed.length ? `, ${summary.failed.length} FAILED` : ''}, in ${minutes.toFixed(1)} min\n` +
      `  results:   ${summary.paths.results}\n  report:    ${summary.paths.report}\n  dashboard: ${summary.paths.dashboard}\n`,
  );
  if (summary.failed.length) {
    process.stderr.write(
      `bench run: ${summary.failed.length} run(s) failed on every attempt and are not in results.json (the same command queues them again):\n` +
        summary.failed.map((f) => `  ${f.id} (${f.attempts} attempt(s)): ${f.error}\n`).join(''),
    );
    process.exitCode = 1;
  }
}

/** Add `bench worker` and `bench status` to the bench command line. */
export function addQueueCommands(program: Command): void {
  program
    .command('worker')
    .allowExcessArguments(false)
    .description(
      'take bench cells from a Redis queue (filled by bench run --queue) and run them until stopped',
    )
    .addOption(workerQueueOption())
    .addOption(
      new Option('--concurrency <n>', 'cells run at once, each in its own process')
        .argParser(positiveNumber('--concurrency', true))
        .default(1),
    )
    .option(
      '--out <dir>',
      "folder of the cells' trainer output and logs (runs/<run folder>/)",
      'bench-worker',
    )
    .addOption(
      new Option(
        '--stall-interval <seconds>',
        "lock time of a job and interval of the stalled-job check: a dead worker's job is retried within about twice this",
      )
        .argParser(positiveNumber('--stall-interval', false))
        .default(30),
    )
    .action(async (opts: { queue: string; concurrency: number; out: string; stallInterval: number }) => {
      const worker = await startQueueWorker({
        url: parseQueueUrl(opts.queue),
        concurrency: opts.concurrency,
        outDir: opts.out,
        stallSeconds: opts.stallInterval,
      });
      const signal = await new Promise<NodeJS.Signals>((resolvePromise) => {
        process.once('SIGINT', () => resolvePromise('SIGINT'));
        process.once('SIGTERM', () => resolvePromise('SIGTERM'));
      });
      process.stderr.write(`bench worker: ${signal}, stopping (running cells go back to the queue)\n`);
      await worker.close();
      process.exitCode = signal === 'SIGTERM' ? 143 : 130;
    });

  program
    .command('status')
    .allowExcessArguments(false)
    .description('jobs of the bench queue per profile: waiting, active, done, failed (with their errors)')
    .addOption(workerQueueOption())
    .action(async (opts: { queue: string }) => {
      const url = parseQueueUrl(opts.queue);
      process.stdout.write(formatQueueStatus(await getQueueStatus(url), url.display));
    });
}
