import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { DatasetInputError } from './data-errors';

/** One non-empty line of a text file with its 1-based number. */
export interface NumberedLine {
  readonly line: number;
  readonly text: string;
}

/** Default largest text file (split list, label CSV, OpenFace CSV) a reader opens: 256 MiB. */
export const TEXT_FILE_MAX_BYTES = 268_435_456;

/** Options shared by the text readers. */
export interface TextFileOptions {
  /** Largest file read, in bytes (default {@link TEXT_FILE_MAX_BYTES}); a larger file is refused before reading. */
  readonly maxBytes?: number;
}

/** What a non-regular file is, in words (`a FIFO`, `a folder`, `a device`, `a socket`). */
export function describeFileKind(stat: Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isDirectory()) return 'a folder';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'not a file';
}

/**
 * Reads a whole regular file of at most `maxBytes` bytes. The file is opened without blocking, so a
 * FIFO never waits for a writer, and it is checked with `fstat` on the open descriptor; a FIFO,
 * device, socket or folder is an error naming the file, as is a file larger than `maxBytes`.
 *
 * @throws DatasetInputError naming the file.
 */
export function readBoundedFile(file: string, maxBytes: number, what = 'file'): Buffer {
  if (!(Number.isSafeInteger(maxBytes) && maxBytes > 0))
    throw new RangeError(`options.maxBytes must be a positive integer, got ${maxBytes}`);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (cause) {
    throw new DatasetInputError(file, `cannot read the ${what} (${(cause as Error).message})`, { cause });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      throw new DatasetInputError(
        file,
        `not a regular file (${describeFileKind(stat)}); a ${what} must be a regular file`,
      );
    if (stat.size > maxBytes)
      throw new DatasetInputError(
        file,
        `${stat.size} bytes, more than the ${maxBytes}-byte limit (options.maxBytes)`,
      );
    const buffer = Buffer.allocUnsafe(Math.min(stat.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > stat.size)
        throw new DatasetInputError(
          file,
          `the ${what} grew while it was read (more than its ${stat.size} bytes)`,
        );
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes UTF-8 strictly; invalid bytes are an error naming the file and the line they are on. */
function decodeUtf8(file: string, bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x0a || bytes[i] === 0x0d) {
        try {
          UTF8.decode(bytes.subarray(start, i));
        } catch {
          throw new DatasetInputError(file, 'invalid UTF-8 bytes; the file must be UTF-8 text', { line });
        }
        if (i < bytes.length && !(bytes[i] === 0x0d && bytes[i + 1] === 0x0a)) line++;
        start = i + 1;
      }
    }
    throw new DatasetInputError(file, 'invalid UTF-8 bytes; the file must be UTF-8 text');
  }
}

/** C0 controls other than tab, DEL, and C1 controls (line breaks are split off before the check). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/u;

/**
 * Reads a UTF-8 text file as numbered lines (LF, CRLF or CR line ends). Blank lines at the end are
 * ignored; a blank line elsewhere, invalid UTF-8, or a control character (other than tab) is an error
 * naming the file and line (nothing is silently skipped or replaced). The file must be a regular file
 * of at most `options.maxBytes` bytes.
 */
export function readNumberedLines(file: string, options: TextFileOptions = {}): NumberedLine[] {
  let content = decodeUtf8(file, readBoundedFile(file, options.maxBytes ?? TEXT_FILE_MAX_BYTES, 'text file'));
  if (content.charCodeAt(0) === 0xfeff) content = content.slice(1);
  const raw = content.split(/\r\n|\r|\n/);
  // only empty lines or spaces and tabs count as blank at the end (a form feed or other control is reported)
  while (raw.length > 0 && /^[ \t]*$/.test(raw[raw.length - 1] as string)) raw.pop();
  return raw.map((text, i) => {
    const control = CONTROL.exec(text);
    if (control !== null) {
      const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
      throw new DatasetInputError(file, `control character U+${code} at column ${control.index + 1}`, {
        line: i + 1,
      });
    }
    if (text.trim() === '') throw new DatasetInputError(file, 'blank line inside the file', { line: i + 1 });
    return { line: i + 1, text };
  });
}

/**
 * Splits one CSV line on commas and trims each field (OpenFace writes ", " between header fields).
 * Quoted fields are not part of the formats read here, so a quote is reported as an error.
 */
export function splitCsvLine(file: string, line: NumberedLine): string[] {
  if (line.text.includes('"')) {
    throw new DatasetInputError(file, 'quoted CSV fields are not supported by this reader', {
      line: line.line,
    });
  }
  return line.text.split(',').map((f) => f.trim());
}

/** A decimal number as CSV files write it: digits, optional fraction and exponent (no hex, no `Infinity`). */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses a finite decimal number or throws naming file, line and field. */
export function parseNumberField(file: string, line: number, field: string, text: string): number {
  const value = DECIMAL.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value)) {
    throw new DatasetInputError(file, `expected a number, got ${JSON.stringify(text)}`, { line, field });
  }
  return value;
}

/** Parses an integer in `[min, max]` or throws naming file, line and field. */
export function parseIntegerField(
  file: string,
  line: number,
  field: string,
  text: string,
  min: number,
  max: number,
): number {
  const value = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new DatasetInputError(
      file,
      `expected an integer in [${min}, ${max}], got ${JSON.stringify(text)}`,
      { line, field },
    );
  }
  return value;
}
