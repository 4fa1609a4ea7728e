import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { resolveFfmpeg } from './ffmpeg-binary';
import { DatasetInputError } from '../data-errors';
import { describeFileKind } from '../text-lines';
import { bytesToUnitFloat, checkSize, DEFAULT_MAX_PIXELS } from './image-decoding';

interface RunResult {
  readonly stdout: Buffer;
  /** ffmpeg's messages: the first 1 MiB and, when longer, the last 64 KiB. */
  readonly stderr: string;
  readonly code: number | null;
  /** Messages saying a packet failed to decode or a frame was decoded with concealed errors. */
  readonly damagedFrames: number;
  /** The first of those messages. */
  readonly firstDamage: string | undefined;
}

/** Largest head and tail of ffmpeg's messages kept (a damaged file can make it write a line per block). */
const STDERR_HEAD_BYTES = 1_048_576;
const STDERR_TAIL_BYTES = 65_536;

/**
 * One message per damaged frame: ffmpeg's "Error while decoding stream" (a packet that did not decode:
 * the frame is lost; "Decoding error" in newer ffmpeg) and the error concealment's "concealing … errors in
 * X frame" (a frame decoded with damaged blocks filled in). Counted with `-loglevel repeat` so that repeated
 * messages are not collapsed.
 */
const DAMAGE_LINE = /Error while decoding stream|Decoding error:|concealing \d+ DC, \d+ AC, \d+ MV errors/;

function runFfmpeg(
  input: VideoInput,
  options: ProbeVideoOptions,
  args: readonly string[],
  onStdout?: (chunk: Buffer) => void,
): Promise<RunResult> {
  const { path } = resolveFfmpeg();
  const timeoutMs = options.timeoutMs ?? defaultVideoTimeoutMs(input.bytes);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let head = '';
    let tail = '';
    let partial = '';
    let damagedFrames = 0;
    let firstDamage: string | undefined;
    let timedOut = false;
    let stopped: unknown;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const onLine = (line: string): void => {
      if (DAMAGE_LINE.test(line)) {
        damagedFrames++;
        firstDamage ??= line.trim();
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      if (stopped !== undefined) return;
      if (onStdout === undefined) out.push(chunk);
      else {
        try {
          onStdout(chunk);
        } catch (error) {
          stopped = error;
          child.kill('SIGKILL');
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      if (head.length < STDERR_HEAD_BYTES) head += text;
      else tail = (tail + text).slice(-STDERR_TAIL_BYTES);
      const lines = (partial + text).split(/\r|\n/);
      partial = lines.pop() ?? '';
      lines.forEach(onLine);
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      onLine(partial);
      if (stopped !== undefined) {
        reject(stopped);
        return;
      }
      if (timedOut) {
        const limit = options.timeoutMs === undefined ? 'the default limit' : 'options.timeoutMs';
        reject(
          new DatasetInputError(
            input.file,
            `ffmpeg did not finish within ${timeoutMs} ms (${limit}); it was stopped`,
          ),
        );
        return;
      }
      resolvePromise({
        stdout: Buffer.concat(out),
        stderr: tail === '' ? head : `${head}\n…\n${tail}`,
        code,
        damagedFrames,
        firstDamage,
      });
    });
  });
}

/** Throws for damaged frames unless `options.onDamagedFrames` is `'report'`. */
function checkDamage(input: VideoInput, options: ProbeVideoOptions, result: RunResult): void {
  const policy = options.onDamagedFrames ?? 'throw';
  if (policy !== 'throw' && policy !== 'report')
    throw new RangeError(
      `video decoding: options.onDamagedFrames must be 'throw' or 'report', got ${JSON.stringify(policy)}`,
    );
  if (policy === 'throw' && result.damagedFrames > 0) {
    throw new DatasetInputError(
      input.file,
      `${result.damagedFrames} damaged or lost frame(s) while decoding (first: ${result.firstDamage ?? '?'}); the file is corrupt (options.onDamagedFrames: 'report' accepts it and returns the count)`,
    );
  }
}

