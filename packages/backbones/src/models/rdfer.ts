/**
 * RDFER — Liu, Wang, Shen, "Robust Dynamic Facial Expression Recognition", IEEE T-BIOM 7(4):563–572,
 * 2025 (arXiv 2502.16129). Origin: the lab's code as summarised in `reference/rdfer.md` (the paper's
 * repository is not retrievable offline; the model follows the "faithful template" table there).
 *
 * A dual-stream hierarchical network: a long-term stream over frames spread across the whole video
 * predicts where the key expression is; a short-term stream re-samples short clips around those
 * positions and classifies. Our choices where the reference is silent or the lab's code is defective:
 * - the per-frame CNN: a few stride-2 conv–BatchNorm–ReLU stages with torchvision's ResNet init
 *   ({@link RdferFrameNorm}; the lab's is a torchvision ResNet). Without the BatchNorm, PyTorch's default
 *   init shrinks each stage's output and the frame features barely differ between clips (at init their
 *   spread across a batch is ~1 % of their mean): the tiny model then stays at the uniform prediction,
 *   loss ln C, for 10+ epochs where with BatchNorm it learns (`frameNorm: 'none'` keeps that variant);
 * - input: T frames `[B, T, H, W, C]` spread over the video (tiny 16, paper 64 as the lab loads); the
 *   long-term stream reads every `longStride`-th of them (tiny 8, paper 16 frames), the short-term
 *   stream re-samples within all T (denser), on the per-frame CNN features (the CNN is per frame, so
 *   sampling its features equals sampling the frames and runs it once);
 * - trainable localisation: Gaussian soft frame selection ({@link softSampleFrames}) instead of the
 *   lab's hard indexing, which leaves the centre/stride heads without gradient; a key-position L1
 *   against the lab's "manual" target is {@link rdferKeyPositionLoss};
 * - the short-term clip encoder is a Linear over a clip's L concatenated frame features (a temporal
 *   convolution of kernel L) instead of a temporal-shift CNN; pooling over clips and over long-term
 *   instances is a mean (the lab: Conv1d pooling); the clip classifier is the final one, shared.
 * - the inference graph (ONNX) outputs `logits`, `features` (and `auLogits`), like every registered
 *   model; the key centres are a tfjs output ({@link Rdfer.forwardWithAux}).
 */
import * as tf from '@tensorflow/tfjs-core';
import { onnxAttr, type OnnxGraph } from '@dfer/runtime';

import { Linear } from '../nn/linear';
import { LSTM } from '../nn/lstm';
import { addReshape, addTensorInitializer } from '../nn/onnx';
import { createModelRng, type ModelBuildOptions, type ModelPreset, registerModel } from '../registry';
import { type InputSpec, VideoModel, type VideoModelHeadOutput } from '../video-model';
import {
  RDFER_ARCHITECTURES,
  RDFER_PAPER,
  RDFER_TINY,
  type RdferConfig,
  validateRdferConfig,
} from './rdfer/architecture';
import { FrameEncoder } from './rdfer/frame-encoder';
import { GatedSelfAttention } from './rdfer/gated-attention';
import {
  keyCentresFromScores,
  keyCentresFromScoresToOnnx,
  keySamplingPositions,
  keySamplingPositionsToOnnx,
  type KeySamplingConfig,
  softSampleFrames,
  softSampleFramesToOnnx,
} from './rdfer/key-sampling';
import { lstmToOnnx } from './rdfer/lstm-onnx';

export { RDFER_PAPER, RDFER_TINY, type RdferArchitecture, type RdferConfig } from './rdfer/architecture';
export { type RdferFrameNorm } from './rdfer/frame-encoder';
export {
  keyCentresFromScores,
  keySamplingPositions,
  softSampleFrames,
  type KeySamplingConfig,
  type KeySamplingPositions,
} from './rdfer/key-sampling';
export { rdferKeyPositionLoss, rdferKeyTargets } from './rdfer/key-targets';

// ------------------------------------------------------------------------------------------------ model

