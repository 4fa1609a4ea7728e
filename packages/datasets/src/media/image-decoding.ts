import { extname } from 'node:path';
import type { OutputInfo } from 'sharp';
import { loadSharp } from '../native-modules';
import { DatasetInputError } from '../data-errors';
import { readBoundedFile } from '../text-lines';

/** A decoded RGB image, `[height, width, 3]` row-major, float32 in [0, 1]. */
export interface DecodedImage {
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
  readonly channels: 3;
}

/** Image formats {@link decodeImage} can accept, recognised by their first bytes. */
export type ImageFormat = 'jpeg' | 'png' | 'webp';

/** Default {@link DecodeImageOptions.formats}: JPEG and PNG (what frame folders hold). */
export const DEFAULT_IMAGE_FORMATS: readonly ImageFormat[] = ['jpeg', 'png'];

/** Default largest decoded image or video frame: 40 megapixels (≈ 8K × 5K; 480 MB as float32 RGB). */
export const DEFAULT_MAX_PIXELS = 40_000_000;

/** Default largest encoded image file read: 64 MiB. */
export const IMAGE_FILE_MAX_BYTES = 67_108_864;

/** Per-call options of {@link decodeImage}. */
export interface DecodeImageOptions {
  /** Output `[height, width]`; the image is stretched to it (aspect not kept), bilinear. Default: native size. */
  readonly size?: readonly [number, number];
  /**
   * Formats accepted, recognised by the file's first bytes, never by its name (default
   * {@link DEFAULT_IMAGE_FORMATS}). Any other content (SVG, TIFF, GIF, HEIF, …) is an error naming the file,
   * as is a file whose extension (`.jpg`, `.jpeg`, `.png`, `.webp`) names another format than it holds.
   */
  readonly formats?: readonly ImageFormat[];
  /**
   * Largest image accepted, in pixels (width × height read from the header, checked before decoding;
   * default {@link DEFAULT_MAX_PIXELS}).
   */
  readonly maxPixels?: number;
  /** Largest file read, in bytes (default {@link IMAGE_FILE_MAX_BYTES}); checked before reading. */
  readonly maxBytes?: number;
}

/** The format of encoded image bytes, from their signature. */
function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  const at = (offset: number, signature: readonly number[]): boolean =>
    signature.every((b, i) => bytes[offset + i] === b);
  if (at(0, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (at(0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (at(0, [0x52, 0x49, 0x46, 0x46]) && at(8, [0x57, 0x45, 0x42, 0x50])) return 'webp';
  return undefined;
}

/** CRC-32 (ISO-HDLC, as PNG uses) of `bytes`. */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/**
 * Checks a PNG's chunk structure (PNG spec §5): IHDR first, every chunk inside the file with a matching
 * CRC-32, IEND last and nothing after it. libpng skips some of these checks (the CRC of chunks after the
 * image data, bytes after IEND), so damage there would otherwise pass unnoticed.
 */
function checkPngChunks(file: string, bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  let first = true;
  for (;;) {
    const fail = (what: string): never => {
      throw new DatasetInputError(file, `damaged PNG: ${what} (chunk at byte ${at})`);
    };
    if (at + 12 > bytes.length) fail('the file ends inside a chunk header; no IEND chunk');
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (!/^[A-Za-z]{4}$/.test(type)) fail(`chunk type ${JSON.stringify(type)} is not 4 letters`);
    if (first && type !== 'IHDR') fail(`the first chunk is ${type}, not IHDR`);
    if (length > 0x7fffffff || at + 12 + length > bytes.length)
      fail(`chunk ${type} of ${length} bytes runs past the end of the file`);
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length))
      fail(`CRC mismatch in chunk ${type}`);
    at += 12 + length;
    first = false;
    if (type === 'IEND') {
      if (at !== bytes.length) fail(`${bytes.length - at} bytes after the IEND chunk`);
      return;
    }
  }
}

/**
 * Checks a JPEG's marker structure (ITU T.81 Annex B): SOI, marker segments whose lengths stay inside
 * the file, a frame header before the first scan, entropy-coded data followed by further segments
 * (progressive files) and finally EOI. Bytes after EOI are allowed (cameras append data there). libjpeg
 * reports most damage itself; a missing EOI, for one, it lets pass when every block was decoded.
 */
function checkJpegStructure(file: string, b: Uint8Array): void {
  const fail = (what: string, at: number): never => {
    throw new DatasetInputError(file, `damaged JPEG: ${what} (at byte ${at})`);
  };
  let at = 2;
  let frame = false;
  while (at < b.length) {
    if (b[at] !== 0xff) fail('expected a marker', at);
    const marker = b[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === undefined) break;
    if (marker === 0xd9) return; // EOI
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7) || marker < 0xc0)
      fail(`marker 0xFF${marker.toString(16).toUpperCase()} is not allowed here`, at);
    if (at + 4 > b.length) break;
    const length = ((b[at + 2] as number) << 8) | (b[at + 3] as number);
    if (length < 2 || at + 2 + length > b.length)
      fail(`segment of ${length} bytes runs past the end of the file`, at);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
      frame = true;
    at += 2 + length;
    if (marker === 0xda) {
      if (!frame) fail('a scan before the frame header', at);
      // entropy-coded data: up to the next marker that is not a stuffed 0xFF00 or a restart marker
      while (
        at < b.length - 1 &&
        !(
          b[at] === 0xff &&
          b[at + 1] !== 0x00 &&
          !((b[at + 1] as number) >= 0xd0 && (b[at + 1] as number) <= 0xd7)
        )
      )
        at++;
      if (at >= b.length - 1) break;
    }
  }
  fail('the file ends before the EOI marker', b.length);
}

