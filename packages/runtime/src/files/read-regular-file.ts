import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';

/** Default largest file {@link readRegularFile} reads: the largest Node.js buffer (4 GiB on 64-bit). */
export const REGULAR_FILE_MAX_BYTES: number = bufferConstants.MAX_LENGTH;

/** Per-call options of {@link readRegularFile}. */
export interface ReadRegularFileOptions {
  /** Largest file read, in bytes (default {@link REGULAR_FILE_MAX_BYTES}); a larger file is refused before reading. */
  readonly maxBytes?: number;
}

/**
 * Reads a whole file that must be a regular file of at most `options.maxBytes` bytes. It is opened
 * without blocking, so a FIFO never waits for a writer, and checked with `fstat` on the open descriptor,
 * so a FIFO, device (`/dev/zero`), socket or folder is refused before any byte is read; a file that grows
 * while it is read is refused too.
 *
 * @throws Error `<path>: …` saying what the path is instead, or how large it is.
 */
export function readRegularFile(path: string, options: ReadRegularFileOptions = {}): Buffer {
  const maxBytes = options.maxBytes ?? REGULAR_FILE_MAX_BYTES;
  if (!(Number.isSafeInteger(maxBytes) && maxBytes > 0))
    throw new RangeError(`readRegularFile: options.maxBytes must be a positive integer, got ${maxBytes}`);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw new Error(`${path}: cannot read (${(error as Error).message})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      const kind = stat.isFIFO()
        ? 'a FIFO'
        : stat.isDirectory()
          ? 'a folder'
          : stat.isCharacterDevice() || stat.isBlockDevice()
            ? 'a device'
            : stat.isSocket()
              ? 'a socket'
              : 'not a file';
      throw new Error(`${path}: not a regular file (${kind})`);
    }
    if (stat.size > maxBytes)
      throw new Error(`${path}: ${stat.size} bytes, more than the ${maxBytes}-byte limit (maxBytes)`);
    const buffer = Buffer.allocUnsafe(stat.size + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > stat.size) throw new Error(`${path}: the file grew while it was read`);
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}
