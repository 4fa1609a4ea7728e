import { shuffledIndices, type RandomSource } from '../random';
import { checkSize } from '../media/image-decoding';
import { checkClip, type ClipArray } from './clip-array';
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  normalizeClip,
  type NormalizationSpec,
} from './colour';
import {
  cropClip,
  flipClipHorizontally,
  randomResizedCropBox,
  resizeClip,
  type RandomResizedCropOptions,
} from './geometry';

/** Options of a colour-jitter step (torchvision `ColorJitter`). */
interface ColorJitterOptions {
  /** Brightness factor drawn from `U[max(0, 1 − b), 1 + b]` (0 or absent: off). */
  readonly brightness?: number;
  /** Contrast factor drawn from `U[max(0, 1 − c), 1 + c]`. */
  readonly contrast?: number;
  /** Saturation factor drawn from `U[max(0, 1 − s), 1 + s]`. */
  readonly saturation?: number;
  /** Hue shift drawn from `U[−h, h]`, `h ≤ 0.5`. */
  readonly hue?: number;
}

/**
 * One step of a clip transform, as plain data (so a pipeline can be logged, saved in a config or
 * sent to a worker thread). Random steps use one set of parameters for every frame of the clip.
 */
export type ClipTransformStep =
  | { readonly type: 'resize'; readonly size: readonly [number, number] }
  | ({
      readonly type: 'randomResizedCrop';
      readonly size: readonly [number, number];
    } & RandomResizedCropOptions)
  | { readonly type: 'horizontalFlip'; readonly p?: number }
  | ({ readonly type: 'colorJitter' } & ColorJitterOptions)
  | ({ readonly type: 'normalize' } & NormalizationSpec);

/** A composed clip transform. */
export interface ClipTransform {
  readonly steps: readonly ClipTransformStep[];
  /** Whether any step draws random numbers (then `apply` needs `rng`). */
  readonly random: boolean;
  /** Applies the steps in order. */
  apply(clip: ClipArray, rng?: RandomSource): ClipArray;
}

/** The colour-jitter parameters of one clip. */
interface ColorJitterParams {
  /** Order of the four adjustments (0 brightness, 1 contrast, 2 saturation, 3 hue). */
  readonly order: readonly number[];
  readonly brightness?: number;
  readonly contrast?: number;
  readonly saturation?: number;
  readonly hue?: number;
}

/**
 * Draws colour-jitter parameters as torchvision `ColorJitter.get_params`: a random order of the four
 * adjustments, then each enabled factor (brightness, contrast, saturation: `U[max(0, 1 − v), 1 + v]`;
 * hue: `U[−v, v]`), in that order.
 */
function drawColorJitterParams(options: ColorJitterOptions, rng: RandomSource): ColorJitterParams {
  const order = shuffledIndices(4, rng);
  const factor = (v: number | undefined, what: string): number | undefined => {
    if (v === undefined || v === 0) return undefined;
    if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`colorJitter: ${what} must be ≥ 0, got ${v}`);
    const lo = Math.max(0, 1 - v);
    return lo + (1 + v - lo) * rng.next();
  };
  const brightness = factor(options.brightness, 'brightness');
  const contrast = factor(options.contrast, 'contrast');
  const saturation = factor(options.saturation, 'saturation');
  let hue: number | undefined;
  if (options.hue !== undefined && options.hue !== 0) {
    if (!(options.hue > 0 && options.hue <= 0.5))
      throw new RangeError(`colorJitter: hue must be in [0, 0.5], got ${options.hue}`);
    hue = -options.hue + 2 * options.hue * rng.next();
  }
  return {
    order,
    ...(brightness === undefined ? {} : { brightness }),
    ...(contrast === undefined ? {} : { contrast }),
    ...(saturation === undefined ? {} : { saturation }),
    ...(hue === undefined ? {} : { hue }),
  };
}

/** Applies drawn colour-jitter parameters in their order (same parameters for every frame). */
function jitterClipColour(clip: ClipArray, params: ColorJitterParams): ClipArray {
  let out = clip;
  for (const k of params.order) {
    if (k === 0 && params.brightness !== undefined) out = adjustBrightness(out, params.brightness);
    else if (k === 1 && params.contrast !== undefined) out = adjustContrast(out, params.contrast);
    else if (k === 2 && params.saturation !== undefined) out = adjustSaturation(out, params.saturation);
    else if (k === 3 && params.hue !== undefined) out = adjustHue(out, params.hue);
  }
  return out;
}

