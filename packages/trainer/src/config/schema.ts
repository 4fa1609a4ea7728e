import { z } from 'zod';
import { schemaKeysAt, unknownKeyMessage } from './suggest';

/**
 * The experiment config: plain data, validated here, then built by `runExperiment`. Components are
 * mmaction2-style nodes `{ type: 'name', ...options }` resolved through the packages' registries
 * (models of `@dfer/backbones`, losses of `@dfer/losses`, datasets of this package); their `type` names are
 * checked against those registries by {@link validateConfig}.
 */

const componentNode = z.looseObject({ type: z.string().min(1) });

const positiveInt = z.number().int().min(1);

/** A `[min, max]` pair of `bound` numbers with min ≤ max. */
const orderedRange = (bound: z.ZodNumber) =>
  z.tuple([bound, bound]).refine(([a, b]) => a <= b, 'expected [min, max] with min ≤ max');

const engineSchema = z.strictObject({
  backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
});

const modelSchema = z.strictObject({
  type: z.string().min(1),
  preset: z.string().min(1).default('tiny'),
  /** Add the AU-DFER auxiliary head (true: the dataset's AU count). */
  auHead: z.boolean().default(false),
  /**
   * How the weights start (`@dfer/backbones` `ModelInitialization`): `'random'`, the model's official
   * initialisation; `'layer_defaults'`, PyTorch's per-layer defaults without a model-wide re-initialisation
   * (differs for `mae_dfer` only, whose official one is made for fine-tuning and stalls training from scratch).
   */
  initialization: z.enum(['random', 'layer_defaults']).default('random'),
  /**
   * Gradient checkpointing per block (`@dfer/backbones` `gradientCheckpointing`): training keeps only each
   * block's input and recomputes the block in the backward pass — less memory (the `paper` presets fit the
   * wasm heap at batch 2 only with it), about one more forward pass of time. Same gradients.
   */
  gradientCheckpointing: z.boolean().default(false),
  /**
   * Start from a checkpoint (safetensors, e.g. official weights converted with `dfer`'s tools, or a
   * `best.safetensors` of another run): names and shapes are checked strictly except under `exclude`.
   */
  pretrained: z
    .strictObject({
      /** The safetensors file. */
      path: z.string().min(1),
      /** Layout of its tensors: `'pytorch'` (default; official checkpoints) or `'tfjs'` (this trainer's files). */
      layout: z.enum(['pytorch', 'tfjs']).default('pytorch'),
      /** Prefix removed from the file's names first, e.g. `'module.'` for DataParallel checkpoints. */
      stripPrefix: z.string().min(1).optional(),
      /** Name prefixes neither loaded nor required, e.g. `['head.']` for another class count. */
      exclude: z.array(z.string().min(1)).default([]),
    })
    .optional(),
});

const optimSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('adamw'),
    lr: z.number().positive(),
    weightDecay: z.number().min(0).default(0.05),
    betas: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]).default([0.9, 0.999]),
    eps: z.number().positive().default(1e-8),
    noDecayBiasAndNorm: z.boolean().default(true),
  }),
  z.strictObject({
    type: z.literal('sgd'),
    lr: z.number().positive(),
    momentum: z.number().min(0).max(1).default(0.9),
    weightDecay: z.number().min(0).default(1e-4),
    weightDecayMode: z.enum(['decoupled', 'l2']).default('decoupled'),
    noDecayBiasAndNorm: z.boolean().default(false),
  }),
]);

const scheduleSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('cosine'),
    warmupEpochs: z.number().min(0).default(0),
    warmupLr: z.number().min(0).default(0),
    minLr: z.number().min(0).default(0),
  }),
  z.strictObject({
    type: z.literal('step'),
    stepSize: z.number().positive(),
    gamma: z.number().positive().default(0.1),
  }),
  z.strictObject({ type: z.literal('constant') }),
]);

const trainSchema = z.strictObject({
  epochs: positiveInt,
  batchSize: positiveInt,
  evalBatchSize: positiveInt.default(16),
  clipGradNorm: z.number().positive().optional(),
  /** Evaluate on the validation split every N epochs (and always after the last). */
  evalEvery: positiveInt.default(1),
  /** Stop after this many optimizer steps in total (for smoke runs); unset: run all epochs. */
  maxSteps: positiveInt.optional(),
  /**
   * Threads of data-parallel training (default 1): each training batch is split into `workers` shards,
   * differentiated on as many threads (each its own tfjs-wasm or tfjs-cpu instance and model replica), the
   * gradients averaged through shared memory and one optimizer update applied. Deterministic for a fixed
   * value; BatchNorm uses per-shard batch statistics (as PyTorch DDP without SyncBatchNorm). At most the
   * machine's cores; with the `tensorflow` backend only 1.
   */
  workers: positiveInt.default(1),
  /**
   * Training augmentation (`createTrainTransform` of `@dfer/datasets`): random resized crop with area
   * fraction `scale` and aspect `ratio`, then a horizontal flip with probability `flip`. Defaults: the
   * Former-DFER / M3DFEL pipeline at mild strength (scale [0.8, 1], ratio [3/4, 4/3], flip 0.5).
   * `{ flip: 0, scale: [1, 1], ratio: [1, 1] }` turns it off (only the resize to the model's input).
   */
  augment: z
    .strictObject({
      flip: z.number().min(0).max(1).default(0.5),
      scale: orderedRange(z.number().gt(0).max(1)).default([0.8, 1]),
      ratio: orderedRange(z.number().positive()).default([3 / 4, 4 / 3]),
    })
    .default({ flip: 0.5, scale: [0.8, 1], ratio: [3 / 4, 4 / 3] }),
});

