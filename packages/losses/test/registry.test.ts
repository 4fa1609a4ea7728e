import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { LABEL_SETS, posWeights, priorMatrix } from '@dfer/au-knowledge';
import { createSeededRng, describeWithSharedData, expectNoTensorLeak } from '@dfer/test-utils';
import {
  auDferLoss,
  classBalancedLoss,
  createLoss,
  crossEntropyLoss,
  listLosses,
  registerLoss,
  weightedBceLoss,
  type LossContext,
} from '@dfer/losses';
import { useCpuBackend } from './reference';

beforeAll(useCpuBackend);

const DFEW = LABEL_SETS.dfew;
const NUM_AUS = 18;

/** A small seeded training set: expression labels and 18 binary AU targets per clip. */
function syntheticTraining(seed: number, clips: number): { exprLabels: Int32Array; auTargets: Uint8Array[] } {
  const rng = createSeededRng(seed);
  const exprLabels = Int32Array.from({ length: clips }, () => rng.int(DFEW.length));
  const auTargets = Array.from({ length: clips }, () =>
    Uint8Array.from({ length: NUM_AUS }, () => (rng.next() < 0.3 ? 1 : 0)),
  );
  // Every AU present and absent at least once in every class, so no pos-weight cell is degenerate.
  for (let k = 0; k < DFEW.length; k++) {
    exprLabels[2 * k] = k;
    exprLabels[2 * k + 1] = k;
    (auTargets[2 * k] as Uint8Array).fill(1);
    (auTargets[2 * k + 1] as Uint8Array).fill(0);
  }
  return { exprLabels, auTargets };
}

function batch(seed: number, size: number, numClasses: number) {
  const rng = createSeededRng(seed);
  return {
    logits: tf.tensor2d(rng.uniformArray(size * numClasses, -3, 3), [size, numClasses]),
    labels: Int32Array.from({ length: size }, () => rng.int(numClasses)),
    auLogits: tf.tensor2d(rng.uniformArray(size * NUM_AUS, -4, 4), [size, NUM_AUS]),
    auTargets: Uint8Array.from({ length: size * NUM_AUS }, () => (rng.next() < 0.3 ? 1 : 0)),
  };
}

describe('loss registry', () => {
  it('lists the built-in losses under stable config names', () => {
    expect(listLosses()).toEqual(
      expect.arrayContaining([
        'au_dfer',
        'au_dice',
        'au_weighted_asymmetric',
        'au_weighted_bce',
        'balanced_softmax',
        'class_balanced',
        'cross_entropy',
        'focal',
        'logit_adjusted',
      ]),
    );
  });

  it('an unknown name fails listing the valid ones; an unknown option lists the valid options', () => {
    expect(() => createLoss({ type: 'au-dfer' })).toThrow(
      /unknown loss type 'au-dfer' in the loss registry; registered: .*au_dfer.*cross_entropy/,
    );
    expect(() => createLoss({ type: 'cross_entropy', smoothing: 0.1 })).toThrow(
      /createLoss\(\{ type: 'cross_entropy' \}\): unknown option 'smoothing'; valid options: labelSmoothing, classWeights/,
    );
    expect(() => createLoss({ type: 'focal', gamma: -2 })).toThrow(
      /focal' \}\): gamma must be a number in \[0, 100\], got -2/,
    );
    expect(() => createLoss({ type: 'au_dfer', posWeight: 'local' }, {})).toThrow(
      /posWeight must be one of 'global', 'distinct', 'minor', 'none'/,
    );
  });

  it('registering a name twice fails; a new name can be registered and built', () => {
    expect(() => registerLoss('cross_entropy', () => createLoss({ type: 'focal' }))).toThrow(
      /already registered/,
    );
    registerLoss('test_half_ce', (config) => {
      const inner = createLoss({ type: 'cross_entropy' });
      return {
        ...inner,
        type: 'test_half_ce',
        config,
        compute: (inputs, options) => {
          const r = inner.compute(inputs, options);
          const half = tf.mul(r.loss, 0.5);
          tf.dispose(r);
          return { loss: half, terms: { half: tf.clone(half) } };
        },
      };
    });
    expect(listLosses()).toContain('test_half_ce');
    const logits = tf.tensor2d([[1, 2]]);
    const r = createLoss({ type: 'test_half_ce' }).compute({ logits, labels: [1] });
    expect(r.loss.dataSync()[0]).toBeCloseTo(0.5 * Math.log(1 + Math.exp(-1)), 6);
    tf.dispose([logits, r]);
  });

  it('never changes the caller config and fills defaults in its own copy', () => {
    const config = { type: 'au_dfer', posWeight: 'none' };
    const loss = createLoss(config, { labels: 'dfew', aus: 'openface18' });
    expect(config).toEqual({ type: 'au_dfer', posWeight: 'none' });
    expect(loss.config).toMatchObject({
      type: 'au_dfer',
      lambda: 0.25,
      scale: 5,
      prior: 'dfew',
      posWeight: 'none',
      labelSmoothing: 0,
    });
    expect(loss.inputs).toEqual(['logits', 'labels', 'auLogits', 'auTargets']);
  });

  it('compute names the missing inputs', () => {
    const loss = createLoss({ type: 'au_dfer', posWeight: 'none' }, { labels: 'dfew', aus: 'openface18' });
    const logits = tf.zeros([1, 7]);
    expect(() => loss.compute({ logits, labels: [0] })).toThrow(
      /loss 'au_dfer': compute\(inputs\) is missing auLogits, auTargets/,
    );
    logits.dispose();
  });
});

