import type { PosWeights, PriorMatrix } from '@dfer/au-knowledge';
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropyParts, readCrossEntropySettings, reduceCrossEntropy } from '../expression/cross-entropy';
import { logOneMinusSigmoid, logSigmoid, reduceBatch } from '../tensor-ops';
import type { LabelsInput, LossResult, MultiLabelTargetsInput, Reduction } from '../types';
import { checkLogits, checkNumber, checkReduction, readMultiLabelTargets, readVector } from '../validate';

/** λ of the AU-DFER total loss in every configuration of the authors' code (`au-dfer.md`). */
export const AU_DFER_DEFAULT_LAMBDA = 0.25;
/** The factor the authors' code applies to every prior entry before it weights the BCE (`au-dfer.md`). */
export const AU_DFER_DEFAULT_SCALE = 5;

/** Per-call options of {@link auDferLoss}. */
export interface AuDferLossOptions {
  /** Expression logits `[B, C]` (float32). */
  exprLogits: tf.Tensor;
  /** AU logits of the auxiliary head `[B, A]` (float32), e.g. A = 18 OpenFace AUs. */
  auLogits: tf.Tensor;
  /** Expression class per sample, integers in `[0, C)`. */
  labels: LabelsInput;
  /** Clip AU targets `[B, A]` in [0, 1] (majority vote of frame presences: 0 or 1). */
  auTargets: MultiLabelTargetsInput;
  /**
   * Expression × AU prior W: a `PriorMatrix` from `priorMatrix({ source, labels, aus })` of
   * `@dfer/au-knowledge` (rows must match the expression logits' label order, columns the AU
   * logits' order; build it with the default scale 1, since this loss applies `scale`), or plain
   * row-major `[C, A]` numbers ≥ 0.
   */
  prior: PriorMatrix | ArrayLike<number>;
  /**
   * BCE pos-weights p ≥ 0: a `PosWeights` from `posWeights(auTargets, exprLabels, { mode })` of
   * `@dfer/au-knowledge` (modes `global`, `distinct`, `minor`, computed from training labels), or
   * plain numbers: one vector of A, or one row per expression, row-major `[C, A]`.
   * Default: all 1 (no pos-weighting).
   */
  posWeight?: PosWeights | ArrayLike<number>;
  /**
   * Per-sample AU mask m_b ∈ {0, 1} (length B): 0 for a clip without AU labels, which then adds nothing
   * to the AU term (its expression term is kept). Default: every sample has AU labels.
   */
  auMask?: ArrayLike<number>;
  /** λ in [0, 1]; default 0.25. */
  lambda?: number;
  /** Factor on every prior entry; default 5. */
  scale?: number;
  /** Label smoothing of the CE term in [0, 1]; default 0 (plain CE; M3DFEL uses 0.1). */
  labelSmoothing?: number;
  /** Class weights of the CE term (length C); default none. */
  classWeights?: ArrayLike<number>;
  /** Batch reduction; default `'mean'`. */
  reduction?: Reduction;
}

/**
 * The AU-DFER loss (arXiv 2507.07678, as implemented in the authors' code; `reference/au-dfer.md`):
 * an expression cross-entropy plus a prior-weighted BCE on an auxiliary AU head.
 *
 * For sample b, AU j, AU logit z, target a, expression label y, prior W, pos-weight p, scale s:
 *
 *     ℓ_{b,j} = −s · W[y_b, j] · ( p_{b,j} · a_{b,j} · log σ(z_{b,j}) + (1 − a_{b,j}) · log(1 − σ(z_{b,j})) )
 *     L_AU    = mean_{b,j} ℓ_{b,j}
 *     L       = (1 − λ) · L_CE(expression logits, y) + λ · L_AU
 *
 * with `p_{b,j} = p_j` for one pos-weight vector and `p_{y_b, j}` for a per-expression table; s = 5 and
 * λ = 0.25 by default. This equals PyTorch's `BCEWithLogitsLoss(weight=s·W[y], pos_weight=p)` with mean
 * reduction over B × A. L_CE is {@link crossEntropyLoss} (optionally smoothed / class-weighted).
 * `log σ(z) = −softplus(−z)` and `log(1 − σ(z)) = −softplus(z)` keep the loss and its gradient finite
 * at logits of ±100.
 *
 * Reductions: `'mean'` is the formula above; `'sum'` sums the per-sample terms
 * `(1 − λ)·ℓ^CE_b + λ·mean_j ℓ_{b,j}` over the batch; `'none'` returns them `[B]`.
 *
 * With an AU mask m (clips without AU labels have m_b = 0), the AU term only covers the labelled clips:
 *
 *     L_AU = Σ_b m_b · mean_j ℓ_{b,j} / Σ_b m_b        (0 when Σ_b m_b = 0)
 *
 * for `'mean'`; `'sum'` and `'none'` multiply each sample's AU term by m_b. The CE term is unchanged.
 * Returns `{ loss, terms: { ce, au } }`, each term reduced like the total and not yet multiplied by
 * its λ factor.
 *
 * @throws when a shape disagrees (logits `[B, C]` and `[B, A]`, prior `C·A`, pos-weight `A` or `C·A`),
 *   a label is outside `[0, C)`, an AU target is outside [0, 1], or λ, s, ε are out of range.
 */
