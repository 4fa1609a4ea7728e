import sharp from 'sharp';
import { DatasetInputError } from './data-errors';

/** A decoded RGB image, `[height, width, 3]` row-major, float32 in [0, 1]. */
export interface DecodedImage {
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
  readonly channels: 3;
}

/** Per-call options of {@link decodeImage}. */
export interface DecodeImageOptions {
  /** Output `[height, width]`; the image is stretched to it (aspect not kept), bilinear. Default: native size. */
  readonly size?: readonly [number, number];
}

/**
 * Decodes a JPEG/PNG (any format libvips reads) with sharp into RGB float32 `value / 255`. Alpha is
 * dropped, grey images are expanded to RGB, EXIF orientation is not applied (frames are used as stored).
 * Resizing, when asked, uses sharp's `linear` (bilinear) kernel with `fit: 'fill'`.
 *
 * @throws DatasetInputError naming the file when it is missing or cannot be decoded.
 */
export async function decodeImage(file: string, options: DecodeImageOptions = {}): Promise<DecodedImage> {
  const size = options.size;
  if (size !== undefined) checkSize(size, 'decodeImage: options.size');
  let pipeline = sharp(file, { failOn: 'error' }).removeAlpha().toColourspace('srgb');
  if (size !== undefined)
    pipeline = pipeline.resize({ width: size[1], height: size[0], fit: 'fill', kernel: 'linear' });
  let raw: { data: Buffer; info: sharp.OutputInfo };
  try {
    raw = await pipeline.raw().toBuffer({ resolveWithObject: true });
  } catch (cause) {
    throw new DatasetInputError(file, `cannot decode the image (${(cause as Error).message})`, { cause });
  }
  const { width, height, channels } = raw.info;
  if (channels !== 3)
    throw new DatasetInputError(file, `expected 3 colour channels after conversion, got ${channels}`);
  return { data: bytesToUnitFloat(raw.data), height, width, channels: 3 };
}

const UNIT_FLOAT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/** `out[offset + i] = bytes[i] / 255` (through a 256-entry table: the same float32 values, no division). */
export function bytesToUnitFloat(
  bytes: Uint8Array,
  out = new Float32Array(bytes.length),
  offset = 0,
): Float32Array {
  for (let i = 0; i < bytes.length; i++) out[offset + i] = UNIT_FLOAT[bytes[i] as number] as number;
  return out;
}

/** Throws unless `size` is `[height, width]` of positive integers. */
export function checkSize(size: readonly number[], what: string): void {
  if (size.length !== 2 || !size.every((v) => Number.isInteger(v) && v > 0)) {
    throw new RangeError(`${what} must be [height, width] of positive integers, got ${JSON.stringify(size)}`);
  }
}
