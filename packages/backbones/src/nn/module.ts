/**
 * The Module base class: a PyTorch-like container of named parameters, buffers and submodules.
 *
 * State-dict names are built exactly as PyTorch builds them (`<child>.<grandchild>.<tensor>`), so a state
 * dict exported from the authors' PyTorch code loads by name. Inside tfjs, tensors are channels-last
 * (NHWC / NDHWC) and Linear weights are `[in, out]`; every tensor records the permutation that maps its
 * PyTorch layout to its tfjs layout, so `stateDict({ layout: 'pytorch' })` and
 * `loadStateDict(dict, { layout: 'pytorch' })` convert on the way out and in.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OnnxGraph } from '@dfer/runtime';

import { permuteValues } from './permute';

/** Memory layout of a state dict: tfjs (channels-last, `[in, out]` Linear) or PyTorch. */
export type StateDictLayout = 'tfjs' | 'pytorch';

/** Whether a state entry is a trainable parameter or a buffer (running statistics, counters). */
export type StateEntryKind = 'parameter' | 'buffer';

/** Options for registering a parameter or a buffer. */
export interface StateEntryConfig {
  /**
   * Permutation mapping the PyTorch layout to the tfjs layout: `tfjs = transpose(pytorch, torchToTfjs)`.
   * For example `[1, 0]` for a Linear weight (`[out, in]` → `[in, out]`), `[2, 3, 1, 0]` for a Conv2d
   * weight (`[out, in, kh, kw]` → `[kh, kw, in, out]`). Omit when both layouts are the same.
   */
  torchToTfjs?: readonly number[];
  /** PyTorch dtype recorded in the state-dict spec (`int64` for BatchNorm's `num_batches_tracked`). */
  torchDtype?: 'float32' | 'int64';
}

/** One tensor of a module's state (a parameter or a buffer), with its layout conversion. */
export interface StateEntry {
  /** Full dotted name, as in the PyTorch state dict. */
  name: string;
  kind: StateEntryKind;
  /** The live variable (parameters are trainable, buffers are not). */
  variable: tf.Variable;
  /** Permutation PyTorch layout → tfjs layout, or `undefined` when identical. */
  torchToTfjs: readonly number[] | undefined;
  torchDtype: 'float32' | 'int64';
}

/** Name, shape and dtype of one state-dict tensor (what a `*.state-dict.json` reference lists). */
export interface StateDictSpecEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int64' | 'int32';
}

/** Options of {@link Module.stateDict}. */
export interface StateDictOptions {
  /** Layout of the returned tensors (default `'tfjs'`). */
  layout?: StateDictLayout;
  /** Leave buffers out (default `false`: parameters and buffers, as PyTorch does). */
  parametersOnly?: boolean;
}

/** Options of {@link Module.loadStateDict}. */
export interface LoadStateDictOptions {
  /** Layout of the given tensors (default `'tfjs'`). */
  layout?: StateDictLayout;
  /**
   * When `true` (default), any missing or unexpected name is an error, as in PyTorch's
   * `load_state_dict(strict=True)`. When `false`, missing and unexpected names are allowed and reported
   * in the result. Shape mismatches are always an error.
   */
  strict?: boolean;
  /**
   * Names the dict may lack even when `strict`: those tensors keep their current values and are listed in
   * the result's `missingKeys` (e.g. a classifier head when fine-tuning to another class count).
   */
  optional?: (name: string) => boolean;
  /** Source named in error messages (e.g. a file path). */
  source?: string;
}

/** What {@link Module.loadStateDict} did. */
export interface LoadStateDictResult {
  /** Number of tensors loaded. */
  loaded: number;
  /** Names the module has but the dict lacked (with `strict`, only names allowed by `optional`). */
  missingKeys: string[];
  /** Names the dict had but the module lacks (only non-empty with `strict: false`). */
  unexpectedKeys: string[];
}

/**
 * What `toOnnx` returns: one ONNX value name for a tensor output, or named values (e.g.
 * `{ logits, features }`) for a record of tensors.
 */
export type OnnxOutput = string | Readonly<Record<string, string>>;

/** A named state dict: full dotted names → tensors. */
export type StateDict = Record<string, tf.Tensor>;

/** Inverse of a permutation: `inverse[perm[i]] = i`. */
export function invertPermutation(perm: readonly number[]): number[] {
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => {
    inverse[p] = i;
  });
  return inverse;
}

