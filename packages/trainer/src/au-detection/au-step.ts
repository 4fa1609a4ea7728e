import * as tf from '@tensorflow/tfjs-core';
import type { VideoModel, VideoModelOutput } from '@dfer/backbones';
import type { Loss } from '@dfer/losses';
import type { NamedVariable } from '../optim/optimizers';
import { collectStepGradients, type StepBatch, type StepGradients } from '../experiment/step-gradients';

/**
 * The gradient half of an AU-detection training step, shared by `runAuDetectionExperiment` and the
 * data-parallel workers (`../parallel`).
 */

type FrameModel = VideoModel & {
  forwardWithFrames(x: tf.Tensor): VideoModelOutput & { auLogits: tf.Tensor; frameAuLogits: tf.Tensor };
};

/** Whether the model gives frame-level AU logits (`forwardWithFrames`). */
export function hasFrames(model: VideoModel): model is FrameModel {
  return typeof (model as unknown as { forwardWithFrames?: unknown }).forwardWithFrames === 'function';
}

/** AU logits `[N, A]` and the matching 0/1 targets of a batch, at frame level or clip level. */
export function auOutputs(model: VideoModel, x: tf.Tensor): { out: VideoModelOutput; auLogits: tf.Tensor } {
  if (hasFrames(model)) {
    const out = model.forwardWithFrames(x);
    const [b, t, a] = out.frameAuLogits.shape as [number, number, number];
    return { out, auLogits: tf.reshape(out.frameAuLogits, [b * t, a]) };
  }
  const out = model.forward(x);
  if (out.auLogits === undefined)
    throw new Error('model: the AU-detection experiment needs a model with an AU head');
  return { out, auLogits: out.auLogits };
}

/** The 0/1 AU targets of a batch: per frame (`aus`, `[B, T, A]`) or per clip (`auTargets`, `[B, A]`). */
export function batchTargets(
  level: 'frame' | 'clip',
  batch: { aus?: Uint8Array; auTargets?: Uint8Array; ids: readonly string[] },
): Uint8Array {
  const t = level === 'frame' ? batch.aus : batch.auTargets;
  if (t === undefined) {
    throw new Error(
      `batch ${batch.ids.slice(0, 3).join(', ')}…: the dataset gave no per-frame AU labels (ClipSample.aus)`,
    );
  }
  return t;
}

/** The losses of an AU-detection step: L = L_AU + ferWeight · L_FER (`ferLoss` absent: L_AU alone). */
export interface AuStepLosses {
  readonly auLoss: Loss;
  readonly ferLoss?: Loss;
  readonly ferWeight: number;
  /** Number of AUs (columns of the targets). */
  readonly numAus: number;
}

/**
 * Forward, loss and backward of one AU-detection batch in train mode: the AU loss on the AU logits (frame
 * level when the model has `forwardWithFrames`, else clip level) plus `ferWeight` × the expression loss.
 * `terms.au` / `terms.fer` hold the two parts. Throws (leaking nothing) when the loss is not finite.
 */
export function auStepGradients(
  model: VideoModel,
  losses: AuStepLosses,
  params: readonly NamedVariable[],
  batch: StepBatch,
): StepGradients {
  model.train();
  const A = losses.numAus;
  const level: 'frame' | 'clip' = hasFrames(model) ? 'frame' : 'clip';
  const x = tf.tensor(batch.frames, [...batch.shape]);
  const t = batchTargets(level, batch);
  const targets = tf.tensor2d(Float32Array.from(t), [t.length / A, A]);
  const labels = tf.tensor1d(batch.labels, 'int32');
  const parts: Record<string, tf.Tensor> = {};
  const { value, grads } = tf.variableGrads(
    () => {
      const { out, auLogits } = auOutputs(model, x);
      let total = losses.auLoss.compute({ auLogits, auTargets: targets }).loss;
      parts['au'] = tf.keep(total);
      if (losses.ferLoss !== undefined) {
        const fer = losses.ferLoss.compute({ logits: out.logits, labels }).loss;
        parts['fer'] = tf.keep(fer);
        total = tf.add(total, tf.mul(fer, losses.ferWeight));
      }
      return total as tf.Scalar;
    },
    params.map((p) => p.variable),
  );
  tf.dispose([x, targets, labels]);
  return collectStepGradients(value, parts, grads, params, batch);
}
