/**
 * Config-level description of the robust sample weightings (mmaction2-style `{ type, ...options }`
 * nodes): the trainer's `robust: { type: 'clip_agreement', … }` is built here.
 */
import { describeValue } from '../validate';
import {
  analyseClipAgreement,
  CLIP_AGREEMENT_DEFAULTS,
  type ClipAgreementAnalysis,
  type ClipAgreementOptions,
  type ClipPredictionShape,
  resolveClipAgreementOptions,
  type ResolvedClipAgreementOptions,
} from './clip-agreement';

/** The config node of the clip-agreement weighting: every option of `analyseClipAgreement` but `epoch`, plus `clips`. */
export interface ClipAgreementConfig extends Omit<ClipAgreementOptions, 'epoch'> {
  type: 'clip_agreement';
  /** Clips per video K sampled each step (default 4, as `reference/rdfer.md` suggests); ≥ 2. */
  clips?: number;
}

/** Per-call options of {@link ClipAgreement.analyse}. */
export interface ClipAgreementAnalyseOptions {
  /** The current epoch, 0-based: weights apply from `warmupEpochs` on. */
  epoch: number;
}

/** A clip-agreement weighting built from its config. */
export interface ClipAgreement {
  readonly type: 'clip_agreement';
  /** Clips per video K: feed `multiClip(K)` of `@dfer/datasets` and pass K·C probabilities per video. */
  readonly clips: number;
  /** The config with every default filled in (a copy). */
  readonly config: Readonly<Required<ClipAgreementConfig>>;
  /**
   * Analyses a batch: `probs` `[N, K, C]` row-major (per-clip softmax, see `softmaxClipLogits`),
   * labels `[N]`; see `analyseClipAgreement`.
   */
  analyse(
    probs: ArrayLike<number>,
    labels: ArrayLike<number>,
    numClasses: number,
    options: ClipAgreementAnalyseOptions,
  ): ClipAgreementAnalysis;
}

/** A config node of any robust weighting (today only `clip_agreement`). */
export type RobustWeightingConfig = ClipAgreementConfig;

/** The registered robust weighting types, in a fixed order. */
const ROBUST_WEIGHTINGS = ['clip_agreement'] as const;

/** Names of the robust weightings {@link createRobustWeighting} builds. */
export function listRobustWeightings(): string[] {
  return [...ROBUST_WEIGHTINGS];
}

/**
 * Builds the clip-agreement weighting from its config node, e.g.
 * `createClipAgreement({ type: 'clip_agreement', clips: 4, measure: 'entropy', noisyTreatment: 'relabel' })`.
 * Defaults are {@link CLIP_AGREEMENT_DEFAULTS} and `clips: 4`; the caller's object is not changed.
 *
 * @throws when `type` is not `'clip_agreement'`, an option is unknown (the error lists the valid
 *   options) or out of range (the option is named).
 */
export function createClipAgreement(config: ClipAgreementConfig): ClipAgreement {
  const where = 'createClipAgreement';
  if (config === null || typeof config !== 'object') {
    throw new TypeError(
      `${where}: config must be an object { type: 'clip_agreement', ... }, got ${describeValue(config)}`,
    );
  }
  if (config.type !== 'clip_agreement') {
    throw new RangeError(`${where}: type must be 'clip_agreement', got ${describeValue(config.type)}`);
  }
  const { type: _type, clips: clipsOption, ...rest } = config;
  if ('epoch' in rest) {
    throw new RangeError(`${where}: 'epoch' is a per-call option of analyse(), not a config option`);
  }
  const validKeys = ['type', 'clips', ...Object.keys(CLIP_AGREEMENT_DEFAULTS).filter((k) => k !== 'epoch')];
  for (const key of Object.keys(config)) {
    if (!validKeys.includes(key)) {
      throw new RangeError(`${where}: unknown option '${key}'; valid options: ${validKeys.join(', ')}`);
    }
  }
  const clips = clipsOption ?? 4;
  if (!Number.isInteger(clips) || clips < 2) {
    throw new RangeError(
      `${where}: clips must be an integer ≥ 2 (agreement needs two clips), got ${describeValue(clips)}`,
    );
  }
  const resolved: ResolvedClipAgreementOptions = resolveClipAgreementOptions(rest, where);
  const { epoch: _epoch, ...stored } = resolved;
  const full: Required<ClipAgreementConfig> = { type: 'clip_agreement', clips, ...stored };
  return {
    type: 'clip_agreement',
    clips,
    config: Object.freeze({ ...full }),
    analyse(probs, labels, numClasses, options) {
      if (options === null || typeof options !== 'object') {
        throw new TypeError(
          `ClipAgreement.analyse: options must be { epoch }, got ${describeValue(options)}`,
        );
      }
      const shape: ClipPredictionShape = {
        samples: labels.length,
        clips,
        classes: numClasses,
      };
      return analyseClipAgreement(probs, labels, shape, { ...stored, epoch: options.epoch });
    },
  };
}

/**
 * Builds any robust weighting from its config node (dispatch on `type`).
 *
 * @throws on an unknown `type`, listing the valid ones, or on an invalid option of that weighting.
 */
export function createRobustWeighting(config: RobustWeightingConfig): ClipAgreement {
  if (config === null || typeof config !== 'object' || typeof config.type !== 'string') {
    throw new TypeError(
      `createRobustWeighting: config must be an object with a string 'type' (one of ${ROBUST_WEIGHTINGS.join(', ')}), got ${describeValue(config)}`,
    );
  }
  if (config.type === 'clip_agreement') return createClipAgreement(config);
  throw new RangeError(
    `createRobustWeighting: unknown robust weighting type '${String((config as { type: string }).type)}'; valid: ${ROBUST_WEIGHTINGS.join(', ')}`,
  );
}
