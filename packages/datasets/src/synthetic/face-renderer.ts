/**
 * Draws one synthetic face frame with `@napi-rs/canvas` (Skia 2-D vector graphics) straight at the
 * requested resolution, then applies photometric changes (brightness, contrast, blur, sensor noise)
 * on the 8-bit pixels. Output is RGB, 8 bits per channel, row-major `[H, W, 3]`.
 *
 * Determinism: the drawing is a pure function of its inputs, and the noise comes from a seeded
 * generator, so the same request gives byte-identical pixels on the same platform build of Skia.
 */
import type { Canvas, SKRSContext2D } from '@napi-rs/canvas';
import { loadCanvas } from '../native-modules';
import { createRandomSource } from '../random';
import { computeFaceLandmarks } from './face-geometry';
import { drawFace } from './face-drawing';
import type { FaceRenderRequest } from './face-render-request';

interface Surface {
  readonly canvas: Canvas;
  readonly ctx: SKRSContext2D;
}

const surfaces = new Map<string, Surface>();

function getSurface(width: number, height: number): Surface {
  const key = `${width}x${height}`;
  let s = surfaces.get(key);
  if (s === undefined) {
    const canvas = loadCanvas().createCanvas(width, height);
    s = { canvas, ctx: canvas.getContext('2d') };
    surfaces.set(key, s);
  }
  return s;
}

/**
 * Separable binomial blur in place on an RGBA buffer: `passes` passes of the kernel [1, 2, 1]/4 along
 * rows and columns (edges clamped). n passes have variance n/2, so a Gaussian of σ pixels needs
 * n = round(2σ²) passes (central limit theorem; Burt & Adelson, 1983).
 */
function binomialBlur(rgba: Uint8ClampedArray, width: number, height: number, passes: number): void {
  const tmp = new Uint8ClampedArray(Math.max(width, height) * 4);
  for (let p = 0; p < passes; p++) {
    for (let y = 0; y < height; y++) {
      const row = y * width * 4;
      tmp.set(rgba.subarray(row, row + width * 4));
      for (let x = 0; x < width; x++) {
        const l = Math.max(0, x - 1) * 4;
        const r = Math.min(width - 1, x + 1) * 4;
        const c = x * 4;
        for (let ch = 0; ch < 3; ch++) {
          rgba[row + c + ch] =
            ((tmp[l + ch] as number) + 2 * (tmp[c + ch] as number) + (tmp[r + ch] as number) + 2) >> 2;
        }
      }
    }
    for (let x = 0; x < width; x++) {
      for (let y = 0; y < height; y++) {
        const i = (y * width + x) * 4;
        tmp[y * 4] = rgba[i] as number;
        tmp[y * 4 + 1] = rgba[i + 1] as number;
        tmp[y * 4 + 2] = rgba[i + 2] as number;
      }
      for (let y = 0; y < height; y++) {
        const u = Math.max(0, y - 1) * 4;
        const d = Math.min(height - 1, y + 1) * 4;
        const c = y * 4;
        const i = (y * width + x) * 4;
        for (let ch = 0; ch < 3; ch++) {
          rgba[i + ch] =
            ((tmp[u + ch] as number) + 2 * (tmp[c + ch] as number) + (tmp[d + ch] as number) + 2) >> 2;
        }
      }
    }
  }
}

let gaussian: Float32Array | undefined;

/**
 * 65,536 standard-normal samples (Box–Muller from a fixed-seed generator), drawn once. Sensor noise
 * indexes this table with a per-frame xorshift32 stream: far cheaper than a log, a square root and a
 * cosine per pixel, and a sample mean/std within 0.01 of 0/1.
 */
function gaussianTable(): Float32Array {
  if (gaussian === undefined) {
    const rng = createRandomSource(0x5eed);
    const t = new Float32Array(65536);
    for (let k = 0; k < t.length; k += 2) {
      const u = Math.max(rng.next(), 1e-12);
      const v = rng.next();
      const r = Math.sqrt(-2 * Math.log(u));
      t[k] = r * Math.cos(2 * Math.PI * v);
      t[k + 1] = r * Math.sin(2 * Math.PI * v);
    }
    gaussian = t;
  }
  return gaussian;
}

function checkSize(width: number, height: number): void {
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < 8 || v > 2048) {
      throw new RangeError(`renderFaceFrame: ${name} must be an integer in [8, 2048], got ${v}`);
    }
  }
}

/**
 * Renders one frame as RGB bytes `[height, width, 3]`.
 *
 * Pixel pipeline after drawing: optional binomial blur with n = round(2·(σ·min(W,H)/64)²) passes,
 * then per channel v' = clamp(round((v − 128)·contrast + 128 + brightness + noiseStd·ε), 0, 255)
 * with ε ~ N(0, 1) taken from a fixed table of Box–Muller samples by a xorshift32 stream seeded from
 * `noiseSeed`.
 *
 * @param out - optional destination of length `height·width·3` (reused to avoid allocation).
 */
export function renderFaceFrame(
  request: FaceRenderRequest,
  width: number,
  height: number,
  out?: Uint8Array,
): Uint8Array {
  checkSize(width, height);
  const n = width * height;
  if (out !== undefined && out.length !== n * 3) {
    throw new RangeError(
      `renderFaceFrame: out has length ${out.length}, expected ${n * 3} (= ${height}×${width}×3)`,
    );
  }
  const dest = out ?? new Uint8Array(n * 3);
  const { ctx } = getSurface(width, height);
  const state = computeFaceLandmarks(request.identity, request.aus);
  ctx.save();
  drawFace(ctx, request, state, width, height);
  ctx.restore();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const ph = request.photometry;
  const sigmaPx = (ph.blurSigma * Math.min(width, height)) / 64;
  const passes = Math.round(2 * sigmaPx * sigmaPx);
  if (passes > 0) binomialBlur(rgba, width, height, passes);
  const contrast = ph.contrast;
  const offset = 128 - 128 * contrast + ph.brightness;
  const noise = ph.noiseStd;
  const m = n * 3;
  if (noise > 0) {
    const table = gaussianTable();
    let state = (createRandomSource(request.noiseSeed).next() * 4294967296) | 0 || 1;
    for (let k = 0, j = 0; k < m; j++) {
      if ((j & 3) === 3) continue; // alpha
      // xorshift32 (Marsaglia, 2003) picks one of the 65,536 Gaussian samples.
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const val = Math.round(
        (rgba[j] as number) * contrast + offset + noise * (table[state >>> 16] as number),
      );
      dest[k++] = val < 0 ? 0 : val > 255 ? 255 : val;
    }
  } else if (contrast === 1 && offset === 0) {
    for (let k = 0, j = 0; k < m; j++) {
      if ((j & 3) !== 3) dest[k++] = rgba[j] as number;
    }
  } else {
    for (let k = 0, j = 0; k < m; j++) {
      if ((j & 3) === 3) continue;
      const val = Math.round((rgba[j] as number) * contrast + offset);
      dest[k++] = val < 0 ? 0 : val > 255 ? 255 : val;
    }
  }
  return dest;
}
