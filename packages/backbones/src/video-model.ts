/** The contract every registered DFER model implements. */
import * as tf from '@tensorflow/tfjs-core';

import { disableCheckpointing, enableCheckpointing, isCheckpointed } from './nn/checkpoint';
import { Module, type TensorModule } from './nn/module';

/** One block a model checkpoints (see {@link VideoModel.setGradientCheckpointing}). */
export interface CheckpointBlock {
  readonly module: TensorModule;
}

/**
 * Input specification of a preset: clips are `[B, frames, height, width, channels]` tensors (channels-last,
 * RGB), normalised per channel as (x − mean)/std from values in [0, 1] before they reach the model.
 */
export interface InputSpec {
  frames: number;
  height: number;
  width: number;
  channels: number;
  /** Per-channel mean subtracted from [0, 1] RGB values (all zeros when the authors normalise nothing). */
  mean: readonly number[];
  /** Per-channel std dividing the centred values (all ones when the authors normalise nothing). */
  std: readonly number[];
}

/**
 * What a model returns: class logits, optional AU logits, and the pooled clip feature. (A type alias, not
 * an interface, so it is assignable to `Record<string, tf.Tensor | undefined>`, e.g. runtime's
 * `assertParity`.)
 */
export type VideoModelOutput = {
  /** `[B, numClasses]`. */
  logits: tf.Tensor;
  /** `[B, numAus]` when the model was built with an AU head. */
  auLogits?: tf.Tensor;
  /** `[B, featureDim]` clip feature the heads read. */
  features: tf.Tensor;
};

/** The two heads' outputs. */
export interface VideoModelHeadOutput {
  logits: tf.Tensor;
  auLogits?: tf.Tensor;
}

/**
 * Base class of the registered models: `forward(x) = forwardHead(forwardFeatures(x))` plus the features.
 * Subclasses check the input against their {@link InputSpec}.
 */
export abstract class VideoModel extends Module<tf.Tensor, VideoModelOutput, Record<string, string>> {
  /** Width of the clip feature. */
  abstract readonly featureDim: number;
  /** Number of expression classes. */
  abstract readonly numClasses: number;
  /** Number of AU outputs (0 without an AU head). */
  abstract readonly numAus: number;
  /** Input the model was built for. */
  abstract readonly inputSpec: InputSpec;

  /** Clip features `[B, featureDim]` from a clip batch `[B, T, H, W, C]`. */
  abstract forwardFeatures(x: tf.Tensor): tf.Tensor;

  /** Class logits (and AU logits when present) from features `[B, featureDim]`. */
  abstract forwardHead(features: tf.Tensor): VideoModelHeadOutput;

  /**
   * Checks that `features` is `[B, featureDim]` (the error names `<modelName>.forwardHead`).
   * @throws Error `<modelName>.forwardHead: expected features [B, featureDim], got [...]`.
   */
  protected checkHeadInput(modelName: string, features: tf.Tensor): void {
    if (features.rank !== 2 || features.shape[1] !== this.featureDim) {
      throw new Error(
        `${modelName}.forwardHead: expected features [B, ${this.featureDim}], got [${features.shape.join(', ')}]`,
      );
    }
  }

  /**
   * The usual heads: class logits from `classHead` and, when there is one, AU logits from `auHead`, both
   * reading the whole clip feature `[B, featureDim]` (checked first, see {@link VideoModel.checkHeadInput}).
   */
  protected linearHeads(
    modelName: string,
    features: tf.Tensor,
    classHead: { forward(x: tf.Tensor): tf.Tensor },
    auHead: { forward(x: tf.Tensor): tf.Tensor } | undefined,
  ): VideoModelHeadOutput {
    this.checkHeadInput(modelName, features);
    return tf.tidy(() => {
      const logits = classHead.forward(features);
      return (
        auHead === undefined ? { logits } : { logits, auLogits: auHead.forward(features) }
      ) as tf.NamedTensorMap;
    }) as unknown as VideoModelHeadOutput;
  }

  /**
   * The blocks that {@link VideoModel.setGradientCheckpointing} checkpoints (each with the parameters that
   * get no gradient by design). Models override it; the default has none.
   */
  protected checkpointBlocks(): readonly CheckpointBlock[] {
    return [];
  }

  /**
   * Gradient checkpointing per block (activation recomputation, see `enableCheckpointing`): a training
   * step keeps only each block's input and recomputes the block's forward pass during the backward pass,
   * which lowers the step's peak memory (how much: the backbones README) for about one more forward pass
   * of the blocks. Gradients are the plain path's; inference is unchanged.
   */
  setGradientCheckpointing(enabled: boolean): this {
    for (const { module } of this.checkpointBlocks()) {
      if (enabled) enableCheckpointing(module);
      else disableCheckpointing(module);
    }
    return this;
  }

  /** Whether gradient checkpointing is on (see {@link VideoModel.setGradientCheckpointing}). */
  get gradientCheckpointing(): boolean {
    const blocks = this.checkpointBlocks();
    return blocks.length > 0 && blocks.every((b) => isCheckpointed(b.module));
  }

  forward(x: tf.Tensor): VideoModelOutput {
    return tf.tidy(() => {
      const features = this.forwardFeatures(x);
      const out = { ...this.forwardHead(features), features } as unknown as tf.NamedTensorMap;
      return out;
    }) as unknown as VideoModelOutput;
  }

  /** Throws a precise error unless `x` is `[B, frames, height, width, channels]` of this model's spec. */
  protected checkInput(x: tf.Tensor, where: string): void {
    const s = this.inputSpec;
    const ok =
      x.rank === 5 &&
      x.shape[1] === s.frames &&
      x.shape[2] === s.height &&
      x.shape[3] === s.width &&
      x.shape[4] === s.channels;
    if (!ok) {
      throw new Error(
        `${where}: expected input [B, ${s.frames}, ${s.height}, ${s.width}, ${s.channels}] (B, T, H, W, C), got [${x.shape.join(', ')}]`,
      );
    }
  }
}
