import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetInputError } from '../data-errors';

const IMAGE_FILE = /\.(jpe?g|png)$/i;
const NATURAL = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/**
 * Image files of a frame folder in natural order (`00001_2.jpg` before `00001_10.jpg`).
 *
 * @throws DatasetInputError naming the folder when it cannot be read or holds no image.
 */
export function listFrameFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (cause) {
    throw new DatasetInputError(dir, `cannot read the frame folder (${(cause as Error).message})`, { cause });
  }
  const frames = names.filter((n) => IMAGE_FILE.test(n)).sort(NATURAL.compare);
  if (frames.length === 0)
    throw new DatasetInputError(dir, 'the frame folder holds no .jpg/.jpeg/.png file (empty clip)');
  return frames.map((n) => join(dir, n));
}
