/**
 * @dfer/trainer — typed DFER experiments: configs, training, protocols, honest evaluation, checkpoints.
 */
export { classificationReport, confusionMatrix, type ClassificationReport } from './metrics/classification';
export { auDetectionReport, type AuDetectionReport } from './metrics/au';
export {
  clipGradientsByGlobalNorm,
  createOptimizer,
  trainableParameters,
  type AdamWConfig,
  type NamedVariable,
  type Optimizer,
  type OptimizerConfig,
  type OptimizerState,
  type SgdConfig,
} from './optim/optimizers';
export { learningRateAt, type ScheduleConfig } from './optim/schedules';
export {
  ConfigError,
  defineConfig,
  experimentSchema,
  validateConfig,
  type ComponentRegistries,
  type ConfigIssue,
  type ExperimentConfig,
  type ExperimentConfigInput,
} from './config/schema';
export { applyOverrides, mergeConfigs, parseOverride } from './config/merge';
export { holdoutSplit, kFoldSplits, type HoldoutOptions, type KFoldOptions } from './protocols/splits';
export { runExperiment } from './experiment/run-experiment';
export {
  RESULTS_SCHEMA_VERSION,
  type ExperimentResult,
  type ExpressionSelectionMetrics,
  type FoldResult,
  type RunExperimentOptions,
} from './experiment/experiment-result';
export { evaluateModel, type EvaluationResult } from './experiment/evaluate-model';
export type { RobustFoldOutput } from './experiment/robust-analysis';
export {
  FoldRunner,
  type BestEpoch,
  type EpochRecord,
  type FoldRunnerOptions,
  type SelectionMetrics,
  type SelectionOutcome,
  type StartReport,
  type StepInfo,
  type TrainingLoader,
  type TrainingLoopSpec,
  type TrainingOutcome,
} from './loop/fold-runner';
export {
  createExperimentData,
  checkExperimentData,
  listExperimentData,
  listExperimentDataOptions,
  registerExperimentData,
  SYNTHETIC_DFER_OPTIONS,
  type DataBuildContext,
  type DataCheckResult,
  type DataFactory,
  type DataSourceSpec,
  type ExperimentSplits,
} from './experiment/data-registry';
export {
  checkSplitListData,
  type SplitListAuConfig,
  type SplitListCheck,
  type SplitListCheckSplit,
  type SplitListDataOptions,
  type SplitListFoldContext,
} from './experiment/split-list-data';
export {
  describePlan,
  planExperiment,
  type ExperimentPlan,
  type PlanExperimentOptions,
  type PlanFold,
  type PlanSplit,
} from './experiment/plan-experiment';
export { meanStd, summariseReports, type MeanStd } from './experiment/summary';
export {
  loadConfigFile,
  CONFIG_PATH_FIELDS,
  SHIPPED_CONFIG_DIR,
  CONFIG_FILE_MAX_BYTES,
  CONFIG_FILE_MAX_DEPTH,
  type LoadConfigFileOptions,
} from './config/config-file';
export { formatSummaryTable } from './experiment/summary-table';
export { createExperimentModel, defaultSampler } from './experiment/experiment-model';
export {
  evaluateRun,
  exportRunToOnnx,
  restoreRun,
  type RestoredRun,
  type SavedWeights,
} from './experiment/run-artifacts';
export { buildCli } from './cli';
export {
  describeAnalysis,
  runAnalyzeCommand,
  IMAGE_EXTENSIONS,
  type AnalyzeCommandOptions,
  type AnalyzeCommandResult,
} from './analyze-command';
export {
  describePrepareOutcome,
  listPrepareInputs,
  runPrepareCommand,
  summarisePrepare,
  VIDEO_EXTENSIONS,
  type PrepareCommandOptions,
  type PrepareOutcome,
} from './prepare-command';
export {
  buildAuDetectionData,
  type AuDataContext,
  type AuDetectionDataNode,
  type Bp4dDataNode,
  type AuDetectionData,
  type SyntheticAuDataNode,
} from './au-detection/au-data';
export {
  DEFAULT_THRESHOLD_GRID,
  summariseAuReports,
  tuneAuThresholds,
  type AuReportSummary,
} from './au-detection/au-metrics';
export {
  runAuDetectionExperiment,
  validateAuDetectionConfig,
  type AuDetectionExperimentConfig,
  type AuDetectionExperimentResult,
  type AuDetectionRunResult,
  type AuDetectionTask,
  type RunAuDetectionOptions,
} from './au-detection/run-au-detection';
export {
  AU_MTL_COMPARISON_VARIANTS,
  runAuMtlComparison,
  type AuMtlComparisonOptions,
  type AuMtlComparisonResult,
  type AuMtlComparisonRow,
  type AuMtlComparisonVariant,
} from './au-detection/au-mtl-comparison';
export {
  createBp4dAuProtocol,
  type Bp4dAuProtocol,
  type Bp4dAuProtocolConfig,
  type Bp4dPartFiles,
} from './au-detection/bp4d-protocol';
export {
  createDataParallelTrainer,
  shardSizes,
  type DataParallelConfig,
  type DataParallelObjective,
  type LocalGradients,
  type DataParallelStepOptions,
  type DataParallelStepTimings,
  type DataParallelTrainer,
} from './parallel/data-parallel';
export {
  applyStepUpdate,
  stepGradients,
  type StepAgreement,
  type StepAgreementAnalysis,
  type StepBatch,
  type StepGradients,
  type StepResult,
  type StepRobust,
} from './experiment/step-gradients';
