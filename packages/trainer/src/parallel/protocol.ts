import type { CreateModelOptions } from '@dfer/backbones';
import type { StepAgreementAnalysis, StepBatch } from '../experiment/step-gradients';
import type { LossConfig, LossContext, RobustWeightingConfig } from '@dfer/losses';

/**
 * What the workers differentiate, as plain data (sent to the worker threads; it must describe the same
 * objective as the caller's own gradient function):
 * - `expression`: `createLoss(loss.config, loss.context)` of `@dfer/losses` on the expression logits, with the
 *   RDFER clip agreement (`createRobustWeighting(robust)`) when given — the step of `runExperiment`;
 * - `au_detection`: L = L_AU + ferWeight · L_FER with `createLoss` for each (FER absent: L_AU alone), at frame
 *   level when the model has `forwardWithFrames` — the step of `runAuDetectionExperiment`.
 */
export type DataParallelObjective =
  | {
      readonly kind: 'expression';
      readonly loss: { readonly config: LossConfig; readonly context: LossContext };
      readonly robust?: RobustWeightingConfig;
    }
  | {
      readonly kind: 'au_detection';
      readonly auLoss: { readonly config: LossConfig; readonly context: LossContext };
      readonly ferLoss?: { readonly config: LossConfig; readonly context: LossContext };
      readonly ferWeight: number;
      readonly numAus: number;
    };

/** Messages between the calling thread and the data-parallel worker threads (internal). */

/** `workerData` of a worker thread. */
export interface WorkerInit {
  readonly backend: 'wasm' | 'cpu';
  /** Gradient slot of this worker in `grads` (worker w has slot w − 1). */
  readonly slot: number;
  readonly model: { readonly type: string; readonly options: CreateModelOptions };
  readonly objective: DataParallelObjective;
  /** Every model variable in `namedParameters()` order, as laid out in `weights`. */
  readonly variables: readonly { name: string; shape: number[]; dtype: string; size: number }[];
  /** Names of the trained parameters, in the order of a gradient slot. */
  readonly params: readonly string[];
  /** Shared: every variable's values, written by thread 0 before each step. */
  readonly weights: Float32Array;
  /** Shared: one slot of Σ|params| floats per worker. */
  readonly grads: Float32Array;
}

/** Calling thread → worker: one shard to differentiate. */
export interface WorkerStep {
  readonly type: 'step';
  readonly batch: StepBatch;
  readonly epoch?: number;
}

/** Worker → calling thread. */
export type WorkerReply =
  | { readonly type: 'ready' }
  | { readonly type: 'error'; readonly message: string }
  | {
      readonly type: 'done';
      readonly loss: number;
      readonly terms: Record<string, number>;
      /** Per trained parameter: whether it received a gradient (else its slot holds zeros). */
      readonly present: boolean[];
      readonly agreement?: StepAgreementAnalysis;
    };
