import {
  auBaseRates,
  auClassWeights,
  getPriorSource,
  posWeights,
  priorMatrix,
  resolveLabelList,
  type AuBaseRates,
  type AuClassWeightMethod,
  type AuTargets,
  type PosWeightMode,
  type PosWeights,
} from '@dfer/au-knowledge';
import { auDferLoss } from '../au-dfer/au-dfer-loss';
import { auDiceLoss } from '../au-detection/dice';
import type { DiceTermOptions } from '../au-detection/multi-label-settings';
import { weightedAsymmetricLoss } from '../au-detection/weighted-asymmetric';
import { weightedBceLoss } from '../au-detection/weighted-bce';
import { classBalancedLoss, type ClassBalancedBase } from '../expression/class-balanced';
import { crossEntropyLoss } from '../expression/cross-entropy';
import { focalLoss } from '../expression/focal';
import { softTargetCrossEntropyLoss } from '../expression/soft-target-cross-entropy';
import { balancedSoftmaxLoss, logitAdjustedLoss } from '../expression/logit-adjusted';
import { ConfigReader, requireInputs } from './config-reader';
import type { Loss, LossConfig, LossContext, LossFactory, LossInputName } from './loss-types';

const EXPRESSION_INPUTS = ['logits', 'labels'] as const;
const AU_INPUTS = ['auLogits', 'auTargets'] as const;

/** The minority classes of AU-DFER's `minor` pos-weights on DFEW / FERV39K (`au-dfer.md`). */
const AU_DFER_MINORITY_CLASSES = ['surprise', 'disgust', 'fear'];

/** Class-weight choices of the AU-detection losses: a rule of `auClassWeights`, or `'none'`. */
const AU_CLASS_WEIGHT_METHODS = ['none', 'jaa', 'power', 'log', 'effective-number', 'pos-weight'] as const;

