import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/**
 * Write `data` to `path` atomically: the bytes go to a temporary file in the same directory, which is
 * flushed to disk (fsync) and then renamed over `path`. A crash at any moment leaves either the old file or
 * the new one, never a truncated mix. The temporary file is removed when writing fails.
 *
 * @param chunks - the data, as one buffer or several written in order (large files need not be joined).
 */
export function atomicWriteFile(
  path: string,
  chunks: Uint8Array | string | readonly (Uint8Array | string)[],
): void {
  const list = Array.isArray(chunks) ? chunks : [chunks as Uint8Array | string];
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    for (const chunk of list) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw error;
  }
}