function checkStep(step: ClipTransformStep, i: number): boolean {
  const where = `createClipTransform: steps[${i}] (${String((step as { type?: unknown }).type)})`;
  switch (step.type) {
    case 'resize':
      checkSize(step.size, `${where}.size`);
      return false;
    case 'randomResizedCrop':
      checkSize(step.size, `${where}.size`);
      return true;
    case 'horizontalFlip':
      if (step.p !== undefined && !(step.p >= 0 && step.p <= 1))
        throw new RangeError(`${where}.p must be in [0, 1], got ${step.p}`);
      return true;
    case 'colorJitter':
      return true;
    case 'normalize':
      if (step.mean.length !== step.std.length)
        throw new RangeError(`${where}: mean and std must have the same length`);
      return false;
    default:
      throw new RangeError(
        `${where}: unknown type; expected resize, randomResizedCrop, horizontalFlip, colorJitter or normalize`,
      );
  }
}

/**
 * Composes transform steps. Random draws happen in step order from the `rng` given to `apply`, so a
 * clip's augmentation depends only on that rng's seed.
 *
 * @throws RangeError naming the step index for an unknown type or a bad option.
 */
export function createClipTransform(steps: readonly ClipTransformStep[]): ClipTransform {
  const random = steps.map(checkStep).some(Boolean);
  const own = steps.map((s) => ({ ...s }));
  return {
    steps: own,
    random,
    apply(clip: ClipArray, rng?: RandomSource): ClipArray {
      checkClip(clip, 'ClipTransform.apply: clip');
      if (random && rng === undefined)
        throw new TypeError('ClipTransform.apply: this transform has random steps; pass an rng');
      let out = clip;
      for (const step of own) {
        const r = rng as RandomSource;
        switch (step.type) {
          case 'resize':
            out = resizeClip(out, step.size);
            break;
          case 'randomResizedCrop': {
            const box = randomResizedCropBox(out.shape[1], out.shape[2], r, step);
            out = resizeClip(cropClip(out, box.top, box.left, box.height, box.width), step.size);
            break;
          }
          case 'horizontalFlip':
            if (r.next() < (step.p ?? 0.5)) out = flipClipHorizontally(out);
            break;
          case 'colorJitter':
            out = jitterClipColour(out, drawColorJitterParams(step, r));
            break;
          case 'normalize':
            out = normalizeClip(out, step);
            break;
        }
      }
      return out;
    },
  };
}

/** The part of a model's input spec the standard pipelines need (a backbone `InputSpec` fits). */
export interface ClipInputSpec extends Partial<NormalizationSpec> {
  readonly height: number;
  readonly width: number;
}

/** Build-time options of {@link createTrainTransform}. */
export interface TrainTransformConfig extends RandomResizedCropOptions {
  /** Horizontal-flip probability (default 0.5). */
  readonly flip?: number;
  /** Colour jitter (default off; M3DFEL uses brightness = contrast = saturation = 0.4, hue 0.4 → use ≤ 0.5). */
  readonly colorJitter?: ColorJitterOptions;
}

/**
 * The training pipeline of Former-DFER / M3DFEL (`reference/m3dfel.md` §train augmentation): random
 * resized crop to the model's size, horizontal flip, optional colour jitter, then the model's
 * normalisation when its spec has mean/std.
 */
export function createTrainTransform(spec: ClipInputSpec, config: TrainTransformConfig = {}): ClipTransform {
  const steps: ClipTransformStep[] = [
    {
      type: 'randomResizedCrop',
      size: [spec.height, spec.width],
      ...(config.scale === undefined ? {} : { scale: config.scale }),
      ...(config.ratio === undefined ? {} : { ratio: config.ratio }),
    },
    { type: 'horizontalFlip', p: config.flip ?? 0.5 },
  ];
  if (config.colorJitter !== undefined) steps.push({ type: 'colorJitter', ...config.colorJitter });
  if (spec.mean !== undefined && spec.std !== undefined)
    steps.push({ type: 'normalize', mean: spec.mean, std: spec.std });
  return createClipTransform(steps);
}

/** The test pipeline: resize to the model's size (no crop), then its normalisation (`reference/m3dfel.md`). */
export function createTestTransform(spec: ClipInputSpec): ClipTransform {
  const steps: ClipTransformStep[] = [{ type: 'resize', size: [spec.height, spec.width] }];
  if (spec.mean !== undefined && spec.std !== undefined)
    steps.push({ type: 'normalize', mean: spec.mean, std: spec.std });
  return createClipTransform(steps);
}
