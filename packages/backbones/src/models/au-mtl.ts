/**
 * AU-MTL: expression-assisted facial action unit detection — a shared frame encoder, an AU branch and an
 * FER (expression) branch exchanging information through an attention gate unit.
 * Paper: Liu, Shi, Liu, Liu, Mi, Murase, "Expression-assisted facial action unit detection through an
 * attention mechanism and smooth class-weighted loss", Proc. SPIE 12171 (ICSPS 2021), 121710R, 2022.
 * Origin: only the abstract is available (`reference/au-detection.md`); the gate follows the common form
 * given there, and the encoder is this project's own small CNN (the paper's backbone is not known), so the
 * `paper` preset is a full-size configuration of this design, not the authors' network.
 *
 * Layout: input clips `[B, T, H, W, 3]` (channels-last, RGB in [0, 1]); frames are folded into the batch
 * for the 2-D encoder (no 3-D convolutions), so frame-level AU logits come for free.
 */
import * as tf from '@tensorflow/tfjs-core';
import { onnxAttr, type OnnxGraph } from '@dfer/runtime';

import { BatchNorm } from '../nn/batch-norm';
import { Conv2d } from '../nn/conv2d';
import { Linear } from '../nn/linear';
import { Module, ModuleList } from '../nn/module';
import { addReshape } from '../nn/onnx';
import type { Rng } from '../nn/rng';
import {
  createModelRng,
  type ModelBuildOptions,
  type ModelPreset,
  registerModel,
  type ModelInitialization,
} from '../registry';
import { type InputSpec, VideoModel, type VideoModelHeadOutput, type VideoModelOutput } from '../video-model';

// ---------------------------------------------------------------------------------------------------
// Blocks
// ---------------------------------------------------------------------------------------------------

/** conv3×3 (stride 2, pad 1, no bias) → BatchNorm → ReLU. Names: `conv`, `bn`. */
class ConvBnRelu extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm;

  constructor(inChannels: number, outChannels: number, rng: Rng) {
    super();
    this.conv = this.registerModule(
      'conv',
      new Conv2d(inChannels, outChannels, 3, {
        stride: 2,
        padding: 1,
        bias: false,
        init: 'kaiming-normal-fan-out',
        rng,
      }),
    );
    this.bn = this.registerModule('bn', new BatchNorm(outChannels));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.relu(this.bn.forward(this.conv.forward(x))));
  }

  override toOnnx(graph: OnnxGraph, input: string): string {
    return graph.addNode('Relu', [this.bn.toOnnx(graph, this.conv.toOnnx(graph, input))]);
  }
}

/**
 * The shared frame encoder: `stages` × {@link ConvBnRelu} (each halves the side) → global average pool.
 * Input `[N, H, W, C]`, output `[N, widths[last]]`. Names: `stages.<i>.conv`, `stages.<i>.bn`.
 */
export class AuMtlEncoder extends Module {
  readonly stages: ConvBnRelu[];

  constructor(inChannels: number, widths: readonly number[], rng: Rng) {
    super();
    this.stages = widths.map(
      (w, i) => new ConvBnRelu(i === 0 ? inChannels : (widths[i - 1] as number), w, rng),
    );
    this.registerModule('stages', new ModuleList(this.stages));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let y = x;
      for (const s of this.stages) y = s.forward(y);
      return tf.mean(y, [1, 2]);
    });
  }

  override toOnnx(graph: OnnxGraph, input: string): string {
    let y = input;
    for (const s of this.stages) y = s.toOnnx(graph, y);
    return graph.addNode('ReduceMean', [y], { axes: onnxAttr.ints([1, 2]), keepdims: onnxAttr.int(0) });
  }
}

/** A branch: Linear → ReLU, `[..., in]` → `[..., dim]`. Name: `fc`. */
class Branch extends Module {
  readonly fc: Linear;

  constructor(inFeatures: number, dim: number, rng: Rng) {
    super();
    this.fc = this.registerModule('fc', new Linear(inFeatures, dim, { rng }));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.relu(this.fc.forward(x)));
  }

  override toOnnx(graph: OnnxGraph, input: string): string {
    return graph.addNode('Relu', [this.fc.toOnnx(graph, input)]);
  }
}

