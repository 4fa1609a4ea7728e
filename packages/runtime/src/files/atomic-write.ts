import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/**
 * Write `data` to `path` atomically: the bytes go to a temporary file in the same folder
 * (`.<name>.tmp-<pid>-<random>`), which is flushed to disk (fsync) and then renamed over `path`. A crash at
 * any moment leaves either the old file or the new one, never a truncated mix. The temporary file is
 * removed when writing fails, and the error names `path` (never the temporary name) and why: a missing
 * folder, a folder in the way, no permission, a full disk.
 *
 * @param chunks - the data, as one buffer or several written in order (large files need not be joined).
 * @throws Error `cannot write <path>: …` when the file cannot be written.
 */
export function atomicWriteFile(
  path: string,
  chunks: Uint8Array | string | readonly (Uint8Array | string)[],
): void {
  const folder = dirname(path);
  if (!existsSync(folder)) throw new Error(`cannot write ${path}: the folder ${folder} does not exist`);
  if (!statSync(folder).isDirectory()) throw new Error(`cannot write ${path}: ${folder} is not a folder`);
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new Error(`cannot write ${path}: a folder of that name exists`);
  }
  const list = Array.isArray(chunks) ? chunks : [chunks as Uint8Array | string];
  const tmp = join(folder, `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
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
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'ENOSPC'
          ? 'no space left on the device'
          : code === 'EROFS'
            ? 'read-only file system'
            : (error as Error).message.replaceAll(tmp, path);
    throw new Error(`cannot write ${path}: ${reason}`, { cause: error });
  }
}
