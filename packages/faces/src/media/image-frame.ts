import { decodeImage } from '@dfer/datasets/media';
import type { RgbFrame } from '../types';

/**
 * Reads a photo (any format sharp/libvips decodes) into an {@link RgbFrame}, through
 * `decodeImage` of `@dfer/datasets/media` (float `byte / 255`, converted back to the same bytes).
 *
 * @throws DatasetInputError naming the file when it is missing or not a decodable image.
 */
export async function readImageFrame(path: string): Promise<RgbFrame> {
  const image = await decodeImage(path);
  return { data: unitFloatToBytes(image.data), width: image.width, height: image.height };
}

/** `round(v · 255)` clamped to [0, 255]: the inverse of `byte / 255`. */
function unitFloatToBytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.round((values[i] as number) * 255);
  return out;
}
