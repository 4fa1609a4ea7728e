/** An RGB image in memory: `height × width × 3` bytes, row-major (what video and image decoders give). */
export interface RgbFrame {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** An axis-aligned box in image pixels. */
export interface FaceBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A 2-D point in image pixels. */
export type Point2 = readonly [number, number];
