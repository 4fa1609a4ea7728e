/**
 * `runExperiment`: an expression-recognition experiment (plain DFER, AU-DFER, RDFER) over the folds of its
 * protocol, each fold on the shared training loop (`./expression-fold`).
 */
import { listModels } from '@dfer/backbones';
import { listLosses, listRobustWeightings } from '@dfer/losses';
import { initEngine, type EngineInfo } from '@dfer/runtime';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { validateConfig, type ExperimentConfig, type ExperimentConfigInput } from '../config/schema';
import { atomicWriteFile } from '../io/atomic-write';
import {
  checkExperimentData,
  listExperimentData,
  listExperimentDataOptions,
  type DataBuildContext,
} from './data-registry';
import {
  RESULTS_SCHEMA_VERSION,
  type ExperimentResult,
  type FoldResult,
  type RunExperimentOptions,
} from './experiment-result';
import { runExpressionFold } from './expression-fold';
import { summariseReports } from './summary';

/** Validates an experiment config against the registered data sources, models, losses and weightings. */
export function resolveExperimentConfig(input: ExperimentConfigInput | ExperimentConfig): ExperimentConfig {
  return validateConfig(input, {
    data: listExperimentData(),
    model: listModels(),
    loss: listLosses(),
    robust: listRobustWeightings(),
    dataOptions: listExperimentDataOptions(),
  });
}

/** The 1-based folds an experiment runs (`protocol.only`, else every fold; `[1]` for a fixed split). */
export function experimentFolds(config: ExperimentConfig): number[] {
  const foldCount = config.protocol.type === 'kfold' ? config.protocol.folds : 1;
  const folds =
    config.protocol.type === 'kfold'
      ? (config.protocol.only ?? Array.from({ length: foldCount }, (_, i) => i + 1))
      : [1];
  for (const f of folds) {
    if (f < 1 || f > foldCount) throw new RangeError(`protocol.only: fold ${f} is outside 1..${foldCount}`);
  }
  return [...folds];
}

/** The data build context of each fold of `folds` (1-based), as each fold builds it. */
export function foldContexts(config: ExperimentConfig, folds: readonly number[]): DataBuildContext[] {
  const foldCount = config.protocol.type === 'kfold' ? config.protocol.folds : 1;
  return folds.map((f) => ({
    seed: config.seed,
    protocol: config.protocol.type,
    fold: f - 1,
    folds: foldCount,
  }));
}

/**
 * Run an experiment: validate the config, choose the engine, then for each fold of the protocol build the
 * data, model, loss and optimizer, train, select the checkpoint (on a validation split carved from the
 * training data unless the config says otherwise), and score every test clip.
 */
export async function runExperiment(
  input: ExperimentConfigInput | ExperimentConfig,
  options: RunExperimentOptions = {},
): Promise<ExperimentResult> {
  const config = resolveExperimentConfig(input);
  const report = options.report ?? ((line: string) => process.stderr.write(`${line}\n`));
  const engine: EngineInfo = await initEngine({ backend: config.engine.backend });
  const outputDir = options.outputDir ?? config.output?.dir;
  if (outputDir) mkdirSync(resolve(outputDir), { recursive: true });
  if (config.evaluation.selection === 'test') {
    report(
      'WARNING: evaluation.selection = "test": the checkpoint is chosen on the test split; results are not an unbiased estimate.',
    );
  }
  const foldCount = config.protocol.type === 'kfold' ? config.protocol.folds : 1;
  const foldList = experimentFolds(config);
  // Every fold's data is checked before the first training step (lists, clip folders, AU files).
  const dataCheck = checkExperimentData(config.data, foldContexts(config, foldList));
  for (const line of dataCheck.lines) report(line);
  const results: FoldResult[] = [];
  for (const f of foldList) {
    results.push(
      await runExpressionFold({
        config,
        fold: f - 1,
        folds: foldCount,
        ...(outputDir ? { outputDir } : {}),
        report,
        ...(options.onEpochEnd ? { onEpochEnd: options.onEpochEnd } : {}),
        ...(options.onStep ? { onStep: options.onStep } : {}),
        resume: options.resume ?? false,
        ...(dataCheck.state !== undefined ? { checked: dataCheck.state } : {}),
      }),
    );
  }
  const result: ExperimentResult = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    name: config.name,
    config,
    engine: { backend: engine.backend, reason: engine.reason },
    selection: config.evaluation.selection,
    folds: results,
    summary: summariseReports(results.map((r) => r.test.report)),
    classNames: results[0]!.test.report.classNames,
  };
  if (outputDir) atomicWriteFile(join(outputDir, 'results.json'), `${JSON.stringify(result, null, 1)}\n`);
  return result;
}
