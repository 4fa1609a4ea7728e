import { AU_SETS, type AuId } from '@dfer/au-knowledge';
import { DatasetInputError } from '../data-errors';
import { readNumberedLines, type TextFileOptions } from '../text-lines';

/** Frame-level BP4D AU occurrence labels. */
export interface Bp4dAuLabels {
  readonly file: string;
  /** Column order: `AU_SETS.bp4d12` of `@dfer/au-knowledge`. */
  readonly auNames: readonly AuId[];
  readonly numFrames: number;
  /** `[numFrames, 12]` row-major 0/1 occurrences. */
  readonly labels: Uint8Array;
}

/**
 * Reads a BP4D AU occurrence list (`BP4D_*_AUOccur.txt` of the JAA-Net reimplementation; see
 * `../shared/data/SOURCES.md`): one frame per line, 12 space-separated 0/1 values for AU1 AU2 AU4
 * AU6 AU7 AU10 AU12 AU14 AU15 AU17 AU23 AU24.
 *
 * @throws DatasetInputError naming the file, line and AU for a wrong value count or a value other than 0/1.
 */
export function readBp4dAuLabels(file: string, options: TextFileOptions = {}): Bp4dAuLabels {
  const auNames = AU_SETS.bp4d12;
  const width = auNames.length;
  const lines = readNumberedLines(file, options);
  const labels = new Uint8Array(lines.length * width);
  lines.forEach((line, t) => {
    const fields = line.text.trim().split(/\s+/);
    if (fields.length !== width) {
      throw new DatasetInputError(
        file,
        `expected ${width} values (${auNames.join(' ')}), got ${fields.length}`,
        { line: line.line },
      );
    }
    fields.forEach((f, j) => {
      if (f !== '0' && f !== '1')
        throw new DatasetInputError(file, `expected 0 or 1, got ${JSON.stringify(f)}`, {
          line: line.line,
          field: auNames[j],
        });
      labels[t * width + j] = f === '1' ? 1 : 0;
    });
  });
  return { file, auNames, numFrames: lines.length, labels };
}
