import * as tf from '@tensorflow/tfjs-core';
import { NO_NUISANCE } from '@dfer/datasets/synthetic';
import { defineConfig, runExperiment, type ExperimentConfigInput } from '../src';

/**
 * Does a base model at its `tiny` preset learn the synthetic face task through the whole trainer (data →
 * transforms → model → loss → AdamW → evaluation) within a CPU budget?
 *
 * The task: clean synthetic FACS videos (no pose, lighting, blur, occluder, speech or blink nuisances; no hard
 * or distractor clips), one expression per clip, balanced classes, rendered at 32×32, 16 frames; the test split
 * holds identities never seen in training (identity-disjoint fold 1 of 5). Augmentation is off (it slows
 * learning a lot at this budget). What was measured (wasm backend, development machine, Dec 2026):
 *
 * - Single runs this small are noisy (24–32 test clips, one final epoch), and they move with the last bits of
 *   the arithmetic: any change to a kernel's summation order gives another trajectory. So every case was
 *   measured with seeds 0–3 after the last kernel change, and its threshold sits below the worst of them;
 *   the test itself runs seed 0. (The rank-6 `Transpose`, `Identity` and transposed-`BatchMatMul` route changes
 *   of Dec 2026 left all eight former_dfer / m3dfel results identical; only their times dropped.)
 * - `former_dfer`, 4 classes (happy, surprise, angry, neutral; chance 25 %), 160 clips of 80 identities,
 *   20 epochs: test UAR 67.1 / 64.6 / 81.8 / 56.2 % (seeds 0–3; 32 test clips), 46–49 s standalone, 54 s inside this jest file. Asserted: ≥ 45 %
 *   and a training loss below half the first epoch's. After 10 epochs (≈ 30 s) it is not reliable yet:
 *   38.2 / 46.9 / 27.1 / 21.5 %. (With all 7 DFEW classes 10 epochs reached 16.0 %, chance 14.3 %.)
 * - `m3dfel`, 2 classes (happy, surprise; chance 50 %), 120 clips of 60 identities, 15 epochs: test UAR
 *   70.7 / 96.4 / 95.8 / 93.8 % (seeds 0–3; 24 test clips), 51–57 s standalone, 60 s inside this jest file. Asserted: ≥ 65 % and a training loss
 *   below half the first epoch's. Its loss stays at ≈ ln 2 for the first 4–8 epochs. Before the wasm kernel
 *   fixes of @dfer/runtime (convolutions on XNNPACK's Conv2D, rank-5 Slice, transposed BatchMatMul) and rank-2
 *   BatchNorm statistics this case took ≈ 5 minutes.
 * - `mae_dfer` learns only with `model.initialization: 'layer_defaults'`. Its official initialisation
 *   (Linear N(0, 0.02²), head × 0.001) is made for fine-tuning from the VoxCeleb2 checkpoint
 *   (reference/mae-dfer.md); from scratch it stalls: 2 classes, 120 clips of 60 identities, lr 3·10⁻⁴,
 *   40 epochs: training loss 0.70 → 0.52, test UAR 52.9 %. In PyTorch (the same LGI-Former,
 *   apps/bench/python) the official init likewise keeps the loss at ≈ 0.69 for 20 epochs, while PyTorch's
 *   layer defaults reach a test UAR of 85 %, 96 % and 71 % after 20 epochs (3 seeds). Here, with
 *   'layer_defaults', lr 3·10⁻⁴, 25 epochs: test UAR 67.9 / 85.7 / 91.7 / 87.5 % (seeds 0–3; 24 test clips),
 *   final training loss 0.37 / 0.06 / 0.09 / 0.08, 52–62 s standalone, 69 s inside this jest file. Asserted: ≥ 60 % and a final training loss
 *   below 0.5. (lr 5·10⁻⁴: 77.1 / 85.7 / 95.8 / 71.9 %, but seed 3's loss rose again at the end, 0.11 → 0.66.)
 *   It fits the minute since the rank-6 `Transpose` fix of @dfer/runtime (its tubelet patch layout took
 *   108 ms of a 236 ms batch-8 step; now ≈ 160 ms) and the in-memory frame cache of the synthetic dataset
 *   (an epoch went from 4.0 s to 2.1 s); before, 13 epochs filled the minute and gave 52.9–57.9 %.
 */

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
      nuisance: NO_NUISANCE,
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
  it('former_dfer: 4 classes, 20 epochs → test UAR ≥ 45 % (chance 25 %; seeds 0–3: 56–82 %; 46–54 s)', async () => {
    const before = tf.memory().numTensors;
    const result = await runExperiment(
      cleanTaskConfig({
        model: 'former_dfer',
        labels: ['happy', 'surprise', 'angry', 'neutral'],
        numClips: 160,
        numIdentities: 80,
        epochs: 20,
      }),
      { report: quiet },
    );
    const fold = result.folds[0]!;
    expect(fold.counts.testScored).toBe(32);
    expect(fold.history[19]!.trainLoss).toBeLessThan(fold.history[0]!.trainLoss * 0.5);
    expect(fold.test.report.uar).toBeGreaterThanOrEqual(0.45);
    expect(tf.memory().numTensors).toBe(before);
  }, 240_000);

  it('m3dfel: 2 classes, 15 epochs → test UAR ≥ 65 % (chance 50 %; seeds 0–3: 71–96 %; 51–60 s)', async () => {
    const before = tf.memory().numTensors;
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
    const fold = result.folds[0]!;
    expect(fold.counts.testScored).toBe(24);
    expect(fold.history[14]!.trainLoss).toBeLessThan(fold.history[0]!.trainLoss * 0.5);
    expect(fold.test.report.uar).toBeGreaterThanOrEqual(0.65);
    expect(tf.memory().numTensors).toBe(before);
  }, 480_000);
  it("mae_dfer ('layer_defaults'): 2 classes, 25 epochs → test UAR ≥ 60 % (chance 50 %; seeds 0–3: 68–92 %; ≈ 1 min)", async () => {
    const before = tf.memory().numTensors;
    const result = await runExperiment(
      cleanTaskConfig({
        model: 'mae_dfer',
        labels: ['happy', 'surprise'],
        numClips: 120,
        numIdentities: 60,
        epochs: 25,
        lr: 3e-4,
        initialization: 'layer_defaults',
      }),
      { report: quiet },
    );
    const fold = result.folds[0]!;
    expect(fold.counts.testScored).toBe(24);
    expect(fold.history[24]!.trainLoss).toBeLessThan(0.5);
    expect(fold.test.report.uar).toBeGreaterThanOrEqual(0.6);
    expect(tf.memory().numTensors).toBe(before);
  }, 480_000);
});