describe("createLoss({ type: 'au_dfer' }) builds the AU-DFER loss from au-knowledge tables", () => {
  const training = syntheticTraining(7, 200);
  const context: LossContext = { labels: 'dfew', aus: 'openface18', training };

  it.each(['global', 'distinct', 'minor'] as const)(
    'posWeight %s equals auDferLoss with priorMatrix + posWeights',
    async (mode) => {
      const loss = createLoss(
        { type: 'au_dfer', lambda: 0.25, posWeight: mode, labelSmoothing: 0.1 },
        context,
      );
      expect(loss.notes).toEqual([]);
      const b = batch(11, 4, DFEW.length);
      const expectedPos = posWeights(training.auTargets, training.exprLabels, {
        mode,
        labels: 'dfew',
        ...(mode === 'minor' ? { minorityClasses: ['surprise', 'disgust', 'fear'] } : {}),
      });
      await expectNoTensorLeak(() => {
        const viaRegistry = loss.compute(b);
        const direct = auDferLoss({
          exprLogits: b.logits,
          auLogits: b.auLogits,
          labels: b.labels,
          auTargets: b.auTargets,
          prior: priorMatrix({ source: 'dfew', labels: 'dfew', aus: 'openface18' }),
          posWeight: expectedPos,
          labelSmoothing: 0.1,
        });
        expect(viaRegistry.loss.dataSync()[0]).toBe(direct.loss.dataSync()[0]);
        expect(viaRegistry.terms.au?.dataSync()[0]).toBe(direct.terms.au.dataSync()[0]);
        tf.dispose([viaRegistry, direct]);
      });
      tf.dispose([b.logits, b.auLogits]);
    },
  );

  it('passes the AU mask of compute() to auDferLoss (masked samples leave the AU term only)', () => {
    const loss = createLoss({ type: 'au_dfer', posWeight: 'none' }, { labels: 'dfew', aus: 'openface18' });
    const b = batch(5, 4, DFEW.length);
    const auMask = [1, 0, 1, 0];
    const viaRegistry = loss.compute({ ...b, auMask });
    const direct = auDferLoss({
      exprLogits: b.logits,
      auLogits: b.auLogits,
      labels: b.labels,
      auTargets: b.auTargets,
      prior: priorMatrix({ source: 'dfew', labels: 'dfew', aus: 'openface18' }),
      auMask,
    });
    const unmasked = loss.compute(b);
    expect(viaRegistry.terms.au?.dataSync()[0]).toBe(direct.terms.au.dataSync()[0]);
    expect(viaRegistry.terms.ce?.dataSync()[0]).toBe(unmasked.terms.ce?.dataSync()[0]);
    expect(viaRegistry.terms.au?.dataSync()[0]).not.toBe(unmasked.terms.au?.dataSync()[0]);
    tf.dispose([viaRegistry, direct, unmasked, b.logits, b.auLogits]);
  });

  it('aligns the prior rows by label name: a permuted label order gives the same loss on permuted logits', () => {
    const permutation = [6, 0, 5, 1, 4, 2, 3]; // new class i is DFEW class permutation[i]
    const permutedLabels = permutation.map((k) => DFEW[k] as string);
    const b = batch(3, 5, DFEW.length);
    const inverse = new Int32Array(DFEW.length);
    permutation.forEach((k, i) => (inverse[k] = i));
    const permutedLogits = tf.gather(b.logits, tf.tensor1d(permutation, 'int32'), 1);
    const base = createLoss({ type: 'au_dfer', posWeight: 'none' }, { labels: 'dfew', aus: 'openface18' });
    const permuted = createLoss(
      { type: 'au_dfer', posWeight: 'none' },
      { labels: permutedLabels, aus: 'openface18' },
    );
    const a = base.compute(b);
    const c = permuted.compute({
      ...b,
      logits: permutedLogits,
      labels: Array.from(b.labels, (y) => inverse[y] as number),
    });
    expect(c.loss.dataSync()[0]).toBeCloseTo(a.loss.dataSync()[0] as number, 5);
    tf.dispose([a, c, permutedLogits, b.logits, b.auLogits]);
  });

  it('names the prior when the AU head does not match context.aus', () => {
    const loss = createLoss(
      { type: 'au_dfer', posWeight: 'none' },
      {
        labels: 'dfew',
        aus: ['AU01', 'AU02', 'AU04', 'AU05', 'AU06', 'AU07', 'AU09', 'AU10', 'AU12', 'AU14', 'AU15', 'AU17'],
      },
    );
    const b = batch(2, 2, DFEW.length);
    expect(() => loss.compute(b)).toThrow(/prior 'dfew' is \[7, 12\] but the logits need \[7, 18\]/);
    tf.dispose([b.logits, b.auLogits]);
  });

  it("the 'dfew' prior puts happy's largest weight on AU12 (rows matched by name)", () => {
    const prior = priorMatrix({ source: 'dfew', labels: 'dfew', aus: 'openface18' });
    const happy = Array.from(prior.values.subarray(0, NUM_AUS));
    expect(prior.aus[happy.indexOf(Math.max(...happy))]).toBe('AU12');
  });

  it('reports degenerate pos-weight cells in notes and needs the training labels', () => {
    const clips = 30;
    const exprLabels = Int32Array.from({ length: clips }, (_, i) => i % 7);
    const auTargets = Array.from({ length: clips }, (_, i) =>
      Uint8Array.from({ length: NUM_AUS }, (_, j) => (j === 17 ? 0 : (i + j) % 2)),
    );
    const loss = createLoss(
      { type: 'au_dfer' },
      { labels: 'dfew', aus: 'openface18', training: { exprLabels, auTargets } },
    );
    expect(loss.notes.join('\n')).toMatch(
      /posWeight 'global': 1 cell\(s\) had no usable N_neg\/N_pos and use 1: all\/AU45 \(0 pos, 30 neg\)/,
    );
    expect(() => createLoss({ type: 'au_dfer' }, { labels: 'dfew', aus: 'openface18' })).toThrow(
      /computed from context.training.auTargets/,
    );
    expect(() => createLoss({ type: 'au_dfer', posWeight: 'none' })).toThrow(
      /needs context.labels and context.aus/,
    );
    expect(() =>
      createLoss({ type: 'au_dfer', posWeight: 'none', prior: 'dfw' }, { labels: 'dfew', aus: 'openface18' }),
    ).toThrow(/unknown prior "dfw"; expected one of dfew/);
  });
});

