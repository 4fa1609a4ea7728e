import { readFileSync } from 'node:fs';
import { DatasetInputError } from './data-errors';

/** One non-empty line of a text file with its 1-based number. */
export interface NumberedLine {
  readonly line: number;
  readonly text: string;
}

/**
 * Reads a text file as numbered lines (LF or CRLF). Blank lines at the end are ignored; a blank line
 * elsewhere is an error naming the file and line (nothing is silently skipped).
 */
export function readNumberedLines(file: string): NumberedLine[] {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new DatasetInputError(file, `cannot read the file (${(cause as Error).message})`, { cause });
  }
  if (content.charCodeAt(0) === 0xfeff) content = content.slice(1);
  const raw = content.split(/\r?\n/);
  while (raw.length > 0 && (raw[raw.length - 1] as string).trim() === '') raw.pop();
  return raw.map((text, i) => {
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

/** Parses a finite number or throws naming file, line and field. */
export function parseNumberField(file: string, line: number, field: string, text: string): number {
  const value = text === '' ? Number.NaN : Number(text);
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
