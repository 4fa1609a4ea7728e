/**
 * A lower bound on the tensor memory of one training step, found before the step by a probe: the model's
 * forward pass at batch 1 under a gradient tape (what the tape keeps for the backward pass grows linearly
 * with the batch), plus the parameters, their gradients and the optimizer's two moment slots — all of which
 * are alive together when the backward pass starts.
 */
import * as tf from '@tensorflow/tfjs-core';

import type { VideoModel } from './video-model';

/** What {@link estimateTrainStepBytes} found. */
export interface TrainStepMemoryEstimate {
  /** Bytes of the trainable parameters (float32). */
  readonly parameterBytes: number;
  /** Bytes of the buffers the forward pass of one clip saves for the backward pass (each buffer once, parameters excluded). */
  readonly activationBytesPerClip: number;
  /**
   * Lower bound on the step's peak tensor bytes at `batch`: 4 · parameterBytes (weights, gradients, AdamW's m
   * and v) + batch · activationBytesPerClip. The backward pass allocates more on top (activation gradients,
   * the convolution kernels' rearranged copies, a checkpointed block's recomputation): the backbones README gives the measured ratio of
   * the wasm heap after one `paper` step to this bound (`bench/results/paper-memory.json`).
   */
  readonly neededBytes: number;
  readonly batch: number;
}

/** Marker thrown out of the probe's taped function once the forward pass has been measured. */
class ProbeDone extends Error {}

interface TapeInternals {
  state: { activeTape: Array<{ saved?: tf.Tensor[] }> | null };
}

/**
 * Bounds the tensor memory of one training step of `model` at `batch` (forward + backward + AdamW) from
 * below by running its forward pass on one zero clip under a gradient tape and measuring the bytes the tape
 * keeps (see {@link TrainStepMemoryEstimate.neededBytes}).
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
  const parameterData = new Set<object>(model.parameters().map((p) => p.dataId));
  let kept = 0;
  try {
    tf.variableGrads(() => {
      const out = model.forward(x);
      // What the backward pass needs: every buffer a tape node saved (counted once; parameters excluded, they
      // are in parameterBytes).
      const seen = new Set<object>();
      for (const node of (tf.engine() as unknown as TapeInternals).state.activeTape ?? []) {
        for (const t of node.saved ?? []) {
          if (t.isDisposed || seen.has(t.dataId) || parameterData.has(t.dataId)) continue;
          seen.add(t.dataId);
          kept += t.size * (t.dtype === 'float32' || t.dtype === 'int32' ? 4 : 1);
        }
      }
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
    neededBytes: 4 * parameterBytes + batch * activationBytesPerClip,
    batch,
  };
}
