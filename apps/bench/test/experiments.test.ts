import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listModels } from '@dfer/backbones';
import { listLosses, listRobustWeightings } from '@dfer/losses';
import {
  AU_MTL_COMPARISON_VARIANTS,
  createExperimentData,
  classificationReport,
  listExperimentData,
  summariseAuReports,
  summariseReports,
  validateAuDetectionConfig,
  validateConfig,
  type AuDetectionExperimentResult,
  type AuDetectionReport,
  type ExperimentConfigInput,
  type ExperimentResult,
  type FoldResult,
} from '@dfer/trainer';
import {
  expandProfile,
  FULL_PROFILE,
  getProfile,
  listProfiles,
  type ProfileConfig,
} from '../src/matrix/profiles';
import { AU_DETECTION_PROFILE, RDFER_PROFILE } from '../src/matrix/profiles';
import { expandRdferBlock } from '../src/matrix/rdfer-profile';
import { registerTrainNoiseData, TRAIN_NOISE_DATA } from '../src/matrix/train-noise-data';
import { runMatrix } from '../src/matrix/run-matrix';
import { createAuDetectionRunRecord, createRunRecord } from '../src/matrix/run-record';
import { readBenchResults } from '../src';
import { tempDir } from './helpers';

registerTrainNoiseData();
const registries = {
  data: listExperimentData(),
  model: listModels(),
  loss: listLosses(),
  robust: listRobustWeightings(),
};

