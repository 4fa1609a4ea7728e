/**
 * Worker-process entry of `bench run`: forked by `runBenchCellInChild` (`cell-executor.ts`) with an IPC
 * channel. It waits for one `{ type: 'job', job }` message, runs that cell with {@link runBenchCell} (the
 * real trainer), sends each progress line as `{ type: 'line' }` and the finished record as
 * `{ type: 'record' }`, then exits 0; on an error it sends `{ type: 'error' }` and exits 1. It exits as
 * well when the parent goes away (IPC disconnect), so a killed bench leaves no orphan trainers. Not part of
 * the public API.
 */
import type { CellChildMessage, CellParentMessage } from './cell-executor';
import { runBenchCell } from './cell-job';

function send(message: CellChildMessage): Promise<void> {
  return new Promise((resolvePromise) => {
    if (!process.send || !process.connected) {
      resolvePromise();
      return;
    }
    process.send(message, undefined, {}, () => resolvePromise());
  });
}

function fail(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  const stack = error instanceof Error ? error.stack : undefined;
  process.stderr.write(`bench run (worker): ${stack ?? message}\n`);
  void send({ type: 'error', message, ...(stack ? { stack } : {}) }).then(() => process.exit(1));
}

if (!process.send) {
  process.stderr.write('cell-child: run by `bench run` with an IPC channel, not directly\n');
  process.exit(2);
}

process.on('disconnect', () => process.exit(1));
process.once('message', (message: CellParentMessage) => {
  if (message.type !== 'job') {
    fail(new Error(`cell-child: expected a job message, got ${JSON.stringify(message).slice(0, 80)}`));
    return;
  }
  runBenchCell(message.job, { report: (line) => void send({ type: 'line', line }) })
    .then((record) => send({ type: 'record', record }))
    .then(() => process.exit(0), fail);
});
