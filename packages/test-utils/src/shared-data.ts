import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Absolute path of a file under the project's shared data folder (`../shared/data` beside the clone),
 * or `undefined` when that folder is absent (a user's clone). Override with `DFER_SHARED_DATA`.
 */
export function sharedDataPath(...parts: string[]): string | undefined {
  const base = process.env.DFER_SHARED_DATA ?? resolve(__dirname, '..', '..', '..', '..', 'shared', 'data');
  const full = join(base, ...parts);
  return existsSync(full) ? full : undefined;
}

/**
 * `describe` when the shared data file exists, otherwise `describe.skip` with a message saying what is
 * missing, so a user's clone skips these tests clearly instead of failing.
 */
export function describeWithSharedData(
  relativePath: string,
  name: string,
  body: (path: string) => void,
): void {
  const path = sharedDataPath(relativePath);
  if (path === undefined) {
    describe.skip(`${name} (skipped: shared data file ../shared/data/${relativePath} is absent)`, () => {
      it('needs the shared data folder', () => undefined);
    });
    return;
  }
  describe(name, () => body(path));
}

/**
 * `describe` over several shared files (paths relative to `../shared/data`; `../reference/…` reaches the
 * reference folder). When any is absent the block is registered as skipped, with a name that lists the
 * missing files, and `body` is **not** run — so a body may read its files at collection time.
 */
export function describeWithSharedFiles(
  name: string,
  relativePaths: readonly string[],
  body: (...paths: string[]) => void,
): void {
  const paths = relativePaths.map((p) => sharedDataPath(p));
  const missing = relativePaths.filter((_, i) => paths[i] === undefined);
  if (missing.length > 0) {
    describe.skip(`${name} (skipped: absent beside the clone: ${missing.map((m) => join('../shared/data', m)).join(', ')})`, () => {
      it('needs the shared data folder', () => undefined);
    });
    return;
  }
  describe(name, () => body(...(paths as string[])));
}
