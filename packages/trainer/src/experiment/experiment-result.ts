import type { ExperimentConfig } from '../config/schema';
import type { ClassificationReport } from '../metrics/classification';
import type { EpochRecord, StepInfo } from '../loop/fold-runner';
import type { EvaluationResult } from './evaluate-model';
import type { RobustFoldOutput } from './robust-analysis';
import type { MeanStd } from './summary';

/** Version of the results JSON written by `runExperiment`. */
export const RESULTS_SCHEMA_VERSION = 1;

/** What an expression fold's selection evaluation records per epoch (`EpochRecord.selection`). */
export interface ExpressionSelectionMetrics {
  readonly war: number;
  readonly uar: number;
}

/** The result of one fold. */
export interface FoldResult {
  /** 1-based fold number (1 for the fixed protocol). */
  readonly fold: number;
  readonly split: string;
  readonly counts: {
    readonly train: number;
    readonly validation: number;
    readonly test: number;
    readonly testScored: number;
  };
  /** Epoch (0-based; the summary table and ONNX metadata show it 1-based) of the reported weights, and how it was chosen. */
  readonly selectedEpoch: number;
  readonly selection: ExperimentConfig['evaluation']['selection'];
  readonly validation?: ClassificationReport;
  readonly test: EvaluationResult;
  readonly history: readonly EpochRecord<ExpressionSelectionMetrics>[];
  readonly lossNotes: readonly string[];
  readonly numParameters: number;
  readonly trainSeconds: number;
  /** RDFER clip agreement (when `robust` is configured): the last epoch's analysis of every training clip. */
  readonly robust?: RobustFoldOutput;
}

/** What `runExperiment` returns and writes to `results.json`. */
export interface ExperimentResult {
  readonly schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  readonly name: string;
  readonly config: ExperimentConfig;
  readonly engine: { readonly backend: string; readonly reason: string };
  /** `test` means the checkpoint was picked on the test split: not an honest estimate; reports say so. */
  readonly selection: ExperimentConfig['evaluation']['selection'];
  readonly folds: readonly FoldResult[];
  readonly summary: { war: MeanStd; uar: MeanStd; macroF1: MeanStd; recall: (MeanStd | null)[] };
  readonly classNames: readonly string[];
}

/** Per-call options of `runExperiment`. */
export interface RunExperimentOptions {
  /** Where logs, checkpoints and results go (default `config.output.dir`; none: nothing is written). */
  readonly outputDir?: string;
  /** Continue from the latest checkpoint in `outputDir` (finished folds are not repeated). */
  readonly resume?: boolean;
  /** Progress lines (default: to stderr). */
  readonly report?: (line: string) => void;
  /** Called after each epoch's checkpoint is written (tests use it to simulate a kill). */
  readonly onEpochEnd?: (info: { fold: number; epoch: number }) => void;
  /** Called after each optimizer step (progress bars). */
  readonly onStep?: (info: StepInfo) => void;
}