describe('expression losses from configs', () => {
  it('cross_entropy and class_balanced (counts from training labels) equal the functions', () => {
    const b = batch(5, 6, DFEW.length);
    const exprLabels = Int32Array.from({ length: 70 }, (_, i) => (i < 40 ? 0 : i % 7));
    const ce = createLoss({ type: 'cross_entropy', labelSmoothing: 0.1 }).compute(b);
    const ceDirect = crossEntropyLoss({ logits: b.logits, labels: b.labels, labelSmoothing: 0.1 });
    expect(ce.loss.dataSync()[0]).toBe(ceDirect.loss.dataSync()[0]);
    const counts = new Array<number>(7).fill(0);
    for (const y of exprLabels) counts[y] = (counts[y] as number) + 1;
    const cb = createLoss(
      { type: 'class_balanced', beta: 0.99 },
      { labels: 'dfew', training: { exprLabels } },
    ).compute(b);
    const cbDirect = classBalancedLoss({
      logits: b.logits,
      labels: b.labels,
      classCounts: counts,
      beta: 0.99,
    });
    expect(cb.loss.dataSync()[0]).toBe(cbDirect.loss.dataSync()[0]);
    for (const type of ['logit_adjusted', 'balanced_softmax']) {
      const r = createLoss({ type }, { classCounts: counts }).compute(b);
      expect(Number.isFinite(r.loss.dataSync()[0])).toBe(true);
      tf.dispose(r);
    }
    expect(() => createLoss({ type: 'balanced_softmax' })).toThrow(/needs class counts/);
    tf.dispose([b.logits, b.auLogits, ce, ceDirect, cb, cbDirect]);
  });
});

