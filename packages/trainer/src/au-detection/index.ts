export {
  buildAuDetectionData,
  type AuDataContext,
  type AuDetectionDataNode,
  type Bp4dDataNode,
  type AuDetectionData,
  type SyntheticAuDataNode,
} from './au-data';
export {
  DEFAULT_THRESHOLD_GRID,
  summariseAuReports,
  tuneAuThresholds,
  type AuReportSummary,
} from './au-metrics';
export {
  runAuDetectionExperiment,
  validateAuDetectionConfig,
  type AuDetectionExperimentConfig,
  type AuDetectionExperimentResult,
  type AuDetectionRunResult,
  type AuDetectionTask,
  type RunAuDetectionOptions,
} from './run-au-detection';
export {
  AU_MTL_COMPARISON_VARIANTS,
  runAuMtlComparison,
  type AuMtlComparisonOptions,
  type AuMtlComparisonResult,
  type AuMtlComparisonRow,
  type AuMtlComparisonVariant,
} from './au-mtl-comparison';
export {
  createBp4dAuProtocol,
  type Bp4dAuProtocol,
  type Bp4dAuProtocolConfig,
  type Bp4dPartFiles,
} from './bp4d-protocol';