const evaluationSchema = z.strictObject({
  /**
   * How the reported checkpoint is chosen: `validation` (default: best validation UAR+WAR on a split carved
   * from the training data), `last` (the final epoch), or `test` (best test UAR+WAR: only for comparison with
   * papers that did so; every report then says so).
   */
  selection: z.enum(['validation', 'last', 'test']).default('validation'),
  /** Fraction of the training data held out (stratified by label, identity-disjoint when identities are known). */
  validationFraction: z.number().gt(0).lt(1).default(0.1),
});

const protocolSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('fixed') }),
  z.strictObject({
    type: z.literal('kfold'),
    folds: z.number().int().min(2).default(5),
    /** Run only these folds (1-based); default: all. */
    only: z.array(positiveInt).optional(),
  }),
]);

export const experimentSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits, "_", "." or "-"'),
  /** Free text, e.g. where a recipe's settings come from (shipped configs cite their reference files). */
  comment: z.string().optional(),
  seed: z.number().int().min(0).default(0),
  engine: engineSchema.default({ backend: 'auto' }),
  data: componentNode,
  model: modelSchema,
  loss: componentNode,
  robust: componentNode.optional(),
  optim: optimSchema,
  schedule: scheduleSchema.default({ type: 'constant' }),
  train: trainSchema,
  evaluation: evaluationSchema.default({ selection: 'validation', validationFraction: 0.1 }),
  protocol: protocolSchema.default({ type: 'fixed' }),
  output: z.strictObject({ dir: z.string().min(1) }).optional(),
});

/** A validated experiment config with defaults filled in. */
export type ExperimentConfig = z.output<typeof experimentSchema>;
/** What a user writes: defaults may be omitted. */
export type ExperimentConfigInput = z.input<typeof experimentSchema>;

/** Identity function that types a config literal (`defineConfig({ ... })`), like vite's. */
export function defineConfig<T extends ExperimentConfigInput>(config: T): T {
  return config;
}

/** One problem found in a config: the dotted path of the field and what was expected. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** Thrown by {@link validateConfig}; `issues` lists every problem, the message shows them all. */
export class ConfigError extends Error {
  constructor(
    readonly issues: readonly ConfigIssue[],
    source?: string,
  ) {
    super(
      `invalid experiment config${source ? ` (${source})` : ''}:\n` +
        issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** Registries the `type` names of component nodes are checked against. */
export interface ComponentRegistries {
  readonly data?: readonly string[];
  readonly model?: readonly string[];
  readonly loss?: readonly string[];
  readonly robust?: readonly string[];
  /**
   * Option names each data source accepts (besides `type`), by data type: an unknown option of a data node
   * whose type is listed here is reported (with the closest name). Types not listed are not checked.
   */
  readonly dataOptions?: Readonly<Record<string, readonly string[]>>;
}

/**
 * Validate a config: every bad field is reported with its path and the expected form; unknown component
 * `type` names are reported with the registered names. Returns the config with defaults filled in; the input
 * is not mutated.
 */
export function validateConfig(
  input: unknown,
  registries: ComponentRegistries = {},
  source?: string,
): ExperimentConfig {
  const result = experimentSchema.safeParse(input);
  const issues: ConfigIssue[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path.map(String).join('.');
      if (issue.code === 'unrecognized_keys') {
        const known = schemaKeysAt(experimentSchema, input, issue.path) ?? [];
        for (const key of issue.keys) {
          issues.push({ path: path === '' ? key : `${path}.${key}`, message: unknownKeyMessage(key, known) });
        }
      } else issues.push({ path, message: issue.message });
    }
  }
  const raw = (input ?? {}) as Record<string, unknown>;
  for (const key of ['data', 'model', 'loss', 'robust'] as const) {
    const valid = registries[key];
    const node = raw[key] as { type?: unknown } | undefined;
    if (!valid || !node || typeof node.type !== 'string') continue;
    if (!valid.includes(node.type)) {
      issues.push({
        path: `${key}.type`,
        message: `unknown ${key} type "${node.type}"; registered: ${[...valid].sort().join(', ')}`,
      });
    }
  }
  const data = raw.data as Record<string, unknown> | undefined;
  const dataKeys = typeof data?.type === 'string' ? registries.dataOptions?.[data.type] : undefined;
  if (data !== undefined && dataKeys !== undefined) {
    for (const key of Object.keys(data)) {
      if (key !== 'type' && !dataKeys.includes(key)) {
        issues.push({
          path: `data.${key}`,
          message: `${unknownKeyMessage(key, dataKeys, 'option')} (data type "${String(data.type)}")`,
        });
      }
    }
  }
  if (issues.length > 0 || !result.success) throw new ConfigError(issues, source);
  return result.data;
}
