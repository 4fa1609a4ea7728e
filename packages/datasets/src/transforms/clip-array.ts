/** A clip as a plain typed array: `[T, H, W, C]` row-major, float32. */
export interface ClipArray {
  readonly data: Float32Array;
  readonly shape: readonly [number, number, number, number];
}

/** Throws unless `clip.data.length` equals the product of `clip.shape` with positive integer dims. */
export function checkClip(clip: ClipArray, what: string): void {
  const { shape, data } = clip;
  if (shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new RangeError(
      `${what}: shape must be [T, H, W, C] of positive integers, got ${JSON.stringify(shape)}`,
    );
  }
  const n = shape[0] * shape[1] * shape[2] * shape[3];
  if (data.length !== n)
    throw new RangeError(
      `${what}: data has ${data.length} values, shape ${JSON.stringify(shape)} needs ${n}`,
    );
}

/** Throws unless the clip has 3 (RGB) channels. */
export function checkRgb(clip: ClipArray, what: string): void {
  checkClip(clip, what);
  if (clip.shape[3] !== 3) throw new RangeError(`${what}: expected 3 (RGB) channels, got ${clip.shape[3]}`);
}