/** Output of {@link AttentionGateUnit.forward}. */
export interface AttentionGateOutput {
  /** f_AU' `[N, dim]`. */
  au: tf.Tensor;
  /** f_FER' `[N, dim]`. */
  fer: tf.Tensor;
  /** g_AU `[N, dim]`. */
  auGate: tf.Tensor;
  /** g_FER `[N, dim]`. */
  ferGate: tf.Tensor;
}

/**
 * The attention gate unit between the AU and FER branches (reference/au-detection.md, "Designs to
 * implement"; the common form, since the paper's exact equations are not available):
 *
 *   g_AU  = σ(W_AU·[f_AU; f_FER] + b_AU),   f_AU'  = f_AU  + g_AU  ⊙ f_FER
 *   g_FER = σ(W_FER·[f_FER; f_AU] + b_FER), f_FER' = f_FER + g_FER ⊙ f_AU
 *
 * so each branch selects, per feature, what it takes from the other. With g = 0 each branch is left
 * alone (f' = f). Names: `au_gate` (Linear 2·dim → dim), `fer_gate` (Linear 2·dim → dim).
 */
export class AttentionGateUnit extends Module<[tf.Tensor, tf.Tensor], AttentionGateOutput> {
  readonly auGate: Linear;
  readonly ferGate: Linear;

  constructor(
    readonly dim: number,
    rng: Rng,
  ) {
    super();
    this.auGate = this.registerModule('au_gate', new Linear(2 * dim, dim, { rng }));
    this.ferGate = this.registerModule('fer_gate', new Linear(2 * dim, dim, { rng }));
  }

  forward([fAu, fFer]: [tf.Tensor, tf.Tensor]): AttentionGateOutput {
    return tf.tidy(() => {
      const auGate = tf.sigmoid(this.auGate.forward(tf.concat([fAu, fFer], -1)));
      const ferGate = tf.sigmoid(this.ferGate.forward(tf.concat([fFer, fAu], -1)));
      return {
        au: tf.add(fAu, tf.mul(auGate, fFer)),
        fer: tf.add(fFer, tf.mul(ferGate, fAu)),
        auGate,
        ferGate,
      } as unknown as tf.NamedTensorMap;
    }) as unknown as AttentionGateOutput;
  }

  /** ONNX lowering of the gate unit on two branch outputs; returns the names of f_AU' and f_FER'. */
  gatedToOnnx(graph: OnnxGraph, fAu: string, fFer: string): { au: string; fer: string } {
    const gate = (lin: Linear, a: string, b: string): string =>
      graph.addNode('Sigmoid', [
        lin.toOnnx(graph, graph.addNode('Concat', [a, b], { axis: onnxAttr.int(-1) })),
      ]);
    const gAu = gate(this.auGate, fAu, fFer);
    const gFer = gate(this.ferGate, fFer, fAu);
    return {
      au: graph.addNode('Add', [fAu, graph.addNode('Mul', [gAu, fFer])]),
      fer: graph.addNode('Add', [fFer, graph.addNode('Mul', [gFer, fAu])]),
    };
  }
}

// ---------------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------------

/** Architecture hyper-parameters of AU-MTL (one per preset). */
export interface AuMtlArchitecture {
  /** Widths of the encoder's stride-2 conv stages. */
  widths: readonly number[];
  /** Width of each branch (f_AU, f_FER). */
  branchDim: number;
  /** Input the architecture is built for. */
  input: InputSpec;
}

/** How the branches exchange information: `'attention'` (the gate unit) or `'none'` (the ablation). */
export type AuMtlGate = 'attention' | 'none';

/** Build-time options of {@link AuMtl}. */
export interface AuMtlConfig {
  architecture: AuMtlArchitecture;
  numClasses: number;
  /** Number of AUs; AU-MTL always has an AU head (default 12, the BP4D set). */
  numAus: number;
  /** `'attention'` (default) or `'none'`. */
  gate?: AuMtlGate;
  seed: number;
  initialization?: ModelInitialization;
}