/** Everything {@link Rdfer.forwardWithAux} returns (the caller owns every tensor). */
export interface RdferOutput {
  /** Final (short-term stream) class logits `[B, C]`. */
  logits: tf.Tensor;
  /** `[B, numAus]` with an AU head. */
  auLogits?: tf.Tensor;
  /** Clip features `[B, 2·shortHidden]` the heads read. */
  features: tf.Tensor;
  /** Long-term stream logits `[B, C]`. */
  longLogits: tf.Tensor;
  /** Per long-term frame ("instance") logits `[B, T/longStride, C]`. */
  instanceLogits: tf.Tensor;
  /** Per re-sampled clip logits `[B, P, C]`. */
  clipLogits: tf.Tensor;
  /** Predicted key centres in input frames (0 … T − 1), `[B, P]`. */
  keyCentres: tf.Tensor;
  /** Predicted stride between a clip's frames, in input frames, `[B]`. */
  keyStride: tf.Tensor;
}

/**
 * The RDFER network. With frame features `F = CNN(x_t)` `[B, T, D]`:
 *
 * 1. long-term stream: `F_long = F[:, ::k]`; `h = Gate_l(BiLSTM_l(F_long))` with
 *    `Gate(x) = x ⊙ σ(LN(MHA(x)))`; instance logits `z_i = fc_inst(h_i)`; long logits
 *    `z_long = mean_i z_i`; `g = mean_i h_i`;
 * 2. localisation: per-frame, per-clip scores `a_{i,p} = localiser(h_i)_p + centre_prior_{i,p} +
 *    logsumexp_c z_{i,c}` (the last term is the frame's expression evidence, a smooth form of the
 *    lab's "manual" target: the frames with the highest class scores) → centres by soft argmax
 *    ({@link keyCentresFromScores}); stride logit `v = stride_head(g)` → positions ({@link keySamplingPositions});
 * 3. re-sampling: `S = softmax_t(−(t − t_m)²/2σ²)·F` ({@link softSampleFrames}) → P clips of L frames;
 * 4. short-term stream: `c_p = ReLU(clip_encoder([S_{p,0} ‖ … ‖ S_{p,L−1}]))`;
 *    `y = Gate_s(BiLSTM_s(c) ⊙ σ(channel_attention(g)))`; clip logits `fc(y_p)` (the final classifier
 *    shared, so `logits = fc(f) = mean_p fc(y_p)`); features `f = mean_p y_p`; AU logits `AU_fc(f)`.
 *
 * Every parameter is on the path to `logits`: the instance classifier through the localisation
 * evidence, so the aux losses (long, instance, clip CE; key L1) shape the same weights the prediction uses.
 *
 * Input `[B, T, H, W, C]` of the preset's size, channels-last.
 */
export class Rdfer extends VideoModel {
  readonly config: Readonly<RdferConfig>;
  readonly featureDim: number;
  readonly numClasses: number;
  readonly numAus: number;
  readonly inputSpec: InputSpec;
  readonly sampling: Readonly<KeySamplingConfig>;
  readonly longFrames: number;
  readonly frameEncoder: FrameEncoder;
  readonly longLstm: LSTM;
  readonly longGate: GatedSelfAttention;
  readonly instanceFc: Linear;
  readonly localiser: Linear;
  readonly centrePrior: tf.Variable;
  readonly strideHead: Linear;
  readonly clipEncoder: Linear;
  readonly shortLstm: LSTM;
  readonly channelAttention: Linear;
  readonly shortGate: GatedSelfAttention;
  readonly fc: Linear;
  readonly auFc: Linear | undefined;

