/**
 * Loading and saving model weights as safetensors files (format and file I/O from @dfer/runtime).
 * The default layout is PyTorch's, so a state dict exported from the authors' PyTorch code
 * (`safetensors.torch.save_file(model.state_dict(), path)`, see docs/official-weights.md) loads by name.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  loadSafetensors,
  readSafetensors,
  saveSafetensors,
  type SafetensorsContent,
  type SafetensorsTensor,
} from '@dfer/runtime';

import type { AnyModule, LoadStateDictOptions, LoadStateDictResult, StateDictLayout } from './nn/module';
import { permuteValues } from './nn/permute';

/** Per-call options of {@link loadWeights}. */
export interface LoadWeightsOptions {
  /** Layout of the file's tensors (default `'pytorch'`). */
  layout?: StateDictLayout;
  /** Reject missing and unexpected names (default `true`); mis-shaped tensors are always rejected. */
  strict?: boolean;
  /**
   * A prefix removed from every tensor name that starts with it before matching, e.g. `'module.'` for a
   * checkpoint saved from `torch.nn.DataParallel` / `DistributedDataParallel` (timm's `clean_state_dict`).
   * Two names that become equal are an error.
   */
  stripPrefix?: string;
  /**
   * Tensor-name prefixes (after `stripPrefix`) that are neither loaded nor required: the file's tensors
   * with such a name are ignored, and the model's keep their current values — e.g. `['head.']` to
   * fine-tune a checkpoint to another number of classes. The result lists the model's names kept this way
   * in `missingKeys` and the file's ignored names in `unexpectedKeys`.
   */
  exclude?: readonly string[];
  /**
   * Load float tensors holding NaN or ±Infinity (default `false`: such a tensor is an error naming it and
   * the first bad value, since non-finite weights make every output NaN).
   */
  allowNonFinite?: boolean;
}

/** Throws when a float tensor holds NaN or ±Infinity (see {@link LoadWeightsOptions.allowNonFinite}). */
function checkFinite(name: string, values: Float32Array, source: string): void {
  let count = 0;
  let first = -1;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i] as number)) {
      count++;
      if (first < 0) first = i;
    }
  }
  if (count > 0) {
    throw new Error(
      `${source}: tensor '${name}' holds ${count} non-finite value${count === 1 ? '' : 's'} (first: ${values[first]} at index ${first}); pass allowNonFinite: true to load it anyway`,
    );
  }
}

/** The file's tensors with `prefix` removed from the names that start with it. */
function stripNamePrefix(
  tensors: Readonly<Record<string, SafetensorsTensor>>,
  prefix: string | undefined,
  source: string,
): Record<string, SafetensorsTensor> {
  if (prefix === undefined || prefix === '') return { ...tensors };
  const out: Record<string, SafetensorsTensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    const stripped = name.startsWith(prefix) ? name.slice(prefix.length) : name;
    if (stripped in out) {
      throw new Error(
        `${source}: after removing the prefix '${prefix}', two tensors are named '${stripped}'`,
      );
    }
    out[stripped] = t;
  }
  return out;
}

/** Per-call options of {@link saveWeights}. */
export interface SaveWeightsOptions {
  /** Layout to write (default `'pytorch'`: `[out, in]` Linear weights, OIHW conv weights, int64 counters). */
  layout?: StateDictLayout;
  /** Extra `__metadata__` strings. */
  metadata?: Readonly<Record<string, string>>;
}

/** IEEE half (binary16) bit pattern → number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * Converts one safetensors tensor to tfjs values: F32 as is, F64/F16/BF16 to float32, I64/I32/I16/I8/U8
 * to int32 (integers outside the int32 range are an error). Other dtypes are rejected.
 */
function toTfjsValues(
  name: string,
  tensor: SafetensorsTensor,
  source: string,
): { values: Float32Array | Int32Array; dtype: 'float32' | 'int32' } {
  const { data, dtype } = tensor;
  switch (dtype) {
    case 'F32':
      return { values: data as Float32Array, dtype: 'float32' };
    case 'F64':
      return { values: Float32Array.from(data as Float64Array), dtype: 'float32' };
    case 'F16':
      return { values: Float32Array.from(data as Uint16Array, halfToFloat), dtype: 'float32' };
    case 'BF16': {
      const bits = new Uint32Array((data as Uint16Array).length);
      (data as Uint16Array).forEach((v, i) => {
        bits[i] = v << 16;
      });
      return { values: new Float32Array(bits.buffer), dtype: 'float32' };
    }
    case 'I64': {
      const out = new Int32Array(data.length);
      (data as BigInt64Array).forEach((v, i) => {
        if (v > 2147483647n || v < -2147483648n) {
          throw new Error(
            `${source}: tensor '${name}' (I64) holds ${v}, outside the int32 range tfjs supports`,
          );
        }
        out[i] = Number(v);
      });
      return { values: out, dtype: 'int32' };
    }
    case 'I32':
    case 'I16':
    case 'I8':
    case 'U8':
      return { values: Int32Array.from(data as Int16Array), dtype: 'int32' };
    default:
      throw new Error(
        `${source}: tensor '${name}' has dtype ${dtype}; supported: F32, F64, F16, BF16, I64, I32, I16, I8, U8`,
      );
  }
}

