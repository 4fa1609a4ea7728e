/** Where a `bench run` pool stands: counts of this invocation's cells and the estimated time left. */
export interface BenchPoolStatus {
  /** Cells to run in this invocation (the profile's cells after `only`, less those already in results.json). */
  readonly total: number;
  /** Finished and recorded. */
  readonly done: number;
  /** Failed (not recorded). */
  readonly failed: number;
  /** Running now. */
  readonly running: number;
  /** Not started yet. */
  readonly left: number;
  /** Estimated seconds until the last cell ends ({@link estimatePoolSeconds}); undefined until a cell has finished. */
  readonly etaSeconds: number | undefined;
}

/** A cell the estimate still has to account for: its kind and, when running, how long it has run. */
export interface PendingCell {
  /** The cell's experiment (`dfer`, `rdfer`, `au_detection`): durations are averaged per kind. */
  readonly kind: string;
  /** Seconds it has been running (absent: not started). */
  readonly elapsedSeconds?: number;
}

/**
 * Estimated seconds until the pool is through: each cell's expected duration is the mean duration of the
 * finished cells of its kind in this invocation, else the mean over all finished cells; the running cells
 * keep their worker for their expected duration less what they have run (at least 0), and the cells not
 * started are handed, in order, to whichever of the `workers` workers frees first. The estimate is the time
 * the last worker frees. Undefined when no cell has finished yet (nothing to go on).
 *
 * @param finished - durations in seconds of the finished cells of this invocation, with their kind
 * @param pending - the running cells (with `elapsedSeconds`) and then the cells not started, in start order
 * @param workers - the pool size
 */
export function estimatePoolSeconds(
  finished: readonly { readonly kind: string; readonly seconds: number }[],
  pending: readonly PendingCell[],
  workers: number,
): number | undefined {
  if (finished.length === 0) return pending.length === 0 ? 0 : undefined;
  const sums = new Map<string, { sum: number; n: number }>();
  let total = 0;
  for (const f of finished) {
    const s = sums.get(f.kind) ?? { sum: 0, n: 0 };
    s.sum += f.seconds;
    s.n += 1;
    sums.set(f.kind, s);
    total += f.seconds;
  }
  const overall = total / finished.length;
  const expected = (kind: string): number => {
    const s = sums.get(kind);
    return s ? s.sum / s.n : overall;
  };
  const free: number[] = new Array<number>(Math.max(1, workers)).fill(0);
  const running = pending.filter((p) => p.elapsedSeconds !== undefined);
  const queued = pending.filter((p) => p.elapsedSeconds === undefined);
  running.forEach((p, i) => {
    const slot = i % free.length;
    free[slot] = free[slot]! + Math.max(0, expected(p.kind) - p.elapsedSeconds!);
  });
  for (const p of queued) {
    let slot = 0;
    for (let i = 1; i < free.length; i++) if (free[i]! < free[slot]!) slot = i;
    free[slot] = free[slot]! + expected(p.kind);
  }
  return Math.max(...free);
}

/** A duration for people: `52s`, `4m10s`, `1h02m`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The status part of a progress line: `5/18 done, 1 failed, 2 running, 10 left, ETA 4m10s`. */
export function formatPoolStatus(status: BenchPoolStatus): string {
  const failed = status.failed ? `, ${status.failed} failed` : '';
  const eta = status.etaSeconds === undefined ? 'ETA n/a' : `ETA ${formatDuration(status.etaSeconds)}`;
  return `${status.done}/${status.total} done${failed}, ${status.running} running, ${status.left} left, ${eta}`;
}
