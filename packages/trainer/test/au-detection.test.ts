/**
 * AU-detection experiment: threshold tuning and summaries on hand-made cases, the smooth class weights of the
 * configured loss against hand-computed values, identity-disjoint data with the training split's frame
 * labels, and a seeded end-to-end run of the shipped configs on tiny synthetic data.
 */
import * as tf from '@tensorflow/tfjs-core';
import { auBaseRates } from '@dfer/au-knowledge';
import { createLoss } from '@dfer/losses';
import { initEngine } from '@dfer/runtime';
import {
  auDetectionReport,
  AU_MTL_COMPARISON_VARIANTS,
  buildAuDetectionData,
  loadConfigFile,
  runAuDetectionExperiment,
  runAuMtlComparison,
  SHIPPED_CONFIG_DIR,
  summariseAuReports,
  tuneAuThresholds,
  validateAuDetectionConfig,
} from '@dfer/trainer';
import { describeWithSharedData, expectNoTensorLeak } from '@dfer/test-utils';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

beforeAll(async () => {
  await initEngine({ backend: 'cpu' });
});

describe('AU metrics on hand-made cases', () => {
  it('F1 per AU at 0.5 and its average: F1 = 2TP / (2TP + FP + FN)', () => {
    // AU a: targets 1 1 0 0, probs .9 .4 .6 .1 → TP 1, FN 1, FP 1 → P = R = F1 = 0.5
    // AU b: targets 1 0 0 0, probs .7 .2 .3 .8 → TP 1, FP 1 → P 0.5, R 1, F1 = 2/3
    const probs = [0.9, 0.7, 0.4, 0.2, 0.6, 0.3, 0.1, 0.8];
    const targets = [1, 1, 1, 0, 0, 0, 0, 0];
    const r = auDetectionReport(probs, targets, ['AU01', 'AU02']);
    expect(r.f1[0]).toBeCloseTo(0.5, 12);
    expect(r.f1[1]).toBeCloseTo(2 / 3, 12);
    expect(r.precision).toEqual([0.5, 0.5]);
    expect(r.recall).toEqual([0.5, 1]);
    expect(r.meanF1).toBeCloseTo((0.5 + 2 / 3) / 2, 12);
  });

  it('per-AU thresholds maximise validation F1 (ties nearest 0.5)', () => {
    // AU a: positives at .35 and .45, negatives at .3 and .6: t = .35 gives TP 2, FP 1 → F1 0.8 (best)
    // AU b: perfectly separated at .5 (positives .7 .9): F1 = 1 for t in (.3, .7] → 0.5 chosen
    const probs = [0.35, 0.7, 0.45, 0.9, 0.3, 0.1, 0.6, 0.3];
    const targets = [1, 1, 1, 1, 0, 0, 0, 0];
    const t = tuneAuThresholds(probs, targets, ['AU01', 'AU02']);
    expect(t).toEqual([0.35, 0.5]);
    expect(auDetectionReport(probs, targets, ['AU01', 'AU02'], t).f1[0]).toBeCloseTo(0.8, 12);
    expect(() => tuneAuThresholds(probs, targets, ['AU01', 'AU02'], [0, 0.5])).toThrow(/grid/);
  });

  it('summaries are mean ± sample std over runs', () => {
    const a = auDetectionReport([0.9, 0.1], [1, 0], ['AU01', 'AU02']); // F1 1, null → mean 1
    const b = auDetectionReport([0.9, 0.1, 0.1, 0.1], [1, 1, 1, 0], ['AU01', 'AU02']); // F1 2/3, 0
    const s = summariseAuReports([a, b]);
    expect(s.f1[0]?.mean).toBeCloseTo((1 + 2 / 3) / 2, 12);
    expect(s.f1[0]?.std).toBeCloseTo(Math.SQRT1_2 * (1 / 3), 12);
    expect(s.f1[1]).toEqual({ mean: 0, std: 0, n: 1 });
    expect(s.meanF1.mean).toBeCloseTo((1 + 1 / 3) / 2, 12);
  });
});

