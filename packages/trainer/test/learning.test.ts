import * as tf from '@tensorflow/tfjs-core';
import { defineConfig, runExperiment, type ExperimentConfigInput } from '../src';

/**
 * Does a base model at its `tiny` preset learn the synthetic face task through the whole trainer (data →
 * transforms → model → loss → AdamW → evaluation) within a CPU budget?
 *
 * The task: clean synthetic FACS videos (no pose, lighting, blur, occluder, speech or blink nuisances; no hard
 * or distractor clips), one expression per clip, balanced classes, rendered at 32×32, 16 frames; the test split
 * holds identities never seen in training (identity-disjoint fold 1 of 5). Augmentation is off (it slows
 * learning a lot at this budget). What was measured (wasm backend, seed 0, development machine, Dec 2026):
 *
 * - `former_dfer`, 4 classes (happy, surprise, angry, neutral; chance 25 %), 160 clips of 80 identities,
 *   10 epochs: test UAR 52.1 % (WAR 46.9 %, 32 test clips), 25–55 s. Asserted below: UAR ≥ 40 %.
 *   (The same setting with all 7 DFEW classes reaches only 24 % after 10 epochs, chance 14 %.)
 * - `m3dfel`, 2 classes (happy, surprise; chance 50 %), 120 clips of 60 identities, 15 epochs: test UAR
 *   82.1 % (WAR 79.2 %, 24 test clips) in ≈ 106 s — over the one-minute budget, so it runs with
 *   `DFER_SLOW_TESTS=1` only. Its training loss stays at ≈ ln 2 for the first 8 epochs (≈ 55 s) and the test
 *   UAR is still 50 % when a minute is up. With fewer identities it memorises them instead: 60 clips of 12
 *   identities reach a training loss of 0.06 after 30 epochs (99 s) at a test UAR of 58.3 %. The same
 *   architecture in PyTorch (apps/bench/python, 12 runs: 3 learning rates × batch 4/8 × seeds) is just as
 *   seed-dependent on the 12-identity set, so this is the model at this scale, not the engine.
 *   (Timings with the im2col 3-D convolution kernels of @dfer/runtime, Dec 2026: 606 ms per batch-8 step;
 *   before them 1841 ms, and this case took 4–9 minutes for 20 epochs.)
 * - `mae_dfer` learns slowly, and only with `model.initialization: 'layer_defaults'`. Its official
 *   initialisation (Linear N(0, 0.02²), head × 0.001) is made for fine-tuning from the VoxCeleb2 checkpoint
 *   (reference/mae-dfer.md); from scratch it stalls: 2 classes, 120 clips of 60 identities, lr 3·10⁻⁴,
 *   40 epochs (350 s): training loss 0.70 → 0.52, test UAR 52.9 %. In PyTorch (the same LGI-Former,
 *   apps/bench/python) the official init likewise keeps the loss at ≈ 0.69 for 20 epochs, while PyTorch's
 *   layer defaults reach a test UAR of 85 %, 96 % and 71 % after 20 epochs (3 seeds). Here, with
 *   'layer_defaults', the same task gives: 20 epochs (182 s) loss 0.79 → 0.48, test UAR 61.4 %; 30 epochs
 *   (279 s) loss → 0.36, test UAR 67.9 % (WAR 62.5 %, 24 test clips). Asserted with `DFER_SLOW_TESTS=1`.
 *   Nowhere near a CPU-minute: one epoch of 96 clips takes ≈ 8 s and learning needs 20–30 of them.
 */

const CLEAN_NUISANCE = {
  maxYawDeg: 0,
  maxPitchDeg: 0,
  maxRollDeg: 0,
  scaleJitter: 0,
  shiftJitter: 0,
  brightness: 0,
  contrast: 0,
  light: 0,
  blurSigma: 0,
  noiseStd: 0,
};

function cleanTaskConfig(options: {
  model: string;
  labels: readonly string[];
  numClips: number;
  numIdentities: number;
  epochs: number;
  lr?: number;
  initialization?: 'random' | 'layer_defaults';
}): ExperimentConfigInput {
  return defineConfig({
    name: `learn_${options.model}`,
    seed: 0,
    engine: { backend: 'wasm' },
    data: {
      type: 'synthetic_dfer',
      numClips: options.numClips,
      numIdentities: options.numIdentities,
      size: [32, 32],
      numFrames: [16, 16],
      labels: [...options.labels],
      classProportions: options.labels.map(() => 1),
      hardRate: 0,
      distractorRate: 0,
      speechRate: 0,
      occlusionRate: 0,
      blinkRate: 0,
      nuisance: CLEAN_NUISANCE,
    },
    model: { type: options.model, preset: 'tiny', initialization: options.initialization ?? 'random' },
    loss: { type: 'cross_entropy' },
    optim: { type: 'adamw', lr: options.lr ?? 1e-3, weightDecay: 0.01 },
    schedule: { type: 'constant' },
    evaluation: { selection: 'last' },
    train: {
      epochs: options.epochs,
      batchSize: 8,
      augment: { flip: 0, scale: [1, 1], ratio: [1, 1] },
    },
  });
}

const quiet = (): void => undefined;

describe('a tiny base model learns clean synthetic expressions through the trainer', () => {
  it('former_dfer: 4 classes, 10 epochs → test UAR ≥ 40 % (chance 25 %; measured 52.1 %)', async () => {
    const before = tf.memory().numTensors;
    const result = await runExperiment(
      cleanTaskConfig({
        model: 'former_dfer',
        labels: ['happy', 'surprise', 'angry', 'neutral'],
        numClips: 160,
        numIdentities: 80,
        epochs: 10,
      }),
      { report: quiet },
    );
    const fold = result.folds[0]!;
    expect(fold.counts.testScored).toBe(32);
    expect(fold.history[9]!.trainLoss).toBeLessThan(fold.history[0]!.trainLoss * 0.75);
    expect(fold.test.report.uar).toBeGreaterThanOrEqual(0.4);
    expect(tf.memory().numTensors).toBe(before);
  }, 240_000);

  const slow = process.env['DFER_SLOW_TESTS'] === '1' ? it : it.skip;
  slow(
    'm3dfel: 2 classes, 15 epochs → test UAR ≥ 70 % (chance 50 %; measured 82.1 %; ≈ 2 min, DFER_SLOW_TESTS=1)',
    async () => {
      const result = await runExperiment(
        cleanTaskConfig({
          model: 'm3dfel',
          labels: ['happy', 'surprise'],
          numClips: 120,
          numIdentities: 60,
          epochs: 15,
        }),
        { report: quiet },
      );
      expect(result.folds[0]!.counts.testScored).toBe(24);
      expect(result.folds[0]!.test.report.uar).toBeGreaterThanOrEqual(0.7);
    },
    900_000,
  );
  slow(
    "mae_dfer ('layer_defaults'): 2 classes, 30 epochs → test UAR ≥ 60 % (chance 50 %; measured 67.9 %; ≈ 5 min, DFER_SLOW_TESTS=1)",
    async () => {
      const result = await runExperiment(
        cleanTaskConfig({
          model: 'mae_dfer',
          labels: ['happy', 'surprise'],
          numClips: 120,
          numIdentities: 60,
          epochs: 30,
          lr: 3e-4,
          initialization: 'layer_defaults',
        }),
        { report: quiet },
      );
      const fold = result.folds[0]!;
      expect(fold.counts.testScored).toBe(24);
      expect(fold.history[29]!.trainLoss).toBeLessThan(0.5);
      expect(fold.test.report.uar).toBeGreaterThanOrEqual(0.6);
    },
    900_000,
  );
});