export function auDferLoss(options: AuDferLossOptions): LossResult<'ce' | 'au'> {
  const where = 'auDferLoss';
  const reduction = checkReduction(where, options.reduction ?? 'mean');
  const [batch, numClasses] = checkLogits(where, 'exprLogits', options.exprLogits);
  const [auBatch, numAus] = checkLogits(where, 'auLogits', options.auLogits);
  if (auBatch !== batch) {
    throw new RangeError(`${where}: auLogits has batch size ${auBatch} but exprLogits has ${batch}`);
  }
  const ceSettings = readCrossEntropySettings(
    where,
    options.exprLogits,
    options.labels,
    options.labelSmoothing,
    options.classWeights,
    'exprLogits',
  );
  const targets = readMultiLabelTargets(where, 'auTargets', options.auTargets, batch, numAus);
  const lambda = checkNumber(where, 'lambda', options.lambda ?? AU_DFER_DEFAULT_LAMBDA, 0, 1);
  const scale = checkNumber(where, 'scale', options.scale ?? AU_DFER_DEFAULT_SCALE, 0, Number.MAX_VALUE);
  const prior = readPrior(where, options.prior, options.scale !== undefined, numClasses, numAus);
  const posWeight = readPosWeight(where, options.posWeight, numClasses, numAus);
  const auMask = readAuMask(where, options.auMask, batch);

  // Per-sample tables gathered on the CPU: W[y_b] · s and p_b (plain data, no gradient needed).
  const sampleWeights = new Float32Array(batch * numAus);
  const samplePos = new Float32Array(batch * numAus);
  for (let b = 0; b < batch; b++) {
    const y = ceSettings.labels[b] as number;
    for (let j = 0; j < numAus; j++) {
      sampleWeights[b * numAus + j] = scale * (prior[y * numAus + j] as number);
      samplePos[b * numAus + j] =
        posWeight.length === numAus ? (posWeight[j] as number) : (posWeight[y * numAus + j] as number);
    }
  }

  return tf.tidy(() => {
    const ceParts = crossEntropyParts(options.exprLogits, ceSettings);
    const a = tf.tensor2d(targets, [batch, numAus]);
    const positive = tf.mul(tf.mul(tf.tensor2d(samplePos, [batch, numAus]), a), logSigmoid(options.auLogits));
    const negative = tf.mul(tf.sub(1, a), logOneMinusSigmoid(options.auLogits));
    const elementwise = tf.neg(
      tf.mul(tf.tensor2d(sampleWeights, [batch, numAus]), tf.add(positive, negative)),
    );
    const auPerSample =
      auMask === undefined
        ? tf.mean(elementwise, 1)
        : tf.mul(tf.mean(elementwise, 1), tf.tensor1d(auMask.values));
    const weighted = ceSettings.classWeights !== undefined;
    const ce = reduceCrossEntropy(ceParts, reduction, weighted);
    const au =
      auMask === undefined || reduction !== 'mean'
        ? reduceBatch(auPerSample, reduction)
        : tf.div(tf.sum(auPerSample), Math.max(auMask.count, 1));
    const loss = tf.add(tf.mul(1 - lambda, ce), tf.mul(lambda, au));
    return { loss, terms: { ce, au } };
  });
}

