import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { ExperimentResult } from '@dfer/trainer';
import type { RunRecord } from '../results/schema';

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
  readonly experiment: string;
  readonly startedAt: Date;
  readonly durationSeconds: number;
}

/** Turn a trainer `ExperimentResult` into one run record of the bench results file. */
export function createRunRecord(
  result: ExperimentResult,
  identity: RunIdentity,
  versions = collectVersions(),
): RunRecord {
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
    },
    folds: result.folds.map((f) => ({
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
    })),
    numParameters: result.folds[0]?.numParameters ?? 0,
    startedAt: identity.startedAt.toISOString(),
    durationSeconds: identity.durationSeconds,
  };
}
