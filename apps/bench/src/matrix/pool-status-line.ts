import { MultiBar, type SingleBar } from 'cli-progress';
import { formatDuration, type BenchPoolStatus } from './pool-progress';

/** Where `bench run` prints its progress: plain lines, plus a status line at the bottom on a terminal. */
export interface PoolStatusLine {
  /** A progress line (printed above the status line on a terminal). */
  readonly report: (line: string) => void;
  /** The pool's new counts (redraws the status line on a terminal; nothing otherwise). */
  readonly onStatus: (status: BenchPoolStatus) => void;
  /** Flush the lines and remove the status line. */
  readonly stop: () => void;
}

/**
 * Progress output of `bench run` on `stream` (default stderr). On a terminal (`stream.isTTY`, and `CI` not
 * set) the last line is a cli-progress bar, `[bench] ████░░ 5/18 done, 2 running, 11 left, ETA 4m10s`,
 * redrawn when a cell starts or ends and counting the ETA down every second, with the progress lines printed
 * above it. Elsewhere (CI, a log file) every line is printed as it comes and there is no status line (the
 * pool's own start / done lines carry the counts).
 */
export function createPoolStatusLine(
  stream: NodeJS.WriteStream = process.stderr,
  interactive: boolean = stream.isTTY === true && !process.env['CI'],
): PoolStatusLine {
  if (!interactive) {
    return {
      report: (line) => void stream.write(`${line}\n`),
      onStatus: () => undefined,
      stop: () => undefined,
    };
  }
  const multibar = new MultiBar({
    stream,
    // `eta` is cli-progress's own estimate (from the bar's rate): the pool's goes in `remaining`.
    format: '[bench] {bar} {done}/{total} done{failed}, {running} running, {left} left, ETA {remaining}',
    barCompleteChar: '\u2588',
    barIncompleteChar: '\u2591',
    barsize: 20,
    hideCursor: true,
    clearOnComplete: true,
    fps: 4,
  });
  let bar: SingleBar | undefined;
  let last: { status: BenchPoolStatus; at: number } | undefined;
  const payload = (): Record<string, string | number> => {
    if (!last) return {};
    const { status, at } = last;
    const remaining =
      status.etaSeconds === undefined
        ? 'n/a'
        : formatDuration(status.etaSeconds - (performance.now() - at) / 1000);
    return {
      done: status.done,
      failed: status.failed ? `, ${status.failed} failed` : '',
      running: status.running,
      left: status.left,
      remaining,
    };
  };
  const tick = setInterval(() => {
    if (bar && last) bar.update(last.status.done + last.status.failed, payload());
  }, 1000);
  tick.unref();
  return {
    report: (line) => multibar.log(`${line}\n`),
    onStatus: (status) => {
      last = { status, at: performance.now() };
      if (!bar) bar = multibar.create(status.total, 0, payload());
      bar.update(status.done + status.failed, payload());
    },
    stop: () => {
      clearInterval(tick);
      multibar.update();
      multibar.stop();
    },
  };
}

/** What {@link followWithStatusLine} hands to the run it follows. */
export interface FollowHooks {
  readonly report: (line: string) => void;
  readonly onStatus: PoolStatusLine['onStatus'];
  /** Aborted on the first SIGINT / SIGTERM. */
  readonly signal: AbortSignal;
}

/**
 * Runs `run` with a status line ({@link createPoolStatusLine}) and an abort signal for Ctrl-C / SIGTERM: the
 * first signal prints `onSignalMessage(signal)` and aborts; a second one ends the process at once (the
 * listeners are gone). When the run fails after a signal, the exit code is 130 (SIGINT) or 143 (SIGTERM).
 */
export async function followWithStatusLine<T>(
  onSignalMessage: (signal: NodeJS.Signals) => string,
  run: (hooks: FollowHooks) => Promise<T>,
): Promise<T> {
  const interrupt = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    received = signal;
    process.stderr.write(`\n${onSignalMessage(signal)}\n`);
    interrupt.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const display = createPoolStatusLine();
  try {
    return await run({ report: display.report, onStatus: display.onStatus, signal: interrupt.signal });
  } catch (error) {
    if (received) process.exitCode = received === 'SIGTERM' ? 143 : 130;
    throw error;
  } finally {
    display.stop();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
