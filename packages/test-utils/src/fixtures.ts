import { createSeededRng } from './seeded-rng';

/**
 * A tiny clip as a plain typed array: `[frames, height, width, channels]`, values uniform in [0, 1),
 * reproducible from `seed`.
 */
export function tinyClip(
  frames = 4,
  height = 8,
  width = 8,
  channels = 3,
  seed = 0,
): { data: Float32Array; shape: [number, number, number, number] } {
  const rng = createSeededRng(seed);
  return {
    data: rng.uniformArray(frames * height * width * channels),
    shape: [frames, height, width, channels],
  };
}
