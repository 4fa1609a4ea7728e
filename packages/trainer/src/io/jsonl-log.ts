import { appendFileSync, existsSync, mkdirSync, readFileSync, truncateSync } from 'node:fs';
import { dirname } from 'node:path';

/** One line of the training log. `event` says what it records; the rest are its fields. */
export interface LogRecord {
  readonly event: string;
  readonly [field: string]: unknown;
}

/** Appends one JSON object per line to a file (JSON Lines), creating the directory on first write. */
export class JsonlLog {
  private ready = false;

  constructor(readonly path: string) {}

  write(record: LogRecord): void {
    if (!this.ready) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.ready = true;
    }
    appendFileSync(this.path, `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
  }
}

/** Where a resumed run picks up: its checkpoint's last epoch (−1 before the first) and step count. */
export interface LogResumePoint {
  readonly epoch: number;
  readonly step: number;
}

/**
 * Cuts a training log back to a checkpoint before a resumed run appends to it: everything from the
 * first `step` record past `point.step` or `epoch` record past `point.epoch` on is removed (it belongs
 * to the work lost with the interrupted run, which is redone and logged again), as is a last line cut
 * short by the interruption. Earlier lines are kept byte for byte. Returns the number of lines removed.
 */
export function truncateLogAfter(path: string, point: LogResumePoint): number {
  if (!existsSync(path)) return 0;
  const bytes = readFileSync(path);
  let offset = 0;
  let removed = 0;
  let cut: number | undefined;
  while (offset < bytes.length) {
    const end = bytes.indexOf(0x0a, offset);
    const lineEnd = end < 0 ? bytes.length : end + 1;
    let record: { event?: unknown; step?: unknown; epoch?: unknown } | undefined;
    try {
      record = end < 0 ? undefined : (JSON.parse(bytes.toString('utf8', offset, end)) as typeof record);
    } catch {
      record = undefined;
    }
    const after =
      record === undefined ||
      (record.event === 'step' && typeof record.step === 'number' && record.step > point.step) ||
      (record.event === 'epoch' && typeof record.epoch === 'number' && record.epoch > point.epoch);
    if (cut === undefined && after) cut = offset;
    if (cut !== undefined) removed++;
    offset = lineEnd;
  }
  if (cut !== undefined) truncateSync(path, cut);
  return removed;
}
