/** The types of the loss registry: config nodes, build context, inputs and the built {@link Loss}. */
import type { AuBaseRates, AuList, AuTargets, LabelList } from '@dfer/au-knowledge';
import type * as tf from '@tensorflow/tfjs-core';
import type { LabelsInput, LossResult, MultiLabelTargetsInput, Reduction } from '../types';

/**
 * A loss as a config node (mmaction2 style): `type` names a registered loss, the other fields are its
 * build-time options, e.g. `{ type: 'au_dfer', lambda: 0.25, posWeight: 'global' }`.
 */
export interface LossConfig {
  /** Registered name (see `listLosses`). */
  type: string;
  /** The loss's own options (each loss documents and validates its keys). */
  [option: string]: unknown;
}

/**
 * What a loss may need besides its config, supplied by whoever builds it (the trainer): the label and
 * AU order of the model's heads and the training-set statistics that class weights and pos-weights
 * are computed from. Each loss checks that what it needs is present.
 */
export interface LossContext {
  /** Expression label names (or a label set name such as `'dfew'`) in the order of the expression logits. */
  labels?: LabelList;
  /** AU names (or an AU set name such as `'openface18'`) in the order of the AU logits. */
  aus?: AuList;
  /** Training samples per expression class, in label order (imbalance losses). */
  classCounts?: ArrayLike<number>;
  /** Training labels: expression index per sample and, for AU losses, binary AU targets per sample. */
  training?: {
    exprLabels?: ArrayLike<number>;
    auTargets?: AuTargets;
  };
  /** AU base rates of the training set (AU-detection class weights); else computed from `training.auTargets`. */
  auBaseRates?: AuBaseRates;
}

/** The tensors a built loss reads; which ones it needs is listed in {@link Loss.inputs}. */
export interface LossInputs {
  /** Expression logits `[B, C]`. */
  logits?: tf.Tensor;
  /** Expression class per sample. */
  labels?: LabelsInput;
  /** Expression class probabilities per sample `[B, C]` (mixup / cutmix targets). */
  targets?: MultiLabelTargetsInput;
  /** AU logits `[B, A]`. */
  auLogits?: tf.Tensor;
  /** AU targets `[B, A]` in [0, 1]. */
  auTargets?: MultiLabelTargetsInput;
  /**
   * Per-sample AU mask `[B]` (1: the sample has AU labels; 0: it has none and is left out of the AU term),
   * read by the losses that combine an expression and an AU term (`au_dfer`). Default: all 1.
   */
  auMask?: ArrayLike<number>;
}

/** Name of one of the {@link LossInputs}. */
export type LossInputName = keyof LossInputs;

/** Per-call options of {@link Loss.compute}. */
export interface LossComputeOptions {
  /** Batch reduction; default `'mean'`. */
  reduction?: Reduction;
}

/** A loss built from a config: call {@link Loss.compute} in the training step. */
export interface Loss {
  /** The registered name it was built from. */
  readonly type: string;
  /** The config with every default filled in (a copy; the caller's object is never changed). */
  readonly config: Readonly<LossConfig>;
  /** The inputs {@link Loss.compute} requires. */
  readonly inputs: readonly LossInputName[];
  /**
   * What was derived while building, for logs: e.g. the pos-weight cells where N_neg / N_pos was
   * undefined and the fallback used, or a prior documented as anomalous. Empty when nothing to say.
   */
  readonly notes: readonly string[];
  /** Computes `{ loss, terms }`; throws naming any required input that is missing. */
  compute(inputs: LossInputs, options?: LossComputeOptions): LossResult;
}

/** Builds a {@link Loss} from its config and the context; validates every option. */
export type LossFactory = (config: LossConfig, context: LossContext) => Loss;