/** {@link AuMtl.forwardWithFrames}: the {@link VideoModelOutput} plus frame-level AU logits and gates. */
export type AuMtlOutput = VideoModelOutput & {
  /** Clip AU logits `[B, numAus]` (always present for AU-MTL). */
  auLogits: tf.Tensor;
  /** Frame AU logits `[B, T, numAus]`. */
  frameAuLogits: tf.Tensor;
};

/** Default AU count when `createModel('au_mtl')` is called without `auHead`: the 12 BP4D AUs. */
export const AU_MTL_DEFAULT_NUM_AUS = 12;

/**
 * AU-MTL. Per frame: shared encoder → f `[B·T, C]` → AU branch f_AU and FER branch f_FER → attention gate
 * unit (or nothing) → f_AU', f_FER'. Heads: frame AU logits = `au_fc`(f_AU') `[B, T, numAus]`; the clip
 * feature is [mean_t f_AU'; mean_t f_FER'] `[B, 2·branchDim]`; clip AU logits = `au_fc`(mean_t f_AU')
 * (= mean_t of the frame AU logits, the head being affine) and expression logits = `fc`(mean_t f_FER').
 * Names: `encoder.*`, `au_branch.fc`, `fer_branch.fc`, `gate.au_gate`, `gate.fer_gate`, `au_fc`, `fc`.
 */
export class AuMtl extends VideoModel {
  readonly encoder: AuMtlEncoder;
  readonly auBranch: Branch;
  readonly ferBranch: Branch;
  readonly auFc: Linear;
  readonly fc: Linear;
  readonly gate: AttentionGateUnit | undefined;
  readonly gateMode: AuMtlGate;
  readonly branchDim: number;
  readonly featureDim: number;
  readonly numClasses: number;
  readonly numAus: number;
  readonly inputSpec: InputSpec;

  constructor(config: AuMtlConfig) {
    super();
    const arch = config.architecture;
    const rng = createModelRng({ seed: config.seed, initialization: config.initialization ?? 'random' });
    if (!Number.isInteger(config.numAus) || config.numAus < 1) {
      throw new Error(`au_mtl: numAus must be a positive integer, got ${config.numAus}`);
    }
    this.gateMode = config.gate ?? 'attention';
    if (this.gateMode !== 'attention' && this.gateMode !== 'none') {
      throw new Error(`au_mtl: gate must be 'attention' or 'none', got '${String(config.gate)}'`);
    }
    this.inputSpec = arch.input;
    this.branchDim = arch.branchDim;
    this.featureDim = 2 * arch.branchDim;
    this.numClasses = config.numClasses;
    this.numAus = config.numAus;
    const c = arch.widths[arch.widths.length - 1] as number;
    this.encoder = this.registerModule('encoder', new AuMtlEncoder(arch.input.channels, arch.widths, rng));
    this.auBranch = this.registerModule('au_branch', new Branch(c, arch.branchDim, rng));
    this.ferBranch = this.registerModule('fer_branch', new Branch(c, arch.branchDim, rng));
    this.auFc = this.registerModule('au_fc', new Linear(arch.branchDim, config.numAus, { rng }));
    this.fc = this.registerModule('fc', new Linear(arch.branchDim, config.numClasses, { rng }));
    // Built last, so a gated and an ungated model of one seed share every other weight.
    this.gate =
      this.gateMode === 'attention'
        ? this.registerModule('gate', new AttentionGateUnit(arch.branchDim, rng))
        : undefined;
  }

  /** Gated per-frame branch features `[B, T, branchDim]` each. */
  private frameFeatures(x: tf.Tensor): { au: tf.Tensor; fer: tf.Tensor } {
    const [b, t, h, w, ch] = x.shape as [number, number, number, number, number];
    const f = this.encoder.forward(tf.reshape(x, [b * t, h, w, ch]));
    let au = this.auBranch.forward(f);
    let fer = this.ferBranch.forward(f);
    if (this.gate !== undefined) {
      const g = this.gate.forward([au, fer]);
      au = g.au;
      fer = g.fer;
    }
    return {
      au: tf.reshape(au, [b, t, this.branchDim]),
      fer: tf.reshape(fer, [b, t, this.branchDim]),
    };
  }

