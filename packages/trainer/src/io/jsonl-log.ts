import { appendFileSync, mkdirSync } from 'node:fs';
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