const EXTENSION_FORMAT: Readonly<Record<string, ImageFormat>> = {
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.png': 'png',
  '.webp': 'webp',
};

/**
 * Decodes a JPEG/PNG (WebP when allowed in `options.formats`) with sharp into RGB float32 `value / 255`.
 * Alpha is dropped, grey images are expanded to RGB, EXIF orientation is not applied (frames are used as
 * stored). Resizing, when asked, uses sharp's `linear` (bilinear) kernel with `fit: 'fill'`.
 *
 * Image files are untrusted input: the file must be a regular file of at most `options.maxBytes`; its
 * format is recognised from its bytes and must be allowed and agree with the extension; the pixel count
 * in its header is bounded by `options.maxPixels` before any pixel is decoded (sharp `limitInputPixels`);
 * any damage libvips notices (a corrupt or truncated JPEG, a bad checksum in the PNG image data) is an
 * error (sharp `failOn: 'warning'`), never a silently concealed image; and a PNG's chunk structure is
 * checked in full (every chunk's CRC-32, nothing after IEND), as is a JPEG's marker structure (segment
 * lengths, a frame before the scans, the final EOI).
 *
 * @throws DatasetInputError naming the file when it is missing, not allowed, too large, or cannot be
 *   decoded without damage.
 */
export async function decodeImage(file: string, options: DecodeImageOptions = {}): Promise<DecodedImage> {
  const size = options.size;
  if (size !== undefined) checkSize(size, 'decodeImage: options.size');
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(Number.isSafeInteger(maxPixels) && maxPixels > 0))
    throw new RangeError(`decodeImage: options.maxPixels must be a positive integer, got ${maxPixels}`);
  const formats = options.formats ?? DEFAULT_IMAGE_FORMATS;
  const bytes = readBoundedFile(file, options.maxBytes ?? IMAGE_FILE_MAX_BYTES, 'image');
  const format = sniffImageFormat(bytes);
  if (format === undefined || !formats.includes(format)) {
    throw new DatasetInputError(
      file,
      `cannot decode the image: ${format === undefined ? 'not a JPEG, PNG or WebP image' : `a ${format} image`}; accepted formats: ${formats.join(', ')} (options.formats)`,
    );
  }
  if (format === 'png') checkPngChunks(file, bytes);
  if (format === 'jpeg') checkJpegStructure(file, bytes);
  const named = EXTENSION_FORMAT[extname(file).toLowerCase()];
  if (named !== undefined && named !== format)
    throw new DatasetInputError(file, `the name says ${named} but the file holds a ${format} image`);
  let pipeline = loadSharp()(bytes, { failOn: 'warning', limitInputPixels: maxPixels })
    .removeAlpha()
    .toColourspace('srgb');
  if (size !== undefined)
    pipeline = pipeline.resize({ width: size[1], height: size[0], fit: 'fill', kernel: 'linear' });
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await pipeline.raw().toBuffer({ resolveWithObject: true });
  } catch (cause) {
    const message = (cause as Error).message;
    if (/exceeds pixel limit/i.test(message))
      throw new DatasetInputError(file, `more than ${maxPixels} pixels (options.maxPixels); not decoded`, {
        cause,
      });
    throw new DatasetInputError(file, `cannot decode the image without damage (${message})`, { cause });
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
