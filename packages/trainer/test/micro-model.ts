import * as tf from '@tensorflow/tfjs-core';
import {
  createRng,
  registerModel,
  VideoModel,
  listModels,
  type InputSpec,
  type VideoModelHeadOutput,
} from '@dfer/backbones';
import { Linear } from '@dfer/backbones/nn';

/**
 * A micro video model for testing the training loop quickly (not a DFER architecture): per-clip mean and
 * spatial statistics of the pixels → Linear(24 → 32) → ReLU → heads. Registered as `test_micro`.
 */
class MicroVideoModel extends VideoModel {
  readonly featureDim = 32;
  readonly inputSpec: InputSpec = {
    frames: 4,
    height: 16,
    width: 16,
    channels: 3,
    mean: [0.5, 0.5, 0.5],
    std: [0.25, 0.25, 0.25],
  };
  private readonly proj: Linear;
  private readonly head: Linear;
  private readonly auHead: Linear | undefined;

  constructor(
    readonly numClasses: number,
    readonly numAus: number,
    seed: number,
  ) {
    super();
    const rng = createRng(seed);
    this.proj = this.registerModule('proj', new Linear(24, this.featureDim, { rng }));
    this.head = this.registerModule('head', new Linear(this.featureDim, numClasses, { rng }));
    this.auHead =
      numAus > 0 ? this.registerModule('au_head', new Linear(this.featureDim, numAus, { rng })) : undefined;
  }

  forwardFeatures(x: tf.Tensor): tf.Tensor {
    this.checkInput(x, 'MicroVideoModel');
    return tf.tidy(() => {
      // mean colour of each image quadrant (4 × 3) plus temporal std of each quadrant (4 × 3) = 24 values
      const [B, T, H, W, C] = x.shape as [number, number, number, number, number];
      const q = tf.reshape(x, [B, T, 2, H / 2, 2, W / 2, C]);
      const perFrame = tf.mean(q, [3, 5]); // [B, T, 2, 2, C]
      const mean = tf.reshape(tf.mean(perFrame, 1), [B, 12]);
      const std = tf.reshape(tf.sqrt(tf.add(tf.moments(perFrame, 1).variance, 1e-6)), [B, 12]);
      return tf.relu(this.proj.forward(tf.concat([mean, std], 1)));
    });
  }

  forwardHead(features: tf.Tensor): VideoModelHeadOutput {
    return {
      logits: this.head.forward(features),
      ...(this.auHead ? { auLogits: this.auHead.forward(features) } : {}),
    };
  }
}

const preset = {
  input: { frames: 4, height: 16, width: 16, channels: 3, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
  numParameters: 24 * 32 + 32 + 32 * 7 + 7,
  description: 'test micro model',
};

if (!listModels().includes('test_micro')) {
  registerModel({
    name: 'test_micro',
    description: 'micro model for trainer tests',
    source: { paper: '-', code: '-', reference: '-' },
    presets: { paper: preset, tiny: preset },
    defaultNumClasses: 7,
    create: ({ numClasses, numAus, seed }) => new MicroVideoModel(numClasses, numAus, seed),
  });
}