  forwardFeatures(x: tf.Tensor): tf.Tensor {
    this.checkInput(x, 'au_mtl.forwardFeatures');
    return tf.tidy(() => {
      const { au, fer } = this.frameFeatures(x);
      return tf.concat([tf.mean(au, 1), tf.mean(fer, 1)], 1);
    });
  }

  forwardHead(features: tf.Tensor): VideoModelHeadOutput {
    this.checkHeadInput('au_mtl', features);
    return tf.tidy(() => {
      const b = features.shape[0] as number;
      const au = tf.slice(features, [0, 0], [b, this.branchDim]);
      const fer = tf.slice(features, [0, this.branchDim], [b, this.branchDim]);
      return {
        logits: this.fc.forward(fer),
        auLogits: this.auFc.forward(au),
      } as unknown as tf.NamedTensorMap;
    }) as unknown as VideoModelHeadOutput;
  }

  /** The {@link VideoModelOutput} plus frame-level AU logits `[B, T, numAus]`, from one encoder pass. */
  forwardWithFrames(x: tf.Tensor): AuMtlOutput {
    this.checkInput(x, 'au_mtl.forwardWithFrames');
    return tf.tidy(() => {
      const { au, fer } = this.frameFeatures(x);
      const features = tf.concat([tf.mean(au, 1), tf.mean(fer, 1)], 1);
      return {
        ...this.forwardHead(features),
        features,
        frameAuLogits: this.auFc.forward(au),
      } as unknown as tf.NamedTensorMap;
    }) as unknown as AuMtlOutput;
  }

  /**
   * ONNX graph of the eval-mode network on `[B, T, H, W, 3]` (dynamic B): outputs `logits`, `auLogits`,
   * `features`.
   */
  override toOnnx(graph: OnnxGraph, input: string): Record<string, string> {
    const { frames, height, width, channels } = this.inputSpec;
    const f = this.encoder.toOnnx(graph, addReshape(graph, input, [-1, height, width, channels]));
    let au = this.auBranch.toOnnx(graph, f);
    let fer = this.ferBranch.toOnnx(graph, f);
    if (this.gate !== undefined) ({ au, fer } = this.gate.gatedToOnnx(graph, au, fer));
    const pool = (y: string): string =>
      graph.addNode('ReduceMean', [addReshape(graph, y, [-1, frames, this.branchDim])], {
        axes: onnxAttr.ints([1]),
        keepdims: onnxAttr.int(0),
      });
    const auClip = pool(au);
    const ferClip = pool(fer);
    return {
      logits: this.fc.toOnnx(graph, ferClip),
      auLogits: this.auFc.toOnnx(graph, auClip),
      features: graph.addNode('Concat', [auClip, ferClip], { axis: onnxAttr.int(1) }),
    };
  }
}

// ---------------------------------------------------------------------------------------------------
// Default configs
// ---------------------------------------------------------------------------------------------------

/**
 * Full-size configuration of this design (the paper's backbone is unknown): 16 frames of 112×112,
 * five stride-2 stages (widths 32–512), branches of 256.
 */
export const AU_MTL_PAPER: AuMtlArchitecture = {
  widths: [32, 64, 128, 256, 512],
  branchDim: 256,
  input: { frames: 16, height: 112, width: 112, channels: 3, mean: [0, 0, 0], std: [1, 1, 1] },
};

/** CPU-test size: 8 frames of 32×32, three stages (8, 16, 32), branches of 32. */
export const AU_MTL_TINY: AuMtlArchitecture = {
  widths: [8, 16, 32],
  branchDim: 32,
  input: { frames: 8, height: 32, width: 32, channels: 3, mean: [0, 0, 0], std: [1, 1, 1] },
};

