/**
 * @dfer/bench — the experiment matrix across the three base models, performance timings, the versioned
 * results file, the Markdown report and the self-contained dashboard. The `bench` CLI is `dist/cli.js`.
 */
export {
  BENCH_RESULTS_KIND,
  BENCH_RESULTS_SCHEMA_VERSION,
  benchResultsSchema,
  runRecordSchema,
  perfRecordSchema,
  perfTargetSchema,
  profileRecordSchema,
  isClassificationRun,
  type AuDetectionRunRecord,
  type AuFoldMetrics,
  type BenchResults,
  type ClassificationRunRecord,
  type EpochHistoryRecord,
  type LabelNoiseRecord,
  type NoisyDetectionRecord,
  type FoldMetrics,
  type MeanStdValue,
  type PerfRecord,
  type PerfTarget,
  type ProfileRecord,
  type RunRecord,
} from './results/schema';
export {
  ResultsFileError,
  createEmptyResults,
  mergeBenchResults,
  parseBenchResults,
  readBenchResults,
  writeBenchResults,
  type MergeReport,
} from './results/results-file';
export {
  aggregateAuRuns,
  aggregateRuns,
  formatNoiseRate,
  formatRowLabel,
  meanAndSampleStd,
  minorityFirstOrder,
  METHOD_ORDER,
  type AggregateRow,
  type AuAggregateRow,
} from './report/aggregate';
export {
  formatPercent,
  renderReportMarkdown,
  renderRunDescription,
  renderVerdictsSection,
} from './report/markdown';
export {
  VERDICT_RULE,
  logGamma,
  pairBySeed,
  pairedEffect,
  regularizedIncompleteBeta,
  studentTCdf,
  studentTDensity,
  studentTQuantile,
  verdictOf,
  type PairedComparison,
  type PairedEffect,
  type PairedSeed,
  type Verdict,
} from './report/paired';
export {
  AU_DFER_METHODS,
  EXPERIMENT_TITLES,
  MINORITY_CLASS_COUNT,
  evaluateClaims,
  formatClaim,
  formatClaimMetric,
  formatInterval,
  formatPairs,
  formatPerSeed,
  formatPoints,
  groupClaimRows,
  minorityClassesOf,
  type AuF1Table,
  type ClaimKind,
  type ClaimMetric,
  type ClaimRow,
  type ClaimsReport,
  type MinorityClasses,
} from './report/claims';
export {
  SMOKE_PROFILE_PATTERN,
  describeDataNode,
  describeRuns,
  type ExperimentRunDescription,
  type ProfileRunDescription,
} from './report/run-description';
export { describeProfileForResults, withProfileDescription } from './results/profile-description';
export {
  createDashboardData,
  createDashboardEvidence,
  readChartJsBundle,
  renderDashboardHtml,
  type DashboardData,
  type DashboardEvidence,
  type DashboardVerdictRow,
  type DashboardOptions,
  type DashboardRow,
} from './report/dashboard';
export {
  BASE_MODELS,
  FULL_PROFILE,
  METHODS,
  QUICK_DATA,
  QUICK_PROFILE,
  datasetLabel,
  expandDferMatrix,
  expandProfile,
  getMethod,
  getProfile,
  listProfiles,
  type BenchCell,
  type MatrixCell,
  type MethodSpec,
  type ProfileConfig,
  type ProfileTraining,
  AU_DETECTION_PROFILE,
  RDFER_PROFILE,
  SMOKE_PROFILE,
} from './matrix/profiles';
export {
  collectVersions,
  createAuDetectionRunRecord,
  createRunRecord,
  type AuDetectionRunIdentity,
  type RunIdentity,
} from './matrix/run-record';
export {
  RDFER_ARMS,
  RDFER_DATA,
  expandRdferBlock,
  getRdferArm,
  noiseLabel,
  type RdferArm,
  type RdferBlock,
  type RdferCell,
  type RdferCellContext,
} from './matrix/rdfer-profile';
export {
  AU_DETECTION_BLOCK,
  expandAuDetectionBlock,
  getAuDetectionArm,
  type AuDetectionBlock,
  type AuDetectionCell,
  type AuDetectionCellContext,
} from './matrix/au-detection-profile';
export { TRAIN_NOISE_DATA, registerTrainNoiseData } from './matrix/train-noise-data';
export {
  REAL_DATASETS,
  RealDatasetLayoutError,
  applyRealDataset,
  createRealDatasetSelection,
  listRealDatasets,
  type RealDatasetName,
  type RealDatasetOptions,
  type RealDatasetProfile,
  type RealDatasetSelection,
  type RealDatasetSpec,
} from './matrix/datasets';
export {
  PUBLISHED_RESULTS,
  getPublishedResults,
  publishedDatasetOf,
  renderPublishedComparison,
  type PublishedResult,
} from './matrix/published';
export {
  benchOutputPaths,
  runMatrix,
  writeReports,
  type BenchOutputPaths,
  type FailedBenchCell,
  type RunMatrixOptions,
  type RunMatrixSummary,
} from './matrix/run-matrix';
export {
  cellLogPath,
  cellRunDir,
  describeRunRecord,
  runAuDetectionOnEngine,
  runBenchCell,
  type BenchCellJob,
  type RunAuDetectionFunction,
  type RunBenchCellOptions,
  type RunExperimentFunction,
} from './matrix/cell-job';
export {
  cellChildCommand,
  createChildProcessCellExecutor,
  createInProcessCellExecutor,
  runBenchCellInChild,
  type BenchCellContext,
  type BenchCellExecutor,
  type CellChildCommand,
  type CellChildMessage,
  type CellParentMessage,
} from './matrix/cell-executor';
export {
  estimatePoolSeconds,
  formatDuration,
  formatPoolStatus,
  type BenchPoolStatus,
  type PendingCell,
} from './matrix/pool-progress';
export { createPoolStatusLine, type PoolStatusLine } from './matrix/pool-status-line';
export { applyProfileSettings, profileSettingsSchema, type ProfileSettings } from './matrix/profile-settings';
export { BENCH_QUEUE_NAME, parseQueueUrl, type QueueUrl } from './queue/queue-connection';
export {
  BENCH_QUEUE_JOB_VERSION,
  createJobData,
  portableConfig,
  resolveQueueJob,
  type BenchQueueJobData,
  type BenchQueueJobResult,
} from './queue/queue-job';
export {
  runMatrixOnQueue,
  type FailedQueueCell,
  type QueueRunSummary,
  type RunOnQueueOptions,
} from './queue/run-on-queue';
export { startQueueWorker, type QueueWorkerHandle, type QueueWorkerOptions } from './queue/queue-worker';
export {
  formatQueueStatus,
  getQueueStatus,
  type QueueProfileCounts,
  type QueueStatus,
} from './queue/queue-status';
export { createBenchProgram } from './cli';
export {
  clipValues,
  median,
  runPerfTask,
  type InferenceTask,
  type KernelProfileLine,
  type PerfMeasurement,
  type PerfTask,
  type PerfTaskResult,
  type StepProfile,
  type SyntheticGenerationTask,
  type TrainStepTask,
} from './perf/measure';
export {
  computePerfTargets,
  describeTarget,
  msPerClip,
  OUTSIDE_KERNELS,
  allKernelsLine,
  PERF_ENGINES,
  PERF_TARGETS,
  PHASE_NAMES,
  profileLines,
  profileScope,
  profilesForMissedTargets,
  type PerfTargetReport,
} from './perf/targets';
export {
  checkPytorch,
  DEFAULT_PYTHON,
  PERF_REFERENCE_SCRIPT,
  pytorchMeasurements,
  pytorchReferenceSchema,
  runPytorchReference,
  type PytorchReference,
  type PytorchReferenceOptions,
} from './perf/pytorch';
export {
  runPerf,
  runPerfTaskInChild,
  runPerfTaskInProcess,
  type PerfRunConfig,
  type PerfTaskOutcome,
  type PerfTaskRunner,
  type RunPerfOptions,
  type RunPerfSummary,
} from './perf/run-perf';
export { addPerfCommand, resolvePerfConfig, type PerfCommandOptions } from './perf/perf-command';
