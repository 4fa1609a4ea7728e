import * as tf from '@tensorflow/tfjs-core';
import type { VideoModel } from '@dfer/backbones';
import type { ClipAgreement, ClipAgreementAnalysis, Loss } from '@dfer/losses';
import { clipGradientsByGlobalNorm, type NamedVariable, type Optimizer } from '../optim/optimizers';

/**
 * The gradient half of a training step, shared by the single-threaded step of `runExperiment` and the
 * data-parallel workers (`../parallel`), so that both compute exactly the same thing on their clips.
 */

/** The part of a loader batch a training step reads (a `ClipBatch` of `@dfer/datasets` is one). */
export interface StepBatch {
  /** `[B, T, H, W, C]` row-major. */
  readonly frames: Float32Array;
  readonly shape: readonly [number, number, number, number, number];
  /** The sampler's `[clips, framesPerClip]` grouping of the T frames. */
  readonly layout: readonly [number, number];
  readonly labels: Int32Array;
  /** `[B, nAU]` clip AU targets, when the loss needs them. */
  readonly auTargets?: Uint8Array;
  /** `[B]`: 0 for a clip without AU labels (left out of the AU term), 1 otherwise; absent: all labelled. */
  readonly auMask?: Uint8Array;
  /** `[B, T, nAU]` frame AU labels (frame-level AU detection). */
  readonly aus?: Uint8Array;
  /** Sample ids (named in errors). */
  readonly ids: readonly string[];
}

/** The per-sample fields of the clip-agreement analysis (RDFER) that the run keeps, `[B]` each. */
export type StepAgreementAnalysis = Pick<
  ClipAgreementAnalysis,
  'agreement' | 'partition' | 'weights' | 'relabel'
>;

/** The clip-agreement analysis of one training step (RDFER), for the per-sample outputs. */
export interface StepAgreement {
  readonly analysis: StepAgreementAnalysis;
}

/** What {@link stepGradients} computed; the caller owns (and disposes) `grads`. */
export interface StepGradients {
  /** Loss of the batch (a mean over its clips). */
  readonly loss: number;
  /** The loss's named terms (same reduction). */
  readonly terms: Record<string, number>;
  /** Gradient of `loss` per parameter, keyed by the parameter's name (`NamedVariable.name`). */
  readonly grads: Record<string, tf.Tensor>;
  readonly agreement?: StepAgreement;
}

/** What one training step reports. */
export interface StepResult {
  /** Loss of the batch (for a data-parallel step: the clip-weighted mean of the shards' losses). */
  readonly loss: number;
  readonly terms: Record<string, number>;
  readonly agreement?: StepAgreement;
}

/** RDFER clip agreement of a step: the weighting and the epoch (for its warm-up). */
export interface StepRobust {
  readonly weighting: ClipAgreement;
  readonly epoch: number;
}

/**
 * Repeat each row of a row-major array `times` times in place order (row r becomes rows r·times … r·times +
 * times − 1): per-video labels, weights or AU targets for the video's K clips.
 */
function repeatRows<T extends Int32Array | Float32Array>(values: T, rowSize: number, times: number): T {
  const rows = values.length / rowSize;
  const out = new (values.constructor as new (n: number) => T)(values.length * times);
  for (let r = 0; r < rows; r++) {
    const row = values.subarray(r * rowSize, (r + 1) * rowSize);
    for (let k = 0; k < times; k++) out.set(row, (r * times + k) * rowSize);
  }
  return out;
}

/**
 * Forward, loss and backward of one batch, in train mode. Without `robust`, the configured loss on the
 * batch. With `robust` (RDFER clip agreement), the batch holds K clips per video (`[B, K·F, H, W, C]`,
 * clip-major per video): all B·K clips go through the model, the per-clip softmax gives the agreement
 * analysis (weights and relabels are constants: no gradient flows through them), and the loss is
 *     L = (1 / (B·K)) Σ_b Σ_k v_b · ℓ(z_{b,k}, ỹ_b)
 * with ℓ the configured loss per clip (reduction `none`), v_b the sample weight and ỹ_b the (possibly
 * relabelled) label — the mean divides by the clip count, not by Σ v (as `sampleWeightedCrossEntropyLoss`).
 * Throws (leaking nothing) when the loss is not finite.
 */
