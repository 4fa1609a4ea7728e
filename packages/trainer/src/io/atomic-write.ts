// The trainer writes its files with @dfer/runtime's atomic writer (one implementation for safetensors,
// ONNX files, checkpoints, logs and results).
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
export { atomicWriteFile } from '@dfer/runtime';

/** Names `atomicWriteFile` gives its temporary files: `.<name>.tmp-<pid>-<8 hex digits>`. */
const TEMP_FILE = /^\..+\.tmp-\d+-[0-9a-f]{8}$/;

/**
 * Removes the temporary files that `atomicWriteFile` leaves when a process is killed mid-write
 * (`.best.safetensors.tmp-123-0a1b2c3d`), in `dir` and its subfolders up to `depth` levels down. Only
 * regular files with exactly that name pattern are removed. Returns the removed paths.
 */
export function removeOrphanedTempFiles(dir: string, depth = 2): string[] {
  const removed: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return removed;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isFile() && TEMP_FILE.test(entry.name)) {
      rmSync(path, { force: true });
      removed.push(path);
    } else if (entry.isDirectory() && depth > 0) removed.push(...removeOrphanedTempFiles(path, depth - 1));
  }
  return removed;
}
