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
import {
  createModelRng,
  type ModelBuildOptions,
  type ModelPreset,
  registerModel,
  type ModelInitialization,
} from '../registry';
import { type InputSpec, VideoModel, type VideoModelHeadOutput } from '../video-model';
import { FrameEncoder, type RdferFrameNorm } from './rdfer/frame-encoder';
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

export { type RdferFrameNorm } from './rdfer/frame-encoder';
export {
  keyCentresFromScores,
  keySamplingPositions,
  softSampleFrames,
  type KeySamplingConfig,
  type KeySamplingPositions,
} from './rdfer/key-sampling';

// ------------------------------------------------------------------------------------------------ model

/** Architecture of an RDFER preset. */
export interface RdferArchitecture {
  /** Output widths of the per-frame CNN's stride-2 3×3 convolutions; frame features are the last wide. */
  frameWidths: readonly number[];
  /**
   * Normalisation of the per-frame CNN ({@link RdferFrameNorm}; default `'batch'`): `'batch'` builds
   * conv–BatchNorm–ReLU stages with torchvision's ResNet init, as the lab's per-frame ResNet; `'none'` the
   * unnormalised stages with PyTorch's default init of earlier versions (does not train from scratch).
   */
  frameNorm?: RdferFrameNorm;
  /** The long-term stream reads input frames 0, k, 2k, … (k = `longStride`; T must be a multiple). */
  longStride: number;
  /** Long-term BiLSTM hidden size per direction, and its layers (the lab: 2 layers). */
  longHidden: number;
  longLayers: number;
  /** Heads of the long-term self-attention gate (the lab: 8). */
  longHeads: number;
  /** Key-expression re-sampling: P clips of L frames (the lab: 4 × 4), stride, kernel width. */
  clips: number;
  clipLength: number;
  baseStride: number;
  strideRange: number;
  sampleSigma: number;
  /** Width of a short-term clip feature (Linear over the clip's L frame features). */
  clipDim: number;
  /** Short-term BiLSTM (over the P clips) hidden size per direction; clip features are 2·shortHidden wide. */
  shortHidden: number;
  /** Heads of the short-term self-attention gate. */
  shortHeads: number;
  /** Input the preset expects. */
  input: InputSpec;
}

/** Build-time options of {@link Rdfer}. */
export interface RdferConfig extends RdferArchitecture {
  numClasses: number;
  /** AU head width (`AU_fc` on the clip features, as in AU-DFER); 0 for none. */
  numAus: number;
  seed: number;
  /** `'random'` (default) or `'zeros'` (weights are loaded next). */
  initialization?: ModelInitialization;
}

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

function validateRdferConfig(config: RdferConfig): void {
  const positive: Array<[string, number]> = [
    ['numClasses', config.numClasses],
    ['longStride', config.longStride],
    ['longHidden', config.longHidden],
    ['longLayers', config.longLayers],
    ['longHeads', config.longHeads],
    ['clips', config.clips],
    ['clipLength', config.clipLength],
    ['clipDim', config.clipDim],
    ['shortHidden', config.shortHidden],
    ['shortHeads', config.shortHeads],
    ...config.frameWidths.map((w, i): [string, number] => [`frameWidths[${i}]`, w]),
  ];
  for (const [name, v] of positive) {
    if (!Number.isInteger(v) || v < 1)
      throw new Error(`rdfer: config.${name} must be a positive integer, got ${v}`);
  }
  if (config.frameWidths.length === 0)
    throw new Error('rdfer: config.frameWidths must name at least one stage');
  if (!Number.isInteger(config.numAus) || config.numAus < 0) {
    throw new Error(`rdfer: config.numAus must be a non-negative integer, got ${config.numAus}`);
  }
  for (const [name, v] of [
    ['baseStride', config.baseStride],
    ['sampleSigma', config.sampleSigma],
  ] as const) {
    if (!(Number.isFinite(v) && v > 0))
      throw new Error(`rdfer: config.${name} must be a number > 0, got ${v}`);
  }
  if (!(Number.isFinite(config.strideRange) && config.strideRange > 1)) {
    throw new Error(`rdfer: config.strideRange must be a number > 1, got ${config.strideRange}`);
  }
  const t = config.input.frames;
  if (!Number.isInteger(t) || t < 2 || t % config.longStride !== 0) {
    throw new Error(
      `rdfer: config.input.frames (${t}) must be ≥ 2 and a multiple of longStride (${config.longStride})`,
    );
  }
  if (config.clips > config.numClasses) {
    throw new Error(
      `rdfer: config.clips (${config.clips}) must be ≤ numClasses (${config.numClasses}): the key targets take one position per class`,
    );
  }
  if (
    (2 * config.longHidden) % config.longHeads !== 0 ||
    (2 * config.shortHidden) % config.shortHeads !== 0
  ) {
    throw new Error(
      `rdfer: 2·longHidden (${2 * config.longHidden}) must be divisible by longHeads (${config.longHeads}) and 2·shortHidden (${2 * config.shortHidden}) by shortHeads (${config.shortHeads})`,
    );
  }
}

// ------------------------------------------------------------------------------------------------ key targets

/**
 * The lab's "manual" key-position target (`reference/rdfer.md`, table): for each class c, the long-term
 * frame `i*_c = argmax_i z_{i,c}` with the highest instance score; the P classes with the largest such
 * scores give P positions, converted to input frames (`i*·longStride`) and sorted ascending.
 *
 * @param instanceLogits - `[B, T_long, C]` ({@link RdferOutput.instanceLogits}); read on the CPU.
 * @returns `Float32Array` `[B, P]` of frame positions.
 */
