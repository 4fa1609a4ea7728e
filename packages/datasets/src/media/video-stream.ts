/**
 * A video's frames streamed one at a time (constant memory on long videos), with the safeguards of
 * {@link decodeVideo}: the file is checked and probed by {@link probeVideo} (regular file, decodable, size
 * and frame rate), ffmpeg reads only that file (`file` protocol, the allowed demuxers), and a stalled
 * ffmpeg is stopped.
 */
import { spawn } from 'node:child_process';
import { DatasetInputError } from '../data-errors';
import { resolveFfmpeg } from './ffmpeg-binary';
import {
  checkFile,
  decodeFailure,
  inputArgs,
  probeVideo,
  rawRgbOutputArgs,
  type ProbeVideoOptions,
  type VideoInfo,
} from './video-decoding';

/** One decoded frame: `rgb24` pixels at the video's size. */
export interface VideoFrame {
  /** 0-based index in decoding order. */
  readonly index: number;
  /** `index / fps` in seconds (25 fps when the video does not say). */
  readonly time: number;
  /** Row-major RGB bytes, `height × width × 3`. */
  readonly image: { readonly data: Uint8Array; readonly width: number; readonly height: number };
}

/** Per-call options of {@link openVideoFrames}. */
export interface VideoFramesOptions extends Pick<
  ProbeVideoOptions,
  'allowedFormats' | 'maxFramePixels' | 'onDamagedFrames' | 'timeoutMs'
> {
  /**
   * Longest wait for the next frame from ffmpeg, in milliseconds (default 60 000); past it ffmpeg is
   * stopped and reading fails naming the file. Time spent by the consumer between frames is not counted.
   */
  readonly idleTimeoutMs?: number;
}

/** A video opened for streaming. */
export interface VideoFrames extends AsyncIterable<VideoFrame> {
  /** What {@link probeVideo} found, including `damagedFrames` (with `onDamagedFrames: 'report'`). */
  readonly info: VideoInfo;
}

/** Longest stderr line kept while waiting for its end. */
const MAX_LINE = 4096;

/**
 * Probes `file` and returns its frames as an async iterable (ffmpeg starts when iteration starts; one
 * iteration per call). Frames are `rgb24` at the native size, every decoded frame (`-vsync passthrough`).
 * `timeoutMs` bounds the probe; `idleTimeoutMs` the wait for each frame.
 *
 * @throws DatasetInputError naming the file when it is missing, not a regular file, not a video, or
 *   does not decode (from `probeVideo`); iteration throws one when ffmpeg fails or stalls.
 */
export async function openVideoFrames(file: string, options: VideoFramesOptions = {}): Promise<VideoFrames> {
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  if (!(idleTimeoutMs > 0))
    throw new RangeError(`openVideoFrames: idleTimeoutMs must be > 0, got ${idleTimeoutMs}`);
  const info = await probeVideo(file, options);
  let started = false;
  return {
    info,
    async *[Symbol.asyncIterator]() {
      if (started) throw new Error(`openVideoFrames(${file}): the frames can be iterated only once`);
      started = true;
      yield* streamFrames(file, info, options, idleTimeoutMs);
    },
  };
}

async function* streamFrames(
  file: string,
  info: VideoInfo,
  options: VideoFramesOptions,
  idleTimeoutMs: number,
): AsyncGenerator<VideoFrame> {
  const input = checkFile(file, options); // probeVideo checked it; a file replaced since is checked again
  const args = [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    ...inputArgs(input, options),
    ...rawRgbOutputArgs(),
  ];
  const child = spawn(resolveFfmpeg().path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // only the first and the last lines of stderr are kept (bounded memory), for the message of a failure
  let carry = '';
  let head = '';
  let tail: string[] = [];
  const classify = (line: string): void => {
    if (line.trim() === '') return;
    if (head.length < 4 * MAX_LINE) head += `${line.slice(0, 500)}\n`;
    tail = [...tail.slice(-2), line.slice(0, 500)];
  };
  child.stderr.on('data', (chunk: Buffer) => {
    const lines = (carry + chunk.toString('utf8')).split(/\r?\n|\r/);
    carry = (lines.pop() ?? '').slice(-MAX_LINE);
    lines.forEach(classify);
  });
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  const spawnError = new Promise<never>((_, fail) => child.on('error', fail));
  spawnError.catch(() => undefined);
  const frameBytes = info.width * info.height * 3;
  const fps = info.fps > 0 ? info.fps : 25;
  let current = new Uint8Array(frameBytes);
  let filled = 0;
  let index = 0;
  let stalled = false;
  const iterator = child.stdout[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((done) => {
        timer = setTimeout(() => done('timeout'), idleTimeoutMs);
      });
      const next = await Promise.race([iterator.next(), timeout, spawnError]);
      clearTimeout(timer);
      if (next === 'timeout') {
        stalled = true;
        child.kill('SIGKILL');
        throw new DatasetInputError(file, `ffmpeg sent no frame for ${idleTimeoutMs} ms; it was stopped`);
      }
      if (next.done) break;
      const chunk = next.value;
      let offset = 0;
      while (offset < chunk.length) {
        const n = Math.min(frameBytes - filled, chunk.length - offset);
        current.set(chunk.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled === frameBytes) {
          yield {
            index,
            time: index / fps,
            image: { data: current, width: info.width, height: info.height },
          };
          index++;
          current = new Uint8Array(frameBytes);
          filled = 0;
        }
      }
    }
  } finally {
    if (child.exitCode === null && !child.killed) child.kill('SIGKILL');
  }
  const code = await exited;
  classify(carry);
  if (stalled) return;
  if (code !== 0) {
    // the first lines say why a format or URL was refused, the last ones why decoding stopped
    throw decodeFailure(input, `${head}${tail.join('\n')}`);
  }
  if (filled !== 0)
    throw new DatasetInputError(file, `ffmpeg output ${filled} trailing bytes, not a whole frame`);
}