  constructor(config: RdferConfig) {
    super();
    validateRdferConfig(config);
    this.config = { ...config, frameWidths: [...config.frameWidths] };
    const c = config;
    this.numClasses = c.numClasses;
    this.numAus = c.numAus;
    this.inputSpec = c.input;
    this.longFrames = c.input.frames / c.longStride;
    this.featureDim = 2 * c.shortHidden;
    this.sampling = {
      clips: c.clips,
      clipLength: c.clipLength,
      baseStride: c.baseStride,
      strideRange: c.strideRange,
      sigma: c.sampleSigma,
    };
    const rng = createModelRng({ seed: c.seed, initialization: c.initialization ?? 'random' });
    this.frameEncoder = this.registerModule(
      'frame_encoder',
      new FrameEncoder(c.input.channels, c.frameWidths, rng, c.frameNorm ?? 'batch'),
    );
    const d = this.frameEncoder.outDim;
    const longDim = 2 * c.longHidden;
    this.longLstm = this.registerModule(
      'long_lstm',
      new LSTM(d, c.longHidden, { numLayers: c.longLayers, bidirectional: true, rng }),
    );
    this.longGate = this.registerModule('long_gate', new GatedSelfAttention(longDim, c.longHeads, rng));
    this.instanceFc = this.registerModule('instance_fc', new Linear(longDim, c.numClasses, { rng }));
    this.localiser = this.registerModule('localiser', new Linear(longDim, c.clips, { rng }));
    this.centrePrior = this.registerParameter(
      'centre_prior',
      (c.initialization ?? 'random') !== 'zeros'
        ? tf.tensor2d(spreadCentrePrior(this.longFrames, c.clips), [this.longFrames, c.clips])
        : tf.zeros([this.longFrames, c.clips]),
    );
    this.strideHead = this.registerModule('stride_head', new Linear(longDim, 1, { rng }));
    this.clipEncoder = this.registerModule('clip_encoder', new Linear(c.clipLength * d, c.clipDim, { rng }));
    this.shortLstm = this.registerModule(
      'short_lstm',
      new LSTM(c.clipDim, c.shortHidden, { numLayers: 1, bidirectional: true, rng }),
    );
    this.channelAttention = this.registerModule(
      'channel_attention',
      new Linear(longDim, this.featureDim, { rng }),
    );
    this.shortGate = this.registerModule(
      'short_gate',
      new GatedSelfAttention(this.featureDim, c.shortHeads, rng),
    );
    this.fc = this.registerModule('fc', new Linear(this.featureDim, c.numClasses, { rng }));
    this.auFc =
      c.numAus > 0 ? this.registerModule('AU_fc', new Linear(this.featureDim, c.numAus, { rng })) : undefined;
  }

  /** Every output of the network, aux outputs included (see {@link RdferOutput}). */
  forwardWithAux(x: tf.Tensor): RdferOutput {
    this.checkInput(x, 'rdfer');
    return tf.tidy(() => {
      const c = this.config;
      const [b, t, h, w, ch] = x.shape as [number, number, number, number, number];
      const d = this.frameEncoder.outDim;
      const frames = tf.reshape(this.frameEncoder.forward(tf.reshape(x, [b * t, h, w, ch])), [b, t, d]);
      const longIn = tf.reshape(
        tf.slice(
          tf.reshape(frames, [b, this.longFrames, c.longStride, d]),
          [0, 0, 0, 0],
          [b, this.longFrames, 1, d],
        ),
        [b, this.longFrames, d],
      );
      const long = this.longGate.forward(this.longLstm.forward(longIn));
      const instanceLogits = this.instanceFc.forward(long);
      const longLogits = tf.mean(instanceLogits, 1);
      const pooled = tf.mean(long, 1);
      const evidence = tf.logSumExp(instanceLogits, 2, true); // [B, T_long, 1]
      const scores = tf.add(tf.add(this.localiser.forward(long), this.centrePrior), evidence); // [B, T_long, P]
      const { centres, stride, positions } = keySamplingPositions(
        keyCentresFromScores(scores, c.longStride),
        this.strideHead.forward(pooled),
        this.sampling,
      );
      const { sampled } = softSampleFrames(frames, positions, c.sampleSigma);
      const clips = tf.relu(this.clipEncoder.forward(tf.reshape(sampled, [b, c.clips, c.clipLength * d])));
      const channel = tf.reshape(tf.sigmoid(this.channelAttention.forward(pooled)), [b, 1, this.featureDim]);
      const short = this.shortGate.forward(tf.mul(this.shortLstm.forward(clips), channel));
      const clipLogits = this.fc.forward(short);
      const features = tf.mean(short, 1);
      const head = this.forwardHead(features);
      const out: RdferOutput = {
        ...head,
        features,
        longLogits,
        instanceLogits,
        clipLogits,
        keyCentres: centres,
        keyStride: stride,
      };
      return out as unknown as tf.NamedTensorMap;
    }) as unknown as RdferOutput;
  }