describeWithSharedData(
  'bp4d/BP4D_part3_AUOccur.txt',
  'AU-detection losses from configs with BP4D base rates',
  (part3) => {
    const part12 = part3.replace('BP4D_part3_AUOccur.txt', 'BP4D_combine_1_2_AUOccur.txt');
    const rows = [part12, part3].flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => Uint8Array.from(line.trim().split(/\s+/).map(Number))),
    );

    it("'jaa' class weights follow w_i = (1/r_i) / Σ_j (1/r_j) · 12 with the published base rates", () => {
      expect(rows).toHaveLength(125884);
      // Base rates over all 125,884 frames as printed in au-detection.md (3 decimals).
      const published = [0.199, 0.162, 0.206, 0.46, 0.564, 0.59, 0.562, 0.455, 0.169, 0.355, 0.164, 0.147];
      const inverse = published.map((r) => 1 / r);
      const total = inverse.reduce((a, b) => a + b, 0);
      const expected = inverse.map((v) => (v * 12) / total);
      const loss = createLoss(
        { type: 'au_weighted_bce', classWeights: 'jaa', dice: { weight: 0.5 } },
        { aus: 'bp4d12', training: { auTargets: rows } },
      );
      const rng = createSeededRng(1);
      const logits = tf.tensor2d(rng.uniformArray(4 * 12, -3, 3), [4, 12]);
      const targets = Uint8Array.from(rows.slice(1000, 1004).flatMap((r) => Array.from(r)));
      const viaConfig = loss.compute({ auLogits: logits, auTargets: targets });
      const direct = weightedBceLoss({ logits, targets, classWeights: expected, dice: { weight: 0.5 } });
      // Published rates have 3 decimals, so the weights agree to about 0.5%.
      expect(viaConfig.loss.dataSync()[0]).toBeCloseTo(direct.loss.dataSync()[0] as number, 2);
      expect(
        Math.abs((viaConfig.loss.dataSync()[0] as number) / (direct.loss.dataSync()[0] as number) - 1),
      ).toBeLessThan(5e-3);
      tf.dispose([logits, viaConfig, direct]);
    });

    it('every class-weight rule and both AU losses build and give finite values', () => {
      const context = { aus: 'bp4d12' as const, training: { auTargets: rows.slice(0, 5000) } };
      const logits = tf.tensor2d(createSeededRng(2).uniformArray(3 * 12, -100, 100), [3, 12]);
      const targets = Uint8Array.from(rows.slice(0, 3).flatMap((r) => Array.from(r)));
      for (const classWeights of ['none', 'jaa', 'power', 'log', 'effective-number', 'pos-weight']) {
        for (const type of ['au_weighted_bce', 'au_weighted_asymmetric', 'au_dice']) {
          const r = createLoss({ type, classWeights }, context).compute({
            auLogits: logits,
            auTargets: targets,
          });
          expect(Number.isFinite(r.loss.dataSync()[0])).toBe(true);
          tf.dispose(r);
        }
      }
      const withPos = createLoss({ type: 'au_weighted_bce', posWeight: 'global' }, context);
      expect(withPos.notes).toEqual([]);
      tf.dispose([logits]);
    });
  },
);
