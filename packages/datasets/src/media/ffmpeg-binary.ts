/** Finding the ffmpeg binary: `DFER_FFMPEG`, the one shipped in `@ffmpeg-installer/ffmpeg`, or `ffmpeg` on `PATH`. */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Which ffmpeg binary is used and where it came from. */
export interface FfmpegBinary {
  readonly path: string;
  readonly source: 'npm' | 'system';
}

let cachedFfmpeg: FfmpegBinary | undefined;

/** Where {@link resolveFfmpeg} looks when asked to search anew. */
export interface FfmpegSearchOptions {
  /** An explicit binary (what `DFER_FFMPEG` sets); it must be executable. */
  readonly override?: string;
  /** Try the binary of `@ffmpeg-installer/ffmpeg` (default true). */
  readonly npm?: boolean;
  /** The `PATH` to search for a system `ffmpeg` (default `process.env.PATH`). */
  readonly pathEnv?: string;
}

/**
 * The ffmpeg binary. Without `options`: the one this package uses, found once per process with
 * `override = DFER_FFMPEG` (the npm-shipped binary, falling back to a system `ffmpeg` on `PATH`). With
 * `options`: a fresh, uncached search — `override` when given; else the binary shipped by
 * `@ffmpeg-installer/ffmpeg` when it is installed for this platform (required only now, never at import);
 * else the first `ffmpeg` on `pathEnv`.
 *
 * @throws Error saying what was tried when none is available.
 */
export function resolveFfmpeg(options?: FfmpegSearchOptions): FfmpegBinary {
  if (options !== undefined) return searchFfmpeg(options);
  if (cachedFfmpeg === undefined) {
    const override = process.env.DFER_FFMPEG;
    cachedFfmpeg = searchFfmpeg(override === undefined ? {} : { override });
  }
  return cachedFfmpeg;
}

function searchFfmpeg(options: FfmpegSearchOptions): FfmpegBinary {
  const override = options.override;
  if (override !== undefined && override !== '') {
    if (!isExecutable(override))
      throw new Error(`ffmpeg override ${override} (DFER_FFMPEG) is not an executable file`);
    return { path: override, source: 'system' };
  }
  let npmError = 'not tried';
  if (options.npm ?? true) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const installer = require('@ffmpeg-installer/ffmpeg') as { path: string };
      if (isExecutable(installer.path)) return { path: installer.path, source: 'npm' };
      npmError = `${installer.path} is not executable`;
    } catch (error) {
      npmError = (error as Error).message.split('\n')[0] ?? 'not installed';
    }
  }
  for (const dir of (options.pathEnv ?? process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg');
    if (dir !== '' && isExecutable(candidate)) return { path: candidate, source: 'system' };
  }
  throw new Error(
    `no ffmpeg found: @ffmpeg-installer/ffmpeg: ${npmError}; no ffmpeg on PATH; install one or set DFER_FFMPEG`,
  );
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