/** Runs an `@dfer/au-knowledge` call, prefixing its error with the loss being built. */
function withWhere<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw new Error(`${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function built(
  type: string,
  config: LossConfig,
  inputs: readonly LossInputName[],
  compute: Loss['compute'],
  notes: string[] = [],
): Loss {
  return { type, config: Object.freeze({ ...config }), inputs, notes, compute };
}

/** Training samples per class, from the context (given, or counted from `training.exprLabels`). */
function classCountsFrom(reader: ConfigReader, context: LossContext): number[] {
  if (context.classCounts !== undefined) return Array.from(context.classCounts);
  const exprLabels = context.training?.exprLabels;
  if (exprLabels === undefined || context.labels === undefined) {
    throw new TypeError(
      `${reader.where}: needs class counts: pass context.classCounts, or context.labels with context.training.exprLabels`,
    );
  }
  const numClasses = resolveLabelList(context.labels, 'context.labels').length;
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < exprLabels.length; i++) {
    const y = exprLabels[i] as number;
    if (!Number.isInteger(y) || y < 0 || y >= numClasses) {
      throw new RangeError(
        `${reader.where}: context.training.exprLabels[${i}] = ${y} is not a class index in [0, ${numClasses})`,
      );
    }
    counts[y] = (counts[y] as number) + 1;
  }
  return counts;
}

function baseRatesFrom(reader: ConfigReader, context: LossContext): AuBaseRates {
  if (context.auBaseRates !== undefined) return context.auBaseRates;
  if (context.training?.auTargets === undefined) {
    throw new TypeError(
      `${reader.where}: class weights need context.auBaseRates or context.training.auTargets`,
    );
  }
  return context.aus === undefined
    ? auBaseRates(context.training.auTargets)
    : auBaseRates(context.training.auTargets, { aus: context.aus });
}

/** Per-AU class weights of an AU-detection config: explicit numbers, a base-rate rule, or none. */
function auClassWeightsFrom(
  reader: ConfigReader,
  context: LossContext,
): { weights: number[] | undefined; config: unknown } {
  const raw = reader.raw('classWeights');
  if (Array.isArray(raw)) return { weights: reader.numbers('classWeights'), config: raw };
  const method = reader.oneOf('classWeights', AU_CLASS_WEIGHT_METHODS, 'jaa');
  if (method === 'none') return { weights: undefined, config: method };
  const options = {
    method: method as AuClassWeightMethod,
    alpha: reader.number('alpha', 0.5, Number.MIN_VALUE, 1),
    c: reader.number('c', 1, Number.MIN_VALUE, Number.MAX_VALUE),
    beta: reader.number('beta', 0.999, Number.MIN_VALUE, 1 - Number.EPSILON),
  };
  const baseRates = withWhere(reader.where, () => baseRatesFrom(reader, context));
  return {
    weights: Array.from(withWhere(reader.where, () => auClassWeights(baseRates, options))),
    config: method,
  };
}

function diceFrom(reader: ConfigReader): DiceTermOptions | undefined {
  const raw = reader.raw('dice');
  if (raw === undefined) return undefined;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new TypeError(
      `${reader.where}: dice must be an object { weight, smooth? }, got ${JSON.stringify(raw)}`,
    );
  }
  const dice = new ConfigReader({ type: String(reader.raw('type')), ...(raw as Record<string, unknown>) }, [
    'weight',
    'smooth',
  ]);
  return {
    weight: dice.number('weight', 1, 0, Number.MAX_VALUE),
    smooth: dice.number('smooth', 1, Number.MIN_VALUE, Number.MAX_VALUE),
  };
}

const crossEntropy: LossFactory = (config) => {
  const r = new ConfigReader(config, ['labelSmoothing', 'classWeights']);
  const labelSmoothing = r.number('labelSmoothing', 0, 0, 1);
  const classWeights = r.numbers('classWeights');
  return built('cross_entropy', { ...config, labelSmoothing }, EXPRESSION_INPUTS, (inputs, options) => {
    const { logits, labels } = requireInputs('cross_entropy', inputs, EXPRESSION_INPUTS);
    return crossEntropyLoss({ logits, labels, labelSmoothing, classWeights, reduction: options?.reduction });
  });
};

const SOFT_TARGET_INPUTS = ['logits', 'targets'] as const;

const softTargetCrossEntropy: LossFactory = (config) => {
  new ConfigReader(config, []); // rejects any option: this loss has none
  return built('soft_target_cross_entropy', { ...config }, SOFT_TARGET_INPUTS, (inputs, options) => {
    const { logits, targets } = requireInputs('soft_target_cross_entropy', inputs, SOFT_TARGET_INPUTS);
    return softTargetCrossEntropyLoss({ logits, targets, reduction: options?.reduction });
  });
};

const focal: LossFactory = (config) => {
  const r = new ConfigReader(config, ['gamma', 'alpha']);
  const gamma = r.number('gamma', 2, 0, 100);
  const alpha = Array.isArray(r.raw('alpha'))
    ? r.numbers('alpha')
    : r.number('alpha', 1, 0, Number.MAX_VALUE);
  return built('focal', { ...config, gamma, alpha }, EXPRESSION_INPUTS, (inputs, options) => {
    const { logits, labels } = requireInputs('focal', inputs, EXPRESSION_INPUTS);
    return focalLoss({ logits, labels, gamma, alpha, reduction: options?.reduction });
  });
};

const classBalanced: LossFactory = (config, context) => {
  const r = new ConfigReader(config, ['beta', 'baseLoss', 'gamma']);
  const beta = r.number('beta', 0.999, 0, 1 - Number.EPSILON);
  const baseLoss = r.oneOf<ClassBalancedBase>('baseLoss', ['softmax', 'focal'], 'softmax');
  const gamma = r.number('gamma', 2, 0, 100);
  const classCounts = classCountsFrom(r, context);
  return built(
    'class_balanced',
    { ...config, beta, baseLoss, gamma },
    EXPRESSION_INPUTS,
    (inputs, options) => {
      const { logits, labels } = requireInputs('class_balanced', inputs, EXPRESSION_INPUTS);
      return classBalancedLoss({
        logits,
        labels,
        classCounts,
        beta,
        baseLoss,
        gamma,
        reduction: options?.reduction,
      });
    },
  );
};

const logitAdjusted: LossFactory = (config, context) => {
  const r = new ConfigReader(config, ['tau', 'classPriors']);
  const tau = r.number('tau', 1, 0, Number.MAX_VALUE);
  const classPriors = r.numbers('classPriors');
  const classCounts = classPriors === undefined ? classCountsFrom(r, context) : undefined;
  return built('logit_adjusted', { ...config, tau }, EXPRESSION_INPUTS, (inputs, options) => {
    const { logits, labels } = requireInputs('logit_adjusted', inputs, EXPRESSION_INPUTS);
    return logitAdjustedLoss({
      logits,
      labels,
      tau,
      classPriors,
      classCounts,
      reduction: options?.reduction,
    });
  });
};

const balancedSoftmax: LossFactory = (config, context) => {
  const r = new ConfigReader(config, []);
  const classCounts = classCountsFrom(r, context);
  return built('balanced_softmax', { ...config }, EXPRESSION_INPUTS, (inputs, options) => {
    const { logits, labels } = requireInputs('balanced_softmax', inputs, EXPRESSION_INPUTS);
    return balancedSoftmaxLoss({ logits, labels, classCounts, reduction: options?.reduction });
  });
};

const AU_DFER_INPUTS = ['logits', 'labels', 'auLogits', 'auTargets'] as const;

const auDfer: LossFactory = (config, context) => {
  const r = new ConfigReader(config, [
    'lambda',
    'scale',
    'labelSmoothing',
    'classWeights',
    'prior',
    'posWeight',
    'minorityClasses',
  ]);
  const lambda = r.number('lambda', 0.25, 0, 1);
  const scale = r.number('scale', 5, 0, Number.MAX_VALUE);
  const labelSmoothing = r.number('labelSmoothing', 0, 0, 1);
  const classWeights = r.numbers('classWeights');
  const priorName = r.raw('prior') ?? 'dfew';
  if (typeof priorName !== 'string') {
    throw new TypeError(
      `${r.where}: prior must be the name of an @dfer/au-knowledge prior source (e.g. 'dfew'), got ${JSON.stringify(priorName)}`,
    );
  }
  const posWeightMode = r.oneOf<PosWeightMode | 'none'>(
    'posWeight',
    ['global', 'distinct', 'minor', 'none'],
    'global',
  );
  const minorityClasses = r.namesOrIndices('minorityClasses') ?? AU_DFER_MINORITY_CLASSES;
  if (context.labels === undefined || context.aus === undefined) {
    throw new TypeError(
      `${r.where}: needs context.labels and context.aus (the label order of the expression logits and the AU order of the AU logits) to align the prior by name`,
    );
  }
  const { labels, aus } = context;
  const prior = withWhere(r.where, () => priorMatrix({ source: getPriorSource(priorName), labels, aus }));
  const notes: string[] = [];
  if (prior.anomalous) notes.push(`prior '${prior.source}' is documented as anomalous: ${prior.provenance}`);
  let posWeight: PosWeights | undefined;
  if (posWeightMode !== 'none') {
    const training = context.training;
    if (training?.auTargets === undefined || training.exprLabels === undefined) {
      throw new TypeError(
        `${r.where}: posWeight '${posWeightMode}' is computed from context.training.auTargets and context.training.exprLabels; pass them, or use posWeight: 'none'`,
      );
    }
    const computed = withWhere(r.where, () =>
      posWeights(training.auTargets as AuTargets, training.exprLabels as ArrayLike<number>, {
        mode: posWeightMode,
        labels,
        ...(posWeightMode === 'minor' ? { minorityClasses } : {}),
      }),
    );
    if (computed.degenerate.length > 0) {
      const cells = computed.degenerate
        .map(
          (d) =>
            `${d.classIndex < 0 ? 'all' : prior.labels[d.classIndex]}/${prior.aus[d.auIndex]} (${d.positives} pos, ${d.negatives} neg)`,
        )
        .join(', ');
      notes.push(
        `posWeight '${posWeightMode}': ${computed.degenerate.length} cell(s) had no usable N_neg/N_pos and use ${computed.degenerateValue}: ${cells}`,
      );
    }
    posWeight = computed;
  }
  const resolved: LossConfig = {
    ...config,
    lambda,
    scale,
    labelSmoothing,
    prior: priorName,
    posWeight: posWeightMode,
  };
  if (posWeightMode === 'minor') resolved.minorityClasses = minorityClasses;
  return built(
    'au_dfer',
    resolved,
    AU_DFER_INPUTS,
    (inputs, options) => {
      const x = requireInputs('au_dfer', inputs, AU_DFER_INPUTS);
      return auDferLoss({
        exprLogits: x.logits,
        auLogits: x.auLogits,
        labels: x.labels,
        auTargets: x.auTargets,
        ...(inputs.auMask !== undefined ? { auMask: inputs.auMask } : {}),
        prior,
        posWeight,
        lambda,
        scale,
        labelSmoothing,
        classWeights,
        reduction: options?.reduction,
      });
    },
    notes,
  );
};

const auWeightedBce: LossFactory = (config, context) => {
  const r = new ConfigReader(config, ['classWeights', 'alpha', 'c', 'beta', 'posWeight', 'dice']);
  const { weights, config: weightConfig } = auClassWeightsFrom(r, context);
  const posWeightOption = r.raw('posWeight');
  let posWeight: number[] | undefined;
  const notes: string[] = [];
  if (Array.isArray(posWeightOption)) {
    posWeight = r.numbers('posWeight');
  } else if (r.oneOf('posWeight', ['none', 'global'], 'none') === 'global') {
    const auTargets = context.training?.auTargets;
    if (auTargets === undefined) {
      throw new TypeError(
        `${r.where}: posWeight 'global' (N_neg / N_pos per AU) is computed from context.training.auTargets; pass them`,
      );
    }
    const rows = Array.isArray(auTargets)
      ? auTargets.length
      : (auTargets as { data: ArrayLike<number>; numAus: number }).data.length /
        (auTargets as { numAus: number }).numAus;
    const computed = posWeights(auTargets, new Int32Array(rows), { mode: 'global', numClasses: 1 });
    if (computed.degenerate.length > 0) {
      notes.push(
        `posWeight 'global': ${computed.degenerate.length} AU(s) had no usable N_neg/N_pos and use ${computed.degenerateValue}: columns ${computed.degenerate.map((d) => d.auIndex).join(', ')}`,
      );
    }
    posWeight = Array.from(computed.global);
  }
  const dice = diceFrom(r);
  return built(
    'au_weighted_bce',
    { ...config, classWeights: weightConfig, posWeight: posWeightOption ?? 'none' },
    AU_INPUTS,
    (inputs, options) => {
      const x = requireInputs('au_weighted_bce', inputs, AU_INPUTS);
      return weightedBceLoss({
        logits: x.auLogits,
        targets: x.auTargets,
        classWeights: weights,
        posWeight,
        dice,
        reduction: options?.reduction,
      });
    },
    notes,
  );
};

const auWeightedAsymmetric: LossFactory = (config, context) => {
  const r = new ConfigReader(config, ['classWeights', 'alpha', 'c', 'beta', 'dice']);
  const { weights, config: weightConfig } = auClassWeightsFrom(r, context);
  const dice = diceFrom(r);
  return built(
    'au_weighted_asymmetric',
    { ...config, classWeights: weightConfig },
    AU_INPUTS,
    (inputs, options) => {
      const x = requireInputs('au_weighted_asymmetric', inputs, AU_INPUTS);
      return weightedAsymmetricLoss({
        logits: x.auLogits,
        targets: x.auTargets,
        classWeights: weights,
        dice,
        reduction: options?.reduction,
      });
    },
  );
};

const auDice: LossFactory = (config, context) => {
  const r = new ConfigReader(config, ['classWeights', 'alpha', 'c', 'beta', 'smooth']);
  const raw = r.raw('classWeights');
  const { weights, config: weightConfig } =
    raw === undefined ? { weights: undefined, config: 'none' } : auClassWeightsFrom(r, context);
  const smooth = r.number('smooth', 1, Number.MIN_VALUE, Number.MAX_VALUE);
  return built('au_dice', { ...config, classWeights: weightConfig, smooth }, AU_INPUTS, (inputs, options) => {
    const x = requireInputs('au_dice', inputs, AU_INPUTS);
    return auDiceLoss({
      logits: x.auLogits,
      targets: x.auTargets,
      classWeights: weights,
      smooth,
      reduction: options?.reduction,
    });
  });
};

/**
 * The losses registered at load time, by config name.
 * @internal
 */
export const BUILTIN_LOSSES: Readonly<Record<string, LossFactory>> = {
  cross_entropy: crossEntropy,
  soft_target_cross_entropy: softTargetCrossEntropy,
  focal,
  class_balanced: classBalanced,
  logit_adjusted: logitAdjusted,
  balanced_softmax: balancedSoftmax,
  au_dfer: auDfer,
  au_weighted_bce: auWeightedBce,
  au_weighted_asymmetric: auWeightedAsymmetric,
  au_dice: auDice,
};
