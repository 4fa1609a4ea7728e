/**
 * A count of threads shared by the cells running at once on one machine (the queue worker's `--concurrency`
 * slots): a cell that trains on T threads (`train.workers`) takes T before it starts and gives them back when
 * it ends, so that the cells together never run more threads than the machine has cores. Waiting cells start in
 * the order they asked.
 */
export interface ThreadBudget {
  /** Threads not taken now. */
  readonly free: number;
  /** Resolves once `n` threads are taken (in the order of the calls); throws when `n` exceeds the whole budget. */
  take(n: number): Promise<void>;
  /** Give `n` threads back (to the first waiting cells that fit). */
  giveBack(n: number): void;
}

/** A {@link ThreadBudget} of `total` threads (e.g. `os.availableParallelism()`). */
export function createThreadBudget(total: number): ThreadBudget {
  if (!Number.isInteger(total) || total < 1)
    throw new RangeError(`thread budget: expected a positive integer, got ${total}`);
  let free = total;
  const waiting: { n: number; start: () => void }[] = [];
  const wake = (): void => {
    while (waiting.length > 0 && waiting[0]!.n <= free) {
      const next = waiting.shift()!;
      free -= next.n;
      next.start();
    }
  };
  return {
    get free() {
      return free;
    },
    take(n) {
      if (!Number.isInteger(n) || n < 1 || n > total) {
        return Promise.reject(
          new RangeError(
            `train.workers ${n}: a cell would train on ${n} threads, more than the ${total} core(s) of this machine`,
          ),
        );
      }
      return new Promise<void>((start) => {
        waiting.push({ n, start });
        wake();
      });
    },
    giveBack(n) {
      free = Math.min(total, free + n);
      wake();
    },
  };
}