/** Reads the per-sample AU mask: B values, each 0 or 1; returns them and the number of 1s. */
function readAuMask(
  where: string,
  mask: ArrayLike<number> | undefined,
  batch: number,
): { values: Float32Array; count: number } | undefined {
  if (mask === undefined) return undefined;
  if (mask === null || typeof mask !== 'object' || typeof mask.length !== 'number') {
    throw new TypeError(`${where}: auMask must be an array of ${batch} values 0 or 1`);
  }
  if (mask.length !== batch) {
    throw new RangeError(`${where}: auMask has ${mask.length} entries for a batch of ${batch}`);
  }
  const values = new Float32Array(batch);
  let count = 0;
  for (let b = 0; b < batch; b++) {
    const m = mask[b];
    if (m !== 0 && m !== 1) throw new RangeError(`${where}: auMask[${b}] = ${String(m)}; expected 0 or 1`);
    values[b] = m;
    count += m;
  }
  return { values, count };
}

function isPriorMatrix(value: unknown): value is PriorMatrix {
  return (
    typeof value === 'object' &&
    value !== null &&
    !('length' in value) &&
    'values' in value &&
    'rows' in value &&
    'cols' in value
  );
}

function isPosWeights(value: unknown): value is PosWeights {
  return (
    typeof value === 'object' &&
    value !== null &&
    !('length' in value) &&
    'values' in value &&
    'numAus' in value
  );
}

function readPrior(
  where: string,
  prior: PriorMatrix | ArrayLike<number> | undefined,
  scaleGiven: boolean,
  numClasses: number,
  numAus: number,
): Float32Array {
  if (prior === undefined) {
    throw new TypeError(
      `${where}: prior is required (a PriorMatrix or row-major [${numClasses}, ${numAus}] numbers)`,
    );
  }
  if (isPriorMatrix(prior)) {
    if (prior.rows !== numClasses || prior.cols !== numAus) {
      throw new RangeError(
        `${where}: prior '${prior.source}' is [${prior.rows}, ${prior.cols}] but the logits need [${numClasses}, ${numAus}] ` +
          `(expression classes × AUs); build it with the labels and AUs of the model's heads`,
      );
    }
    if (prior.scale !== 1 && !scaleGiven) {
      throw new RangeError(
        `${where}: prior '${prior.source}' was built with scale ${prior.scale} and this loss multiplies by scale ` +
          `${AU_DFER_DEFAULT_SCALE} by default; build the prior with scale 1, or pass scale explicitly (e.g. scale: 1)`,
      );
    }
    return readVector(where, `prior '${prior.source}'`, prior.values, numClasses * numAus);
  }
  return readVector(where, `prior ([${numClasses}, ${numAus}] row-major)`, prior, numClasses * numAus);
}

function readPosWeight(
  where: string,
  posWeight: PosWeights | ArrayLike<number> | undefined,
  numClasses: number,
  numAus: number,
): Float32Array {
  if (posWeight === undefined) return new Float32Array(numAus).fill(1);
  if (isPosWeights(posWeight)) {
    if (posWeight.numClasses !== numClasses || posWeight.numAus !== numAus) {
      throw new RangeError(
        `${where}: posWeight ('${posWeight.mode}') is [${posWeight.numClasses}, ${posWeight.numAus}] but the logits need ` +
          `[${numClasses}, ${numAus}] (expression classes × AUs)`,
      );
    }
    return readVector(where, `posWeight ('${posWeight.mode}')`, posWeight.values, numClasses * numAus);
  }
  if (posWeight === null || typeof posWeight !== 'object' || typeof posWeight.length !== 'number') {
    throw new TypeError(
      `${where}: posWeight must be an array of ${numAus} or ${numClasses * numAus} numbers`,
    );
  }
  if (posWeight.length !== numAus && posWeight.length !== numClasses * numAus) {
    throw new RangeError(
      `${where}: posWeight has ${posWeight.length} entries; expected ${numAus} (one per AU) or ` +
        `${numClasses * numAus} (row-major [${numClasses}, ${numAus}], one row per expression)`,
    );
  }
  return readVector(where, 'posWeight', posWeight, posWeight.length);
}
