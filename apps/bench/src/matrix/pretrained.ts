import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NO_NUISANCE } from '@dfer/datasets/synthetic';
import { atomicWriteFile } from '@dfer/runtime';
import { runExperiment, type ExperimentConfigInput, type ExperimentResult } from '@dfer/trainer';

/**
 * Tiny backbones pre-trained once on synthetic faces, shipped with the bench (`apps/bench/pretrained/`).
 *
 * The `tiny` presets learn the 7-class synthetic task from scratch too slowly for the bench's budgets (minutes
 * per cell on one core; M3DFEL sits at ln 7 for many epochs at its 16 × 16 input). So each base model is
 * pre-trained once with cross-entropy on a balanced 7-class synthetic set whose data seed
 * ({@link PRETRAIN_DATA_SEED}) no bench profile uses: its faces are other random identities than those of every
 * bench split (identities are drawn from the data seed's own random stream). The bench's cells then load the
 * backbone from that file and start a fresh classifier (and AU) head: both arms of a comparison start from the
 * same weights, and the report says so (the file path is in each run's config, `model.pretrained`).
 *
 * `bench pretrain` re-creates the files and `manifest.json` (data, training, selected epoch, validation and
 * held-out scores on the pre-training identities, SHA-256).
 */

/** Data seed of the pre-training set (bench profiles use seeds 0–99 as data seeds; 7919 is none of them). */
export const PRETRAIN_DATA_SEED = 7919;

/**
 * Framing of the bench's synthetic faces: head size 1.4 × the renderer's default, so the face fills the frame
 * like the aligned face crops of DFEW / MAFW (at the default framing a 16 × 16 M3DFEL input shows the mouth in
 * about two pixels). Shared by the pre-training data and the profiles' data.
 */
export const BENCH_FACE_SCALE = 1.4;

/** Models with a shipped pre-trained `tiny` backbone. */
export const PRETRAINED_MODELS = ['former_dfer', 'm3dfel', 'mae_dfer', 'rdfer'] as const;

/** A model with a shipped pre-trained backbone. */
export type PretrainedModel = (typeof PRETRAINED_MODELS)[number];

/**
 * Parameter-name prefixes of each model's task heads (expression classifier, AU head and, for RDFER, the
 * per-instance classifier): not taken from the file, initialised fresh in every bench cell.
 */
const PRETRAINED_HEAD_PREFIXES: Readonly<Record<PretrainedModel, readonly string[]>> = {
  former_dfer: ['fc.', 'AU_fc.'],
  m3dfel: ['fc.', 'AU_fc.'],
  mae_dfer: ['head.', 'au_head.'],
  rdfer: ['fc.', 'AU_fc.', 'instance_fc.'],
};

/** The two stages of the pre-training: lab-like clips first, then in-the-wild-like clips. */
const PRETRAIN_STAGES = ['lab', 'wild'] as const;

/** A stage of the pre-training. */
export type PretrainStage = (typeof PRETRAIN_STAGES)[number];

/** Training settings of one pre-training stage. */
interface PretrainStageTraining {
  readonly epochs: number;
  readonly lr: number;
  readonly initialization: 'random' | 'layer_defaults';
  /** The trainer's default augmentation (flip, scale / ratio crop) when true; none otherwise. */
  readonly augment?: boolean;
}

/** Per-model, per-stage training settings of the pre-training. */
const PRETRAIN_TRAINING: Readonly<
  Record<PretrainedModel, Readonly<Record<PretrainStage, PretrainStageTraining>>>
> = {
  former_dfer: {
    lab: { epochs: 15, lr: 1e-3, initialization: 'random' },
    wild: { epochs: 10, lr: 5e-4, initialization: 'random' },
  },
  m3dfel: {
    lab: { epochs: 30, lr: 1e-3, initialization: 'random' },
    wild: { epochs: 10, lr: 5e-4, initialization: 'random' },
  },
  mae_dfer: {
    lab: { epochs: 15, lr: 5e-4, initialization: 'layer_defaults' },
    wild: { epochs: 15, lr: 5e-4, initialization: 'layer_defaults', augment: true },
  },
  rdfer: {
    lab: { epochs: 15, lr: 1e-3, initialization: 'random' },
    wild: { epochs: 10, lr: 5e-4, initialization: 'random' },
  },
};

/**
 * Nuisances of the pre-training data: none (frontal, centred, no photometric jitter, blur or sensor noise), the
 * bench's face framing. From scratch the tiny models do not leave ln 7 within 15 epochs on the bench's
 * in-the-wild-like data (measured for M3DFEL and MAE-DFER); on these lab-like clips they do.
 */
const PRETRAIN_NUISANCE = { ...NO_NUISANCE, faceScale: BENCH_FACE_SCALE } as const;

/** The clips both pre-training stages use (the stages differ in conditions only). */
const PRETRAIN_CLIPS = {
  type: 'synthetic_dfer',
  seed: PRETRAIN_DATA_SEED,
  numClips: 672,
  numIdentities: 168,
  size: [64, 64],
  numFrames: [16, 16],
  labels: 'dfew',
  classProportions: [1, 1, 1, 1, 1, 1, 1],
  memoryCacheMiB: 512,
  testFolds: 8,
} as const;