function permuteShape(shape: readonly number[], perm: readonly number[] | undefined): number[] {
  if (perm === undefined) return [...shape];
  return perm.map((p) => {
    const d = shape[p];
    if (d === undefined)
      throw new Error(`permutation ${JSON.stringify(perm)} does not fit shape [${shape.join(', ')}]`);
    return d;
  });
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Base class of every layer and model. Subclasses register parameters, buffers and submodules in their
 * constructor (in the PyTorch order, so state-dict order matches too) and implement `forward`.
 *
 * @typeParam I - forward input (default a tensor)
 * @typeParam O - forward output (default a tensor)
 * @typeParam P - what `toOnnx` returns (default one value name)
 */
export abstract class Module<I = tf.Tensor, O = tf.Tensor, P extends OnnxOutput = string> {
  /** `true` in training mode (dropout active, BatchNorm uses batch statistics and updates its buffers). */
  training = true;
  private readonly ownEntries = new Map<string, Omit<StateEntry, 'name'>>();
  private readonly children = new Map<string, Module<unknown, unknown>>();
  private disposed = false;

  /** Runs the module. Implementations allocate nothing that outlives the call except the output. */
  abstract forward(input: I): O;

  /**
   * Lowers the inference-mode forward pass to ONNX (opset 17): appends nodes to `graph` that read the
   * value named `input` (tfjs layout: NHWC, NDHWC or `[B, tokens, features]`) and returns the produced
   * value(s), in tfjs layout too (the `Exportable` convention of @dfer/runtime). Dropout lowers to
   * identity and BatchNorm to its running statistics, whatever the current mode. Modules without a
   * lowering throw.
   */
  toOnnx(graph: OnnxGraph, input: string): P {
    void graph;
    void input;
    throw new Error(`${this.constructor.name} has no ONNX lowering`);
  }

  /**
   * Registers a trainable parameter (a `tf.Variable` holding `init`; `init` is disposed).
   * @returns the variable
   */
  protected registerParameter(name: string, init: tf.Tensor, config: StateEntryConfig = {}): tf.Variable {
    return this.addEntry(name, init, 'parameter', config);
  }

  /**
   * Registers a non-trainable buffer (a `tf.Variable` with `trainable = false`; `init` is disposed).
   * @returns the variable
   */
  protected registerBuffer(name: string, init: tf.Tensor, config: StateEntryConfig = {}): tf.Variable {
    return this.addEntry(name, init, 'buffer', config);
  }

  /** Registers a submodule under `name` (its state-dict names get the prefix `name.`). */
  protected registerModule<M extends AnyModule>(name: string, module: M): M {
    this.checkFreeName(name);
    this.children.set(name, module as unknown as Module<unknown, unknown>);
    return module;
  }

  private checkFreeName(name: string): void {
    if (name === '' || name.includes('.')) {
      throw new Error(`${this.constructor.name}: invalid name '${name}' (non-empty, without '.')`);
    }
    if (this.ownEntries.has(name) || this.children.has(name)) {
      throw new Error(`${this.constructor.name}: name '${name}' is already registered`);
    }
  }

  private addEntry(
    name: string,
    init: tf.Tensor,
    kind: StateEntryKind,
    config: StateEntryConfig,
  ): tf.Variable {
    this.checkFreeName(name);
    const perm = config.torchToTfjs;
    if (perm !== undefined && perm.length !== init.rank) {
      init.dispose();
      throw new Error(
        `${this.constructor.name}.${name}: torchToTfjs ${JSON.stringify(perm)} has ${perm.length} axes, tensor has rank ${init.rank}`,
      );
    }
    const variable = tf.variable(init, kind === 'parameter');
    init.dispose();
    this.ownEntries.set(name, {
      kind,
      variable,
      torchToTfjs: perm,
      torchDtype: config.torchDtype ?? 'float32',
    });
    return variable;
  }

  /** Direct submodules, in registration order. */
  namedChildren(): Array<[string, Module<unknown, unknown>]> {
    return [...this.children.entries()];
  }

  /** This module and every descendant, with dotted names (`''` for this module), depth first. */
  namedModules(prefix = ''): Array<[string, Module<unknown, unknown>]> {
    const out: Array<[string, Module<unknown, unknown>]> = [
      [prefix, this as unknown as Module<unknown, unknown>],
    ];
    for (const [name, child] of this.children) {
      out.push(...child.namedModules(prefix === '' ? name : `${prefix}.${name}`));
    }
    return out;
  }

  /**
   * Every parameter and buffer with its full name, in PyTorch's `state_dict` order (own parameters,
   * own buffers, then each child in registration order).
   */
  stateEntries(prefix = ''): StateEntry[] {
    this.assertAlive();
    const join = (name: string): string => (prefix === '' ? name : `${prefix}.${name}`);
    const own = [...this.ownEntries.entries()];
    const out: StateEntry[] = [];
    for (const kind of ['parameter', 'buffer'] as const) {
      for (const [name, entry] of own) if (entry.kind === kind) out.push({ name: join(name), ...entry });
    }
    for (const [name, child] of this.children) out.push(...child.stateEntries(join(name)));
    return out;
  }

  /** Trainable parameters with their full names. */
  namedParameters(): Array<[string, tf.Variable]> {
    return this.stateEntries()
      .filter((e) => e.kind === 'parameter')
      .map((e) => [e.name, e.variable]);
  }

  /** Trainable parameters (the live variables, e.g. for `tf.variableGrads` or an optimiser). */
  parameters(): tf.Variable[] {
    return this.namedParameters().map(([, v]) => v);
  }

  /** Buffers with their full names. */
  namedBuffers(): Array<[string, tf.Variable]> {
    return this.stateEntries()
      .filter((e) => e.kind === 'buffer')
      .map((e) => [e.name, e.variable]);
  }

  /** Number of trainable scalars: Σ over parameters of the product of the shape (buffers excluded). */
  numParameters(): number {
    return this.parameters().reduce((n, v) => n + v.size, 0);
  }

  /**
   * Names, shapes and dtypes of the state dict, in the given layout (default `'pytorch'`, so it compares
   * directly with a `*.state-dict.json` reference).
   */
  stateDictSpec(layout: StateDictLayout = 'pytorch'): StateDictSpecEntry[] {
    return this.stateEntries().map((e) => ({
      name: e.name,
      shape: layout === 'pytorch' ? this.torchShape(e) : [...e.variable.shape],
      dtype: layout === 'pytorch' ? e.torchDtype : (e.variable.dtype as 'float32' | 'int32'),
    }));
  }

  private torchShape(e: StateEntry): number[] {
    return e.torchToTfjs === undefined
      ? [...e.variable.shape]
      : permuteShape(e.variable.shape, invertPermutation(e.torchToTfjs));
  }

  /** Sets training mode on this module and every descendant (PyTorch `train(mode)`). */
  train(mode = true): this {
    this.training = mode;
    for (const child of this.children.values()) child.train(mode);
    return this;
  }

  /** Sets evaluation mode (dropout off, BatchNorm uses running statistics). Same as `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Copies of every state tensor by full name. The caller owns (and disposes) the returned tensors.
   * With `layout: 'pytorch'` the tensors are transposed to PyTorch's layout (`[out, in]` Linear weights,
   * `[out, in, kh, kw]` conv weights); integer buffers stay int32 (tfjs has no int64).
   */
  stateDict(options: StateDictOptions = {}): StateDict {
    const layout = options.layout ?? 'tfjs';
    const out: StateDict = {};
    for (const e of this.stateEntries()) {
      if (options.parametersOnly === true && e.kind !== 'parameter') continue;
      out[e.name] =
        layout === 'pytorch' && e.torchToTfjs !== undefined
          ? tf.transpose(e.variable, invertPermutation(e.torchToTfjs))
          : tf.clone(e.variable);
    }
    return out;
  }

  /**
   * Checks tensor names and shapes against this module's state without touching anything: throws one
   * error listing every missing key, unexpected key (both only when `strict`, the default) and mis-shaped
   * key with expected and actual shapes (in `options.layout`, default `'tfjs'`). Returns the missing and
   * unexpected names otherwise.
   */
  checkStateDictShapes(
    shapes: Readonly<Record<string, readonly number[]>>,
    options: LoadStateDictOptions = {},
  ): { missing: string[]; unexpected: string[] } {
    const layout = options.layout ?? 'tfjs';
    const strict = options.strict ?? true;
    const entries = this.stateEntries();
    const known = new Set(entries.map((e) => e.name));
    const missing: string[] = [];
    const misShaped: string[] = [];
    for (const e of entries) {
      const shape = shapes[e.name];
      if (shape === undefined) {
        missing.push(e.name);
        continue;
      }
      const expected = layout === 'pytorch' ? this.torchShape(e) : [...e.variable.shape];
      if (shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
        misShaped.push(
          `${e.name}: expected ${formatShape(expected)} (${layout} layout), got ${formatShape(shape)}`,
        );
      }
    }
    const unexpected = Object.keys(shapes).filter((k) => !known.has(k));
    const required = options.optional === undefined ? missing : missing.filter((k) => !options.optional!(k));
    const problems: string[] = [];
    if (strict && required.length > 0)
      problems.push(`missing keys (${required.length}): ${required.join(', ')}`);
    if (strict && unexpected.length > 0) {
      problems.push(`unexpected keys (${unexpected.length}): ${unexpected.join(', ')}`);
    }
    if (misShaped.length > 0) problems.push(`mis-shaped keys (${misShaped.length}): ${misShaped.join('; ')}`);
    if (problems.length > 0) {
      const where = options.source === undefined ? '' : ` from ${options.source}`;
      throw new Error(`${this.constructor.name}.loadStateDict${where}: ${problems.join('. ')}`);
    }
    return { missing, unexpected };
  }

  /**
   * Assigns the given tensors to the module's parameters and buffers by full name (the given tensors are
   * not disposed). All checks run before anything is assigned, so a rejected dict leaves the module
   * unchanged. The error lists every missing, unexpected and mis-shaped key with expected and actual
   * shapes. Float tensors given for integer buffers (and vice versa) are cast.
   */
  loadStateDict(dict: StateDict, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const layout = options.layout ?? 'tfjs';
    const strict = options.strict ?? true;
    const shapes: Record<string, readonly number[]> = {};
    for (const [name, t] of Object.entries(dict)) shapes[name] = t.shape;
    const { missing, unexpected } = this.checkStateDictShapes(shapes, options);
    const entries = this.stateEntries();
    let loaded = 0;
    for (const e of entries) {
      const t = dict[e.name];
      if (t === undefined) continue;
      tf.tidy(() => {
        const perm = layout === 'pytorch' ? e.torchToTfjs : undefined;
        let value =
          perm === undefined || (t.dtype !== 'float32' && t.dtype !== 'int32')
            ? perm === undefined
              ? t
              : tf.transpose(t, [...perm])
            : tf.tensor(
                permuteValues(t.dataSync() as Float32Array | Int32Array, t.shape, perm),
                perm.map((p) => t.shape[p] as number),
                t.dtype,
              );
        if (value.dtype !== e.variable.dtype) value = tf.cast(value, e.variable.dtype);
        e.variable.assign(value);
      });
      loaded++;
    }
    // A strict check that passed leaves only `optional` names missing and nothing unexpected.
    return { loaded, missingKeys: missing, unexpectedKeys: strict ? [] : unexpected };
  }

  /** Disposes every parameter and buffer of this module and its descendants. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    for (const e of this.ownEntries.values()) e.variable.dispose();
    for (const child of this.children.values()) child.dispose();
    this.disposed = true;
  }

  /** `true` once {@link Module.dispose} has run. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  protected assertAlive(): void {
    if (this.disposed) throw new Error(`${this.constructor.name}: module was disposed`);
  }
}

/** Any module, whatever its input and outputs (for containers and traversal). */
export type AnyModule = Module<never, unknown, OnnxOutput>;

/** A tensor → tensor module (every generic layer). */
export type TensorModule = Module<tf.Tensor, tf.Tensor>;

/**
 * An ordered list of submodules named `0`, `1`, … (PyTorch `nn.ModuleList`). It has no forward of its
 * own; the owner iterates it.
 */
export class ModuleList<M extends AnyModule = TensorModule> extends Module<never, never> {
  private readonly items: M[] = [];

  constructor(modules: readonly M[] = []) {
    super();
    for (const m of modules) this.append(m);
  }

  /** Appends a module under the next index. */
  append(module: M): this {
    this.registerModule(String(this.items.length), module);
    this.items.push(module);
    return this;
  }

  /** Module at `index` (throws when out of range). */
  get(index: number): M {
    const m = this.items[index];
    if (m === undefined)
      throw new RangeError(`ModuleList.get: index ${index} out of range [0, ${this.items.length})`);
    return m;
  }

  get length(): number {
    return this.items.length;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }

  forward(): never {
    throw new Error('ModuleList has no forward: iterate over its modules');
  }
}

/** Tensor modules applied in order, named `0`, `1`, … (PyTorch `nn.Sequential`). */
export class Sequential extends Module {
  private readonly items: TensorModule[] = [];

  constructor(modules: readonly TensorModule[] = []) {
    super();
    modules.forEach((m, i) => {
      this.registerModule(String(i), m);
      this.items.push(m);
    });
  }

  /** Module at `index` (throws when out of range). */
  get(index: number): TensorModule {
    const m = this.items[index];
    if (m === undefined)
      throw new RangeError(`Sequential.get: index ${index} out of range [0, ${this.items.length})`);
    return m;
  }

  get length(): number {
    return this.items.length;
  }

  forward(input: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.items.reduce<tf.Tensor>((x, m) => m.forward(x), input));
  }

  override toOnnx(graph: OnnxGraph, input: string): string {
    return this.items.reduce((x, m) => m.toOnnx(graph, x), input);
  }
}
