import { checkSize } from '../media/image-decoding';
import { checkClip, type ClipArray } from './clip-array';

/**
 * Bilinear resize of every frame to `[height, width]` with half-pixel centres — PyTorch
 * `F.interpolate(mode='bilinear', align_corners=False, antialias=False)`: for output x,
 * `src = max(0, (x + ½)·W_in/W_out − ½)`, `x₀ = ⌊src⌋`, `x₁ = min(x₀ + 1, W_in − 1)`, `λ = src − x₀`,
 * `out = (1 − λ)·in[x₀] + λ·in[x₁]`, likewise along y.
 */
export function resizeClip(clip: ClipArray, size: readonly [number, number]): ClipArray {
  checkClip(clip, 'resizeClip: clip');
  checkSize(size, 'resizeClip: size');
  const [t, h, w, c] = clip.shape;
  const [oh, ow] = size;
  if (oh === h && ow === w) return { data: clip.data.slice(), shape: [t, h, w, c] };
  const ys = axisWeights(h, oh);
  const xs = axisWeights(w, ow);
  const out = new Float32Array(t * oh * ow * c);
  const src = clip.data;
  for (let f = 0; f < t; f++) {
    const base = f * h * w * c;
    for (let y = 0; y < oh; y++) {
      const y0 = ys.i0[y] as number;
      const y1 = ys.i1[y] as number;
      const ly = ys.lambda[y] as number;
      for (let x = 0; x < ow; x++) {
        const x0 = xs.i0[x] as number;
        const x1 = xs.i1[x] as number;
        const lx = xs.lambda[x] as number;
        const o = ((f * oh + y) * ow + x) * c;
        for (let k = 0; k < c; k++) {
          const a = src[base + (y0 * w + x0) * c + k] as number;
          const b = src[base + (y0 * w + x1) * c + k] as number;
          const d = src[base + (y1 * w + x0) * c + k] as number;
          const e = src[base + (y1 * w + x1) * c + k] as number;
          out[o + k] = (1 - ly) * ((1 - lx) * a + lx * b) + ly * ((1 - lx) * d + lx * e);
        }
      }
    }
  }
  return { data: out, shape: [t, oh, ow, c] };
}

function axisWeights(
  inSize: number,
  outSize: number,
): { i0: Int32Array; i1: Int32Array; lambda: Float64Array } {
  const scale = inSize / outSize;
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const lambda = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(0, (o + 0.5) * scale - 0.5);
    const lo = Math.min(Math.floor(src), inSize - 1);
    i0[o] = lo;
    i1[o] = Math.min(lo + 1, inSize - 1);
    lambda[o] = src - lo;
  }
  return { i0, i1, lambda };
}

/** The rectangle `[top, top + height) × [left, left + width)` of every frame. */
export function cropClip(
  clip: ClipArray,
  top: number,
  left: number,
  height: number,
  width: number,
): ClipArray {
  checkClip(clip, 'cropClip: clip');
  const [t, h, w, c] = clip.shape;
  const ok =
    [top, left, height, width].every(Number.isInteger) && top >= 0 && left >= 0 && height > 0 && width > 0;
  if (!ok || top + height > h || left + width > w) {
    throw new RangeError(
      `cropClip: box top=${top} left=${left} height=${height} width=${width} does not fit a ${h}×${w} frame`,
    );
  }
  const out = new Float32Array(t * height * width * c);
  for (let f = 0; f < t; f++) {
    for (let y = 0; y < height; y++) {
      const from = ((f * h + top + y) * w + left) * c;
      out.set(clip.data.subarray(from, from + width * c), (f * height + y) * width * c);
    }
  }
  return { data: out, shape: [t, height, width, c] };
}

/** Mirrors every frame left–right: `out[t, y, x] = in[t, y, W − 1 − x]`. */
export function flipClipHorizontally(clip: ClipArray): ClipArray {
  checkClip(clip, 'flipClipHorizontally: clip');
  const [t, h, w, c] = clip.shape;
  const out = new Float32Array(clip.data.length);
  for (let row = 0; row < t * h; row++) {
    for (let x = 0; x < w; x++) {
      const from = (row * w + (w - 1 - x)) * c;
      out.set(clip.data.subarray(from, from + c), (row * w + x) * c);
    }
  }
  return { data: out, shape: [t, h, w, c] };
}

/** A crop box. */
export interface CropBox {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

/** Options of {@link randomResizedCropBox}. */
export interface RandomResizedCropOptions {
  /** Range of the crop's area as a fraction of the frame (default [0.08, 1]). */
  readonly scale?: readonly [number, number];
  /** Range of the crop's aspect ratio width/height (default [3/4, 4/3]). */
  readonly ratio?: readonly [number, number];
}

/**
 * torchvision `RandomResizedCrop.get_params`: up to 10 tries of area `A·U(scale)` and aspect
 * `exp(U(log ratio))`, `w = round(√(area·aspect))`, `h = round(√(area/aspect))`; the first box that
 * fits is placed uniformly (`top ~ U{0 … H − h}`, `left ~ U{0 … W − w}`). Otherwise a central crop
 * with the aspect clamped into `ratio`. Draws from `next()` in this order per try: area, aspect,
 * then (on success) top, left.
 */
export function randomResizedCropBox(
  height: number,
  width: number,
  rng: { next(): number },
  options: RandomResizedCropOptions = {},
): CropBox {
  const [s0, s1] = options.scale ?? [0.08, 1];
  const [r0, r1] = options.ratio ?? [3 / 4, 4 / 3];
  if (!(s0 > 0 && s0 <= s1 && s1 <= 1))
    throw new RangeError(`randomResizedCrop: scale must satisfy 0 < min ≤ max ≤ 1, got [${s0}, ${s1}]`);
  if (!(r0 > 0 && r0 <= r1))
    throw new RangeError(`randomResizedCrop: ratio must satisfy 0 < min ≤ max, got [${r0}, ${r1}]`);
  const area = height * width;
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * (s0 + (s1 - s0) * rng.next());
    const aspect = Math.exp(Math.log(r0) + (Math.log(r1) - Math.log(r0)) * rng.next());
    const w = roundHalfEven(Math.sqrt(target * aspect));
    const h = roundHalfEven(Math.sqrt(target / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = Math.floor(rng.next() * (height - h + 1));
      const left = Math.floor(rng.next() * (width - w + 1));
      return { top, left, height: h, width: w };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < r0) h = roundHalfEven(w / r0);
  else if (inRatio > r1) w = roundHalfEven(h * r1);
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

/** Python's `round` (half to even), as torchvision uses. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