const AU_MTL_ARCHITECTURES: Record<string, { architecture: AuMtlArchitecture; gate: AuMtlGate }> = {
  paper: { architecture: AU_MTL_PAPER, gate: 'attention' },
  tiny: { architecture: AU_MTL_TINY, gate: 'attention' },
  paper_no_gate: { architecture: AU_MTL_PAPER, gate: 'none' },
  tiny_no_gate: { architecture: AU_MTL_TINY, gate: 'none' },
};

const AU_MTL_PRESETS: Record<string, ModelPreset> = {
  paper: {
    input: AU_MTL_PAPER.input,
    numParameters: 2_099_763,
    description: 'AU-MTL at full size (5-stage CNN 32–512, branches 256, attention gate), 16 × 112 × 112',
  },
  tiny: {
    input: AU_MTL_TINY.input,
    numParameters: 12_987,
    description: 'AU-MTL at CPU-test size (3-stage CNN 8–32, branches 32, attention gate), 8 × 32 × 32',
  },
  paper_no_gate: {
    input: AU_MTL_PAPER.input,
    numParameters: 1_837_107,
    description: 'AU-MTL paper size without the attention gate (ablation)',
  },
  tiny_no_gate: {
    input: AU_MTL_TINY.input,
    numParameters: 8_827,
    description: 'AU-MTL tiny without the attention gate (ablation)',
  },
};

// ---------------------------------------------------------------------------------------------------
// Registered factories
// ---------------------------------------------------------------------------------------------------

function architectureFor(preset: string): { architecture: AuMtlArchitecture; gate: AuMtlGate } {
  const entry = AU_MTL_ARCHITECTURES[preset];
  if (entry === undefined) {
    throw new Error(
      `au_mtl: no architecture for preset '${preset}'; presets: ${Object.keys(AU_MTL_ARCHITECTURES).join(', ')}`,
    );
  }
  return entry;
}

registerModel({
  name: 'au_mtl',
  description:
    'AU-MTL: shared CNN frame encoder, AU and FER branches joined by an attention gate unit, frame- and clip-level AU logits',
  source: {
    paper:
      'Liu et al., Expression-assisted facial action unit detection through an attention mechanism and smooth class-weighted loss, Proc. SPIE 12171, 2022',
    code: 'none published; gate in the common form of reference/au-detection.md',
    reference: 'reference/au-detection.md',
  },
  presets: AU_MTL_PRESETS,
  defaultNumClasses: 7,
  // Biases and the encoder's BatchNorms (encoder.stages.N.bn).
  training: { noWeightDecay: /(?:^|\.)bias$|\.bn\.weight$/ },
  create: (options: ModelBuildOptions) => {
    const { architecture, gate } = architectureFor(options.preset);
    return new AuMtl({
      architecture,
      gate,
      numClasses: options.numClasses,
      numAus: options.numAus > 0 ? options.numAus : AU_MTL_DEFAULT_NUM_AUS,
      seed: options.seed,
      initialization: options.initialization,
    });
  },
});

/** Per-call options of {@link createAuMtl}. */
export interface CreateAuMtlOptions {
  /** `'tiny'` (default) or `'paper'`. */
  preset?: 'tiny' | 'paper';
  /** Expression classes (default 7). */
  numClasses?: number;
  /** AUs (default 12). */
  numAus?: number;
  /** `'attention'` (default) or `'none'` (the ablation without the gate unit). */
  gate?: AuMtlGate;
  /** Seed of the initial weights (default 0). */
  seed?: number;
}

/** Builds AU-MTL directly, with the gate chosen explicitly (same weights as the registry's presets). */
export function createAuMtl(options: CreateAuMtlOptions = {}): AuMtl {
  const preset = options.preset ?? 'tiny';
  return new AuMtl({
    architecture: architectureFor(preset).architecture,
    gate: options.gate ?? 'attention',
    numClasses: options.numClasses ?? 7,
    numAus: options.numAus ?? AU_MTL_DEFAULT_NUM_AUS,
    seed: options.seed ?? 0,
  });
}