  /** Clip features `[B, 2·shortHidden]` (the short-term stream's pooled clip features). */
  forwardFeatures(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const out = this.forwardWithAux(x);
      const { features, ...rest } = out;
      tf.dispose(rest as unknown as tf.TensorContainer);
      return features;
    });
  }

  /** `fc` logits and, when present, `AU_fc` AU logits from clip features. */
  forwardHead(features: tf.Tensor): VideoModelHeadOutput {
    return this.linearHeads('rdfer', features, this.fc, this.auFc);
  }

  /**
   * The inference graph: outputs `logits`, `features` (and `auLogits`), the same
   * computation as {@link Rdfer.forwardWithAux} (BiLSTMs as ONNX `LSTM` nodes; dynamic batch).
   */
  override toOnnx(graph: OnnxGraph, input: string): Record<string, string> {
    const c = this.config;
    const { frames: t, height: h, width: w, channels: ch } = c.input;
    const d = this.frameEncoder.outDim;
    const frames = addReshape(
      graph,
      this.frameEncoder.toOnnx(graph, addReshape(graph, input, [-1, h, w, ch])),
      [-1, t, d],
    );
    const longIn = addReshape(
      graph,
      graph.addNode('Slice', [
        addReshape(graph, frames, [0, this.longFrames, c.longStride, d]),
        graph.addInt64Constant('starts', [0]),
        graph.addInt64Constant('ends', [1]),
        graph.addInt64Constant('axes', [2]),
      ]),
      [0, this.longFrames, d],
    );
    const long = this.longGate.toOnnx(graph, lstmToOnnx(graph, this.longLstm, longIn));
    const pooled = graph.addNode('ReduceMean', [long], {
      axes: onnxAttr.ints([1]),
      keepdims: onnxAttr.int(0),
    });
    const evidence = graph.addNode('ReduceLogSumExp', [this.instanceFc.toOnnx(graph, long)], {
      axes: onnxAttr.ints([2]),
      keepdims: onnxAttr.int(1),
    });
    const scores = graph.addNode('Add', [
      graph.addNode('Add', [
        this.localiser.toOnnx(graph, long),
        addTensorInitializer(graph, 'centre_prior', this.centrePrior),
      ]),
      evidence,
    ]);
    const centres = keyCentresFromScoresToOnnx(graph, scores, this.longFrames, c.longStride);
    const positions = keySamplingPositionsToOnnx(
      graph,
      centres,
      this.strideHead.toOnnx(graph, pooled),
      this.sampling,
    );
    const sampled = softSampleFramesToOnnx(graph, frames, positions, t, c.sampleSigma);
    const clips = graph.addNode('Relu', [
      this.clipEncoder.toOnnx(graph, addReshape(graph, sampled, [0, c.clips, c.clipLength * d])),
    ]);
    const channel = addReshape(
      graph,
      graph.addNode('Sigmoid', [this.channelAttention.toOnnx(graph, pooled)]),
      [0, 1, this.featureDim],
    );
    const short = this.shortGate.toOnnx(
      graph,
      graph.addNode('Mul', [lstmToOnnx(graph, this.shortLstm, clips), channel]),
    );
    const features = graph.addNode('ReduceMean', [short], {
      axes: onnxAttr.ints([1]),
      keepdims: onnxAttr.int(0),
    });
    const outputs: Record<string, string> = { logits: this.fc.toOnnx(graph, features), features };
    if (this.auFc !== undefined) outputs.auLogits = this.auFc.toOnnx(graph, features);
    return outputs;
  }
}

