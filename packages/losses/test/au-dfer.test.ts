import * as tf from '@tensorflow/tfjs-core';
import { expectNoTensorLeak } from '@dfer/test-utils';
import { posWeights, priorMatrix } from '@dfer/au-knowledge';
import { auDferLoss, crossEntropyLoss } from '@dfer/losses';
import { expectClose, flat, named, reference, tensorOf, useCpuBackend, type AuDferCase } from './reference';

beforeAll(useCpuBackend);

const section = reference.auDfer;
const prior = flat(section.prior);
const posWeightFor = (mode: string): number[] =>
  mode === 'global' ? section.posWeightGlobal : flat(section.posWeightPerExpression);

describe('auDferLoss against PyTorch BCEWithLogitsLoss(weight=5·W[y], pos_weight=p) + cross_entropy', () => {
  it.each(
    named(
      section.cases,
      (c) =>
        `posWeight ${c.posWeightMode}, λ=${c.lambda}, ε=${c.labelSmoothing}, scale=${c.scale}, ${c.reduction}`,
    ),
  )('%s (AU logits ±100, an all-negative sample, absent classes)', (_name, c: AuDferCase) => {
    const exprLogits = tensorOf(section.exprLogits);
    const auLogits = tensorOf(section.auLogits);
    const run = (ze: tf.Tensor, za: tf.Tensor) =>
      auDferLoss({
        exprLogits: ze,
        auLogits: za,
        labels: section.labels,
        auTargets: flat(section.auTargets),
        prior,
        posWeight: posWeightFor(c.posWeightMode),
        lambda: c.lambda,
        scale: c.scale,
        labelSmoothing: c.labelSmoothing,
        reduction: c.reduction,
      });
    const result = run(exprLogits, auLogits);
    expectClose(result.loss, c.loss);
    expectClose(result.terms.ce, c.ce);
    expectClose(result.terms.au, c.au);
    const [gExpr, gAu] = tf.grads((ze: tf.Tensor, za: tf.Tensor) => tf.sum(run(ze, za).loss))([
      exprLogits,
      auLogits,
    ]);
    expectClose(gExpr as tf.Tensor, c.gradExprLogits);
    expectClose(gAu as tf.Tensor, c.gradAuLogits);
    tf.dispose([exprLogits, auLogits, result, gExpr, gAu]);
  });

  it('defaults to λ = 0.25, scale 5, pos-weight 1 and plain CE', () => {
    const exprLogits = tensorOf(section.exprLogits);
    const auLogits = tensorOf(section.auLogits);
    const auTargets = tensorOf(section.auTargets);
    const base = { exprLogits, auLogits, labels: section.labels, auTargets, prior };
    const implicit = auDferLoss(base);
    const explicit = auDferLoss({
      ...base,
      lambda: 0.25,
      scale: 5,
      posWeight: new Array(18).fill(1),
      labelSmoothing: 0,
    });
    expect(implicit.loss.dataSync()[0]).toBe(explicit.loss.dataSync()[0]);
    const ce = crossEntropyLoss({ logits: exprLogits, labels: section.labels });
    expect(implicit.terms.ce.dataSync()[0]).toBe(ce.loss.dataSync()[0]);
    tf.dispose([exprLogits, auLogits, auTargets, implicit, explicit, ce]);
  });

  it('hand-computed single element: W = 0.4, p = 3, target 1, logit 0 gives 5·0.4·3·log 2 per element', () => {
    const exprLogits = tf.tensor2d([[0, 0]]);
    const auLogits = tf.tensor2d([[0]]);
    const r = auDferLoss({
      exprLogits,
      auLogits,
      labels: [1],
      auTargets: [1],
      prior: [0.9, 0.4],
      posWeight: [3],
      lambda: 1,
    });
    expect(r.loss.dataSync()[0]).toBeCloseTo(5 * 0.4 * 3 * Math.log(2), 5);
    const neg = auDferLoss({
      exprLogits,
      auLogits,
      labels: [1],
      auTargets: [0],
      prior: [0.9, 0.4],
      posWeight: [3],
      lambda: 0.5,
    });
    expect(neg.loss.dataSync()[0]).toBeCloseTo(0.5 * Math.log(2) + 0.5 * 5 * 0.4 * Math.log(2), 5);
    tf.dispose([exprLogits, auLogits, r, neg]);
  });

  it('an AU mask leaves unlabelled clips out of the AU term only (hand-computed)', async () => {
    // AU logits 0: each element is s·W[y, j]·log 2, times p_j when the target is 1 (s = 5).
    // sample 0: y 0, targets [1, 0] → 5·log2·[0.2·2, 0.6] → mean 2.5·log2
    // sample 1: y 1, targets [1, 1] → 5·log2·[0.8·2, 0.4·1] → mean 5·log2   (masked out)
    // sample 2: y 0, targets [0, 0] → 5·log2·[0.2, 0.6] → mean 2·log2
    // masked mean AU term: (2.5 + 2)/2·log2 = 2.25·log2; CE with zero logits: log 2 per sample
    const ln2 = Math.log(2);
    const exprLogits = tf.zeros([3, 2]);
    const auLogits = tf.zeros([3, 2]);
    const base = {
      exprLogits,
      auLogits,
      labels: [0, 1, 0],
      auTargets: [1, 0, 1, 1, 0, 0],
      prior: [0.2, 0.6, 0.8, 0.4],
      posWeight: [2, 1],
      lambda: 0.25,
    };
    const masked = auDferLoss({ ...base, auMask: [1, 0, 1] });
    expect(masked.terms.au.dataSync()[0]).toBeCloseTo(2.25 * ln2, 5);
    expect(masked.terms.ce.dataSync()[0]).toBeCloseTo(ln2, 5);
    expect(masked.loss.dataSync()[0]).toBeCloseTo(0.75 * ln2 + 0.25 * 2.25 * ln2, 5);
    const unmasked = auDferLoss(base);
    expect(unmasked.terms.au.dataSync()[0]).toBeCloseTo((9.5 / 3) * ln2, 5);
    const allOnes = auDferLoss({ ...base, auMask: [1, 1, 1] });
    expect(allOnes.loss.dataSync()[0]).toBe(unmasked.loss.dataSync()[0]);
    const none = auDferLoss({ ...base, auMask: [1, 0, 1], reduction: 'none' });
    expectClose(none.terms.au, [2.5 * ln2, 0, 2 * ln2]);
    const sum = auDferLoss({ ...base, auMask: [1, 0, 1], reduction: 'sum' });
    expect(sum.terms.au.dataSync()[0]).toBeCloseTo(4.5 * ln2, 5);
    const nothing = auDferLoss({ ...base, auMask: [0, 0, 0] });
    expect(nothing.terms.au.dataSync()[0]).toBe(0);
    // the masked sample's AU logits get no gradient; its expression logits still do
    const [gExpr, gAu] = tf.grads(
      (ze: tf.Tensor, za: tf.Tensor) =>
        auDferLoss({ ...base, exprLogits: ze, auLogits: za, auMask: [1, 0, 1] }).loss,
    )([exprLogits, auLogits]);
    expect(Array.from(gAu!.dataSync().slice(2, 4))).toEqual([0, 0]);
    expect(Math.abs(gExpr!.dataSync()[2]!)).toBeGreaterThan(0.1);
    expect(() => auDferLoss({ ...base, auMask: [1, 0] })).toThrow('auMask has 2 entries for a batch of 3');
    expect(() => auDferLoss({ ...base, auMask: [1, 0.5, 1] })).toThrow('auMask[1] = 0.5; expected 0 or 1');
    await expectNoTensorLeak(() => {
      tf.dispose(auDferLoss({ ...base, auMask: [1, 0, 1] }));
    });
    tf.dispose([exprLogits, auLogits, masked, unmasked, allOnes, none, sum, nothing, gExpr!, gAu!]);
  });

  it('is finite with gradients at AU logits ±100 for every target, and deterministic', () => {
    const exprLogits = tf.tensor2d([
      [100, -100],
      [-100, 100],
    ]);
    const auLogits = tf.tensor2d([
      [100, -100],
      [-100, 100],
    ]);
    const f = (za: tf.Tensor) =>
      auDferLoss({ exprLogits, auLogits: za, labels: [1, 0], auTargets: [1, 1, 0, 0], prior: [1, 1, 1, 1] })
        .loss;
    const value = f(auLogits);
    const again = f(auLogits);
    const grad = tf.grad(f)(auLogits);
    expect(Array.from(value.dataSync()).every(Number.isFinite)).toBe(true);
    expect(Array.from(grad.dataSync()).every(Number.isFinite)).toBe(true);
    expect(value.dataSync()[0]).toBe(again.dataSync()[0]);
    tf.dispose([exprLogits, auLogits, value, again, grad]);
  });

  it('leaks no tensors (forward and backward)', async () => {
    const exprLogits = tensorOf(section.exprLogits);
    const auLogits = tensorOf(section.auLogits);
    const inputs = {
      labels: section.labels,
      auTargets: flat(section.auTargets),
      prior,
      posWeight: posWeightFor('perExpression'),
    };
    await expectNoTensorLeak(() => {
      tf.dispose(
        auDferLoss({
          exprLogits,
          auLogits,
          ...inputs,
          labelSmoothing: 0.1,
          classWeights: [1, 1, 1, 2, 2, 2, 2],
        }),
      );
      tf.dispose(
        tf.grads(
          (ze: tf.Tensor, za: tf.Tensor) => auDferLoss({ exprLogits: ze, auLogits: za, ...inputs }).loss,
        )([exprLogits, auLogits]),
      );
    });
    tf.dispose([exprLogits, auLogits]);
  });

  it('rejects mismatched shapes and bad targets with the argument named', () => {
    const exprLogits = tf.zeros([2, 3]);
    const auLogits = tf.zeros([2, 4]);
    const ok = {
      exprLogits,
      auLogits,
      labels: [0, 2],
      auTargets: new Uint8Array(8),
      prior: new Float32Array(12),
    };
    expect(() => auDferLoss({ ...ok, auLogits: tf.zeros([3, 4]) })).toThrow(
      /auLogits has batch size 3 but exprLogits has 2/,
    );
    expect(() => auDferLoss({ ...ok, prior: new Float32Array(11) })).toThrow(
      /prior \(\[3, 4\] row-major\) has 11 entries, expected 12/,
    );
    expect(() => auDferLoss({ ...ok, posWeight: [1, 2, 3] })).toThrow(
      /posWeight has 3 entries; expected 4 \(one per AU\) or 12/,
    );
    expect(() => auDferLoss({ ...ok, auTargets: [0, 0, 0, 0, 0, 2, 0, 0] })).toThrow(
      /auTargets\[1\]\[1\] = 2 is not a target in \[0, 1\]/,
    );
    expect(() => auDferLoss({ ...ok, auTargets: [0, 0] })).toThrow(
      /auTargets has 2 values but \[2, 4\] needs 8/,
    );
    expect(() => auDferLoss({ ...ok, lambda: 1.25 })).toThrow(/lambda must be a number in \[0, 1\]/);
    expect(() => auDferLoss({ ...ok, labels: [0, 3] })).toThrow(/labels\[1\] = 3/);
    tf.dispose([exprLogits, auLogits]);
  });

  it('takes au-knowledge tables as objects and refuses a prior scaled twice or of the wrong shape', () => {
    const exprLogits = tf.zeros([1, 7]);
    const auLogits = tf.zeros([1, 18]);
    const ok = { exprLogits, auLogits, labels: [0], auTargets: new Uint8Array(18) };
    const scaled = priorMatrix({ source: 'dfew', labels: 'dfew', aus: 'openface18', scale: 5 });
    expect(() => auDferLoss({ ...ok, prior: scaled })).toThrow(
      /was built with scale 5 .* build the prior with scale 1, or pass scale explicitly/,
    );
    const once = auDferLoss({ ...ok, prior: scaled, scale: 1 });
    const plain = auDferLoss({
      ...ok,
      prior: priorMatrix({ source: 'dfew', labels: 'dfew', aus: 'openface18' }),
    });
    expectClose(once.loss, plain.loss.dataSync()[0] as number, 1e-6, 1e-6);
    const bp4d = priorMatrix({ source: 'dfew', labels: 'dfew', aus: 'bp4d12', fill: 0 });
    expect(() => auDferLoss({ ...ok, prior: bp4d })).toThrow(
      /prior 'dfew' is \[7, 12\] but the logits need \[7, 18\]/,
    );
    const fewClasses = posWeights([new Uint8Array(18).fill(1), new Uint8Array(18)], [0, 1], {
      numClasses: 2,
    });
    expect(() =>
      auDferLoss({ ...ok, prior: priorMatrix({ source: 'dfew' }), posWeight: fewClasses }),
    ).toThrow(/posWeight \('global'\) is \[2, 18\] but the logits need \[7, 18\]/);
    expect(() =>
      auDferLoss({ ...ok, labels: tf.zeros([1, 1]), prior: priorMatrix({ source: 'dfew' }) }),
    ).toThrow(/labels must be a rank-1 tensor \[batch\], got shape \[1, 1\]/);
    tf.dispose([exprLogits, auLogits, once, plain]);
  });

  it('works inside tf.tidy, which keeps the returned result and frees the rest', () => {
    const exprLogits = tensorOf(section.exprLogits);
    const auLogits = tensorOf(section.auLogits);
    const before = tf.memory().numTensors;
    const result = tf.tidy(() =>
      auDferLoss({ exprLogits, auLogits, labels: section.labels, auTargets: flat(section.auTargets), prior }),
    );
    expect(tf.memory().numTensors - before).toBe(3);
    tf.dispose(result);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([exprLogits, auLogits]);
  });
});