/** Throws unless `value` is a positive safe integer. */
function checkLimit(value: number, name: string): number {
  if (!(Number.isSafeInteger(value) && value > 0))
    throw new RangeError(`video decoding: options.${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * Demuxers ffmpeg may use by default: containers and elementary streams of video files. Playlist and
 * reference formats (`hls`, `dash`, `concat`, `image2`, …) are left out because they open other files
 * named inside the file; ffmpeg applies the list to every nested open as well.
 */
export const DEFAULT_VIDEO_FORMATS: readonly string[] = [
  'mov',
  'matroska',
  'avi',
  'flv',
  'mpeg',
  'mpegts',
  'mpegvideo',
  'asf',
  'ogg',
  'nut',
  'mxf',
  'dv',
  'rm',
  'ivf',
  'h264',
  'hevc',
  'm4v',
  'mjpeg',
  'gif',
  'yuv4mpegpipe',
];

/** Default time limit of one ffmpeg run: 60 s plus 2 s per MiB of the input file. */
export function defaultVideoTimeoutMs(fileBytes: number): number {
  return 60_000 + Math.ceil(fileBytes / 1_048_576) * 2_000;
}

/** A checked input: the regular file's absolute path and size. */
export interface VideoInput {
  readonly file: string;
  readonly path: string;
  readonly bytes: number;
}

/**
 * Input options that keep ffmpeg on this one file: only the `file` protocol (no network, pipes,
 * `concat:` or `subfile:` URLs), only the allowed demuxers, and the path given with an explicit
 * `file:` prefix so that a name such as `data:…` is not read as a URL.
 */
export function inputArgs(input: VideoInput, options: ProbeVideoOptions): string[] {
  const formats = options.allowedFormats ?? DEFAULT_VIDEO_FORMATS;
  if (formats.length === 0 || formats.some((f) => !/^[a-z0-9_]+$/.test(f))) {
    throw new RangeError(
      `video decoding: options.allowedFormats must be non-empty ffmpeg demuxer names, got ${JSON.stringify(formats)}`,
    );
  }
  return ['-protocol_whitelist', 'file', '-format_whitelist', formats.join(','), '-i', `file:${input.path}`];
}

/**
 * Output options that write the first video stream's frames to stdout as raw `rgb24`, after `filterArgs`
 * (`-vf …` or nothing). `-vsync passthrough`: one output frame per decoded frame (the rawvideo muxer would
 * otherwise duplicate frames of variable-rate files).
 */
export function rawRgbOutputArgs(filterArgs: readonly string[] = []): string[] {
  return [
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    ...filterArgs,
    '-vsync',
    'passthrough',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
}

/** The reason ffmpeg gave up, with a plain explanation when a demuxer was refused. */
export function decodeFailure(input: VideoInput, stderr: string): DatasetInputError {
  if (stderr.includes('Format not on whitelist')) {
    const demuxer = /\[([a-z0-9_,]+) @ (?:0x)?[0-9a-f]+\] Format not on whitelist/.exec(stderr)?.[1];
    return new DatasetInputError(
      input.file,
      `ffmpeg detected the demuxer '${demuxer ?? 'unknown'}', which is not an allowed video format (options.allowedFormats); playlist and reference formats such as hls or concat are refused because they read other files`,
    );
  }
  if (/Protocol '[^']*' not on whitelist/.test(stderr)) {
    return new DatasetInputError(
      input.file,
      `the file asks ffmpeg to open another URL (only the file itself may be read): ${lastLines(stderr)}`,
    );
  }
  return new DatasetInputError(input.file, `ffmpeg cannot decode the video: ${lastLines(stderr)}`);
}

/** What {@link probeVideo} found. */
export interface VideoInfo {
  readonly file: string;
  /** Display size (after rotation metadata, as ffmpeg outputs frames). */
  readonly width: number;
  readonly height: number;
  /** Frame rate of the stream as ffmpeg reports it. */
  readonly fps: number;
  /** Number of frames ffmpeg decodes (at `options.fps` when given). */
  readonly numFrames: number;
  /**
   * Frames ffmpeg reported as damaged or lost while decoding (packets that failed to decode, frames decoded
   * with concealed errors); 0 for an intact file. Non-zero only with `onDamagedFrames: 'report'`.
   */
  readonly damagedFrames: number;
}

/** Per-call options of {@link probeVideo}, and the common part of {@link DecodeVideoOptions}. */
export interface ProbeVideoOptions {
  /** Resample to this many frames per second (ffmpeg `fps` filter). Default: every decoded frame. */
  readonly fps?: number;
  /**
   * Time limit of each ffmpeg run in milliseconds; a run past it is killed and is an error naming the
   * file and the limit. Default {@link defaultVideoTimeoutMs}: 60 s plus 2 s per MiB of the file.
   */
  readonly timeoutMs?: number;
  /**
   * ffmpeg demuxers the file may be read with (default {@link DEFAULT_VIDEO_FORMATS}). Another format,
   * for example an HLS playlist or a concat list saved as `clip.mp4`, is an error naming the file, so a
   * video file never makes ffmpeg open other files.
   */
  readonly allowedFormats?: readonly string[];
  /**
   * What a video whose frames decode with errors gives: `'throw'` (default), an error naming the file and
   * the number of damaged or lost frames; `'report'`, the result with that number in `damagedFrames`
   * (for callers that warn and go on, such as a video analysis).
   */
  readonly onDamagedFrames?: 'throw' | 'report';
  /** Largest frame accepted, width × height in pixels (default {@link DEFAULT_MAX_PIXELS}), checked before decoding. */
  readonly maxFramePixels?: number;
}

/** Checks that `file` is a regular file (not a FIFO, device or folder, which could block ffmpeg). */
export function checkFile(file: string, options: ProbeVideoOptions): VideoInput {
  if (options.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0))
    throw new RangeError(`video decoding: options.timeoutMs must be > 0, got ${options.timeoutMs}`);
  if (!existsSync(file)) throw new DatasetInputError(file, 'video file not found');
  const stat = statSync(file);
  if (!stat.isFile()) {
    throw new DatasetInputError(
      file,
      `not a regular file (${describeFileKind(stat)}); a video must be a regular file`,
    );
  }
  return { file, path: resolve(file), bytes: stat.size };
}

function filters(options: ProbeVideoOptions, size?: readonly [number, number]): string[] {
  const parts: string[] = [];
  if (options.fps !== undefined) {
    if (!(Number.isFinite(options.fps) && options.fps > 0))
      throw new RangeError(`video decoding: options.fps must be > 0, got ${options.fps}`);
    parts.push(`fps=${options.fps}`);
  }
  if (size !== undefined) parts.push(`scale=${size[1]}:${size[0]}:flags=bilinear`);
  return parts.length === 0 ? [] : ['-vf', parts.join(',')];
}

/**
 * Reads a video's size and frame rate from ffmpeg's stream description and counts its frames by
 * decoding it (`ffmpeg -f null`), which is exact where container frame counts are not.
 *
 * @throws DatasetInputError naming the file when it is missing, has no video stream, or fails to decode.
 */
export async function probeVideo(file: string, options: ProbeVideoOptions = {}): Promise<VideoInfo> {
  const input = checkFile(file, options);
  const maxFramePixels = checkLimit(options.maxFramePixels ?? DEFAULT_MAX_PIXELS, 'maxFramePixels');
  const result = await runFfmpeg(input, options, [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'repeat+info',
    ...inputArgs(input, options),
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    ...filters(options),
    '-vsync',
    'passthrough',
    '-f',
    'null',
    '-',
  ]);
  if (result.code !== 0) throw decodeFailure(input, result.stderr);
  const stream = /Stream #\d+:\d+[^\n]*?: Video: [^\n]*?, (\d{1,5})x(\d{1,5})[^\n]*/.exec(result.stderr);
  if (stream === null) throw new DatasetInputError(file, 'no video stream found by ffmpeg');
  const fpsMatch = /(\d+(?:\.\d+)?) fps/.exec(stream[0]) ?? /(\d+(?:\.\d+)?) tbr/.exec(stream[0]);
  const rotation = /rotation of (-?\d+(?:\.\d+)?) degrees|rotate\s*:\s*(-?\d+)/.exec(result.stderr);
  const angle = rotation === null ? 0 : Math.abs(Number(rotation[1] ?? rotation[2])) % 180;
  let width = Number(stream[1]);
  let height = Number(stream[2]);
  if (angle === 90) [width, height] = [height, width];
  const frames = [...result.stderr.matchAll(/frame=\s*(\d+)/g)];
  const numFrames = Number(frames[frames.length - 1]?.[1] ?? 0);
  if (numFrames === 0) throw new DatasetInputError(file, 'the video decodes to 0 frames');
  if (width * height > maxFramePixels)
    throw new DatasetInputError(
      file,
      `frames of ${width}×${height}, more than ${maxFramePixels} pixels (options.maxFramePixels)`,
    );
  checkDamage(input, options, result);
  return {
    file,
    width,
    height,
    fps: fpsMatch === null ? Number.NaN : Number(fpsMatch[1]),
    numFrames,
    damagedFrames: result.damagedFrames,
  };
}

/** A decoded clip, `[T, H, W, 3]` float32 in [0, 1]. */
export interface DecodedVideo {
  readonly data: Float32Array;
  readonly shape: readonly [number, number, number, 3];
  /** Indices (in decoded-frame order) of the frames returned. */
  readonly frameIndices: readonly number[];
  /** Frames the whole video decodes to (at the chosen rate). */
  readonly numFrames: number;
  /** Frames reported damaged or lost while decoding (see {@link VideoInfo.damagedFrames}); 0 for an intact file. */
  readonly damagedFrames: number;
}

/** Per-call options of {@link decodeVideo}. */
export interface DecodeVideoOptions extends ProbeVideoOptions {
  /** Output `[height, width]` (ffmpeg bilinear scaling, aspect not kept). Default: native size. */
  readonly size?: readonly [number, number];
  /** Frames to return (0-based, any order, repeats allowed). Default: every frame. */
  readonly frameIndices?: readonly number[];
  /** Native size when already known (skips a probe; no probe is made either when `size` is given). */
  readonly info?: Pick<VideoInfo, 'width' | 'height'>;
  /**
   * Largest output, in pixels over all returned frames (frames × height × width; default 100 M, 1.2 GB as
   * float32 RGB). Checked before decoding when `frameIndices` is given, else while frames arrive (ffmpeg is
   * stopped as soon as the limit is passed).
   */
  readonly maxTotalPixels?: number;
}

/** Default {@link DecodeVideoOptions.maxTotalPixels}. */
export const DEFAULT_MAX_TOTAL_PIXELS = 100_000_000;

/**
 * Decodes a video with ffmpeg into RGB frames (`rgb24` → float32 `value / 255`), optionally resampled
 * to `fps` and scaled to `size`. Frames are streamed and only those in `frameIndices` are kept.
 *
 * @throws DatasetInputError naming the file when ffmpeg fails, or naming the frame index that the
 *   video does not have (a missing frame).
 */
export async function decodeVideo(file: string, options: DecodeVideoOptions = {}): Promise<DecodedVideo> {
  const input = checkFile(file, options);
  if (options.size !== undefined) checkSize(options.size, 'decodeVideo: options.size');
  // the native size is needed only when no output size is given
  const info =
    options.size !== undefined || options.info !== undefined
      ? options.info
      : await probeVideo(file, {
          ...(options.fps === undefined ? {} : { fps: options.fps }),
          ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
          ...(options.allowedFormats === undefined ? {} : { allowedFormats: options.allowedFormats }),
          ...(options.onDamagedFrames === undefined ? {} : { onDamagedFrames: options.onDamagedFrames }),
          ...(options.maxFramePixels === undefined ? {} : { maxFramePixels: options.maxFramePixels }),
        });
  const [height, width] = options.size ?? [(info as VideoInfo).height, (info as VideoInfo).width];
  const framePixels = width * height;
  const frameBytes = framePixels * 3;
  const maxFramePixels = checkLimit(options.maxFramePixels ?? DEFAULT_MAX_PIXELS, 'maxFramePixels');
  const maxTotalPixels = checkLimit(options.maxTotalPixels ?? DEFAULT_MAX_TOTAL_PIXELS, 'maxTotalPixels');
  if (framePixels > maxFramePixels)
    throw new DatasetInputError(
      file,
      `frames of ${width}×${height}, more than ${maxFramePixels} pixels (options.maxFramePixels)`,
    );
  const wanted = options.frameIndices;
  wanted?.forEach((f, i) => {
    if (!Number.isInteger(f) || f < 0)
      throw new RangeError(`decodeVideo: options.frameIndices[${i}] must be an integer ≥ 0, got ${f}`);
  });
  const tooMany = (frames: number): DatasetInputError =>
    new DatasetInputError(
      file,
      `${frames} frames of ${width}×${height} are more than ${maxTotalPixels} pixels in all (options.maxTotalPixels)`,
    );
  if (wanted !== undefined && wanted.length * framePixels > maxTotalPixels) throw tooMany(wanted.length);
  const wantedSet = wanted === undefined ? undefined : new Set(wanted);
  const kept = new Map<number, Buffer>();
  // Copy each chunk straight into the current frame's buffer (no re-concatenation); frames that are
  // not wanted are counted but not copied.
  let current: Buffer | undefined;
  let filled = 0;
  let decoded = 0;
  const onStdout = (chunk: Buffer): void => {
    let offset = 0;
    while (offset < chunk.length) {
      const keep = wantedSet === undefined || wantedSet.has(decoded);
      if (keep && current === undefined) current = Buffer.allocUnsafe(frameBytes);
      const n = Math.min(frameBytes - filled, chunk.length - offset);
      if (keep) chunk.copy(current as Buffer, filled, offset, offset + n);
      filled += n;
      offset += n;
      if (filled === frameBytes) {
        if (keep) {
          kept.set(decoded, current as Buffer);
          if (wanted === undefined && kept.size * framePixels > maxTotalPixels) throw tooMany(kept.size);
        }
        current = undefined;
        filled = 0;
        decoded++;
      }
    }
  };
  const args = [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'repeat+info',
    ...inputArgs(input, options),
    ...rawRgbOutputArgs(filters(options, [height, width])),
  ];
  const result = await runFfmpeg(input, options, args, onStdout);
  if (result.code !== 0) throw decodeFailure(input, result.stderr);
  checkDamage(input, options, result);
  if (filled !== 0) {
    throw new DatasetInputError(
      file,
      `ffmpeg output ${filled} trailing bytes, not a whole ${width}×${height} RGB frame`,
    );
  }
  if (decoded === 0) throw new DatasetInputError(file, 'the video decodes to 0 frames (empty clip)');
  const indices = wanted ?? Array.from({ length: decoded }, (_, i) => i);
  const data = new Float32Array(indices.length * frameBytes);
  indices.forEach((f, t) => {
    const frame = kept.get(f);
    if (frame === undefined)
      throw new DatasetInputError(file, `frame ${f} is missing: the video decodes to ${decoded} frames`);
    bytesToUnitFloat(frame, data, t * frameBytes);
  });
  return {
    data,
    shape: [indices.length, height, width, 3],
    frameIndices: indices,
    numFrames: decoded,
    damagedFrames: result.damagedFrames,
  };
}

function lastLines(stderr: string): string {
  const lines = stderr.trim().split('\n');
  return lines.slice(-3).join(' | ') || 'no message';
}
