import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunRecord } from '../results/schema';
import { runBenchCell, type BenchCellJob, type RunBenchCellOptions } from './cell-job';

/** What a {@link BenchCellExecutor} gets beside the job. */
export interface BenchCellContext {
  /** A progress line of the cell (the pool writes it to the cell's log and forwards it, tagged). */
  readonly report: (line: string) => void;
  /** Raw output of the cell's process (the pool writes it to the cell's log only). */
  readonly log: (text: string) => void;
  /** Aborted when the bench is interrupted: stop the cell (kill its process) and reject. */
  readonly signal: AbortSignal;
}

/**
 * Runs one cell and resolves to its run record; rejects when the cell fails. The pool of `runMatrix` calls
 * it once per cell, at most `workers` at a time. The default is {@link runBenchCellInChild}; tests inject
 * stand-ins.
 */
export type BenchCellExecutor = (job: BenchCellJob, context: BenchCellContext) => Promise<RunRecord>;

/** Message from the parent to a worker process. */
export type CellParentMessage = { readonly type: 'job'; readonly job: BenchCellJob };

/** Message from a worker process to the parent. */
export type CellChildMessage =
  | { readonly type: 'line'; readonly line: string }
  | { readonly type: 'record'; readonly record: RunRecord }
  | { readonly type: 'error'; readonly message: string; readonly stack?: string };

/** How long a worker gets to exit after SIGTERM before it is sent SIGKILL. */
const KILL_GRACE_MS = 5000;

/** Options of the parent process that a worker must not inherit: code to evaluate, a debugger port. */
const DROPPED_WITH_VALUE = new Set(['-e', '--eval', '-p', '--print']);

/**
 * The script and Node options of a worker process: `cell-child.js` beside this file in the built package
 * (`dist/matrix/`), `cell-child.ts` when the bench runs from its TypeScript sources (`npx tsx
 * apps/bench/src/cli.ts`, or jest). Under TypeScript the parent's loader options are kept (tsx puts its
 * loader in `process.execArgv`); when no tsx loader is among them (jest), `--import <tsx loader>` is added.
 * `--eval` / `--print` and `--inspect*` options of the parent are dropped.
 *
 * @param execArgv - the parent's Node options (default `process.execArgv`)
 * @param self - path of this module (default `__filename`): `.ts` under tsx or jest, `.js` in `dist/`
 */
export function cellChildCommand(
  execArgv: readonly string[] = process.execArgv,
  self: string = __filename,
): CellChildCommand {
  const ext = extname(self) === '.ts' ? '.ts' : '.js';
  const script = join(self, '..', `cell-child${ext}`);
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (DROPPED_WITH_VALUE.has(arg)) {
      i += 1;
      continue;
    }
    if (/^(-e|--eval|-p|--print)=/.test(arg) || /^--(inspect|debug)/.test(arg)) continue;
    kept.push(arg);
  }
  if (ext === '.ts' && !kept.some((a) => a.includes('tsx'))) {
    let loader: string;
    try {
      loader = require.resolve('tsx');
    } catch {
      throw new Error(
        `bench run from TypeScript sources forks ${script} and needs tsx to load it; install tsx or use the built dist/cli.js`,
      );
    }
    kept.push('--import', pathToFileURL(loader).href);
  }
  return { script, execArgv: kept };
}

/** The worker script and its Node options (see {@link cellChildCommand}). */
export interface CellChildCommand {
  readonly script: string;
  readonly execArgv: readonly string[];
}

/**
 * An executor that runs each cell in a fresh child Node process: fork `command.script` (default
 * {@link cellChildCommand}, the bench's `cell-child` worker) with an IPC channel, send it
 * `{ type: 'job', job }`, forward its `line` messages to `context.report` and its stdout / stderr to
 * `context.log`, and resolve to the record of its `record` message once it has exited 0. Rejects when the
 * child sends `error`, exits non-zero or without a record, is killed, or `context.signal` aborts (the child
 * then gets SIGTERM, and SIGKILL 5 s later). Tests pass a stand-in worker script as `command`.
 */
export function createChildProcessCellExecutor(command?: CellChildCommand): BenchCellExecutor {
  return (job, context) =>
    new Promise<RunRecord>((resolvePromise, reject) => {
      if (context.signal.aborted) {
        reject(new Error('not started, the bench was interrupted'));
        return;
      }
      const { script, execArgv } = command ?? cellChildCommand();
      if (!existsSync(script)) {
        reject(
          new Error(
            `bench run forks ${script} for each cell and it does not exist: build the bench (pnpm --filter @dfer/bench build)`,
          ),
        );
        return;
      }
      const child = fork(script, [], { execArgv: [...execArgv], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
      let record: RunRecord | undefined;
      let childError: string | undefined;
      let stderrTail = '';
      let killTimer: NodeJS.Timeout | undefined;
      child.stdout?.on('data', (d: Buffer) => context.log(d.toString()));
      child.stderr?.on('data', (d: Buffer) => {
        const text = d.toString();
        stderrTail = (stderrTail + text).slice(-2000);
        context.log(text);
      });
      child.on('message', (message: CellChildMessage) => {
        if (message.type === 'line') context.report(message.line);
        else if (message.type === 'record') record = message.record;
        else if (message.type === 'error') childError = message.message;
      });
      const onAbort = (): void => {
        child.kill('SIGTERM');
        killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
        killTimer.unref();
      };
      context.signal.addEventListener('abort', onAbort, { once: true });
      child.on('error', (error) => {
        context.signal.removeEventListener('abort', onAbort);
        reject(new Error(`cannot start the worker process (${error.message})`));
      });
      child.on('close', (code, signal) => {
        context.signal.removeEventListener('abort', onAbort);
        if (killTimer) clearTimeout(killTimer);
        if (context.signal.aborted) {
          reject(new Error('stopped, the bench was interrupted'));
        } else if (childError !== undefined) {
          reject(new Error(childError));
        } else if (code === 0 && record) {
          resolvePromise(record);
        } else {
          const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
          const tail = stderrTail.trim().split('\n').slice(-3).join(' | ');
          reject(
            new Error(
              `the worker process ${how}${record ? '' : ' without sending a record'}${tail ? `: ${tail}` : ''}`,
            ),
          );
        }
      });
      child.send({ type: 'job', job } satisfies CellParentMessage);
    });
}

/**
 * The default executor of `runMatrix`: each cell in a fresh child Node process running the bench's
 * `cell-child` worker ({@link createChildProcessCellExecutor} with {@link cellChildCommand}). A fresh
 * process per cell means no state (tfjs engine, kernel caches, RNG, registries) is shared between cells.
 */
export const runBenchCellInChild: BenchCellExecutor = createChildProcessCellExecutor();

/**
 * An executor that runs cells in this process with {@link runBenchCell} (the given trainer stand-ins, or the
 * real trainer). `runMatrix` uses it, one cell at a time, when `runExperiment` or `runAuDetection` is passed:
 * functions cannot be sent to another process. Not isolated: cells share the process's tfjs engine.
 */
export function createInProcessCellExecutor(
  runners: Pick<RunBenchCellOptions, 'runExperiment' | 'runAuDetection'> = {},
): BenchCellExecutor {
  return (job, context) => runBenchCell(job, { ...runners, report: context.report });
}
