/**
 * How much tensor memory one training step of a model needs, estimated before the step from a probe: the
 * model's forward pass at batch 1 under a gradient tape (what the tape keeps for the backward pass is the
 * activation memory, and it grows linearly with the batch), plus the parameters, their gradients and the
 * optimizer's two moment slots.
 */
import * as tf from '@tensorflow/tfjs-core';

import type { VideoModel } from './video-model';

/** What {@link estimateTrainStepBytes} found. */
export interface TrainStepMemoryEstimate {
  /** Bytes of the trainable parameters (float32). */
  readonly parameterBytes: number;
  /** Bytes the forward pass of one clip keeps for the backward pass (measured by the probe). */
  readonly activationBytesPerClip: number;
  /** Estimated peak tensor bytes of a step at `batch` (see {@link TRAIN_STEP_ACTIVATION_FACTOR}). */
  readonly neededBytes: number;
  readonly batch: number;
}

/**
 * Peak ≈ 4·parameters (weights, gradients, AdamW's m and v) + batch · kept activations per clip ·
 * this factor. The factor covers what the backward pass allocates on top of the kept activations (their
 * gradients, im2col buffers, a checkpointed block's recomputed activations) and allocator slack; it is
 * the largest ratio measured here on the three `paper` presets at batch 2 (wasm heap after one step vs the
 * probe: backbones README, `bench/results/paper-memory.json`), rounded up.
 */
export const TRAIN_STEP_ACTIVATION_FACTOR = 2.5;

/** Marker thrown out of the probe's taped function once the forward pass has been measured. */
class ProbeDone extends Error {}

interface TapeInternals {
  state: { activeTape: Array<{ saved?: tf.Tensor[] }> | null };
}

/**
 * Estimates the tensor memory of one training step of `model` at `batch` (forward + backward + AdamW) by
 * running its forward pass on one zero clip under a gradient tape and measuring the bytes the tape keeps.
 * Takes about one forward pass at batch 1; changes no weights (BatchNorm running statistics are saved and
 * restored). Leaks nothing.
 */
export function estimateTrainStepBytes(model: VideoModel, batch: number): TrainStepMemoryEstimate {
  if (!Number.isInteger(batch) || batch < 1) {
    throw new Error(`estimateTrainStepBytes: batch must be a positive integer, got ${batch}`);
  }
  const params = model.parameters().filter((p) => p.trainable);
  const parameterBytes = params.reduce((n, p) => n + 4 * p.size, 0);
  const s = model.inputSpec;
  const buffers = model.namedBuffers().map(([, b]) => [b, tf.clone(b)] as const);
  const x = tf.zeros([1, s.frames, s.height, s.width, s.channels]);
  const before = tf.memory().numBytes;
  let kept = 0;
  try {
    tf.variableGrads(() => {
      const out = model.forward(x);
      kept = tf.memory().numBytes - before;
      tf.dispose(out as unknown as tf.Tensor[]);
      throw new ProbeDone();
    }, params);
  } catch (error) {
    if (!(error instanceof ProbeDone)) throw error;
  } finally {
    // The tape's saved tensors are disposed by the backward pass, which the probe skips.
    const tape = (tf.engine() as unknown as TapeInternals).state;
    for (const node of tape.activeTape ?? []) for (const t of node.saved ?? []) t.dispose();
    tape.activeTape = null;
    x.dispose();
    for (const [buffer, copy] of buffers) {
      buffer.assign(copy);
      copy.dispose();
    }
  }
  const activationBytesPerClip = Math.max(0, kept);
  return {
    parameterBytes,
    activationBytesPerClip,
    neededBytes: 4 * parameterBytes + batch * activationBytesPerClip * TRAIN_STEP_ACTIVATION_FACTOR,
    batch,
  };
}
