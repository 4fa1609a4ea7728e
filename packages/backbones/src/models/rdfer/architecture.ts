/**
 * RDFER's architecture: the sizes a preset fixes ({@link RdferArchitecture}), the build options
 * ({@link RdferConfig}) and their validation, and the two presets' sizes ({@link RDFER_PAPER},
 * {@link RDFER_TINY}).
 */
import type { ModelInitialization } from '../../registry';
import type { InputSpec } from '../../video-model';
import type { RdferFrameNorm } from './frame-encoder';

/** Architecture of an RDFER preset. */
export interface RdferArchitecture {
  /** Output widths of the per-frame CNN's stride-2 3×3 convolutions; frame features are the last wide. */
  frameWidths: readonly number[];
  /**
   * Normalisation of the per-frame CNN ({@link RdferFrameNorm}; default `'batch'`): `'batch'` builds
   * conv–BatchNorm–ReLU stages with torchvision's ResNet init, as the lab's per-frame ResNet; `'none'` the
   * unnormalised stages with PyTorch's default init of earlier versions (does not train from scratch).
   */
  frameNorm?: RdferFrameNorm;
  /** The long-term stream reads input frames 0, k, 2k, … (k = `longStride`; T must be a multiple). */
  longStride: number;
  /** Long-term BiLSTM hidden size per direction, and its layers (the lab: 2 layers). */
  longHidden: number;
  longLayers: number;
  /** Heads of the long-term self-attention gate (the lab: 8). */
  longHeads: number;
  /** Key-expression re-sampling: P clips of L frames (the lab: 4 × 4), stride, kernel width. */
  clips: number;
  clipLength: number;
  baseStride: number;
  strideRange: number;
  sampleSigma: number;
  /** Width of a short-term clip feature (Linear over the clip's L frame features). */
  clipDim: number;
  /** Short-term BiLSTM (over the P clips) hidden size per direction; clip features are 2·shortHidden wide. */
  shortHidden: number;
  /** Heads of the short-term self-attention gate. */
  shortHeads: number;
  /** Input the preset expects. */
  input: InputSpec;
}

/** Build-time options of {@link Rdfer}. */
export interface RdferConfig extends RdferArchitecture {
  numClasses: number;
  /** AU head width (`AU_fc` on the clip features, as in AU-DFER); 0 for none. */
  numAus: number;
  seed: number;
  /** `'random'` (default) or `'zeros'` (weights are loaded next). */
  initialization?: ModelInitialization;
}

/** Throws an error naming the first field of `config` out of its range. */
export function validateRdferConfig(config: RdferConfig): void {
  const positive: Array<[string, number]> = [
    ['numClasses', config.numClasses],
    ['longStride', config.longStride],
    ['longHidden', config.longHidden],
    ['longLayers', config.longLayers],
    ['longHeads', config.longHeads],
    ['clips', config.clips],
    ['clipLength', config.clipLength],
    ['clipDim', config.clipDim],
    ['shortHidden', config.shortHidden],
    ['shortHeads', config.shortHeads],
    ...config.frameWidths.map((w, i): [string, number] => [`frameWidths[${i}]`, w]),
  ];
  for (const [name, v] of positive) {
    if (!Number.isInteger(v) || v < 1)
      throw new Error(`rdfer: config.${name} must be a positive integer, got ${v}`);
  }
  if (config.frameWidths.length === 0)
    throw new Error('rdfer: config.frameWidths must name at least one stage');
  if (!Number.isInteger(config.numAus) || config.numAus < 0) {
    throw new Error(`rdfer: config.numAus must be a non-negative integer, got ${config.numAus}`);
  }
  for (const [name, v] of [
    ['baseStride', config.baseStride],
    ['sampleSigma', config.sampleSigma],
  ] as const) {
    if (!(Number.isFinite(v) && v > 0))
      throw new Error(`rdfer: config.${name} must be a number > 0, got ${v}`);
  }
  if (!(Number.isFinite(config.strideRange) && config.strideRange > 1)) {
    throw new Error(`rdfer: config.strideRange must be a number > 1, got ${config.strideRange}`);
  }
  const t = config.input.frames;
  if (!Number.isInteger(t) || t < 2 || t % config.longStride !== 0) {
    throw new Error(
      `rdfer: config.input.frames (${t}) must be ≥ 2 and a multiple of longStride (${config.longStride})`,
    );
  }
  if (config.clips > config.numClasses) {
    throw new Error(
      `rdfer: config.clips (${config.clips}) must be ≤ numClasses (${config.numClasses}): the key targets take one position per class`,
    );
  }
  if (
    (2 * config.longHidden) % config.longHeads !== 0 ||
    (2 * config.shortHidden) % config.shortHeads !== 0
  ) {
    throw new Error(
      `rdfer: 2·longHidden (${2 * config.longHidden}) must be divisible by longHeads (${config.longHeads}) and 2·shortHidden (${2 * config.shortHidden}) by shortHeads (${config.shortHeads})`,
    );
  }
}

/**
 * Lab-sized network (`reference/rdfer.md`): 64 frames of 112×112 loaded, 16 of them (every 4th) for the
 * long-term stream, 2-layer BiLSTM, 8-head gates, 4 clips × 4 frames. The per-frame CNN (4 stride-2
 * conv–BatchNorm–ReLU stages, 64–512) is ours: the lab's is a torchvision ResNet (its TSM wrapper), too
 * large to train here; we keep its BatchNorm and init. Values in [0, 1], no mean/std.
 */
export const RDFER_PAPER: Readonly<RdferArchitecture> = Object.freeze({
  frameWidths: [64, 128, 256, 512] as const,
  longStride: 4,
  longHidden: 256,
  longLayers: 2,
  longHeads: 8,
  clips: 4,
  clipLength: 4,
  baseStride: 1,
  strideRange: 3,
  sampleSigma: 1,
  clipDim: 512,
  shortHidden: 256,
  shortHeads: 8,
  input: { frames: 64, height: 112, width: 112, channels: 3, mean: [0, 0, 0], std: [1, 1, 1] },
});

/** CPU-test size: 16 frames of 32×32 (8 in the long-term stream), CNN 8–32 with BatchNorm, BiLSTMs 16, 2 heads. */
export const RDFER_TINY: Readonly<RdferArchitecture> = Object.freeze({
  frameWidths: [8, 16, 32] as const,
  longStride: 2,
  longHidden: 16,
  longLayers: 2,
  longHeads: 2,
  clips: 4,
  clipLength: 4,
  baseStride: 1,
  strideRange: 2,
  sampleSigma: 1,
  clipDim: 32,
  shortHidden: 16,
  shortHeads: 2,
  input: { frames: 16, height: 32, width: 32, channels: 3, mean: [0, 0, 0], std: [1, 1, 1] },
});

/** The architecture of each registered preset, by preset name. */
export const RDFER_ARCHITECTURES: Readonly<Record<string, Readonly<RdferArchitecture>>> = {
  paper: RDFER_PAPER,
  tiny: RDFER_TINY,
};