describe('rdfer profile', () => {
  const cells = expandProfile(getProfile('rdfer'));

  it('is listed and expands to models × arms × noise rates × seeds with stable ids', () => {
    expect(listProfiles()).toEqual(expect.arrayContaining(['quick', 'full', 'rdfer', 'au_detection']));
    expect(cells).toHaveLength(2 * 2 * 3 * 3);
    expect(cells.every((c) => c.experiment === 'rdfer')).toBe(true);
    expect(cells.slice(0, 6).map((c) => c.id)).toEqual([
      'rdfer/synthetic_dfer/rdfer/ce/noise-0/seed-0',
      'rdfer/synthetic_dfer/rdfer/clip_agreement/noise-0/seed-0',
      'rdfer/synthetic_dfer/rdfer/ce/noise-20/seed-0',
      'rdfer/synthetic_dfer/rdfer/clip_agreement/noise-20/seed-0',
      'rdfer/synthetic_dfer/rdfer/ce/noise-40/seed-0',
      'rdfer/synthetic_dfer/rdfer/clip_agreement/noise-40/seed-0',
    ]);
    expect(new Set(cells.map((c) => c.id)).size).toBe(cells.length);
    // the same profile expands to the same cells (resume keys on these ids)
    expect(expandProfile(getProfile('rdfer'))).toEqual(cells);
  });

  it('gives trainer configs that validate, noise only in the training labels, robust only in one arm', () => {
    for (const cell of cells) {
      if (cell.experiment !== 'rdfer') throw new Error('expected rdfer cells');
      const config = validateConfig(cell.config, registries, cell.id);
      expect(config.data.type).toBe(TRAIN_NOISE_DATA);
      expect((config.data as Record<string, unknown>)['trainLabelNoise']).toEqual({
        rate: cell.noise.rate,
        pattern: 'uniform',
      });
      expect((config.data as Record<string, unknown>)['labelNoise']).toBeUndefined();
      expect(config.loss.type).toBe('cross_entropy');
      if (cell.method === 'clip_agreement') {
        expect(config.robust).toEqual(
          expect.objectContaining({ type: 'clip_agreement', clips: 4, warmupEpochs: 2 }),
        );
      } else expect(config.robust).toBeUndefined();
      expect(cell.noise.appliedTo).toBe('train');
    }
  });

  it('refuses a clip-agreement warm-up that is not below the epochs, naming the field', () => {
    expect(() =>
      expandRdferBlock(
        { ...RDFER_PROFILE.rdfer!, robustWarmupEpochs: 6 },
        {
          profileName: 'x',
          seeds: [0],
          training: RDFER_PROFILE.training,
          protocol: { type: 'fixed' },
          engine: 'cpu',
        },
      ),
    ).toThrow(/rdfer\.robustWarmupEpochs \(6\) must be at least 0 and below the profile's epochs \(6\)/);
    expect(() =>
      expandRdferBlock(
        { ...RDFER_PROFILE.rdfer!, noiseRates: [1.2] },
        {
          profileName: 'x',
          seeds: [0],
          training: RDFER_PROFILE.training,
          protocol: { type: 'fixed' },
          engine: 'cpu',
        },
      ),
    ).toThrow('rdfer.noiseRates: 1.2 is not a rate in [0, 1)');
  });
});

describe(`${TRAIN_NOISE_DATA} data node`, () => {
  const options = { numClips: 60, numIdentities: 10, size: [16, 16], numFrames: [16, 16] };

  it('puts noisy labels in the training split only; the test split keeps the true labels', () => {
    const splits = createExperimentData(
      { type: TRAIN_NOISE_DATA, ...options, trainLabelNoise: { rate: 0.4 } } as { type: string },
      { seed: 3, protocol: 'kfold', fold: 1, folds: 5 },
    );
    const clean = createExperimentData({ type: 'synthetic_dfer', ...options } as { type: string }, {
      seed: 3,
      protocol: 'kfold',
      fold: 1,
      folds: 5,
    });
    const ids = (d: typeof splits.train) => Array.from({ length: d.length }, (_, i) => d.record(i).id);
    // same identity-disjoint folds as synthetic_dfer
    expect(ids(splits.train)).toEqual(ids(clean.train));
    expect(ids(splits.test)).toEqual(ids(clean.test));
    const labels = (d: typeof splits.train) => Array.from({ length: d.length }, (_, i) => d.record(i).label);
    // test labels: those of the clean build (the true labels)
    expect(labels(splits.test)).toEqual(labels(clean.test));
    // training labels: round(0.4 · 60) = 24 wrong labels are drawn over the whole set; the training split
    // (48 of 60 clips) holds those of its clips
    const wrong = labels(splits.train).filter((y, i) => y !== labels(clean.train)[i]).length;
    expect(wrong / splits.train.length).toBeGreaterThan(0.2);
    expect(wrong / splits.train.length).toBeLessThan(0.6);
    expect(wrong).toBeLessThanOrEqual(24);
  });

  it('refuses a bare labelNoise (its option is trainLabelNoise)', () => {
    expect(() =>
      createExperimentData(
        { type: TRAIN_NOISE_DATA, ...options, labelNoise: { rate: 0.2 } } as { type: string },
        {
          seed: 0,
          protocol: 'fixed',
        },
      ),
    ).toThrow(/use "trainLabelNoise" instead of "labelNoise"/);
  });
});

describe('au_detection profile', () => {
  const cells = expandProfile(AU_DETECTION_PROFILE);

  it('expands to the six trainer arms × seeds, each config valid with one seed and the profile epochs', () => {
    expect(cells).toHaveLength(6 * 3);
    expect(cells.slice(0, 6).map((c) => c.method)).toEqual(AU_MTL_COMPARISON_VARIANTS.map((v) => v.config));
    expect(cells[0]!.id).toBe('au_detection/synthetic_au/au_mtl/au_mtl_single_plain/seed-0');
    expect(cells[6]!.id).toBe('au_detection/synthetic_au/au_mtl/au_mtl_single_plain/seed-1');
    for (const cell of cells) {
      if (cell.experiment !== 'au_detection') throw new Error('expected AU cells');
      const config = validateAuDetectionConfig(cell.config);
      expect(config.seeds).toEqual([cell.seed]);
      expect(config.epochs).toBe(AU_DETECTION_PROFILE.training.epochs);
      expect(config.task).toBe(cell.arm.task);
      expect(config.model.preset).toBe(cell.arm.gate ? 'tiny' : 'tiny_no_gate');
      expect(cell.preset).toBe(config.model.preset);
      const weights = (config.loss.au as { classWeights?: string }).classWeights;
      expect(weights).toBe(cell.arm.weighting === 'smooth' ? 'power' : 'none');
    }
  });

  it('names the run id when an override makes a config invalid', () => {
    expect(() =>
      expandProfile({
        ...AU_DETECTION_PROFILE,
        auDetection: { arms: ['au_mtl_single_plain'], overrides: { batchSize: 0 } },
      }),
    ).toThrow(
      /au_detection\/synthetic_au\/au_mtl\/au_mtl_single_plain\/seed-0: invalid AU-detection config:[\s\S]*batchSize/,
    );
    expect(() =>
      expandProfile({ ...AU_DETECTION_PROFILE, auDetection: { arms: ['nope'], overrides: {} } }),
    ).toThrow(/au_detection arm "nope": unknown; expected one of au_mtl_single_plain/);
  });
});

describe('full profile', () => {
  it('runs the DFER matrix, then the RDFER and AU-detection experiments, with unique ids', () => {
    const cells = expandProfile(FULL_PROFILE);
    const count = (e: string) => cells.filter((c) => c.experiment === e).length;
    expect(count('dfer')).toBe(3 * 6 * 3);
    expect(count('rdfer')).toBe(2 * 2 * 3 * 3);
    expect(count('au_detection')).toBe(6 * 3);
    expect(cells.map((c) => c.experiment)).toEqual([
      ...Array<string>(54).fill('dfer'),
      ...Array<string>(36).fill('rdfer'),
      ...Array<string>(18).fill('au_detection'),
    ]);
    expect(new Set(cells.map((c) => c.id)).size).toBe(cells.length);
    for (const cell of cells) {
      if (cell.experiment === 'rdfer') {
        const config = validateConfig(cell.config, registries, cell.id);
        expect(config.protocol).toEqual({ type: 'kfold', folds: 5 });
      }
    }
  });
});

// ---------------------------------------------------------------- stand-in trainer results

const CLASSES = ['happy', 'sad', 'neutral'];

/** A trainer result made from given test predictions (one fold), with clip-agreement detection counts. */
function standInResult(
  config: ExperimentConfigInput,
  predictions: number[],
  detection?: { tp: number; fp: number; fn: number; samples: number },
): ExperimentResult {
  const validated = validateConfig(config, registries);
  const truth = [0, 0, 0, 1, 1, 2];
  const report = classificationReport(truth, predictions, CLASSES);
  const fold: FoldResult = {
    fold: 1,
    split: 'stand-in',
    counts: { train: 10, validation: 2, test: truth.length, testScored: truth.length },
    selectedEpoch: 0,
    selection: 'validation',
    test: { report, predictions, ids: truth.map((_, i) => `clip-${i}`) },
    history: [
      {
        epoch: 0,
        lr: 1e-3,
        trainLoss: 1.2,
        trainTerms: {},
        steps: 2,
        seconds: 0.1,
        selection: { war: 0.5, uar: 0.4 },
      },
    ],
    lossNotes: [],
    numParameters: 123,
    trainSeconds: 0.1,
    ...(detection
      ? {
          robust: {
            clips: 4,
            counts: { easy: 5, hard: 2, noisy: detection.tp + detection.fp, relabelled: 0 },
            perSample: [],
            noisyDetection: {
              truePositives: detection.tp,
              falsePositives: detection.fp,
              falseNegatives: detection.fn,
              flagged: detection.tp + detection.fp,
              noisy: detection.tp + detection.fn,
              samples: detection.samples,
              precision: detection.tp + detection.fp ? detection.tp / (detection.tp + detection.fp) : null,
              recall: detection.tp + detection.fn ? detection.tp / (detection.tp + detection.fn) : null,
              f1: null,
            },
          },
        }
      : {}),
  };
  return {
    schemaVersion: 1,
    name: validated.name,
    config: validated,
    engine: { backend: 'cpu', reason: 'stand-in' },
    selection: 'validation',
    folds: [fold],
    summary: summariseReports([report]),
    classNames: CLASSES,
  } as ExperimentResult;
}

function auReport(f1: (number | null)[], meanF1: number): AuDetectionReport {
  return {
    auNames: ['AU1', 'AU2'],
    threshold: 0.5,
    precision: f1,
    recall: f1,
    f1,
    support: [3, 2],
    meanF1,
  };
}

function standInAuResult(config: Record<string, unknown>): AuDetectionExperimentResult {
  const validated = validateAuDetectionConfig(config);
  const test = auReport([0.8, 0.4], 0.6);
  return {
    name: validated.name,
    config: validated,
    auNames: ['AU1', 'AU2'],
    runs: [
      {
        seed: validated.seeds[0]!,
        fold: 1,
        description: 'stand-in',
        baseRates: [0.3, 0.2],
        auLoss: { config: { type: 'au_weighted_bce' }, notes: [] },
        epochLosses: [0.7, 0.5],
        test,
        tuned: { thresholds: [0.4, 0.6], test: auReport([0.9, 0.5], 0.7) },
        level: 'frame',
        trainSeconds: 1.5,
      },
    ],
    summary: summariseAuReports([test]),
    tunedSummary: summariseAuReports([auReport([0.9, 0.5], 0.7)]),
  };
}

describe('records of the new experiments', () => {
  it('carry noise and noisy-detection precision/recall (RDFER) from the trainer result', () => {
    const cell = expandProfile(getProfile('rdfer')).find(
      (c) => c.id === 'rdfer/synthetic_dfer/rdfer/clip_agreement/noise-40/seed-0',
    )!;
    if (cell.experiment !== 'rdfer') throw new Error('expected an rdfer cell');
    const record = createRunRecord(
      standInResult(cell.config, [0, 0, 1, 1, 1, 2], { tp: 3, fp: 1, fn: 2, samples: 20 }),
      { ...cell, experiment: 'rdfer', profile: 'rdfer', startedAt: new Date(0), durationSeconds: 1 },
      { node: 'x' },
    );
    expect(record.noise).toEqual({ rate: 0.4, pattern: 'uniform', appliedTo: 'train' });
    // truth [0,0,0,1,1,2], predicted [0,0,1,1,1,2]: recall 2/3, 1, 1 → UAR 8/9; WAR 5/6
    expect(record.summary.uar.mean).toBeCloseTo(8 / 9, 12);
    expect(record.folds[0]!.noisyDetection).toEqual(
      expect.objectContaining({ truePositives: 3, precision: 0.75, recall: 0.6 }),
    );
    expect(record.summary.noisyDetection).toEqual({
      precision: { mean: 0.75, std: 0, n: 1 },
      recall: { mean: 0.6, std: 0, n: 1 },
      f1: null,
    });
  });

  it('carry per-AU F1, mean F1 and the tuned scores (AU detection)', () => {
    const cell = expandProfile(AU_DETECTION_PROFILE)[3]!;
    if (cell.experiment !== 'au_detection') throw new Error('expected an AU cell');
    const record = createAuDetectionRunRecord(
      standInAuResult(cell.config),
      {
        ...cell,
        profile: 'au_detection',
        engine: { backend: 'wasm', reason: 'x' },
        startedAt: new Date(0),
        durationSeconds: 2,
      },
      { node: 'x' },
    );
    expect(record.experiment).toBe('au_detection');
    expect(record.method).toBe('au_mtl_joint_nogate_smooth');
    expect(record.arm).toEqual({ task: 'joint', gate: false, weighting: 'smooth' });
    expect(record.folds[0]).toEqual(
      expect.objectContaining({ seed: 0, fold: 1, meanF1: 0.6, f1: [0.8, 0.4], support: [3, 2] }),
    );
    expect(record.folds[0]!.tuned).toEqual({ thresholds: [0.4, 0.6], meanF1: 0.7, f1: [0.9, 0.5] });
    expect(record.summary.meanF1).toEqual({ mean: 0.6, std: 0, n: 1 });
    expect(record.summary.tunedMeanF1).toEqual({ mean: 0.7, std: 0, n: 1 });
  });
});

describe('runMatrix with the new experiments (stand-in trainers)', () => {
  const profile: ProfileConfig = {
    ...RDFER_PROFILE,
    name: 'tiny',
    seeds: [0],
    rdfer: { ...RDFER_PROFILE.rdfer!, models: ['rdfer'], noiseRates: [0, 0.4] },
    auDetection: { arms: ['au_mtl_single_plain', 'au_mtl_joint_gate_smooth'], overrides: {} },
  };

  it('runs every cell once, writes valid records and a report with both sections, and resumes', async () => {
    const outDir = tempDir();
    const seen: string[] = [];
    const options = {
      outDir,
      report: () => undefined,
      runExperiment: async (config: ExperimentConfigInput) => {
        seen.push(String(config.name));
        const robust = (config as { robust?: unknown }).robust !== undefined;
        return standInResult(
          config,
          [0, 0, 1, 1, 1, 2],
          robust ? { tp: 2, fp: 2, fn: 0, samples: 10 } : undefined,
        );
      },
      runAuDetection: async (config: Record<string, unknown>) => {
        seen.push(String(config['name']));
        return { result: standInAuResult(config), engine: { backend: 'wasm', reason: 'stand-in' } };
      },
    };
    const first = await runMatrix(profile, options);
    expect(first.planned).toBe(4 + 2);
    expect(first.ran).toHaveLength(6);
    const results = readBenchResults(first.paths.results);
    expect(results.schemaVersion).toBe(2);
    expect(results.runs.map((r) => r.experiment)).toEqual([
      'rdfer',
      'rdfer',
      'rdfer',
      'rdfer',
      'au_detection',
      'au_detection',
    ]);
    const report = readFileSync(first.paths.report, 'utf8');
    expect(report).toContain('## rdfer — synthetic_dfer');
    expect(report).toContain('### Test UAR / WAR against training-label noise');
    expect(report).toContain('| rdfer | clip_agreement | 40 % | 50.0 | 100.0 | n/a | 4 | 2 | 2 | 10 |');
    expect(report).toContain('## au_detection — synthetic_au');
    const dashboard = readFileSync(join(outDir, 'dashboard.html'), 'utf8');
    expect(dashboard).toContain('chart-rdfer-uar-');

    seen.length = 0;
    const second = await runMatrix(profile, options);
    expect(second.ran).toEqual([]);
    expect(second.skipped).toHaveLength(6);
    expect(seen).toEqual([]);
  });
});