export function stepGradients(
  model: VideoModel,
  loss: Loss,
  params: readonly NamedVariable[],
  batch: StepBatch,
  robust?: StepRobust,
): StepGradients {
  model.train();
  const B = batch.labels.length;
  const K = robust ? robust.weighting.clips : 1;
  const [, TK, H, W, C] = batch.shape;
  if (robust && batch.layout[0] !== K) {
    throw new Error(
      `robust: batch layout ${JSON.stringify(batch.layout)} does not hold ${K} clips per video`,
    );
  }
  const x = tf.tensor(batch.frames, [B * K, TK / K, H, W, C]);
  const A = batch.auTargets ? batch.auTargets.length / B : 0;
  const auTargets = batch.auTargets
    ? tf.tensor2d(repeatRows(Float32Array.from(batch.auTargets), A, K), [B * K, A])
    : undefined;
  const termTensors: Record<string, tf.Tensor> = {};
  let agreement: StepAgreement | undefined;
  const { value, grads } = tf.variableGrads(
    () => {
      const out = model.forward(x);
      let labels: Int32Array = batch.labels;
      let weights: Float32Array | undefined;
      if (robust) {
        const probs = tf.tidy(() => tf.softmax(out.logits).dataSync() as Float32Array);
        const analysis = robust.weighting.analyse(probs, batch.labels, model.numClasses, {
          epoch: robust.epoch,
        });
        agreement = { analysis };
        labels = repeatRows(analysis.relabel, 1, K);
        weights = repeatRows(analysis.weights, 1, K);
      }
      const result = loss.compute(
        {
          logits: out.logits,
          labels: tf.tensor1d(labels, 'int32'),
          ...(out.auLogits ? { auLogits: out.auLogits } : {}),
          ...(auTargets ? { auTargets } : {}),
          ...(batch.auMask ? { auMask: repeatRows(Int32Array.from(batch.auMask), 1, K) } : {}),
        },
        weights ? { reduction: 'none' } : {},
      );
      const reduce = (t: tf.Tensor): tf.Tensor => (weights ? tf.mean(tf.mul(t, tf.tensor1d(weights))) : t);
      for (const [name, t] of Object.entries(result.terms)) termTensors[name] = tf.keep(reduce(t));
      return reduce(result.loss) as tf.Scalar;
    },
    params.map((p) => p.variable),
  );
  tf.dispose([x, auTargets]);
  return {
    ...collectStepGradients(value, termTensors, grads, params, batch),
    ...(agreement ? { agreement } : {}),
  };
}

/**
 * The common end of the gradient half of a step (`stepGradients`, the AU-detection step): reads the loss
 * and its terms (disposing them), throws (disposing the gradients) when the loss is not finite, and names
 * the gradients by parameter, disposing those of variables that are not trained parameters.
 */
export function collectStepGradients(
  value: tf.Scalar,
  termTensors: Readonly<Record<string, tf.Tensor>>,
  grads: tf.NamedTensorMap,
  params: readonly NamedVariable[],
  batch: Pick<StepBatch, 'ids'>,
): Pick<StepGradients, 'loss' | 'terms' | 'grads'> {
  const lossValue = value.dataSync()[0]!;
  const terms = Object.fromEntries(Object.entries(termTensors).map(([k, t]) => [k, t.dataSync()[0]!]));
  tf.dispose([value, termTensors]);
  if (!Number.isFinite(lossValue)) {
    tf.dispose(grads);
    throw new Error(`training diverged: loss = ${lossValue} (batch ${batch.ids.slice(0, 4).join(', ')}…)`);
  }
  const named: Record<string, tf.Tensor> = {};
  const used = new Set<tf.Tensor>();
  for (const p of params) {
    const g = grads[p.variable.name];
    if (g) {
      named[p.name] = g;
      used.add(g);
    }
  }
  tf.dispose(Object.values(grads).filter((g) => !used.has(g)));
  return { loss: lossValue, terms, grads: named };
}

/**
 * The update half of a training step: clip the gradients to a global norm when `clipGradNorm` is set, then
 * one optimizer step at `lr`. Does not dispose `grads`.
 */
export function applyStepUpdate(
  optimizer: Optimizer,
  grads: Record<string, tf.Tensor>,
  lr: number,
  clipGradNorm: number | undefined,
): void {
  if (clipGradNorm !== undefined) {
    const clipped = clipGradientsByGlobalNorm(grads, clipGradNorm);
    optimizer.step(clipped.grads, lr);
    tf.dispose(Object.values(clipped.grads));
  } else {
    optimizer.step(grads, lr);
  }
}
