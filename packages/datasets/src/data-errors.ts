/**
 * Errors and skip reports shared by the readers and decoders: every message names the file (and
 * line / field where there is one) and what was expected.
 */

/** What a reader does with a bad record: fail (default) or skip it and report it. */
export type BadInputPolicy = 'throw' | 'skip';

/** One record left out in `skip` mode. */
export interface SkippedItem {
  /** File (or folder) the record came from. */
  readonly file: string;
  /** 1-based line number, when the record is a line of a text file. */
  readonly line?: number;
  /** Dataset index of the sample, when the record is a sample. */
  readonly index?: number;
  /** Why it was skipped (the message the error would have had). */
  readonly reason: string;
}

/** A bad file, line or field. `message` is `<file>[:<line>]: <field>: <what was expected>`. */
export class DatasetInputError extends Error {
  readonly file: string;
  readonly line: number | undefined;
  readonly field: string | undefined;

  constructor(
    file: string,
    detail: string,
    options: { line?: number; field?: string; cause?: unknown } = {},
  ) {
    const where = options.line === undefined ? file : `${file}:${options.line}`;
    const field = options.field === undefined ? '' : `${options.field}: `;
    super(`${where}: ${field}${detail}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DatasetInputError';
    this.file = file;
    this.line = options.line;
    this.field = options.field;
  }
}

/** Reads `onError` from options and checks it. */
export function resolveBadInputPolicy(
  value: BadInputPolicy | undefined,
  argName = 'onError',
): BadInputPolicy {
  if (value === undefined) return 'throw';
  if (value !== 'throw' && value !== 'skip') {
    throw new RangeError(`${argName} must be 'throw' or 'skip', got ${JSON.stringify(value)}`);
  }
  return value;
}