/**
 * Initial `centre_prior` `[T_long, P]`: `b_{i,p} = −(i − i_p)²/2` with `i_p = (T_long − 1)·(p + ½)/P`, so
 * the P centres start spread evenly over the video (our choice; the reference gives no initialisation).
 */
function spreadCentrePrior(longFrames: number, clips: number): Float32Array {
  const out = new Float32Array(longFrames * clips);
  for (let i = 0; i < longFrames; i++) {
    for (let p = 0; p < clips; p++) {
      const centre = ((longFrames - 1) * (p + 0.5)) / clips;
      out[i * clips + p] = -((i - centre) ** 2) / 2;
    }
  }
  return out;
}

const RDFER_PRESETS: Record<string, ModelPreset> = {
  paper: {
    input: RDFER_PAPER.input,
    numParameters: 9_704_595,
    description:
      'RDFER at the lab code sizes: 64 × 112 × 112 in, 16 long-term frames, 2-layer BiLSTM 256, 4 re-sampled clips × 4 frames',
  },
  tiny: {
    input: RDFER_TINY.input,
    // CNN 5,976 + BatchNorms 112 + long BiLSTM 12,800 + gates 2·4,192 + localiser 132 + centre_prior 32
    // + stride_head 33 + clip encoder 4,128 + short BiLSTM 6,400 + channel attention 1,056 + two 32→7
    // classifiers 2·231.
    numParameters: 39_515,
    description:
      'RDFER at CPU-test size: 16 × 32 × 32 in, 8 long-term frames, BiLSTMs 16, 4 clips × 4 frames',
  },
};

// ------------------------------------------------------------------------------------------------ registered factories

/** `Sequential` indices of the per-frame CNN's BatchNorms (3i + 1) for the deepest registered preset. */
function frameEncoderBatchNormIndices(): number[] {
  const stages = Math.max(...Object.values(RDFER_ARCHITECTURES).map((a) => a.frameWidths.length));
  return Array.from({ length: stages }, (_, i) => 3 * i + 1);
}

/** Builds an RDFER preset (`'paper'` or `'tiny'`) with the registry's build options. */
export function createRdfer(options: ModelBuildOptions): Rdfer {
  const arch = RDFER_ARCHITECTURES[options.preset];
  if (arch === undefined) {
    throw new Error(
      `createRdfer: unknown preset '${options.preset}'; presets: ${Object.keys(RDFER_ARCHITECTURES).join(', ')}`,
    );
  }
  return new Rdfer({
    ...arch,
    numClasses: options.numClasses,
    numAus: options.numAus,
    seed: options.seed,
    initialization: options.initialization,
  });
}

registerModel({
  name: 'rdfer',
  description:
    'RDFER: long-term BiLSTM stream localises the key expression, short-term stream over re-sampled clips (soft, trainable selection)',
  source: {
    paper:
      'Liu, Wang, Shen, Robust Dynamic Facial Expression Recognition, IEEE T-BIOM 7(4), 2025 (arXiv 2502.16129)',
    code: 'https://github.com/Cross-Innovation-Lab/RDFER (not retrievable offline; template in the reference)',
    reference: 'reference/rdfer.md',
  },
  presets: RDFER_PRESETS,
  defaultNumClasses: 7,
  training: {
    // Biases (LSTM bias_ih/bias_hh included); the per-frame CNN's BatchNorms, at frame_encoder.convs.{3i+1}
    // (conv, BatchNorm, ReLU per stage; every preset has frameNorm 'batch'); the gates' LayerNorms; the
    // centre_prior, a per-position bias whose decay would pull the centres' spread-out start together.
    noWeightDecay: new RegExp(
      '(?:^|\\.)bias(?:_[ih]h_l\\d+(?:_reverse)?)?$|_gate\\.norm\\.weight$|^centre_prior$' +
        `|^frame_encoder\\.convs\\.(?:${frameEncoderBatchNormIndices().join('|')})\\.weight$`,
    ),
  },
  create: (options: ModelBuildOptions) => createRdfer(options),
});