export function rdferKeyTargets(instanceLogits: tf.Tensor, clips: number, longStride: number): Float32Array {
  if (instanceLogits.rank !== 3) {
    throw new Error(
      `rdferKeyTargets: instanceLogits must be [B, T, C], got [${instanceLogits.shape.join(', ')}]`,
    );
  }
  const [b, t, c] = instanceLogits.shape as [number, number, number];
  if (!Number.isInteger(clips) || clips < 1 || clips > c) {
    throw new Error(
      `rdferKeyTargets: clips must be an integer in [1, ${c}] (one position per class), got ${clips}`,
    );
  }
  const z = instanceLogits.dataSync();
  const out = new Float32Array(b * clips);
  for (let s = 0; s < b; s++) {
    const best: Array<{ score: number; frame: number }> = [];
    for (let k = 0; k < c; k++) {
      let frame = 0;
      for (let i = 1; i < t; i++)
        if ((z[(s * t + i) * c + k] as number) > (z[(s * t + frame) * c + k] as number)) frame = i;
      best.push({ score: z[(s * t + frame) * c + k] as number, frame });
    }
    best.sort((a, b2) => b2.score - a.score);
    const frames = best
      .slice(0, clips)
      .map((e) => e.frame * longStride)
      .sort((a, b2) => a - b2);
    out.set(frames, s * clips);
  }
  return out;
}

/**
 * Key-position loss: mean L1 distance between the sorted predicted centres and the sorted targets, in
 * units of the video length (our normalisation):
 *
 *     L_key = (1/(B·P)) Σ_b Σ_p |sort(c_b)_p − sort(τ_b)_p| / (T − 1).
 *
 * Sorting matches the P unordered centres to the P targets; it is a constant permutation of `c`, so the
 * gradient reaches every centre. `targets` may be {@link rdferKeyTargets} or known key frames.
 *
 * @param centres - `[B, P]` ({@link RdferOutput.keyCentres}). Call inside `tf.tidy` or dispose the result.
 */
export function rdferKeyPositionLoss(
  centres: tf.Tensor,
  targets: ArrayLike<number>,
  frames: number,
): tf.Scalar {
  if (centres.rank !== 2)
    throw new Error(`rdferKeyPositionLoss: centres must be [B, P], got [${centres.shape.join(', ')}]`);
  const [b, p] = centres.shape as [number, number];
  if (targets.length !== b * p) {
    throw new Error(`rdferKeyPositionLoss: targets has ${targets.length} values, expected B·P = ${b * p}`);
  }
  if (!Number.isInteger(frames) || frames < 2)
    throw new Error(`rdferKeyPositionLoss: frames must be ≥ 2, got ${frames}`);
  const values = centres.dataSync();
  const perm = new Float32Array(b * p * p);
  const sortedTargets = new Float32Array(b * p);
  for (let s = 0; s < b; s++) {
    const order = Array.from({ length: p }, (_, i) => i).sort(
      (i, j) => (values[s * p + i] as number) - (values[s * p + j] as number),
    );
    order.forEach((src, dst) => (perm[(s * p + dst) * p + src] = 1));
    const tgt = Array.from({ length: p }, (_, i) => targets[s * p + i] as number).sort((x, y) => x - y);
    sortedTargets.set(tgt, s * p);
  }
  return tf.tidy(() => {
    const sorted = tf.reshape(tf.matMul(tf.tensor3d(perm, [b, p, p]), tf.reshape(centres, [b, p, 1])), [
      b,
      p,
    ]);
    return tf.div(
      tf.mean(tf.abs(tf.sub(sorted, tf.tensor2d(sortedTargets, [b, p])))),
      frames - 1,
    ) as tf.Scalar;
  });
}

// ------------------------------------------------------------------------------------------------ default configs

/**
 * Lab-sized network (`reference/rdfer.md`): 64 frames of 112×112 loaded, 16 of them (every 4th) for the
 * long-term stream, 2-layer BiLSTM, 8-head gates, 4 clips × 4 frames. The per-frame CNN (4 stride-2
 * conv–BatchNorm–ReLU stages, 64–512) is ours: the lab's is a torchvision ResNet (its TSM wrapper), too
 * large to train here; we keep its BatchNorm and init. Values in [0, 1], no mean/std.
 */
export const RDFER_PAPER: Readonly<RdferArchitecture> = Object.freeze({
  frameWidths: [64, 128, 256, 512] as const,
  longStride: 4,
  longHidden: 256,
  longLayers: 2,
  longHeads: 8,
  clips: 4,
  clipLength: 4,
  baseStride: 1,
  strideRange: 3,
  sampleSigma: 1,
  clipDim: 512,
  shortHidden: 256,
  shortHeads: 8,
  input: { frames: 64, height: 112, width: 112, channels: 3, mean: [0, 0, 0], std: [1, 1, 1] },
});

/** CPU-test size: 16 frames of 32×32 (8 in the long-term stream), CNN 8–32 with BatchNorm, BiLSTMs 16, 2 heads. */
export const RDFER_TINY: Readonly<RdferArchitecture> = Object.freeze({
  frameWidths: [8, 16, 32] as const,
  longStride: 2,
  longHidden: 16,
  longLayers: 2,
  longHeads: 2,
  clips: 4,
  clipLength: 4,
  baseStride: 1,
  strideRange: 2,
  sampleSigma: 1,
  clipDim: 32,
  shortHidden: 16,
  shortHeads: 2,
  input: { frames: 16, height: 32, width: 32, channels: 3, mean: [0, 0, 0], std: [1, 1, 1] },
});

const RDFER_ARCHITECTURES: Readonly<Record<string, Readonly<RdferArchitecture>>> = {
  paper: RDFER_PAPER,
  tiny: RDFER_TINY,
};

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
  create: (options: ModelBuildOptions) => createRdfer(options),
});
