import * as tf from '@tensorflow/tfjs-core';
import type { VideoModel } from '@dfer/backbones';
import { createClipLoader, createTestTransform, type ClipDataset, type FrameSampler } from '@dfer/datasets';
import { auDetectionReport, type AuDetectionReport } from '../metrics/au';
import { argmaxRows, classificationReport, type ClassificationReport } from '../metrics/classification';

/** Scores of one evaluation pass, with per-sample predictions for analysis. */
export interface EvaluationResult {
  readonly report: ClassificationReport;
  readonly au?: AuDetectionReport;
  /** Predicted class per clip, in dataset order. */
  readonly predictions: readonly number[];
  readonly ids: readonly string[];
}

/** Evaluate `model` on every clip of `dataset` (deterministic test-mode sampling; nothing dropped). */
export async function evaluateModel(
  model: VideoModel,
  dataset: ClipDataset,
  options: {
    sampler: FrameSampler;
    batchSize: number;
    seed: number;
    withAus: boolean;
    /** Clips without AU labels are scored for the expression only. */
    maskMissingAus?: boolean;
  },
): Promise<EvaluationResult> {
  model.eval();
  const spec = model.inputSpec;
  const transform = createTestTransform({
    height: spec.height,
    width: spec.width,
    mean: spec.mean,
    std: spec.std,
  });
  const loader = createClipLoader({
    dataset,
    sampler: options.sampler,
    mode: 'test',
    batchSize: options.batchSize,
    seed: options.seed,
    transform,
    ...(options.withAus ? { clipAuTargets: options.maskMissingAus ? { missing: 'mask' as const } : {} } : {}),
  });
  const predictions: number[] = [];
  const trueLabels: number[] = [];
  const ids: string[] = [];
  const auProbs: number[] = [];
  const auTargets: number[] = [];
  for await (const batch of loader.epoch(0)) {
    const { logits, au } = tf.tidy(() => {
      const out = model.forward(tf.tensor(batch.frames, [...batch.shape]));
      return {
        logits: out.logits.dataSync() as Float32Array,
        au: out.auLogits ? (tf.sigmoid(out.auLogits).dataSync() as Float32Array) : undefined,
      };
    });
    predictions.push(...argmaxRows(logits, model.numClasses));
    trueLabels.push(...batch.labels);
    ids.push(...batch.ids);
    if (au && batch.auTargets) {
      const A = batch.auTargets.length / batch.labels.length;
      for (let b = 0; b < batch.labels.length; b++) {
        if (batch.auMask?.[b] === 0) continue;
        auProbs.push(...au.subarray(b * A, (b + 1) * A));
        auTargets.push(...batch.auTargets.subarray(b * A, (b + 1) * A));
      }
    }
  }
  const report = classificationReport(trueLabels, predictions, dataset.labelNames);
  const au =
    options.withAus && dataset.auNames && auProbs.length
      ? auDetectionReport(auProbs, auTargets, dataset.auNames)
      : undefined;
  return { report, ...(au ? { au } : {}), predictions, ids };
}