/**
 * The data of the pre-training's lab stage: 672 class-balanced clips of 168 identities (data seed {@link PRETRAIN_DATA_SEED}),
 * 16 frames at 64 × 64, "lab-controlled": no hard, distractor, speech or occluded clips and no pose or photometric
 * nuisances ({@link PRETRAIN_NUISANCE}); blinks stay. Fold 1 of 8 (21 identities) is held out.
 */
const PRETRAIN_LAB_DATA = {
  ...PRETRAIN_CLIPS,
  hardRate: 0,
  distractorRate: 0,
  speechRate: 0,
  occlusionRate: 0,
  nuisance: PRETRAIN_NUISANCE,
} as const;

/**
 * The data of the pre-training's wild stage: the same 672 class-balanced clips of the same 168 identities (data
 * seed {@link PRETRAIN_DATA_SEED}), now with the renderer's default nuisances, hard, distractor, speech and
 * occluded clips, like the bench data. A model fine-tuned from the lab stage alone stays near chance on the
 * bench data within a cell's epochs (`results/pilot/`).
 */
const PRETRAIN_WILD_DATA = { ...PRETRAIN_CLIPS, nuisance: { faceScale: BENCH_FACE_SCALE } } as const;

/** Folder of the shipped files (`apps/bench/pretrained`, from `src/matrix` and `dist/matrix` alike). */
export function pretrainedDir(): string {
  return resolve(__dirname, '..', '..', 'pretrained');
}

/** File name of a model's pre-trained `tiny` backbone. */
export function pretrainedFileName(model: PretrainedModel): string {
  return `${model}-tiny-synthetic.safetensors`;
}

function assertPretrainedModel(model: string): asserts model is PretrainedModel {
  if (!(PRETRAINED_MODELS as readonly string[]).includes(model)) {
    throw new RangeError(
      `pretrained backbone: no shipped file for model "${model}"; expected one of ${PRETRAINED_MODELS.join(', ')}`,
    );
  }
}

/**
 * The trainer's `model.pretrained` node for a model's shipped backbone (heads excluded, see
 * {@link PRETRAINED_HEAD_PREFIXES}).
 *
 * @throws RangeError for a model without a shipped file; Error when the file is missing (names it and the
 *   command that makes it).
 */
export function pretrainedNode(
  model: string,
  dir: string = pretrainedDir(),
): { path: string; layout: 'tfjs'; exclude: string[] } {
  assertPretrainedModel(model);
  const path = join(dir, pretrainedFileName(model));
  if (!existsSync(path)) {
    throw new Error(
      `pretrained backbone of ${model}: no file ${path}; create it with \`bench pretrain --models ${model}\``,
    );
  }
  return { path, layout: 'tfjs', exclude: [...PRETRAINED_HEAD_PREFIXES[model]] };
}

/**
 * The trainer config of one stage of a model's pre-training. The lab stage starts from the model's
 * initialisation; the wild stage from the lab stage's kept checkpoint (`labCheckpoint`, every tensor, heads
 * included: both stages classify the same 7 classes).
 */
export function pretrainConfig(
  model: string,
  stage: PretrainStage = 'lab',
  options: { engine?: 'auto' | 'wasm' | 'cpu'; labCheckpoint?: string } = {},
): ExperimentConfigInput {
  assertPretrainedModel(model);
  const t = PRETRAIN_TRAINING[model][stage];
  if (stage === 'wild' && options.labCheckpoint === undefined)
    throw new Error(`pretrainConfig(${model}, 'wild'): needs the lab stage's checkpoint (labCheckpoint)`);
  const data = stage === 'lab' ? PRETRAIN_LAB_DATA : PRETRAIN_WILD_DATA;
  return {
    name: stage === 'lab' ? `pretrain_${model}_tiny` : `pretrain_${model}_tiny_wild`,
    seed: PRETRAIN_DATA_SEED,
    engine: { backend: options.engine ?? 'wasm' },
    data: JSON.parse(JSON.stringify(data)) as { type: string },
    model: {
      type: model,
      preset: 'tiny',
      initialization: t.initialization,
      ...(stage === 'wild' ? { pretrained: { path: options.labCheckpoint!, layout: 'tfjs' as const } } : {}),
    },
    loss: { type: 'cross_entropy' },
    optim: { type: 'adamw', lr: t.lr, weightDecay: 0.01 },
    schedule: { type: 'cosine', warmupEpochs: stage === 'lab' ? 1 : 0 },
    evaluation: { selection: 'validation', validationFraction: 0.1 },
    train: {
      epochs: t.epochs,
      batchSize: 8,
      ...(t.augment
        ? {}
        : { augment: { flip: 0, scale: [1, 1] as [number, number], ratio: [1, 1] as [number, number] } }),
    },
  };
}

/** One entry of `pretrained/manifest.json`. */
export interface PretrainedManifestEntry {
  readonly model: string;
  readonly preset: 'tiny';
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly excludedHeads: readonly string[];
  /** The stages in order (lab, then wild); the file is the wild stage's kept checkpoint. */
  readonly stages: readonly PretrainedStageRecord[];
  readonly createdAt: string;
}