it('the smooth class weights of the configured loss equal hand-computed values from base rates', async () => {
  // frames: AU01 on in 2 of 4 (r = 0.5), AU02 in 1 of 4 (r = 0.25)
  const frames = { data: [1, 0, 1, 1, 0, 0, 0, 0], numAus: 2 };
  const rates = auBaseRates(frames);
  expect(Array.from(rates.rates)).toEqual([0.5, 0.25]);
  // power α = 0.5: u = (1/r)^0.5 = [√2, 2] → w = 2u / Σu; jaa: u = [2, 4] → w = [2/3, 4/3]
  const wPow = [(2 * Math.SQRT2) / (Math.SQRT2 + 2), 4 / (Math.SQRT2 + 2)];
  const wJaa = [2 / 3, 4 / 3];
  // logits [1, −1], targets [0, 0]: ℓ_j = softplus(z_j), loss = (w_1·softplus(1) + w_2·softplus(−1)) / 2
  const sp = (z: number): number => Math.log1p(Math.exp(z));
  const expected = (w: number[]): number => (w[0]! * sp(1) + w[1]! * sp(-1)) / 2;
  for (const [cfg, w] of [
    [{ type: 'au_weighted_bce', classWeights: 'power', alpha: 0.5 }, wPow],
    [{ type: 'au_weighted_bce', classWeights: 'jaa' }, wJaa],
    [{ type: 'au_weighted_bce', classWeights: 'none' }, [1, 1]],
  ] as const) {
    const loss = createLoss({ ...cfg }, { aus: ['AU01', 'AU02'], auBaseRates: rates });
    await expectNoTensorLeak(() => {
      const logits = tf.tensor2d([[1, -1]]);
      const targets = tf.tensor2d([[0, 0]]);
      const r = loss.compute({ auLogits: logits, auTargets: targets });
      expect(r.loss.dataSync()[0]).toBeCloseTo(expected([...w]), 5);
      tf.dispose([logits, targets, r.loss, ...Object.values(r.terms)]);
    });
  }
});

it('validateAuDetectionConfig rejects an unknown key of a data node (a misspelt option is not a default)', () => {
  const base = {
    name: 'x',
    task: 'au',
    model: { type: 'au_mtl' },
    loss: { au: { type: 'au_weighted_bce' } },
    optim: { type: 'adamw', lr: 0.001 },
    epochs: 1,
    batchSize: 2,
  };
  const synthetic = { type: 'synthetic_au', labelFile: 'l.txt', numClips: 24, folds: 3 };
  expect(() => validateAuDetectionConfig({ ...base, data: synthetic })).not.toThrow();
  expect(() => validateAuDetectionConfig({ ...base, data: { ...synthetic, numClip: 24 } })).toThrow(
    /numClip/,
  );
  const bp4d = {
    type: 'bp4d',
    parts: [
      { labels: 'a', paths: 'b' },
      { labels: 'c', paths: 'd' },
    ],
    frameRoot: 'f',
  };
  expect(() => validateAuDetectionConfig({ ...base, data: bp4d })).not.toThrow();
  expect(() => validateAuDetectionConfig({ ...base, data: { ...bp4d, cliplength: 8 } })).toThrow(
    /cliplength/,
  );
});

it('validateAuDetectionConfig names every bad field', () => {
  expect(() => validateAuDetectionConfig({ name: 'x', task: 'both', epochs: 0 })).toThrow(
    /task: .*\n[\s\S]*epochs/,
  );
});