/**
 * Assigns the tensors of a parsed safetensors file to `model` by name. Names and shapes are checked
 * first (one error lists every missing, unexpected and mis-shaped tensor, naming `source`), so a rejected
 * file leaves the model unchanged and allocates nothing. Then each tensor's values: NaN or ±Infinity in
 * a float tensor (unless `options.allowNonFinite`) and an integer tensor (I64, I32, …) for a float
 * variable are errors naming the tensor; the model is unchanged then too. Integer tensors stay allowed
 * for integer variables such as BatchNorm's `num_batches_tracked`.
 */
export function loadWeightsFromContent(
  model: AnyModule,
  content: SafetensorsContent,
  options: LoadWeightsOptions = {},
  source = 'safetensors',
): LoadStateDictResult {
  const layout = options.layout ?? 'pytorch';
  const exclude = options.exclude ?? [];
  const excluded = (name: string): boolean => exclude.some((prefix) => name.startsWith(prefix));
  const check: LoadStateDictOptions = {
    layout,
    strict: options.strict ?? true,
    source:
      exclude.length === 0 ? source : `${source} (excluding ${exclude.map((p) => `'${p}'`).join(', ')})`,
    ...(exclude.length > 0 ? { optional: excluded } : {}),
  };
  const named = stripNamePrefix(content.tensors, options.stripPrefix, source);
  const ignored = Object.keys(named).filter(excluded);
  const tensors = Object.fromEntries(Object.entries(named).filter(([name]) => !excluded(name)));
  const shapes: Record<string, number[]> = {};
  for (const [name, t] of Object.entries(tensors)) shapes[name] = t.shape;
  model.checkStateDictShapes(shapes, check);
  const entries = new Map(model.stateEntries().map((e) => [e.name, e]));
  const dict: Record<string, tf.Tensor> = {};
  try {
    for (const [name, t] of Object.entries(tensors)) {
      const entry = entries.get(name);
      if (entry === undefined) continue;
      const { values, dtype } = toTfjsValues(name, t, source);
      if (dtype === 'int32' && entry.variable.dtype !== 'int32') {
        // e.g. a float tensor whose header dtype was edited to I32: its bit patterns would load as values
        throw new Error(
          `${source}: tensor '${name}' has the integer dtype ${t.dtype} but the model's '${name}' is ${entry.variable.dtype}; a float tensor (F32, F64, F16, BF16) is expected`,
        );
      }
      if (dtype === 'float32' && options.allowNonFinite !== true) {
        checkFinite(name, values as Float32Array, source);
      }
      const perm = layout === 'pytorch' ? entry.torchToTfjs : undefined;
      dict[name] =
        perm === undefined
          ? tf.tensor(values, t.shape, dtype)
          : tf.tensor(
              permuteValues(values, t.shape, perm),
              perm.map((p) => t.shape[p] as number),
              dtype,
            );
    }
    // names and shapes were checked in the file's layout above; the dict is now in tfjs layout
    const result = model.loadStateDict(dict, { ...check, layout: 'tfjs' });
    return { ...result, unexpectedKeys: [...result.unexpectedKeys, ...ignored] };
  } finally {
    tf.dispose(Object.values(dict));
  }
}

/**
 * Loads a safetensors file (path or bytes) into `model`: `await loadWeights(model, 'former_dfer.safetensors')`.
 * Default layout PyTorch, strict names. See {@link loadWeightsFromContent} for the checks.
 */
export async function loadWeights(
  model: AnyModule,
  file: string | Uint8Array,
  options: LoadWeightsOptions = {},
): Promise<LoadStateDictResult> {
  const source = typeof file === 'string' ? file : 'safetensors bytes';
  const content = typeof file === 'string' ? await loadSafetensors(file) : readSafetensors(file, source);
  return loadWeightsFromContent(model, content, options, source);
}

/** The model's state as safetensors tensors (default PyTorch layout; counters as I64 there, I32 in tfjs layout). */
export function stateDictToSafetensors(
  model: AnyModule,
  layout: StateDictLayout = 'pytorch',
): Record<string, SafetensorsTensor> {
  const out: Record<string, SafetensorsTensor> = {};
  const dict = model.stateDict({ layout });
  const specs = new Map(model.stateEntries().map((e) => [e.name, e]));
  try {
    for (const [name, t] of Object.entries(dict)) {
      const shape = [...t.shape];
      if (t.dtype === 'int32') {
        const ints = t.dataSync() as Int32Array;
        out[name] =
          layout === 'pytorch' && specs.get(name)?.torchDtype === 'int64'
            ? { dtype: 'I64', shape, data: BigInt64Array.from(ints, (v) => BigInt(v)) }
            : { dtype: 'I32', shape, data: Int32Array.from(ints) };
      } else {
        out[name] = { dtype: 'F32', shape, data: Float32Array.from(t.dataSync() as Float32Array) };
      }
    }
  } finally {
    tf.dispose(Object.values(dict));
  }
  return out;
}

/** Writes the model's state dict to a safetensors file (atomically; default PyTorch layout). */
export async function saveWeights(
  model: AnyModule,
  path: string,
  options: SaveWeightsOptions = {},
): Promise<void> {
  const layout = options.layout ?? 'pytorch';
  await saveSafetensors(path, stateDictToSafetensors(model, layout), { layout, ...options.metadata });
}
