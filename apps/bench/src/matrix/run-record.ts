import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { AuDetectionExperimentResult, AuMtlComparisonVariant, ExperimentResult } from '@dfer/trainer';
import { meanAndSampleStd } from '../report/aggregate';
import type {
  AuDetectionRunRecord,
  ClassificationRunRecord,
  LabelNoiseRecord,
  MeanStdValue,
  NoisyDetectionRecord,
} from '../results/schema';

const PACKAGE_NAMES = ['au-knowledge', 'datasets', 'runtime', 'losses', 'backbones', 'trainer'] as const;

/** Versions of Node, the @dfer packages (from their package.json) and tfjs-core at run time. */
export function collectVersions(): Record<string, string> {
  const versions: Record<string, string> = { node: process.versions.node, 'tfjs-core': tf.version_core };
  for (const name of PACKAGE_NAMES) {
    try {
      const path = require.resolve(`@dfer/${name}/package.json`);
      versions[`@dfer/${name}`] = (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
    } catch {
      versions[`@dfer/${name}`] = 'unavailable';
    }
  }
  return versions;
}

/** Identity of a run beside the trainer's result. */
export interface RunIdentity {
  readonly id: string;
  readonly profile: string;
  readonly dataset: string;
  readonly model: string;
  readonly preset: string;
  readonly method: string;
  readonly seed: number;
  readonly experiment: 'dfer' | 'rdfer';
  readonly startedAt: Date;
  readonly durationSeconds: number;
  /** RDFER runs: the label noise of the training labels. */
  readonly noise?: LabelNoiseRecord;
}

function meanStdOf(values: readonly (number | null)[]): MeanStdValue | null {
  const defined = values.filter((x): x is number => x !== null);
  return defined.length ? meanAndSampleStd(defined) : null;
}

/**
 * Turn a trainer `ExperimentResult` into one run record of the bench results file. RDFER runs (identity with
 * `noise`) also carry each fold's noisy-sample detection (`FoldResult.robust.noisyDetection`, when the trainer
 * computed it) and its mean ± sample std over folds (mean = Σx/n, std = sqrt(Σ(x − mean)²/(n − 1)), over the
 * folds where the value is defined).
 */
export function createRunRecord(
  result: ExperimentResult,
  identity: RunIdentity,
  versions = collectVersions(),
): ClassificationRunRecord {
  const detections: (NoisyDetectionRecord | undefined)[] = result.folds.map((f) =>
    f.robust?.noisyDetection ? { ...f.robust.noisyDetection } : undefined,
  );
  const withDetection = detections.filter((d): d is NoisyDetectionRecord => d !== undefined);
  return {
    id: identity.id,
    profile: identity.profile,
    dataset: identity.dataset,
    model: identity.model,
    preset: identity.preset,
    method: identity.method,
    seed: identity.seed,
    experiment: identity.experiment,
    config: JSON.parse(JSON.stringify(result.config)) as Record<string, unknown>,
    engine: { backend: result.engine.backend, reason: result.engine.reason },
    versions,
    selection: result.selection,
    classNames: [...result.classNames],
    summary: {
      war: result.summary.war,
      uar: result.summary.uar,
      macroF1: result.summary.macroF1,
      recall: result.summary.recall.map((r) => r ?? null),
      ...(withDetection.length
        ? {
            noisyDetection: {
              precision: meanStdOf(withDetection.map((d) => d.precision)),
              recall: meanStdOf(withDetection.map((d) => d.recall)),
              f1: meanStdOf(withDetection.map((d) => d.f1)),
            },
          }
        : {}),
    },
    folds: result.folds.map((f, i) => ({
      fold: f.fold,
      war: f.test.report.war,
      uar: f.test.report.uar,
      macroF1: f.test.report.macroF1,
      recall: [...f.test.report.recall],
      support: [...f.test.report.support],
      confusion: f.test.report.confusion.map((row) => [...row]),
      selectedEpoch: f.selectedEpoch,
      trainSeconds: f.trainSeconds,
      history: f.history.map((h) => ({
        epoch: h.epoch,
        trainLoss: h.trainLoss,
        lr: h.lr,
        seconds: h.seconds,
        ...(h.selection ? { selection: { war: h.selection.war, uar: h.selection.uar } } : {}),
      })),
      ...(detections[i] ? { noisyDetection: detections[i] } : {}),
    })),
    numParameters: result.folds[0]?.numParameters ?? 0,
    startedAt: identity.startedAt.toISOString(),
    durationSeconds: identity.durationSeconds,
    ...(identity.noise ? { noise: { ...identity.noise } } : {}),
  };
}

/** Identity of an AU-detection run beside the trainer's result. */
export interface AuDetectionRunIdentity {
  readonly id: string;
  readonly profile: string;
  readonly dataset: string;
  readonly model: string;
  readonly preset: string;
  readonly method: string;
  readonly seed: number;
  readonly arm: AuMtlComparisonVariant;
  readonly engine: { readonly backend: string; readonly reason: string };
  readonly startedAt: Date;
  readonly durationSeconds: number;
}

/**
 * Turn a trainer `AuDetectionExperimentResult` (one arm, one seed, its folds) into one AU-detection record:
 * per run (seed × fold) the per-AU precision / recall / F1 and average F1 at the fixed threshold, the tuned
 * thresholds and their F1 when the config tuned them, and the training loss per epoch; the summary is the
 * trainer's mean ± sample std over runs.
 */
export function createAuDetectionRunRecord(
  result: AuDetectionExperimentResult,
  identity: AuDetectionRunIdentity,
  versions = collectVersions(),
): AuDetectionRunRecord {
  const first = result.runs[0];
  if (!first) throw new RangeError(`${identity.id}: the AU-detection result has no runs`);
  const threshold = result.config.evaluation.threshold;
  return {
    id: identity.id,
    profile: identity.profile,
    dataset: identity.dataset,
    model: identity.model,
    preset: identity.preset,
    method: identity.method,
    seed: identity.seed,
    experiment: 'au_detection',
    arm: { task: identity.arm.task, gate: identity.arm.gate, weighting: identity.arm.weighting },
    config: JSON.parse(JSON.stringify(result.config)) as Record<string, unknown>,
    engine: { backend: identity.engine.backend, reason: identity.engine.reason },
    versions,
    auNames: [...result.auNames],
    level: first.level,
    threshold,
    summary: {
      meanF1: { ...result.summary.meanF1 },
      f1: result.summary.f1.map((m) => (m ? { ...m } : null)),
      ...(result.tunedSummary ? { tunedMeanF1: { ...result.tunedSummary.meanF1 } } : {}),
    },
    folds: result.runs.map((r) => ({
      fold: r.fold,
      seed: r.seed,
      meanF1: r.test.meanF1,
      f1: [...r.test.f1],
      precision: [...r.test.precision],
      recall: [...r.test.recall],
      support: [...r.test.support],
      ...(r.tuned
        ? {
            tuned: {
              thresholds: [...r.tuned.thresholds],
              meanF1: r.tuned.test.meanF1,
              f1: [...r.tuned.test.f1],
            },
          }
        : {}),
      epochLosses: [...r.epochLosses],
    })),
    startedAt: identity.startedAt.toISOString(),
    durationSeconds: identity.durationSeconds,
  };
}