describeWithSharedData(
  'bp4d/BP4D_combine_1_2_AUOccur.txt',
  'AU detection on synthetic BP4D-style clips',
  (labelFile) => {
    const dataDir = join(labelFile, '..', '..');
    const node = {
      type: 'synthetic_au' as const,
      labelFile: 'bp4d/BP4D_combine_1_2_AUOccur.txt',
      numClips: 24,
      numIdentities: 6,
      size: [32, 32] as [number, number],
      numFrames: [8, 10] as [number, number],
      folds: 3,
      validationFraction: 0.25,
    };

    it("splits are identity-disjoint; the base-rate labels are exactly the training clips' frames", () => {
      const d = buildAuDetectionData(node, { seed: 1, fold: 0, dataDir });
      const subj = (ids: readonly number[]): Set<string> =>
        new Set(ids.map((i) => d.dataset.record(i).subject!));
      const [tr, va, te] = [subj(d.train), subj(d.validation), subj(d.test)];
      for (const s of tr) expect(va.has(s) || te.has(s)).toBe(false);
      for (const s of va) expect(te.has(s)).toBe(false);
      expect(d.train.length + d.validation.length + d.test.length).toBe(24);
      expect(d.validation.length).toBeGreaterThan(0);
      const ds = d.dataset as unknown as { getClipInfo(i: number): { auPresences: Uint8Array } };
      const want = d.train.flatMap((i) => Array.from(ds.getClipInfo(i).auPresences));
      expect(Array.from(d.trainFrameAus)).toEqual(want);
      expect(d.auNames).toHaveLength(12);
    });

    it('the shipped configs: six arms that differ only in task, gate and weighting', () => {
      const dir = join(SHIPPED_CONFIG_DIR, 'au-detection');
      for (const v of AU_MTL_COMPARISON_VARIANTS) {
        const c = validateAuDetectionConfig(loadConfigFile(join(dir, `${v.config}.json`)));
        expect(c.task).toBe(v.task);
        expect(c.model.preset).toBe(v.gate ? 'tiny' : 'tiny_no_gate');
        expect(c.loss.au.classWeights).toBe(v.weighting === 'smooth' ? 'power' : 'none');
        expect((c.loss.au as Record<string, unknown>)['posWeight']).toBe(
          v.weighting === 'smooth' ? 'global' : undefined,
        );
        expect(c.evaluation.threshold).toBe(0.5);
      }
    });

    it('a comparison arm: F1 reports at 0.5 and at tuned thresholds, frame level, smooth weights', async () => {
      const a = await runAuMtlComparison({
        dataDir,
        seeds: [3],
        variants: ['au_mtl_joint_gate_smooth'],
        overrides: { epochs: 1, batchSize: 4, data: { numClips: 40, numIdentities: 5, numFrames: [8, 9] } },
      });
      expect(a.rows.map((r) => r.variant.config)).toEqual(['au_mtl_joint_gate_smooth']);
      const { result } = a.rows[0]!;
      const r = result.runs[0]!;
      expect(r.level).toBe('frame');
      expect(r.test.auNames).toHaveLength(12);
      expect(r.tuned?.thresholds).toHaveLength(12);
      expect(r.auLoss.config.classWeights).toBe('power');
      expect(Number.isFinite(r.epochLosses[0])).toBe(true);
      // every test frame scored: support + true negatives = test clips × 8 sampled frames
      const testClips = Number(/(\d+) test clips/.exec(r.description)?.[1]);
      expect(r.test.support.every((s) => s <= testClips * 8)).toBe(true);
      expect(result.summary.meanF1.n).toBe(1);
      expect(a.markdown.split('\n')).toHaveLength(3);
      expect(a.markdown).toContain('| au_mtl_joint_gate_smooth |');
      await expect(runAuMtlComparison({ variants: ['nope'] })).rejects.toThrow(/unknown arm\(s\) nope/);
    });

    it('same seed, same numbers (single-task, unweighted)', async () => {
      const cfg = loadConfigFile(join(SHIPPED_CONFIG_DIR, 'au-detection', 'au_mtl_single_plain.json'));
      const run = (): ReturnType<typeof runAuDetectionExperiment> =>
        runAuDetectionExperiment(
          { ...cfg, seeds: [5], epochs: 1, batchSize: 4, data: { ...node, numClips: 12, numIdentities: 3 } },
          { dataDir },
        );
      const [a, b] = [await run(), await run()];
      expect(b.runs[0]!.epochLosses).toEqual(a.runs[0]!.epochLosses);
      expect(b.runs[0]!.test.f1).toEqual(a.runs[0]!.test.f1);
      expect(b.runs[0]!.tuned?.thresholds).toEqual(a.runs[0]!.tuned?.thresholds);
    });

    it('killed after an epoch and resumed: the same numbers; each step logged once; a finished run is not repeated', async () => {
      const cfg = loadConfigFile(join(SHIPPED_CONFIG_DIR, 'au-detection', 'au_mtl_joint_nogate_plain.json'));
      const config = {
        ...cfg,
        seeds: [5],
        epochs: 3,
        batchSize: 4,
        data: { ...node, numClips: 12, numIdentities: 3 },
      };
      const quiet = { dataDir, report: () => undefined };
      const uninterrupted = await runAuDetectionExperiment(config, quiet);
      const out = mkdtempSync(join(tmpdir(), 'dfer-au-resume-'));
      try {
        await expect(
          runAuDetectionExperiment(config, {
            ...quiet,
            outputDir: out,
            onEpoch: ({ epoch }) => {
              if (epoch === 2) throw new Error('simulated kill');
            },
          }),
        ).rejects.toThrow(/simulated kill/);
        const lines: string[] = [];
        const resumed = await runAuDetectionExperiment(config, {
          dataDir,
          outputDir: out,
          resume: true,
          report: (l) => lines.push(l),
        });
        expect(lines.join('\n')).toMatch(/seed 5 fold 1: resumed after epoch 2 \(\d+ steps done\)/);
        const [a, b] = [uninterrupted.runs[0]!, resumed.runs[0]!];
        expect(b.epochLosses).toEqual(a.epochLosses);
        expect(b.test).toEqual(a.test);
        expect(b.tuned).toEqual(a.tuned);
        const runDir = join(out, 'seed-5', 'fold-1');
        const steps = readFileSync(join(runDir, 'log.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { event: string; step?: number; seed?: number })
          .filter((r) => r.event === 'step');
        expect(steps.map((r) => r.step)).toEqual(steps.map((_, i) => i + 1));
        expect(steps.every((r) => r.seed === 5)).toBe(true);
        expect(existsSync(join(runDir, 'fold-result.json'))).toBe(true);
        expect(existsSync(join(out, 'results.json'))).toBe(true);
        const again: string[] = [];
        const repeated = await runAuDetectionExperiment(config, {
          dataDir,
          outputDir: out,
          resume: true,
          report: (l) => again.push(l),
        });
        expect(again.join('\n')).toMatch(/seed 5 fold 1: already finished/);
        expect(repeated.summary).toEqual(resumed.summary);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });

    it('workers: 2 (data-parallel, joint task): same numbers from run to run, finite, close to one thread', async () => {
      const cfg = loadConfigFile(join(SHIPPED_CONFIG_DIR, 'au-detection', 'au_mtl_joint_nogate_plain.json'));
      const run = (workers: number): ReturnType<typeof runAuDetectionExperiment> =>
        runAuDetectionExperiment(
          {
            ...cfg,
            seeds: [5],
            epochs: 1,
            batchSize: 4,
            workers,
            data: { ...node, numClips: 12, numIdentities: 3 },
          },
          { dataDir },
        );
      const [a, b, one] = [await run(2), await run(2), await run(1)];
      expect(b.runs[0]!.epochLosses).toEqual(a.runs[0]!.epochLosses);
      expect(b.runs[0]!.test.f1).toEqual(a.runs[0]!.test.f1);
      expect(Number.isFinite(a.runs[0]!.epochLosses[0])).toBe(true);
      // au_mtl has BatchNorm: each thread normalises its 2 clips with their own statistics, so the loss is
      // close to, not equal to, one thread's on the 4 clips.
      expect(Math.abs(a.runs[0]!.epochLosses[0]! - one.runs[0]!.epochLosses[0]!)).toBeLessThan(0.1);
      expect(a.runs[0]!.epochLosses[0]).not.toBe(one.runs[0]!.epochLosses[0]);
    });

    it('runAuDetectionExperiment: tuneThresholds without a validation split is refused', async () => {
      const cfg = loadConfigFile(join(SHIPPED_CONFIG_DIR, 'au-detection', 'au_mtl_single_plain.json'));
      await expect(
        runAuDetectionExperiment(
          {
            ...cfg,
            seeds: [0],
            epochs: 1,
            data: { ...node, numClips: 12, numIdentities: 3, validationFraction: 0 },
          },
          { dataDir },
        ),
      ).rejects.toThrow(/validationFraction/);
    });
  },
);