/** One stage of a manifest entry. */
interface PretrainedStageRecord {
  readonly stage: PretrainStage;
  /** The trainer config of the stage (the wild stage's `model.pretrained.path` written as `<work-dir>/…`). */
  readonly config: ExperimentConfigInput;
  /** 0-based epoch whose weights were kept (best validation UAR + WAR). */
  readonly selectedEpoch: number;
  /** Validation split (10 % of the pre-training identities' training clips) at the selected epoch. */
  readonly validation: { readonly uar: number; readonly war: number } | null;
  /** Held-out pre-training identities (fold 1 of 8) at the selected epoch: a sanity check, not a bench result. */
  readonly heldOut: { readonly uar: number; readonly war: number };
  readonly trainSeconds: number;
}

/** Options of {@link pretrainBackbones}. */
export interface PretrainOptions {
  /** Where the files and `manifest.json` go (default {@link pretrainedDir}). */
  readonly outDir?: string;
  /** Scratch folder of the trainer runs (default `<outDir>/.runs`). */
  readonly workDir?: string;
  readonly engine?: 'auto' | 'wasm' | 'cpu';
  readonly report?: (line: string) => void;
  /** Trainer entry point (tests pass a stand-in). */
  readonly runExperiment?: typeof runExperiment;
}

function readManifest(path: string): Record<string, PretrainedManifestEntry> {
  if (!existsSync(path)) return {};
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, PretrainedManifestEntry>;
}

/**
 * Pre-train the `tiny` backbones of `models` in two stages (lab, then wild; see {@link pretrainConfig}; runs in
 * `<workDir>/<model>/<stage>`, resumed or reused when already there), copy the wild stage's kept checkpoint to
 * `<outDir>/<model>-tiny-synthetic.safetensors` and record it in `<outDir>/manifest.json` (other models'
 * entries are kept).
 */
export async function pretrainBackbones(
  models: readonly string[],
  options: PretrainOptions = {},
): Promise<PretrainedManifestEntry[]> {
  const outDir = resolve(options.outDir ?? pretrainedDir());
  const workDir = resolve(options.workDir ?? join(outDir, '.runs'));
  const report = options.report ?? ((line: string) => process.stderr.write(`${line}\n`));
  const run = options.runExperiment ?? runExperiment;
  for (const model of models) assertPretrainedModel(model);
  mkdirSync(outDir, { recursive: true });
  const manifestPath = join(outDir, 'manifest.json');
  const entries: PretrainedManifestEntry[] = [];
  for (const model of models) {
    assertPretrainedModel(model);
    const stages: PretrainedStageRecord[] = [];
    let checkpoint: string | undefined;
    for (const stage of PRETRAIN_STAGES) {
      const config = pretrainConfig(model, stage, {
        engine: options.engine ?? 'wasm',
        ...(checkpoint !== undefined ? { labCheckpoint: checkpoint } : {}),
      });
      const runDir = join(workDir, model, stage);
      report(
        `pretrain ${model}, ${stage} stage: ${JSON.stringify(config.train)} (data seed ${PRETRAIN_DATA_SEED})`,
      );
      const result: ExperimentResult = await run(config, {
        outputDir: runDir,
        resume: true,
        report: (line) => report(`  ${model} ${stage}: ${line}`),
      });
      const fold = result.folds[0]!;
      checkpoint = join(runDir, 'fold-1', 'best.safetensors');
      if (!existsSync(checkpoint))
        throw new Error(`pretrain ${model}: the ${stage} run wrote no ${checkpoint}`);
      const selected = fold.history[fold.selectedEpoch];
      const recorded =
        stage === 'wild'
          ? {
              ...config,
              model: {
                ...config.model,
                pretrained: {
                  path: `<work-dir>/${model}/lab/fold-1/best.safetensors`,
                  layout: 'tfjs' as const,
                },
              },
            }
          : config;
      stages.push({
        stage,
        config: recorded,
        selectedEpoch: fold.selectedEpoch,
        validation: selected?.selection ? { uar: selected.selection.uar, war: selected.selection.war } : null,
        heldOut: { uar: fold.test.report.uar, war: fold.test.report.war },
        trainSeconds: fold.trainSeconds,
      });
      report(
        `pretrain ${model}, ${stage} stage: epoch ${fold.selectedEpoch + 1} kept, held-out UAR ${(fold.test.report.uar * 100).toFixed(1)} %`,
      );
    }
    const file = pretrainedFileName(model);
    copyFileSync(checkpoint!, join(outDir, file));
    const bytes = readFileSync(join(outDir, file));
    const entry: PretrainedManifestEntry = {
      model,
      preset: 'tiny',
      file,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
      excludedHeads: PRETRAINED_HEAD_PREFIXES[model],
      stages,
      createdAt: new Date().toISOString(),
    };
    const manifest = { ...readManifest(manifestPath), [model]: entry };
    atomicWriteFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    report(`pretrain ${model}: ${join(outDir, file)}`);
    entries.push(entry);
  }
  return entries;
}
