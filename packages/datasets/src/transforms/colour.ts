import { checkClip, checkRgb, type ClipArray } from './clip-array';

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/** ITU-R 601 luma as torchvision `rgb_to_grayscale`: `0.2989·r + 0.587·g + 0.114·b`. */
function grey(d: Float32Array, p: number): number {
  return 0.2989 * (d[p] as number) + 0.587 * (d[p + 1] as number) + 0.114 * (d[p + 2] as number);
}

/** torchvision `adjust_brightness` on [0, 1] RGB: `clamp(f·x, 0, 1)`. */
export function adjustBrightness(clip: ClipArray, factor: number): ClipArray {
  checkRgb(clip, 'adjustBrightness: clip');
  checkFactor(factor, 'adjustBrightness: factor');
  return { data: clip.data.map((v) => clamp01(factor * v)), shape: clip.shape };
}

/**
 * torchvision `adjust_contrast`, per frame: `m` = mean grey level of the frame,
 * `clamp(f·x + (1 − f)·m, 0, 1)`.
 */
export function adjustContrast(clip: ClipArray, factor: number): ClipArray {
  checkRgb(clip, 'adjustContrast: clip');
  checkFactor(factor, 'adjustContrast: factor');
  const [t, h, w] = clip.shape;
  const px = h * w;
  const out = new Float32Array(clip.data.length);
  for (let f = 0; f < t; f++) {
    let sum = 0;
    for (let p = 0; p < px; p++) sum += Math.fround(grey(clip.data, (f * px + p) * 3));
    const mean = sum / px;
    for (let i = f * px * 3; i < (f + 1) * px * 3; i++)
      out[i] = clamp01(factor * (clip.data[i] as number) + (1 - factor) * mean);
  }
  return { data: out, shape: clip.shape };
}

/** torchvision `adjust_saturation`: `clamp(f·x + (1 − f)·grey(x), 0, 1)` per pixel. */
export function adjustSaturation(clip: ClipArray, factor: number): ClipArray {
  checkRgb(clip, 'adjustSaturation: clip');
  checkFactor(factor, 'adjustSaturation: factor');
  const out = new Float32Array(clip.data.length);
  for (let p = 0; p < clip.data.length; p += 3) {
    const g = Math.fround(grey(clip.data, p));
    for (let k = 0; k < 3; k++)
      out[p + k] = clamp01(factor * (clip.data[p + k] as number) + (1 - factor) * g);
  }
  return { data: out, shape: clip.shape };
}

/**
 * torchvision `adjust_hue`: RGB → HSV, `h ← (h + shift) mod 1`, HSV → RGB (torchvision's `_rgb2hsv`
 * / `_hsv2rgb`). `shift ∈ [−0.5, 0.5]`.
 */
export function adjustHue(clip: ClipArray, shift: number): ClipArray {
  checkRgb(clip, 'adjustHue: clip');
  if (!(shift >= -0.5 && shift <= 0.5))
    throw new RangeError(`adjustHue: shift must be in [-0.5, 0.5], got ${shift}`);
  const d = clip.data;
  const out = new Float32Array(d.length);
  for (let p = 0; p < d.length; p += 3) {
    const r = d[p] as number;
    const g = d[p + 1] as number;
    const b = d[p + 2] as number;
    const maxc = Math.max(r, g, b);
    const minc = Math.min(r, g, b);
    const eq = maxc === minc;
    const cr = maxc - minc;
    const s = cr / (eq ? 1 : maxc);
    const div = eq ? 1 : cr;
    const rc = (maxc - r) / div;
    const gc = (maxc - g) / div;
    const bc = (maxc - b) / div;
    let h: number;
    if (maxc === r) h = bc - gc;
    else if (maxc === g) h = 2 + rc - bc;
    else h = 4 + gc - rc;
    h = (h / 6 + 1) % 1;
    h = (((h + shift) % 1) + 1) % 1;
    const v = maxc;
    const i6 = Math.floor(h * 6);
    const fr = h * 6 - i6;
    const i = ((i6 % 6) + 6) % 6;
    const pp = clamp01(v * (1 - s));
    const q = clamp01(v * (1 - s * fr));
    const tt = clamp01(v * (1 - s * (1 - fr)));
    const rgb = [
      [v, tt, pp],
      [q, v, pp],
      [pp, v, tt],
      [pp, q, v],
      [tt, pp, v],
      [v, pp, q],
    ][i] as [number, number, number];
    out[p] = rgb[0];
    out[p + 1] = rgb[1];
    out[p + 2] = rgb[2];
  }
  return { data: out, shape: clip.shape };
}

function checkFactor(factor: number, what: string): void {
  if (!(Number.isFinite(factor) && factor >= 0))
    throw new RangeError(`${what} must be a finite number ≥ 0, got ${factor}`);
}

/** Per-channel normalisation constants (structurally compatible with a backbone's input spec). */
export interface NormalizationSpec {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** `(x − mean[c]) / std[c]` per channel c (the model's input spec; `reference/mae-dfer.md` for ImageNet values). */
export function normalizeClip(clip: ClipArray, spec: NormalizationSpec): ClipArray {
  checkClip(clip, 'normalizeClip: clip');
  const c = clip.shape[3];
  if (spec.mean.length !== c || spec.std.length !== c) {
    throw new RangeError(
      `normalizeClip: spec.mean and spec.std need ${c} values (one per channel), got ${spec.mean.length} and ${spec.std.length}`,
    );
  }
  spec.std.forEach((s, k) => {
    if (!(s > 0)) throw new RangeError(`normalizeClip: spec.std[${k}] must be > 0, got ${s}`);
  });
  const out = new Float32Array(clip.data.length);
  const src = clip.data;
  // One channel at a time with its mean and std in locals (the same arithmetic as per element, faster).
  for (let k = 0; k < c; k++) {
    const mean = spec.mean[k] as number;
    const std = spec.std[k] as number;
    for (let i = k; i < out.length; i += c) out[i] = ((src[i] as number) - mean) / std;
  }
  return { data: out, shape: clip.shape };
}
